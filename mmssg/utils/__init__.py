# Copyright (c) mmssg contributors. All rights reserved.
from .cli import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, EXIT_USAGE, exit_status, run_tool
from .config import (CONFIG_ROOT, adapt_to_device, enable_amp, init_cpu_distributed,
                     load_run_config, replace_norm_type)
from .files import atomic_output, save_npy_atomic, save_npz_atomic, write_json_atomic
from .images import (FOLDER_JOIN, IMG_EXTENSIONS, is_inside, list_images, output_names, read_image,
                     source_images)
from .jobs import Job, run_jobs
from .parallel import parallel_map
from .shards import (SUMMARY_NAME, is_summary_name, parse_shard, seeded_subset,
                     shard_from_environment, shard_summary_name, take_shard)
from .summary import (OutputRecord, differing_settings, finish, read_summaries, recorded_outputs,
                      skipped_input, write_summary)

__all__ = [
    'Job', 'run_jobs', 'EXIT_ERROR', 'EXIT_OK', 'EXIT_SKIPPED', 'EXIT_USAGE', 'exit_status',
    'run_tool', 'CONFIG_ROOT', 'adapt_to_device', 'enable_amp', 'init_cpu_distributed',
    'load_run_config', 'replace_norm_type', 'atomic_output', 'save_npy_atomic', 'save_npz_atomic',
    'write_json_atomic', 'FOLDER_JOIN', 'IMG_EXTENSIONS', 'is_inside', 'list_images',
    'output_names', 'read_image', 'source_images', 'parallel_map', 'SUMMARY_NAME',
    'is_summary_name', 'parse_shard', 'seeded_subset', 'shard_from_environment',
    'shard_summary_name', 'take_shard', 'OutputRecord', 'differing_settings', 'finish',
    'read_summaries', 'recorded_outputs', 'skipped_input', 'write_summary'
]
