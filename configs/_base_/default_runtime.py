# Runtime shared by every mmssg config: MMagic's default runtime (scope 'mmagic', hooks,
# logging, visualiser) with the plugin imported and settings for iteration-based joint
# training.
_base_ = ['mmagic::_base_/default_runtime.py']

custom_imports = dict(imports=['mmssg'], allow_failed_imports=False)
default_scope = 'mmagic'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_best=None,
        out_dir=None))
log_processor = dict(type='LogProcessor', window_size=100, by_epoch=False)

# A fixed seed keeps every rank's data sampler in step (and resumable); mmengine still
# gives each dataloader worker on each rank its own seed for the random degradations.
randomness = dict(seed=0, diff_rank_seed=False, deterministic=False)

# CPU-only machines are switched to 'gloo' by tools/train.py and tools/test.py.
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

# load_from and --resume load model weights strictly (mmengine alone only warns)
custom_hooks = [dict(type='StrictCheckpointHook')]
