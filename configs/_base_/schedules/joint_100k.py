# The paper's schedule (section 4): 100k iterations alternating guided and adapted turns,
# Adam with learning rate 1e-4 for both networks (constant: the paper gives no decay).
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
    segmentor=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))))

train_cfg = dict(
    type='JointTrainLoop',
    max_iters=100_000,
    turns=['guided', 'adapted'],
    train_dataloader_turn='guided',
    val_interval=5000)

# the paper's batch: 4 GPUs x 3 images
auto_scale_lr = dict(enable=False, base_batch_size=12)
