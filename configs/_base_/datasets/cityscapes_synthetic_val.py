# Validation and test with HR ground truth (section 5.1): Cityscapes val degraded by
# tools/data/synthesize_lr.py (11x11 Gaussian blur, sigma 1.5, x4 down-sampling, Gaussian
# noise sigma 8) into LR 512x256 frames with labels down-sampled alike; the HR originals are
# the ground truth (leftImg8bit_hr/).
synthetic_data_root = 'data/cityscapes_synthetic_x4'

synthetic_eval_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='MatchLabelSize'),
    dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
]

_synthetic_val_set = dict(
    type='CityscapesSRDataset',
    data_root=synthetic_data_root,
    data_prefix=dict(
        img_path='leftImg8bit/val', seg_map_path='gtFine/val', gt_path='leftImg8bit_hr/val'),
    pipeline=synthetic_eval_pipeline)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_synthetic_val_set)
test_dataloader = val_dataloader

# Table 3: PSNR, SSIM, LPIPS and DISTS on whole frames (4 border pixels left out)
table3_metrics = [
    dict(type='PSNR', crop_border=4),
    dict(type='SSIM', crop_border=4),
    dict(type='LPIPS', net='alex', crop_border=4),
    dict(type='DISTS', crop_border=4),
]
# in-training validation needs no DISTS weights; the test adds NIQE and mIoU on SR
synthetic_metrics = table3_metrics[:3] + [
    dict(type='SafeNIQE', input_order='CHW', convert_to='Y', crop_border=4),
    dict(type='SRMeanIoU'),
]
val_evaluator = dict(type='Evaluator', metrics=synthetic_metrics)
test_evaluator = dict(type='Evaluator', metrics=table3_metrics + synthetic_metrics[3:])
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')
