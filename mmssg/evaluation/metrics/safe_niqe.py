# Copyright (c) mmssg contributors. All rights reserved.
"""MMagic's NIQE that scores what it can instead of stopping a run on a flat image."""
import math

import numpy as np
from mmagic.evaluation.metrics import NIQE
from mmagic.evaluation.metrics.metrics_utils import obtain_data
from mmagic.registry import METRICS
from mmengine.logging import print_log


@METRICS.register_module()
class SafeNIQE(NIQE):
    """NIQE (lower is better), computed by MMagic, robust to images it cannot score.

    Two differences from MMagic's ``NIQE``, which it otherwise reuses:

    - it needs no ground truth in the data samples (MMagic's base metric reads
      ``gt_img`` even for this no-reference score), so it works on real LR
      images that have none;
    - on a (nearly) flat image NIQE's block statistics are undefined and
      ``numpy`` raises "SVD did not converge", which would end the whole
      validation (and a training run with it) because of one image of an
      early checkpoint. Such images are recorded as unscored, the others
      averaged, and the count reported under ``NIQE_unscored``.

    Args:
        **kwargs: Arguments of :class:`mmagic.evaluation.NIQE`.
    """

    def process(self, data_batch, data_samples) -> None:
        """Score the predicted (or, with ``is_predicted=False``, the input) images."""
        for data in data_samples:
            source = data['output'] if self.is_predicted else data
            img = obtain_data(source, self.key, self.device)
            images = [img] if img.dim() <= 3 else list(img)
            values = [self.process_image(None, image, None) for image in images]
            self.results.append({self.metric: float(np.mean(values))})

    def process_image(self, gt, pred, mask):
        try:
            value = float(super().process_image(gt, pred, mask))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return math.nan
        return value if math.isfinite(value) else math.nan

    def compute_metrics(self, results):
        values = np.array([r[self.metric] for r in results], dtype=float)
        unscored = int(np.isnan(values).sum())
        if unscored:
            print_log(
                f'NIQE could not score {unscored} of {len(values)} images (flat output)',
                logger='current')
        score = float(np.nanmean(values)) if unscored < len(values) else math.nan
        return {self.metric: score * self.scaling, f'{self.metric}_unscored': unscored}
