# The paper's setting started from MMagic's RealESRNet x4 instead of ESRGAN-PSNR: an RRDBNet
# trained on DF2K-OST with Real-ESRGAN's high-order degradations (blur, noise, JPEG, twice),
# EMA weights. It denoises before any SSG-RWSR training, so the ablations (Table 4) started
# from it measure less of what the guided and adapted turns add.
_base_ = ['./ssg_rwsr_x4_cityscapes.py']

model = dict(generator=dict(init_cfg=_base_.realesrnet_x4_init))
