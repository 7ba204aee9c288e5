from .lpips_loss import LPIPSLoss, build_lpips_network, lpips_backbone_url

__all__ = ['LPIPSLoss', 'build_lpips_network', 'lpips_backbone_url']
