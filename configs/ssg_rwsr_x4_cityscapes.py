# SSG-RWSR x4 on Cityscapes real LR images: the paper's setting (sections 3-4, Tables 1, 4).
#   bash tools/dist_train.sh configs/ssg_rwsr_x4_cityscapes.py 4
# 4 GPUs x 3 images = batch 12 per turn, LR patches 128x128, guided and adapted turns
# alternating for 100k iterations, Adam 1e-4 for both networks, loss weights
# L1 0.01 / LPIPS 0.1 / CE 0.01, SyncBN in the segmentor, RRDBNet from MMagic's ESRGAN-PSNR
# (ssg_rwsr_x4_cityscapes_realesrnet.py: from RealESRNet) and fcn_hr18 from MMSegmentation's
# Cityscapes model zoo.
# Before training, build the degradation pools from the real LR training images (the folders,
# scale, estimator and noise windows are this config's):
#   python tools/data/collect_noise_patches.py --config configs/ssg_rwsr_x4_cityscapes.py
#   python tools/data/estimate_kernels.py --config configs/ssg_rwsr_x4_cityscapes.py \
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
    './_base_/datasets/cityscapes_real_val.py',
    './_base_/schedules/joint_100k.py',
    './_base_/default_runtime.py',
]

train_cfg = dict(dataloaders=dict(adapted=_base_.adapted_dataloader))
model = dict(test_cfg=dict(segment=True, tile=256, tile_overlap=16))
