# Runtime shared by every mmssg config: MMagic's default runtime (scope 'mmagic', hooks,
# logging, visualiser) with the plugin imported and settings for iteration-based joint
# training.
_base_ = ['mmagic::_base_/default_runtime.py']

custom_imports = dict(imports=['mmssg'], allow_failed_imports=False)
default_scope = 'mmagic'

default_hooks = dict(
    # validation metrics logged at the iteration they were computed (not at "epoch" 0 of an
    # iteration-based run), so that curves and TensorBoard plot them against training
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
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

# Validation pictures: LR | SR | the segmentation of SR of every 50th validation sample (real
# LR images have no HR ground truth), under the run's vis_data/vis_image/ (LocalVisBackend),
# and in TensorBoard with `tools/train.py --tensorboard` (it adds TensorboardVisBackend)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SRSegVisualizer',
    vis_backends=vis_backends,
    fn_key='img_path',
    img_keys=['input', 'pred_img', 'pred_seg_map'])
# load_from and --resume load model weights strictly (mmengine alone only warns); with several
# processes the metrics gather their results in <work_dir>/dist_collect, not in a .dist_test/
# of the current directory, whichever tool builds the runner (MMagic's own tools/test.py too)
custom_hooks = [
    dict(type='StrictCheckpointHook'),
    dict(type='BasicVisualizationHook', interval=dict(val=50), on_test=False),
    dict(type='CollectDirHook')
]
