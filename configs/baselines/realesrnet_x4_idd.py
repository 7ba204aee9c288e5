# Baseline RealESRNet: MMagic's RealESRNet x4 (23-block RRDBNet, L1 on DF2K-OST with
# Real-ESRGAN's high-order degradations; not a row of the paper).
# Table 2: whole real IDD val frames (1280x720), NIMA and Meta-IQA:
#   python tools/test.py configs/baselines/realesrnet_x4_idd.py \
#       --out results/idd/realesrnet.json --method-name RealESRNet
_base_ = ['../ssg_rwsr_x4_idd_fullframe.py']

model = dict(generator=dict(init_cfg=_base_.realesrnet_x4_init))
