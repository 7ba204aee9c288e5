# Copyright (c) mmssg contributors. All rights reserved.
from .config import adapt_to_device, enable_amp, init_cpu_distributed, replace_norm_type

__all__ = ['adapt_to_device', 'enable_amp', 'init_cpu_distributed', 'replace_norm_type']
