# SSG-RWSR x4 on synthesised Cityscapes LR images (section 5.1, Table 3): the real LR domain
# is Cityscapes degraded by a known process, so the HR originals serve as ground truth.
# Make the data, then the pools from the synthetic LR training images:
#   python tools/data/synthesize_lr.py data/cityscapes data/cityscapes_synthetic_x4 --seed 0
#   python tools/data/collect_noise_patches.py --config configs/ssg_rwsr_x4_cityscapes_synthetic.py
#   python tools/data/estimate_kernels.py --config configs/ssg_rwsr_x4_cityscapes_synthetic.py \
#       --device cuda
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*),
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: MMSegmentation's fcn_hr18 512x1024 160k Cityscapes,
#     fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth
_base_ = [
    './_base_/models/ssg_rwsr_x4.py',
    './_base_/datasets/cityscapes_guided.py',
    './_base_/datasets/df2k_adapted.py',
    './_base_/datasets/cityscapes_synthetic_val.py',
    './_base_/schedules/joint_100k.py',
    './_base_/default_runtime.py',
]

synthetic_root = 'data/cityscapes_synthetic_x4'
train_dataloader = dict(dataset=dict(data_root=synthetic_root))
train_cfg = dict(
    dataloaders=dict(
        adapted=dict(
            _base_.adapted_dataloader,
            dataset=dict(
                _base_.adapted_dataloader.dataset,
                pipeline=[
                    t if t['type'] != 'DomainAdaptedDegradation' else dict(
                        t,
                        kernel_pool=synthetic_root + '/degradation/kernels_x4',
                        noise_pool=synthetic_root + '/degradation/noise_p128')
                    for t in _base_.adapted_pipeline
                ]))))
model = dict(test_cfg=dict(segment=True))
