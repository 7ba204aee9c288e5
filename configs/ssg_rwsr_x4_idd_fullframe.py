# Whole-frame test on real IDD val (Table 2): the 442 frames of 1280x720, super-resolved in
# full in overlapping tiles and scored with NIMA and Meta-IQA:
#   python tools/test.py configs/ssg_rwsr_x4_idd_fullframe.py CKPT \
#       --out results/idd/ssg_rwsr.json --method-name SSG-RWSR
_base_ = [
    './ssg_rwsr_x4_idd.py',
    './_base_/datasets/idd_real_test_fullframe.py',
]

model = dict(segmentor=None, perceptual_loss=None, test_cfg=_base_.fullframe_model_test_cfg)
test_dataloader = dict(_delete_=True, **_base_.idd_fullframe_test_dataloader)
test_evaluator = dict(_delete_=True, **_base_.idd_fullframe_test_evaluator)
