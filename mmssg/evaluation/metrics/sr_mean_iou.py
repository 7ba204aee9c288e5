# Copyright (c) mmssg contributors. All rights reserved.
"""Mean IoU of the segmentor on the SR output: the downstream figure of SSG-RWSR."""
from collections import OrderedDict
from typing import Optional, Sequence

import numpy as np
import torch
from mmagic.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmseg.evaluation import IoUMetric


@METRICS.register_module()
class SRMeanIoU(BaseMetric):
    """Segmentation accuracy of the guiding segmentor run on the SR output.

    Needs predictions made with ``model.test_cfg.segment=True`` (the model
    then stores ``pred_seg_map`` on the label grid) and labels
    (``gt_seg_map``) in the data samples. Areas are accumulated over the whole
    set with MMSegmentation's ``IoUMetric.intersect_and_union`` and reduced with
    its ``total_area_to_metrics``; classes absent from both prediction and
    labels are left out of the mean, as MMSegmentation does.

    Args:
        num_classes (int, optional): Number of classes. Defaults to the length
            of ``dataset_meta['classes']``.
        ignore_index (int): Label ignored in the areas. Defaults to 255.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix = 'SR'
    # what MMagic's Evaluator asks of a metric: it runs on the val/test dataloader itself
    SAMPLER_MODE = 'normal'
    sample_model = 'orig'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def prepare(self, module, dataloader) -> None:
        """Called by MMagic's Evaluator before a run: learn the dataset's size and classes."""
        self.size = len(dataloader.dataset)
        if not self.dataset_meta and hasattr(dataloader.dataset, 'metainfo'):
            self.dataset_meta = dataloader.dataset.metainfo

    def get_metric_sampler(self, model, dataloader, metrics):
        """MMagic's Evaluator protocol: this metric reads the dataloader as it is."""
        return dataloader

    def evaluate(self, size: Optional[int] = None) -> dict:
        return super().evaluate(size if size is not None else getattr(self, 'size', 0))

    def _classes(self) -> int:
        if self.num_classes is not None:
            return self.num_classes
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            raise ValueError('SRMeanIoU needs num_classes or a dataset with metainfo["classes"]')
        return len(classes)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        num_classes = self._classes()
        for sample in data_samples:
            output = sample.get('output', {})
            if 'pred_seg_map' not in output:
                raise KeyError('SRMeanIoU needs "pred_seg_map" predictions: set '
                               'model.test_cfg = dict(segment=True)')
            if 'gt_seg_map' not in sample:
                raise KeyError('SRMeanIoU needs labels ("gt_seg_map") in the test data')
            pred = torch.as_tensor(output['pred_seg_map']).squeeze()
            label = torch.as_tensor(sample['gt_seg_map']).squeeze().to(pred.device)
            if pred.shape != label.shape:
                raise ValueError(f'pred_seg_map {tuple(pred.shape)} and gt_seg_map '
                                 f'{tuple(label.shape)} differ in size')
            self.results.append(
                IoUMetric.intersect_and_union(pred, label.long(), num_classes, self.ignore_index))

    def compute_metrics(self, results: list) -> dict:
        areas = [sum(r[i] for r in results) for i in range(4)]
        metrics = IoUMetric.total_area_to_metrics(*areas, metrics=['mIoU'], nan_to_num=None)
        summary = OrderedDict()
        summary['aAcc'] = float(np.round(np.nanmean(metrics['aAcc']) * 100, 2))
        summary['mIoU'] = float(np.round(np.nanmean(metrics['IoU']) * 100, 2))
        return summary
