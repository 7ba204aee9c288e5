# Baseline Real-ESRGAN: MMagic's Real-ESRGAN x4 (RealESRNet fine-tuned with GAN and
# perceptual losses; not a row of the paper).
# Table 1: whole real Cityscapes val frames, NIMA and Meta-IQA:
#   python tools/test.py configs/baselines/realesrgan_x4_cityscapes.py \
#       --out results/cityscapes/realesrgan.json --method-name Real-ESRGAN
_base_ = ['../ssg_rwsr_x4_cityscapes_fullframe.py']

model = dict(generator=dict(init_cfg=_base_.realesrgan_x4_init))
