# Test on whole real LR frames (Tables 1 and 4): every Cityscapes val image (2048x1024) is
# super-resolved in full, as the paper evaluates "the full LR input image" (x4: 8192x4096),
# and scored with the no-reference metrics NIMA and Meta-IQA. No labels are read: the
# segmentor plays no part at test time.
fullframe_test_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='PackInputs', keys='img'),
]
# The model's test_cfg for whole frames: tiles of 256 LR pixels bound the memory; 32 pixels of
# context on every side keep tiled output at the whole-frame output (docs/evaluation.md has
# the measurement, benchmarks/accuracy/tiled_vs_whole.py repeats it for any checkpoint).
fullframe_model_test_cfg = dict(segment=False, tile=256, tile_overlap=32)
real_nr_metrics = [
    dict(type='NIMA'),
    dict(type='MetaIQA'),
]
cityscapes_fullframe_test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesSRDataset',
        data_root='data/cityscapes',
        data_prefix=dict(img_path='leftImg8bit/val'),
        pipeline=fullframe_test_pipeline))
cityscapes_fullframe_test_evaluator = dict(type='Evaluator', metrics=real_nr_metrics)
