# tools/test.py settings for the demo's Table 4-only rows (adapted turns only, guided turns
# only): the demo config's test with the columns of that table, without the slow NIQE and DISTS
# (together about 4 s an image on one core at 1024x512: half the score's time).
_base_ = ['../ssg_rwsr_x4_demo.py']

test_evaluator = dict(metrics=_base_.table4_metrics)
