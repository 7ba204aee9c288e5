# tools/test.py settings for the demo's Table 4-only rows (adapted turns only, guided turns
# only): the demo config's test with the columns of that table, without NIQE and DISTS, the
# slowest metrics here (about half of a score's time).
_base_ = ['../ssg_rwsr_x4_demo.py']

test_evaluator = dict(metrics=_base_.table4_metrics)
