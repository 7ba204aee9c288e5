# The paper's setting started from MMagic's RealESRNet x4 instead of ESRGAN-PSNR: an RRDBNet
# trained on DF2K-OST with Real-ESRGAN's high-order degradations (blur, noise, JPEG, twice),
# EMA weights. It denoises before any SSG-RWSR training, so the ablations (Table 4) started
# from it measure less of what the guided and adapted turns add.
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's RealESRNet x4, its EMA weights (generator_ema.*),
#     realesrnet_c64b23g32_12x4_lr2e-4_1000k_df2k_ost_20210816-4ae3b5a4.pth
#   segmentor: MMSegmentation's fcn_hr18 512x1024 160k Cityscapes,
#     fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

model = dict(generator=dict(init_cfg=_base_.realesrnet_x4_init))
