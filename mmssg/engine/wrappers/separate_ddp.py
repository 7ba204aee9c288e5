# Copyright (c) mmssg contributors. All rights reserved.
"""Per-network DDP that runs on GPUs (nccl) and on CPUs (gloo) alike."""
from mmagic.registry import MODEL_WRAPPERS
from mmengine.device import get_device
from mmengine.model import MMSeparateDistributedDataParallel


@MODEL_WRAPPERS.register_module()
class SeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """Wrap each trainable network of a model in its own DDP, on any device.

    SSG-RWSR runs the segmentor on guided turns only. Wrapping generator and
    segmentor separately (as mmengine's :class:`MMSeparateDistributedDataParallel`
    does) means an adapted turn simply never calls the segmentor's DDP, so no
    ``find_unused_parameters`` bookkeeping is needed. mmengine's runner passes
    ``device_ids=[LOCAL_RANK]`` to every DDP subclass, which ``torch`` rejects
    for CPU modules; this wrapper drops it on CPU, so the same config trains
    with ``nccl`` on GPUs and ``gloo`` on CPUs.

    Args:
        module (nn.Module): The model (``SSGRWSR``).
        broadcast_buffers (bool): Broadcast buffers (BN statistics) from rank
            0 at each forward, keeping every rank's copy identical even with
            plain BN. Defaults to True.
        find_unused_parameters (bool): Passed to each DDP. Defaults to False.
        **kwargs: Other ``DistributedDataParallel`` arguments.
    """

    def __init__(self,
                 module,
                 broadcast_buffers: bool = True,
                 find_unused_parameters: bool = False,
                 **kwargs) -> None:
        if get_device() == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(
            module,
            broadcast_buffers=broadcast_buffers,
            find_unused_parameters=find_unused_parameters,
            **kwargs)
