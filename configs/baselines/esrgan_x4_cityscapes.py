# Baseline ESRGAN: MMagic's ESRGAN x4 (23-block RRDBNet, GAN-trained on DIV2K bicubic pairs;
# the paper used the authors' own ESRGAN weights).
# Table 1: whole real Cityscapes val frames, NIMA and Meta-IQA:
#   python tools/test.py configs/baselines/esrgan_x4_cityscapes.py \
#       --out results/cityscapes/esrgan.json --method-name ESRGAN
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN x4 (generator.*),
#     esrgan_x4c64b23g32_1x16_400k_div2k_20200508-f8ccaf3b.pth
#   segmentor: not built
_base_ = ['../ssg_rwsr_x4_cityscapes_fullframe.py']

model = dict(generator=dict(init_cfg=_base_.esrgan_x4_init))
