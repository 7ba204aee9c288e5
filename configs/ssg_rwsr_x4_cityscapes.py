# SSG-RWSR x4 on Cityscapes real LR images: the paper's setting (sections 3-4, Tables 1, 4).
#   bash tools/dist_train.sh configs/ssg_rwsr_x4_cityscapes.py 4
# 4 GPUs x 3 images = batch 12 per turn, LR patches 128x128, guided and adapted turns
# alternating for 100k iterations, Adam 1e-4 for both networks, loss weights
# L1 0.01 / LPIPS 0.1 / CE 0.01, SyncBN in the segmentor, RRDBNet from MMagic's RealESRNet
# and fcn_hr18 from MMSegmentation's Cityscapes model zoo.
# Before training, build the degradation pools from the real LR training images:
#   python tools/data/collect_noise_patches.py data/cityscapes/leftImg8bit/train \
#       data/cityscapes/degradation/noise_p128
#   python tools/data/estimate_kernels.py data/cityscapes/leftImg8bit/train \
#       data/cityscapes/degradation/kernels_x4 --scale 4 --device cuda
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
