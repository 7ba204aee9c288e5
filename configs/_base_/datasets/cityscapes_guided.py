# Guided turns (Train_Odd): real LR images with their labels. In the paper's setting the
# real LR images are Cityscapes' own frames (2048x1024), cropped to 128x128 LR patches.
guided_data_root = 'data/cityscapes'
lr_patch_size = 128

guided_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='MatchLabelSize'),
    dict(type='mmseg.RandomCrop', crop_size=(lr_patch_size, lr_patch_size), cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='PackInputs', keys='img', data_keys='gt_seg_map'),
]

train_dataloader = dict(
    batch_size=3,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CityscapesSRDataset',
        data_root=guided_data_root,
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=guided_pipeline))
