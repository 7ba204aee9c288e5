# Copyright (c) mmssg contributors. All rights reserved.
"""One way for the data tools to run a function over many inputs, with a progress bar."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, List, Optional

from tqdm import tqdm

# The function a pool worker applies, set once when the worker starts.
_worker_fn: Optional[Callable] = None


def _install(fn: Callable) -> None:
    global _worker_fn
    _worker_fn = fn


def _apply(item):
    return _worker_fn(item)


def _pool_context():
    """``fork`` where the platform has it, else the default start method.

    A forked worker inherits the function given to :func:`parallel_map`
    instead of unpickling it, so the function may be a closure, a
    ``functools.partial`` or a function of a script run with ``runpy`` (how
    the demo and the tests call the tools), none of which pickle by name.
    """
    if 'fork' in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context('fork')
    return None


def parallel_map(fn: Callable,
                 items: Iterable,
                 workers: int = 1,
                 desc: Optional[str] = None,
                 progress: bool = True,
                 unit: str = 'img') -> List:
    """``[fn(item) for item in items]``, over a process pool, with a tqdm bar.

    Args:
        fn (Callable): Applied to each item. Where the platform cannot fork,
            it must pickle (a module-level function).
        items (Iterable): The inputs; each is pickled to a worker, and each
            result back.
        workers (int): Processes. 1 or less runs in this process. Default: 1.
        desc (str, optional): Label of the progress bar. Default: None.
        progress (bool): Show the bar. Default: True.
        unit (str): What the bar counts. Default: 'img'.

    Returns:
        list: The results, in the order of ``items``. An exception raised by
        ``fn`` reaches the caller.
    """
    items = list(items)
    results = []
    with tqdm(
            total=len(items), desc=desc, unit=unit, disable=not progress,
            dynamic_ncols=True) as bar:
        if workers <= 1 or len(items) <= 1:
            for item in items:
                results.append(fn(item))
                bar.update()
            return results
        with ProcessPoolExecutor(
                max_workers=min(workers, len(items)),
                mp_context=_pool_context(),
                initializer=_install,
                initargs=(fn, )) as pool:
            for result in pool.map(_apply, items, chunksize=1):
                results.append(result)
                bar.update()
    return results
