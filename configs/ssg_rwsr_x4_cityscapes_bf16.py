# The paper's setting with the fast path on recent GPUs: bf16 autocast for both networks
# (losses stay in fp32: LPIPS runs with autocast off, cross-entropy is autocast to fp32) and
# channels_last memory format. bf16 has fp32's exponent range, so no loss scaling (a
# GradScaler would only cost an unscale pass per step). Add model.compile_generator=True to
# also torch.compile the generator's training forward. On one H100 at batch 12, LR 128 this
# trains in 273 ms per turn on average against 499 ms in fp32 (benchmarks/RESULTS.md).
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

optim_wrapper = dict(
    generator=dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale=dict(enabled=False)),
    segmentor=dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale=dict(enabled=False)))
model = dict(channels_last=True)
