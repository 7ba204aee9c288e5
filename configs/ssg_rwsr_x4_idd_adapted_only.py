# Adapted turns only on IDD: DF2K pairs degraded with the kernels and noise estimated on IDD's
# real LR images; the paper's RealSR row of Table 2 (RealSR trains on such pairs), scored with
# ssg_rwsr_x4_idd_fullframe.py.
_base_ = ['./ssg_rwsr_x4_idd.py']

# replaces the guided loader whole: its IDD folders do not exist under DF2K
train_dataloader = dict(_delete_=True, **_base_.train_cfg.dataloaders.adapted)
train_cfg = dict(turns=['adapted'], train_dataloader_turn='adapted', dataloaders=None)
