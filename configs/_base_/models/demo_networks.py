# The demo's small networks, in one place: the model-zoo stand-ins
# (configs/demo/pretrain_*.py) train them and ssg_rwsr_x4_demo.py loads their checkpoints
# through init_cfg, which skips mismatched keys with only a warning, so the architectures
# must not drift apart.
demo_generator = dict(
    type='RRDBNet',
    in_channels=3,
    out_channels=3,
    mid_channels=32,
    num_blocks=2,
    growth_channels=16,
    upscale_factor=4)
demo_norm_cfg = dict(type='BN', requires_grad=True)
# fcn_hr18 slimmed down: the stages of HRNet-W18 with fewer blocks and channels
demo_hrnet = dict(
    norm_cfg=demo_norm_cfg,
    extra=dict(
        stage1=dict(num_blocks=(2, ), num_channels=(16, )),
        stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
        stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
        stage4=dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=(8, 16, 32, 64))))
demo_fcn_head = dict(in_channels=[8, 16, 32, 64], channels=120, norm_cfg=demo_norm_cfg)
