# Ablation "Ours (DA)" of Table 4: adapted turns only. The SR network learns the
# domain-adapted DF2K pairs alone; the segmentor is not trained (it only scores mIoU on the
# SR output in validation).
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

train_dataloader = _base_.adapted_dataloader
train_cfg = dict(turns=['adapted'], train_dataloader_turn='adapted', dataloaders=None)
