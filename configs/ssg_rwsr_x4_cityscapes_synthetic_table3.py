# Table 3 test on synthetic Cityscapes val (section 5.1): whole 512x256 LR frames (x4:
# 2048x1024) against their HR originals with PSNR, SSIM, LPIPS and DISTS, the generator alone.
# It scores any checkpoint of ssg_rwsr_x4_cityscapes_synthetic.py and of its adapted-only
# ablation (the paper's RealSR row):
#   python tools/test.py configs/ssg_rwsr_x4_cityscapes_synthetic_table3.py CKPT \
#       --out results/synthetic/ssg_rwsr.json --method-name SSG-RWSR
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*), what it scores without CKPT:
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: not built
_base_ = ['./ssg_rwsr_x4_cityscapes_synthetic.py']

model = dict(segmentor=None, perceptual_loss=None, test_cfg=dict(segment=False))
test_evaluator = dict(metrics=_base_.table3_metrics)
