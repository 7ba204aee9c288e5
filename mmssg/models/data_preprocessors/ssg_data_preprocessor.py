# Copyright (c) mmssg contributors. All rights reserved.
"""Data preprocessor for batches that carry either HR targets or labels."""
from mmagic.models.data_preprocessors import DataPreprocessor
from mmagic.registry import MODELS


@MODELS.register_module()
class SSGDataPreprocessor(DataPreprocessor):
    """MMagic's :class:`DataPreprocessor` for the two kinds of SSG-RWSR batches.

    Guided batches (real LR images with labels) have no ``gt_img`` and adapted
    batches (LR/HR pairs) have no labels. MMagic's preprocessor warns on every
    batch that lacks one of its ``data_keys``; this one normalises the keys a
    batch has and leaves the rest alone. Label maps (``gt_seg_map``) are never
    normalised: they only move to the device and are stacked.

    Args:
        **kwargs: Everything :class:`mmagic.models.DataPreprocessor` takes.
    """

    def _preprocess_data_sample(self, data_samples, training):
        """Normalise only the data keys present in this batch."""
        all_keys = self.data_keys
        present = [key for key in (all_keys or []) if hasattr(data_samples[0], key)]
        self.data_keys = present
        try:
            return super()._preprocess_data_sample(data_samples, training)
        finally:
            self.data_keys = all_keys
