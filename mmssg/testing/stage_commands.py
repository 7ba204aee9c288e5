# Copyright (c) mmssg contributors. All rights reserved.
"""A small command for the stage runner's tests, in this process or as
``python -m mmssg.testing.stage_commands``.

``write OUT TEXT [SLEEP]``: sleep SLEEP seconds, then write TEXT, the time it finished and the
process's OMP_NUM_THREADS to OUT, one per line. ``concat OUT IN [IN ...]``: write the inputs'
texts one after the other. ``fail STATUS MESSAGE``: print MESSAGE, exit with STATUS.
"""
import os
import sys
import time


def main(argv=None) -> int:
    what, out, *rest = sys.argv[1:] if argv is None else argv
    if what == 'fail':
        print(rest[0], flush=True)
        return int(out)
    if what == 'write':
        time.sleep(float(rest[1]) if len(rest) > 1 else 0)
        text = f'{rest[0]}\n{time.time()!r}\n{os.environ.get("OMP_NUM_THREADS")}\n'
    elif what == 'concat':
        text = ''.join(open(path).read() for path in rest)
    else:
        raise ValueError(f'unknown command {what!r}')
    with open(out, 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
