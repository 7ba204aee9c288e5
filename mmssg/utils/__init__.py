# Copyright (c) mmssg contributors. All rights reserved.
from .cli import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, exit_status, run_tool
from .config import (adapt_to_device, enable_amp, init_cpu_distributed, load_run_config,
                     replace_norm_type)
from .images import (FOLDER_JOIN, IMG_EXTENSIONS, is_inside, list_images, output_names,
                     read_image, source_images)
from .parallel import parallel_map
from .summary import finish, skipped_input, write_summary

__all__ = [
    'EXIT_ERROR', 'EXIT_OK', 'EXIT_SKIPPED', 'EXIT_USAGE', 'exit_status', 'run_tool',
    'adapt_to_device', 'enable_amp', 'init_cpu_distributed', 'load_run_config',
    'replace_norm_type', 'FOLDER_JOIN', 'IMG_EXTENSIONS', 'is_inside', 'list_images', 'output_names',
    'read_image', 'source_images', 'parallel_map', 'finish', 'skipped_input', 'write_summary'
]
