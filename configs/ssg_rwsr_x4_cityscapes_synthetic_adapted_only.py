# Adapted turns only on synthetic Cityscapes: the SR network learns DF2K pairs degraded with the
# kernels and noise estimated on the synthetic LR images, nothing else; the paper's RealSR row
# of Table 3 (RealSR trains on such pairs), scored with ssg_rwsr_x4_cityscapes_synthetic_table3.py.
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*),
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: MMSegmentation's fcn_hr18 512x1024 160k Cityscapes,
#     fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth
_base_ = ['./ssg_rwsr_x4_cityscapes_synthetic.py']

# replaces the guided loader whole: its Cityscapes folders do not exist under DF2K
train_dataloader = dict(_delete_=True, **_base_.train_cfg.dataloaders.adapted)
train_cfg = dict(turns=['adapted'], train_dataloader_turn='adapted', dataloaders=None)
