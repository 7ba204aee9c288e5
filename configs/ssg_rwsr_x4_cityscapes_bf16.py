# The paper's setting with the fast path on recent GPUs: bf16 autocast for both networks
# (losses stay in fp32: LPIPS runs with autocast off, cross-entropy is autocast to fp32) and
# channels_last memory format. bf16 has fp32's exponent range, so no loss scaling (a
# GradScaler would only cost an unscale pass per step). Adam runs as one fused kernel per
# network. The host never waits for the GPU at the end of a turn: batches go to the GPU from
# pinned memory without blocking, and the losses are logged one iteration late
# (DeferredLogVarsHook). cudnn.benchmark comes from _base_/default_runtime.py.
# Add model.compile_generator=True and/or model.compile_segmentor=True to torch.compile the
# networks. docs/speed.md has what each switch was measured to give.
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*),
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: MMSegmentation's fcn_hr18 512x1024 160k Cityscapes,
#     fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

optim_wrapper = dict(
    generator=dict(
        type='AmpOptimWrapper',
        dtype='bfloat16',
        loss_scale=dict(enabled=False),
        optimizer=dict(fused=True)),
    segmentor=dict(
        type='AmpOptimWrapper',
        dtype='bfloat16',
        loss_scale=dict(enabled=False),
        optimizer=dict(fused=True)))
model = dict(channels_last=True, data_preprocessor=dict(non_blocking=True))

train_dataloader = dict(pin_memory=True)
train_cfg = dict(dataloaders=dict(adapted=dict(pin_memory=True)))
custom_hooks = _base_.custom_hooks + [dict(type='DeferredLogVarsHook')]
