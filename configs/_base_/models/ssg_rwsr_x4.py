# SSG-RWSR x4 (Aakerberg et al., sections 3.3 and 4): MMagic's RRDBNet (23 RRDBs, 64
# channels, growth 32) guided by MMSegmentation's fcn_hr18 (HRNet-W18 + FCN head, 19
# Cityscapes classes), both initialised from the OpenMMLab model zoo.
_base_ = ['mmseg::_base_/models/fcn_hr18.py', './sr_zoo_checkpoints.py']

# Generator: the paper starts from an RRDB "pre-trained on DF2K" (degradation and loss not
# stated); the closest zoo checkpoint is MMagic's ESRGAN-PSNR (L1, DIV2K bicubic pairs).
# The RealESRNet start (DF2K-OST with high-order degradations: it already denoises, which
# confounds the ablation) is the variant ssg_rwsr_x4_cityscapes_realesrnet.py.
# Segmentor: MMSegmentation's fcn_hr18 512x1024, 160k iterations on Cityscapes.
segmentor_checkpoint = ('https://download.openmmlab.com/mmsegmentation/v0.5/hrnet/'
                        'fcn_hr18_512x1024_160k_cityscapes/'
                        'fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth')

model = dict(
    _delete_=True,
    type='SSGRWSR',
    generator=dict(
        type='RRDBNet',
        in_channels=3,
        out_channels=3,
        mid_channels=64,
        num_blocks=23,
        growth_channels=32,
        upscale_factor=4,
        init_cfg=_base_.esrgan_psnr_x4_init),
    # the installed mmseg::_base_/models/fcn_hr18.py segmentor, built in the mmseg scope;
    # the ImageNet HRNet init is replaced by the whole Cityscapes checkpoint
    segmentor=dict(
        _base_.model,
        pretrained=None,
        init_cfg=dict(type='Pretrained', checkpoint=segmentor_checkpoint)),
    pixel_loss=dict(type='L1Loss', loss_weight=0.01, reduction='mean'),
    perceptual_loss=dict(type='LPIPSLoss', loss_weight=0.1, net='alex', pretrained_backbone=True),
    guided_loss_weight=0.01,
    sr_channel_order='RGB',
    channels_last=False,
    test_cfg=dict(segment=False),
    data_preprocessor=dict(
        type='SSGDataPreprocessor',
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        output_channel_order='RGB'))

# Generator and segmentor get one DDP each: adapted turns never run the segmentor, and
# this wrapper also runs CPU processes (gloo), not only GPUs (nccl). The scope prefix is
# needed because mmengine's runner looks wrappers up in its root registry.
model_wrapper_cfg = dict(type='mmagic.SeparateDistributedDataParallel', broadcast_buffers=True)
