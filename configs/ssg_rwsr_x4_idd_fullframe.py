# Whole-frame test on real IDD val (Table 2): the 442 frames of 1280x720, super-resolved in
# full in overlapping tiles and scored with NIMA and Meta-IQA:
#   python tools/test.py configs/ssg_rwsr_x4_idd_fullframe.py CKPT \
#       --out results/idd/ssg_rwsr.json --method-name SSG-RWSR
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*), what it scores without CKPT:
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: not built
_base_ = [
    './ssg_rwsr_x4_idd.py',
    './_base_/datasets/idd_real_test_fullframe.py',
]

model = dict(segmentor=None, perceptual_loss=None, test_cfg=_base_.fullframe_model_test_cfg)
test_dataloader = dict(_delete_=True, **_base_.idd_fullframe_test_dataloader)
test_evaluator = dict(_delete_=True, **_base_.idd_fullframe_test_evaluator)
