# SSG-RWSR x4 for a camera of your own (docs/own_camera.md): the paper's setting
# (ssg_rwsr_x4_cityscapes.py) on frames without labels or HR ground truth. The guided turns
# train on fcn_hr18's pseudo-labels of your frames, exactly as on real labels (19 Cityscapes
# classes, the same pipeline); the adapted turns degrade clean HR images with the pools of your
# frames. Only the data root is yours to give, $MMSSG_CAMERA_ROOT (default data/own_camera):
#   <root>/frames/<sequence>/*.png      real LR frames    tools/data/extract_frames.py SRC OUT
#   <root>/labels/<sequence>/*.png      pseudo-labels     tools/data/pseudo_labels.py --config
#   <root>/clean_hr/*.png               clean HR images   DF2K, or your own sharp photographs
#   <root>/pools/kernels_x4, noise_p128 the pools         tools/data/estimate_kernels.py and
#                                                         collect_noise_patches.py --config
#   export MMSSG_CAMERA_ROOT=data/my_camera
#   python tools/train.py configs/ssg_rwsr_x4_own_camera.py --check   # what is missing, and how
#   bash tools/dist_train.sh configs/ssg_rwsr_x4_own_camera.py 4
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: MMagic's ESRGAN-PSNR x4 (generator.*),
#     esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth
#   segmentor: MMSegmentation's fcn_hr18 512x1024 160k Cityscapes (also the pseudo-labels'),
#     fcn_hr18_512x1024_160k_cityscapes_20200602_190822-221e4a4f.pth
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

# mmengine substitutes the variable when it reads the file, so every path below follows it
# (a --cfg-options data_root=... would not reach them)
data_root = '{{$MMSSG_CAMERA_ROOT:data/own_camera}}'
kernel_pool = data_root + '/pools/kernels_x4'
noise_pool = data_root + '/pools/noise_p128'
# one camera: one spectral fit to all its frames, which meets its accuracy targets at x4 where
# KernelGAN's kernels come out about twice too wide, in seconds instead of minutes per frame
# (docs/domain_adaptation.md#kernels); the paper's noise windows (p = 128, q = 32) are kept
kernel_method = 'spectral-pooled'

# How tools/data/pseudo_labels.py --config labels the frames: with the segmentor the guided
# turns start from (MMSegmentation's config of the zoo's fcn_hr18, the same architecture and
# weights), on the frame up-sampled x4 by bicubic interpolation, in windows of the guided
# turns' SR patch (128 x 4 = 512 SR pixels, stride 2/3 as MMSegmentation's slide configs), its
# class probabilities averaged over each 4x4 block onto the LR grid of the labels. Pixels
# whose top-class probability is below 0.9 get 255 (ignored): a wrong label pulls the
# generator towards the wrong class's look, an ignored pixel only gives no gradient, and 0.9
# keeps the segmentor's confident regions (the summary's ignored_share says how much it drops
# on your frames).
pseudo_labels = dict(
    segmentor='mmseg::hrnet/fcn_hr18_4xb2-160k_cityscapes-512x1024.py',
    checkpoint=_base_.segmentor_checkpoint,
    threshold=0.9,
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(340, 340)))

# guided turns: the frames with their pseudo-labels, read and cropped as the paper's Cityscapes
# frames with their labels (the pipeline of _base_/datasets/cityscapes_guided.py)
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        img_suffix='.png',
        seg_map_suffix='.png',
        data_prefix=dict(img_path='frames', seg_map_path='labels')))
# adapted turns: clean HR images degraded with the pools of the frames
adapted_pipeline = [
    dict(t, kernel_pool=kernel_pool, noise_pool=noise_pool)
    if t['type'] == 'DomainAdaptedDegradation' else t for t in _base_.adapted_pipeline
]
adapted_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix=dict(gt='clean_hr'), pipeline=adapted_pipeline))
train_cfg = dict(dataloaders=dict(adapted=adapted_dataloader))

# What makes each folder (tools/train.py --check names it for a missing one; {path} is the
# folder, {config} this config)
input_sources = {
    'train_dataloader.dataset.data_prefix.img_path':
    'make it from your footage (a video or a folder of images): '
    'python tools/data/extract_frames.py FOOTAGE {path}',
    'train_dataloader.dataset.data_prefix.seg_map_path':
    'make it from the frames: python tools/data/pseudo_labels.py --config {config}',
    'train_cfg.dataloaders.adapted.dataset.data_prefix.gt':
    'put clean HR photographs there: DF2K (DIV2K https://data.vision.ee.ethz.ch/cvl/DIV2K/ and '
    'Flickr2K train HR) or your own sharp photographs',
}

# No validation or test during training. There is no HR ground truth, so no fidelity metric;
# no true labels, so the mIoU of the segmentor on SR would be measured against the
# pseudo-labels it is trained towards (agreement with itself, not segmentation quality); and
# NIQE on frames of the sequences the run trains on rewards sharpening as much as detail.
# Look at the SR of held-out footage instead (tools/inference.py; docs/own_camera.md).
model = dict(test_cfg=dict(segment=False))  # no metric reads the segmentation of SR
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
