# Adapted turns only on synthetic Cityscapes: the SR network learns DF2K pairs degraded with the
# kernels and noise estimated on the synthetic LR images, nothing else; the paper's RealSR row
# of Table 3 (RealSR trains on such pairs), scored with ssg_rwsr_x4_cityscapes_synthetic_table3.py.
_base_ = ['./ssg_rwsr_x4_cityscapes_synthetic.py']

# replaces the guided loader whole: its Cityscapes folders do not exist under DF2K
train_dataloader = dict(_delete_=True, **_base_.train_cfg.dataloaders.adapted)
train_cfg = dict(turns=['adapted'], train_dataloader_turn='adapted', dataloaders=None)
