# Copyright (c) mmssg contributors. All rights reserved.
"""Data preprocessor for batches that carry either HR targets or labels."""
from mmagic.models.data_preprocessors import DataPreprocessor
from mmagic.registry import MODELS
from mmengine.structures import BaseDataElement
from torch import Tensor


def pin_memory(data):
    """``data`` (a tensor or a data element) with its CPU tensors in page-locked memory.

    A copy from pageable memory to a GPU first waits for all queued GPU work;
    from pinned memory it runs asynchronously.
    """
    if isinstance(data, Tensor):
        return data if data.device.type != 'cpu' or data.is_pinned() else data.pin_memory()
    pinned = data.new()
    for key, value in data.items():
        if isinstance(value, (Tensor, BaseDataElement)):
            pinned.set_data({key: pin_memory(value)})
    return pinned


@MODELS.register_module()
class SSGDataPreprocessor(DataPreprocessor):
    """MMagic's :class:`DataPreprocessor` for the two kinds of SSG-RWSR batches.

    Guided batches (real LR images with labels) have no ``gt_img`` and adapted
    batches (LR/HR pairs) have no labels. MMagic's preprocessor warns on every
    batch that lacks one of its ``data_keys``; this one normalises the keys a
    batch has and leaves the rest alone. Label maps (``gt_seg_map``) are never
    normalised: they only move to the device and are stacked.

    Args:
        non_blocking (bool): Copy batches to a GPU without blocking the host:
            CPU tensors (images and the tensors inside data samples, which the
            dataloader's ``pin_memory`` does not reach) are first moved to
            page-locked memory, so the copy does not wait for the GPU to finish
            the previous turn. Ignored on CPU. Defaults to False.
        **kwargs: Everything :class:`mmagic.models.DataPreprocessor` takes.
    """

    def __init__(self, non_blocking: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self._non_blocking = non_blocking

    def cast_data(self, data):
        """Move ``data`` to the device, through pinned memory with ``non_blocking``."""
        if (self._non_blocking and self.device.type == 'cuda'
                and isinstance(data, (Tensor, BaseDataElement))):
            data = pin_memory(data)
        return super().cast_data(data)

    def _preprocess_data_sample(self, data_samples, training):
        """Normalise only the data keys present in this batch."""
        all_keys = self.data_keys
        present = [key for key in (all_keys or []) if hasattr(data_samples[0], key)]
        self.data_keys = present
        try:
            return super()._preprocess_data_sample(data_samples, training)
        finally:
            self.data_keys = all_keys
