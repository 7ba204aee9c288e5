# Demo stand-in for MMSegmentation's Cityscapes model zoo segmentor: MMSegmentation's own
# EncoderDecoder (the demo's slim HRNet + FCN head) trains on the demo's real LR training
# images, up-sampled x4 so that objects have the scale of the SR output it will later guide.
# ssg_rwsr_x4_demo.py loads the checkpoint through init_cfg=dict(type='Pretrained'), as the
# paper config loads fcn_hr18's.
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   segmentor: none (random initialisation)
_base_ = [
    'mmseg::_base_/models/fcn_hr18.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/models/demo_networks.py'
]

demo_root = '{{$MMSSG_DEMO_ROOT:work_dirs/demo}}'
crop_size = (128, 128)

model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=_base_.demo_hrnet,
    decode_head=_base_.demo_fcn_head)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(1024, 512), ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='CityscapesDataset',
        data_root=demo_root + '/data/cityscapes',
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

# the stand-in's steps (tools/demo.py reads them here)
max_iters = 200
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False)
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
