# Baseline Real-ESRGAN: MMagic's Real-ESRGAN x4 (RealESRNet fine-tuned with GAN and
# perceptual losses; not a row of the paper).
# Table 3: synthetic Cityscapes val, PSNR, SSIM, LPIPS and DISTS against the HR frames:
#   python tools/test.py configs/baselines/realesrgan_x4_cityscapes_synthetic.py \
#       --out results/synthetic/realesrgan.json --method-name Real-ESRGAN
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's Real-ESRGAN x4, its EMA weights (generator_ema.*),
#     realesrgan_c64b23g32_12x4_lr1e-4_400k_df2k_ost_20211010-34798885.pth
#   segmentor: not built
_base_ = ['../ssg_rwsr_x4_cityscapes_synthetic_table3.py']

model = dict(generator=dict(init_cfg=_base_.realesrgan_x4_init))
