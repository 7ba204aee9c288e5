# Validation and test on real LR images (Cityscapes val frames) without HR ground truth:
# NIQE of the SR output and mIoU of the segmentor on it. Centre crops keep the segmentor's
# memory bounded (a whole 2048x1024 frame becomes 8192x4096 at x4); super-resolve whole frames
# with tools/inference.py --tile.
real_val_data_root = 'data/cityscapes'
val_crop_size = (256, 512)  # (h, w) in LR pixels
test_crop_size = (512, 1024)

real_val_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='MatchLabelSize'),
    dict(type='Crop', keys=['img', 'gt_seg_map'], crop_size=val_crop_size, random_crop=False),
    dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
]
real_test_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='MatchLabelSize'),
    dict(type='Crop', keys=['img', 'gt_seg_map'], crop_size=test_crop_size, random_crop=False),
    dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
]

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesSRDataset',
        data_root=real_val_data_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=real_val_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesSRDataset',
        data_root=real_val_data_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=real_test_pipeline))

real_lr_metrics = [
    dict(type='SafeNIQE', input_order='CHW', convert_to='Y', crop_border=4),
    dict(type='SRMeanIoU'),
]
val_evaluator = dict(type='Evaluator', metrics=real_lr_metrics)
test_evaluator = dict(type='Evaluator', metrics=real_lr_metrics)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')
