# Baseline RealESRNet: MMagic's RealESRNet x4 (23-block RRDBNet, L1 on DF2K-OST with
# Real-ESRGAN's high-order degradations; not a row of the paper).
# Table 1: whole real Cityscapes val frames, NIMA and Meta-IQA:
#   python tools/test.py configs/baselines/realesrnet_x4_cityscapes.py \
#       --out results/cityscapes/realesrnet.json --method-name RealESRNet
_base_ = ['../ssg_rwsr_x4_cityscapes_fullframe.py']

model = dict(generator=dict(init_cfg=_base_.realesrnet_x4_init))
