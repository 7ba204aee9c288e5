# Ablation "Ours (DA)" of Table 4: adapted turns only. The SR network learns the
# domain-adapted DF2K pairs alone; the segmentor is not trained (it only scores mIoU on the
# SR output in validation).
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

# replaces the guided loader whole: its Cityscapes folders do not exist under DF2K
train_dataloader = dict(_delete_=True, **_base_.adapted_dataloader)
train_cfg = dict(turns=['adapted'], train_dataloader_turn='adapted', dataloaders=None)
