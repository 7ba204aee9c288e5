# Baseline Bicubic: MATLAB's imresize bicubic (Keys' kernel, a = -0.5; the paper's
# reference [19]); mode='torch' gives PyTorch's a = -0.75.
# Table 3: synthetic Cityscapes val, PSNR, SSIM, LPIPS and DISTS against the HR frames:
#   python tools/test.py configs/baselines/bicubic_x4_cityscapes_synthetic.py \
#       --out results/synthetic/bicubic.json --method-name Bicubic
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: none (bicubic interpolation has no weights)
#   segmentor: not built
_base_ = ['../ssg_rwsr_x4_cityscapes_synthetic_table3.py']

model = dict(
    generator=dict(_delete_=True, type='BicubicUpsampler', upscale_factor=4, mode='matlab'))
