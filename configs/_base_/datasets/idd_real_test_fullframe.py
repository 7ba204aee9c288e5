# Test on whole real LR frames of IDD val (Table 2): the 1280x720 images only, as the paper
# (442 val images; the 1920x1080 ones are left out by IDDDataset.image_size), super-resolved in
# full (x4: 5120x2880) and scored with NIMA and Meta-IQA. No labels are read.
_base_ = ['./cityscapes_real_test_fullframe.py']

idd_fullframe_test_dataloader = dict(
    _base_.cityscapes_fullframe_test_dataloader,
    dataset=dict(
        type='IDDDataset',
        data_root='data/idd',
        data_prefix=dict(img_path='leftImg8bit/val'),
        image_size=(1280, 720),
        pipeline=_base_.fullframe_test_pipeline))
idd_fullframe_test_evaluator = _base_.cityscapes_fullframe_test_evaluator
