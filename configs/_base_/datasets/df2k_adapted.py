# Adapted turns (Train_Even): clean HR photographs (DF2K = DIV2K 800 + Flickr2K 2650 train
# HR images, in one folder) degraded with the kernel and noise pools estimated on the real LR
# images of the guided turns (section 3.2). `tools/data/estimate_kernels.py --config CONFIG`
# and `tools/data/collect_noise_patches.py --config CONFIG` write them into the folders that
# DomainAdaptedDegradation below reads, for its scale, with the estimator and the noise
# windows given here.
adapted_data_root = 'data/DF2K'
hr_patch_size = 512
scale = 4
kernel_pool = 'data/cityscapes/degradation/kernels_x4'
noise_pool = 'data/cityscapes/degradation/noise_p128'
# the kernel estimator: KernelGAN per image, the paper's
kernel_method = 'kernelgan'
# the noise windows of Eq. 2-4: p = the LR training patch (HR 512 / 4 = 128), q = 32; the
# tolerances mu, gamma, phi and the strides are NoiseCriteria's defaults (the paper's and GCBD's)
noise_windows = dict(patch_size=hr_patch_size // scale, sub_size=32)

adapted_pipeline = [
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='Crop', keys=['gt'], crop_size=(hr_patch_size, hr_patch_size), random_crop=True),
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
    dict(
        type='DomainAdaptedDegradation',
        kernel_pool=kernel_pool,
        noise_pool=noise_pool,
        scale=scale),
    dict(type='PackInputs', keys='img'),
]

# JointTrainLoop's loader for the 'adapted' turn (see train_cfg.dataloaders)
adapted_dataloader = dict(
    batch_size=3,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='BasicImageDataset',
        data_root=adapted_data_root,
        data_prefix=dict(gt='HR'),
        pipeline=adapted_pipeline))
