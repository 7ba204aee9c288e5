# The paper's setting with the fast path on recent GPUs: bf16 autocast for both networks
# (losses stay in fp32: LPIPS runs with autocast off, cross-entropy is autocast to fp32) and
# channels_last memory format. Add model.compile_generator=True to also torch.compile the
# generator's training forward.
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

optim_wrapper = dict(
    generator=dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale='dynamic'),
    segmentor=dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale='dynamic'))
model = dict(channels_last=True)
