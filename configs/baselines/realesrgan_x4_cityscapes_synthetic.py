# Baseline Real-ESRGAN: MMagic's Real-ESRGAN x4 (RealESRNet fine-tuned with GAN and
# perceptual losses; not a row of the paper).
# Table 3: synthetic Cityscapes val, PSNR, SSIM, LPIPS and DISTS against the HR frames:
#   python tools/test.py configs/baselines/realesrgan_x4_cityscapes_synthetic.py \
#       --out results/synthetic/realesrgan.json --method-name Real-ESRGAN
_base_ = ['../ssg_rwsr_x4_cityscapes_synthetic_table3.py']

model = dict(generator=dict(init_cfg=_base_.realesrgan_x4_init))
