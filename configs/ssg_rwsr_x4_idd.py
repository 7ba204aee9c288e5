# SSG-RWSR x4 on IDD real LR images (the 1280x720 frames, 30 classes = level-4 ids; Table 2).
# IDD also holds 1920x1080 frames; image_size keeps the paper's 1280x720 ones (1876 train,
# 442 val) and says how many others it left out.
# The segmentor starts from the Cityscapes fcn_hr18 checkpoint: backbone and head load, the
# 30-class classifier (decode_head.conv_seg) does not match and starts from random weights.
# The pools come from IDD's real LR training images, its 1280x720 frames as training reads them:
#   python tools/data/collect_noise_patches.py --config configs/ssg_rwsr_x4_idd.py
#   python tools/data/estimate_kernels.py --config configs/ssg_rwsr_x4_idd.py --device cuda
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*),
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: MMSegmentation's fcn_hr18 512x1024 160k Cityscapes (all but
#     decode_head.conv_seg), fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

idd_root = 'data/idd'
idd_image_size = (1280, 720)
model = dict(segmentor=dict(decode_head=dict(num_classes=30)))

train_dataloader = dict(
    dataset=dict(type='IDDDataset', data_root=idd_root, image_size=idd_image_size))
train_cfg = dict(
    dataloaders=dict(
        adapted=dict(
            dataset=dict(pipeline=[
                t if t['type'] != 'DomainAdaptedDegradation' else dict(
                    t,
                    kernel_pool=idd_root + '/degradation/kernels_x4',
                    noise_pool=idd_root + '/degradation/noise_p128')
                for t in _base_.adapted_pipeline
            ]))))
val_dataloader = dict(
    dataset=dict(type='IDDDataset', data_root=idd_root, image_size=idd_image_size))
test_dataloader = dict(
    dataset=dict(type='IDDDataset', data_root=idd_root, image_size=idd_image_size))
