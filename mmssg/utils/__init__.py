# Copyright (c) mmssg contributors. All rights reserved.
from .cli import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, exit_status, run_tool
from .config import (adapt_to_device, enable_amp, init_cpu_distributed, load_run_config,
                     replace_norm_type)
from .images import IMG_EXTENSIONS, is_inside, list_images

__all__ = [
    'EXIT_ERROR', 'EXIT_OK', 'EXIT_SKIPPED', 'EXIT_USAGE', 'exit_status', 'run_tool',
    'adapt_to_device', 'enable_amp', 'init_cpu_distributed', 'load_run_config',
    'replace_norm_type', 'IMG_EXTENSIONS', 'is_inside', 'list_images'
]
