# Copyright (c) mmssg contributors. All rights reserved.
"""One way for the data tools to run a function over many inputs, with a progress bar; and
an executor that runs each call at once, for ``--workers 0``."""
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, List, Optional

from tqdm import tqdm


def parallel_map(fn: Callable,
                 items: Iterable,
                 workers: int = 1,
                 desc: Optional[str] = None,
                 progress: bool = True,
                 unit: str = 'img') -> List:
    """``[fn(item) for item in items]``, over a process pool, with a tqdm bar.

    Args:
        fn (Callable): Applied to each item; it must pickle (a module-level
            function, or a ``functools.partial`` of one).
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
        with ProcessPoolExecutor(max_workers=min(workers, len(items))) as pool:
            for result in pool.map(fn, items, chunksize=1):
                results.append(result)
                bar.update()
    return results


class InlineExecutor:
    """An executor that runs each call at once, in the calling thread (``--workers 0``)."""

    def submit(self, fn, *args) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as error:  # delivered by future.result(), as a thread pool does
            future.set_exception(error)
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False
