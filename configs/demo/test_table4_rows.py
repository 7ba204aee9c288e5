# tools/test.py settings for the demo's Table 4-only rows (adapted turns only, guided turns
# only): the demo config's test with the columns of that table, without NIQE and DISTS, the
# slowest metrics here (about half of a score's time).
# Start weights (init_cfg; tests/test_config_headers.py checks this block):
#   generator: the demo's stand-in (generator.*),
#     $MMSSG_DEMO_ROOT/pretrained/generator_bicubic.pth (demo/pretrain_generator_bicubic.py)
#   segmentor: the demo's stand-in,
#     $MMSSG_DEMO_ROOT/pretrained/segmentor.pth (demo/pretrain_segmentor.py)
_base_ = ['../ssg_rwsr_x4_demo.py']

test_evaluator = dict(metrics=_base_.table4_metrics)
