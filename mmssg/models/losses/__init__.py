from .lpips_loss import LPIPSLoss, build_lpips_network

__all__ = ['LPIPSLoss', 'build_lpips_network']
