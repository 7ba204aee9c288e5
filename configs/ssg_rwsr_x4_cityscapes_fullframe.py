# Whole-frame test on real Cityscapes val (Tables 1 and 4): every 2048x1024 frame is
# super-resolved in full (the paper's "full LR input image") in overlapping tiles, and scored
# with NIMA and Meta-IQA. It scores any checkpoint of the Cityscapes configs (SSG-RWSR, its
# ablations, the adapted-only run as the paper's RealSR row):
#   python tools/test.py configs/ssg_rwsr_x4_cityscapes_fullframe.py CKPT \
#       --out results/cityscapes/ssg_rwsr.json --method-name SSG-RWSR
# The segmentor and the perceptual loss are not built: neither plays a part at test time.
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*), what it scores without CKPT:
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: not built
_base_ = [
    './ssg_rwsr_x4_cityscapes.py',
    './_base_/datasets/cityscapes_real_test_fullframe.py',
]

model = dict(segmentor=None, perceptual_loss=None, test_cfg=_base_.fullframe_model_test_cfg)
test_dataloader = dict(_delete_=True, **_base_.cityscapes_fullframe_test_dataloader)
test_evaluator = dict(_delete_=True, **_base_.cityscapes_fullframe_test_evaluator)
