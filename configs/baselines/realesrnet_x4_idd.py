# Baseline RealESRNet: MMagic's RealESRNet x4 (23-block RRDBNet, L1 on DF2K-OST with
# Real-ESRGAN's high-order degradations; not a row of the paper).
# Table 2: whole real IDD val frames (1280x720), NIMA and Meta-IQA:
#   python tools/test.py configs/baselines/realesrnet_x4_idd.py \
#       --out results/idd/realesrnet.json --method-name RealESRNet
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's RealESRNet x4, its EMA weights (generator_ema.*),
#     realesrnet_c64b23g32_12x4_lr2e-4_1000k_df2k_ost_20210816-4ae3b5a4.pth
#   segmentor: not built
_base_ = ['../ssg_rwsr_x4_idd_fullframe.py']

model = dict(generator=dict(init_cfg=_base_.realesrnet_x4_init))
