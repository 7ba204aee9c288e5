# MMagic model-zoo checkpoints of x4 RRDBNet generators (23 RRDBs, 64 channels, growth 32), as
# generator init_cfg, each with the prefix of its generator weights (the EMA copy where
# training kept one). A local path works the same:
#   --cfg-options model.generator.init_cfg.checkpoint=PATH
_mmagic_zoo = 'https://download.openmmlab.com/mmediting/restorers/'
# ESRGAN-PSNR: the RRDBNet of ESRGAN trained with L1 only on DIV2K bicubic pairs (MMagic's
# configs/esrgan, esrgan_psnr-x4c64b23g32_1xb16-1000k_div2k)
esrgan_psnr_x4_init = dict(
    type='Pretrained',
    checkpoint=_mmagic_zoo + 'esrgan/'
    'esrgan_psnr_x4c64b23g32_1x16_1000k_div2k_20200420-bf5c993c.pth',
    prefix='generator.')
# ESRGAN: the GAN-trained generator on DIV2K bicubic pairs (esrgan_x4c64b23g32_1xb16-400k_div2k)
esrgan_x4_init = dict(
    type='Pretrained',
    checkpoint=_mmagic_zoo + 'esrgan/esrgan_x4c64b23g32_1x16_400k_div2k_20200508-f8ccaf3b.pth',
    prefix='generator.')
# RealESRNet: L1-trained on DF2K-OST with Real-ESRGAN's high-order degradations
# (configs/real_esrgan, realesrnet_c64b23g32_4xb12-lr2e-4-1000k_df2k-ost)
realesrnet_x4_init = dict(
    type='Pretrained',
    checkpoint=_mmagic_zoo + 'real_esrgan/'
    'realesrnet_c64b23g32_12x4_lr2e-4_1000k_df2k_ost_20210816-4ae3b5a4.pth',
    prefix='generator_ema.')
# Real-ESRGAN: RealESRNet fine-tuned with GAN and perceptual losses
# (realesrgan_c64b23g32_4xb12-lr1e-4-400k_df2k-ost)
realesrgan_x4_init = dict(
    type='Pretrained',
    checkpoint=_mmagic_zoo + 'real_esrgan/'
    'realesrgan_c64b23g32_12x4_lr1e-4_400k_df2k_ost_20211010-34798885.pth',
    prefix='generator_ema.')
