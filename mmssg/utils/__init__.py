# Copyright (c) mmssg contributors. All rights reserved.
from .cli import (EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, add_runner_arguments, exit_status,
                  parse_runner_args, run_tool)
from .config import (CONFIG_ROOT, adapt_to_device, enable_amp, init_cpu_distributed,
                     load_run_config, replace_norm_type)
from .files import (atomic_output, check_outputs, copy_file_atomic, load_json, save_npy_atomic,
                    save_npz_atomic, write_image_atomic, write_json_atomic, write_text_atomic)
from .image_sizes import SizeSelection, as_image_size, image_size_of, select_image_size
from .images import (FOLDER_JOIN, IMG_EXTENSIONS, is_inside, list_images, output_names, read_image,
                     source_images)
from .parallel import parallel_map
from .processes import start_process
from .summary import SUMMARY_NAME, finish, skipped_input, write_summary

__all__ = [
    'add_runner_arguments', 'parse_runner_args', 'start_process', 'EXIT_ERROR', 'EXIT_OK',
    'EXIT_SKIPPED', 'EXIT_USAGE', 'exit_status', 'run_tool', 'CONFIG_ROOT', 'adapt_to_device',
    'enable_amp', 'init_cpu_distributed', 'load_run_config', 'replace_norm_type', 'atomic_output',
    'check_outputs', 'copy_file_atomic', 'load_json', 'write_image_atomic', 'write_text_atomic',
    'save_npy_atomic', 'save_npz_atomic', 'write_json_atomic', 'FOLDER_JOIN', 'IMG_EXTENSIONS',
    'SizeSelection', 'as_image_size', 'image_size_of', 'is_inside', 'list_images', 'output_names',
    'read_image', 'select_image_size', 'source_images', 'parallel_map', 'SUMMARY_NAME', 'finish',
    'skipped_input', 'write_summary'
]
