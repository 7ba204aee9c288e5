# Ablation "Ours (Guided only)" of Table 4: guided turns only. The SR network learns only
# from the segmentation loss on real LR images; no domain-adapted pairs.
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

train_cfg = dict(turns=['guided'], dataloaders=None)
