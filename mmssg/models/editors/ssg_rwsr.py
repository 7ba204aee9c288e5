# Copyright (c) mmssg contributors. All rights reserved.
"""SSG-RWSR: super-resolution trained by a segmentation loss and by domain-adapted pairs."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmagic.models.base_models import BaseEditModel
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from torch import Tensor

from ..utils import (loss_scale, pixel_gradient_loss, tiled_forward, wrapper_aware_keys,
                     wrapper_free_keys)

TURNS = ('guided', 'adapted')


def build_segmentor(cfg: dict) -> torch.nn.Module:
    """Build an MMSegmentation segmentor in the ``mmseg`` scope.

    Nested components of a segmentor (its ``SegDataPreProcessor``, backbone,
    heads, losses) are looked up in the current default scope, so the whole
    build must run in ``mmseg`` even when called from an MMagic model.

    Args:
        cfg (dict): A segmentor config such as MMSegmentation's ``fcn_hr18``.

    Returns:
        nn.Module: The segmentor.
    """
    import mmseg.models  # noqa: F401  (registers MMSegmentation's models)
    from mmseg.registry import MODELS as SEG_MODELS
    cfg = dict(cfg)
    cfg.pop('_scope_', None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return SEG_MODELS.build(cfg)


def compile_kwargs(option) -> dict:
    """Keyword arguments of ``torch.compile`` for a ``compile_*`` option (True or a dict)."""
    return dict(option) if isinstance(option, dict) else {}


def normalisation(preprocessor) -> Tuple[Tensor, Tensor]:
    """Per-channel ``(mean, std)`` (3 values each) a data preprocessor normalises with.

    mmengine's image preprocessors hold ``mean`` and ``std`` buffers only when
    they normalise; without them the mapping is the identity.
    """
    mean, std = getattr(preprocessor, 'mean', None), getattr(preprocessor, 'std', None)
    if mean is None or std is None:
        return torch.zeros(3), torch.ones(3)
    return mean.view(-1).float().expand(3).clone(), std.view(-1).float().expand(3).clone()


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """Return the module inside a (distributed) model wrapper."""
    return module.module if is_model_wrapper(module) else module


@MODELS.register_module()
class SSGRWSR(BaseEditModel):
    """Semantic Segmentation Guided Real-World Super-Resolution.

    The model alternates two kinds of training turns (Aakerberg et al.,
    sections 3.1 and 4):

    - ``guided`` (the paper's Train_Odd): a real LR image goes through the
      generator, its SR output through the segmentor, and the segmentor's
      cross-entropy against the LR image's labels, times
      ``guided_loss_weight``, updates both networks.
    - ``adapted`` (Train_Even): a domain-adapted LR/HR pair trains the
      generator alone with ``pixel_loss + perceptual_loss``. The segmentor is
      not run, so its parameters, optimizer state and BN statistics stay as
      they are.

    Which turn a batch trains is given by ``data['turn']`` (set by
    :class:`JointTrainLoop`) or, failing that, by its content: labels make a
    guided batch, HR targets an adapted one. At test time the segmentor is not
    needed: predictions come from the generator alone, as MMagic data samples.

    Args:
        generator (dict): Config of an MMagic SR network. Its input and output
            are in the space of ``data_preprocessor`` (``[0, 1]`` for the
            default mean 0, std 255).
        segmentor (dict, optional): Config of an MMSegmentation segmentor,
            built in the ``mmseg`` scope (MMSegmentation's ``fcn_hr18`` by
            default in ``configs/_base_``). ``None`` gives a generator-only
            model (adapted turns and inference).
        pixel_loss (dict): Pixel loss of adapted turns. Defaults to L1 with
            weight 0.01 (the paper's lambda_pix).
        perceptual_loss (dict, optional): Perceptual loss of adapted turns.
            Defaults to :class:`LPIPSLoss` with weight 0.1 (lambda_lpips).
        guided_loss_weight (float): lambda_ce, the factor applied to every
            loss the segmentor returns on guided turns. Defaults to 0.01.
        sr_channel_order (str): Channel order the generator works in, ``'RGB'``
            or ``'BGR'``; the SR output is reordered for the segmentor if the
            segmentor expects the other one. Defaults to ``'RGB'``.
        segmentor_channel_order (str, optional): Channel order the segmentor
            expects. By default it is read from its data preprocessor: RGB when
            it converts loaded BGR images to RGB, else BGR.
        channels_last (bool): Keep both networks and their inputs in
            ``torch.channels_last`` memory format (faster convolutions on
            recent GPUs, especially with AMP). Defaults to False.
        compile_generator (bool | dict): ``torch.compile`` the generator's
            training forward (kwargs if a dict). Applied lazily on the first
            training turn, after any distributed wrapping. Defaults to False.
        compile_segmentor (bool | dict): ``torch.compile`` the segmentor's
            backbone in place (``nn.Module.compile``, kwargs if a dict; the
            state dict keeps its keys). The backbone is where a guided turn
            spends its segmentor time (HRNet's many thin convolutions); the
            loss path around it handles data samples and stays eager.
            Applied lazily on the first guided turn. Defaults to False.
        train_cfg (dict, optional): Unused; kept for MMagic's interface.
        test_cfg (dict, optional): Predict-mode options. ``segment=True`` also
            runs the segmentor on the SR output and stores ``pred_seg_map`` (for
            the mIoU-on-SR metric); ``tile`` and ``tile_overlap`` (LR pixels)
            super-resolve large frames in overlapping tiles. Defaults to whole
            frames, no segmentation.
        init_cfg (dict, optional): Initialisation config. Pretrained networks
            are normally loaded through the ``init_cfg`` of ``generator`` and
            ``segmentor`` themselves.
        data_preprocessor (dict, optional): Config of the data preprocessor,
            normally :class:`SSGDataPreprocessor` with mean 0, std 255.
    """

    def __init__(self,
                 generator: dict,
                 segmentor: Optional[dict] = None,
                 pixel_loss: dict = dict(type='L1Loss', loss_weight=0.01, reduction='mean'),
                 perceptual_loss: Optional[dict] = dict(type='LPIPSLoss', loss_weight=0.1),
                 guided_loss_weight: float = 0.01,
                 sr_channel_order: str = 'RGB',
                 segmentor_channel_order: Optional[str] = None,
                 channels_last: bool = False,
                 compile_generator=False,
                 compile_segmentor=False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(
            generator=generator,
            pixel_loss=pixel_loss,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg,
            data_preprocessor=data_preprocessor)
        self.perceptual_loss = MODELS.build(perceptual_loss) if perceptual_loss else None
        self.segmentor = build_segmentor(segmentor) if segmentor else None
        self.guided_loss_weight = guided_loss_weight
        self.channels_last = channels_last
        self.compile_generator = compile_generator
        self.compile_segmentor = compile_segmentor
        self._compiled = {}  # not a submodule: keeps the state dict free of duplicates

        for name, order in (('sr_channel_order', sr_channel_order), ('segmentor_channel_order',
                                                                     segmentor_channel_order)):
            if order not in ('RGB', 'BGR', None):
                raise ValueError(f'{name} must be "RGB" or "BGR", got {order!r}')
        self._register_colour_transforms(sr_channel_order, segmentor_channel_order)
        # checkpoints hold `generator.*`, never `generator.module.*`, whatever the launcher
        self._register_state_dict_hook(wrapper_free_keys)
        self._register_load_state_dict_pre_hook(wrapper_aware_keys, with_module=True)
        if channels_last:
            self.generator.to(memory_format=torch.channels_last)
            if self.segmentor is not None:
                self.segmentor.to(memory_format=torch.channels_last)

    # ------------------------------------------------------------------ colour
    def _register_colour_transforms(self, sr_order: str, seg_order: Optional[str]) -> None:
        """Precompute the per-channel affine maps applied to the SR output.

        ``to_segmentor``: generator space -> the normalised input the segmentor
        was trained on. ``to_unit``: generator space -> RGB-or-same-order
        values in [0, 1] for LPIPS. Both are differentiable everywhere (no
        clamping or rounding), so every SR pixel receives gradient.
        """
        sr_mean, sr_std = normalisation(self.data_preprocessor)
        self.register_buffer('_unit_scale', (sr_std / 255.).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('_unit_shift', (sr_mean / 255.).view(1, 3, 1, 1), persistent=False)
        self._unit_is_identity = bool((sr_std == 255.).all() and (sr_mean == 0.).all())

        self._flip_for_segmentor = False
        if self.segmentor is None:
            return
        seg_pre = self.segmentor.data_preprocessor
        if seg_order is None:
            seg_order = 'RGB' if getattr(seg_pre, 'channel_conversion', False) else 'BGR'
        self._flip_for_segmentor = seg_order != sr_order
        seg_mean, seg_std = normalisation(seg_pre)
        if self._flip_for_segmentor:
            sr_mean, sr_std = sr_mean.flip(0), sr_std.flip(0)
        # x_seg = (x * sr_std + sr_mean - seg_mean) / seg_std, per channel
        self.register_buffer('_seg_scale', (sr_std / seg_std).view(1, 3, 1, 1), persistent=False)
        self.register_buffer(
            '_seg_shift', ((sr_mean - seg_mean) / seg_std).view(1, 3, 1, 1), persistent=False)

    def to_segmentor_input(self, sr: Tensor) -> Tensor:
        """Map SR output (generator space) to the segmentor's normalised input."""
        if self._flip_for_segmentor:
            sr = sr.flip(1)
        return torch.addcmul(self._seg_shift.to(sr.dtype), sr, self._seg_scale.to(sr.dtype))

    def to_unit_range(self, img: Tensor) -> Tensor:
        """Map images from generator space to [0, 1] pixel values."""
        if self._unit_is_identity:
            return img
        return torch.addcmul(self._unit_shift.to(img.dtype), img, self._unit_scale.to(img.dtype))

    # ---------------------------------------------------------------- training
    def _memory_format(self, x: Tensor) -> Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _generator_train_forward(self, inputs: Tensor) -> Tensor:
        if not self.compile_generator:
            return self.generator(inputs)
        if 'generator' not in self._compiled:
            self._compiled['generator'] = torch.compile(self.generator,
                                                        **compile_kwargs(self.compile_generator))
        return self._compiled['generator'](inputs)

    def _compile_segmentor_once(self) -> None:
        if self.compile_segmentor and 'segmentor' not in self._compiled:
            unwrap(self.segmentor).backbone.compile(**compile_kwargs(self.compile_segmentor))
            self._compiled['segmentor'] = True

    @staticmethod
    def infer_turn(data_samples) -> str:
        """Tell a guided batch (labels) from an adapted one (HR targets)."""
        sample = data_samples[0] if isinstance(data_samples, (list, tuple)) else data_samples
        if 'gt_seg_map' in sample:
            return 'guided'
        if 'gt_img' in sample:
            return 'adapted'
        raise ValueError('Cannot tell the training turn of a batch that has neither labels '
                         '("gt_seg_map") nor HR targets ("gt_img"); set data["turn"] to '
                         f'one of {TURNS}')

    def train_step(self, data: dict, optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Run one guided or adapted turn and update the networks it trains.

        Args:
            data (dict): A collated batch (``inputs``, ``data_samples``) and,
                optionally, ``turn``: ``'guided'`` or ``'adapted'``.
            optim_wrapper (OptimWrapperDict): Wrappers named ``generator`` and
                (for guided turns) ``segmentor``.

        Returns:
            dict: Detached losses for logging, prefixed with the turn name.
        """
        data = dict(data)
        turn = data.pop('turn', None) or self.infer_turn(data['data_samples'])
        if turn not in TURNS:
            raise ValueError(f'Unknown training turn {turn!r}; expected one of {TURNS}')
        data = self.data_preprocessor(data, True)
        inputs = self._memory_format(data['inputs'])
        if turn == 'guided':
            return self.train_guided(inputs, data['data_samples'], optim_wrapper)
        return self.train_adapted(inputs, data['data_samples'], optim_wrapper)

    def train_adapted(self, inputs: Tensor, data_samples: DataSample,
                      optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Train_Even: update the generator with pixel + perceptual losses."""
        if 'gt_img' not in data_samples:
            raise KeyError('An adapted turn needs HR targets ("gt_img") in its data samples')
        g_optim = optim_wrapper['generator']
        gt = self._memory_format(data_samples.gt_img)
        with g_optim.optim_context(self.generator):
            sr = self._generator_train_forward(inputs)
            losses = {'loss_pix': self.pixel_loss(sr, gt)}
            if self.perceptual_loss is not None:
                losses['loss_lpips'] = self.perceptual_loss(
                    self.to_unit_range(sr), self.to_unit_range(gt))
            loss = sum(losses.values())
        g_optim.update_params(loss)
        log_vars = {f'adapted_{k}': v.detach() for k, v in losses.items()}
        log_vars['adapted_loss'] = loss.detach()
        return log_vars

    def segmentor_data_samples(self, data_samples: DataSample) -> list:
        """Wrap the batch's label maps as MMSegmentation data samples."""
        from mmseg.structures import SegDataSample
        if 'gt_seg_map' not in data_samples:
            raise KeyError('A guided turn needs labels ("gt_seg_map") in its data samples')
        labels = data_samples.gt_seg_map
        if labels.dim() == 3:
            labels = labels.unsqueeze(1)
        return [SegDataSample(gt_sem_seg=PixelData(data=label.long())) for label in labels]

    def train_guided(self, inputs: Tensor, data_samples: DataSample,
                     optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Train_Odd: update generator and segmentor with the segmentation loss.

        The backward pass is split at the SR image: the segmentor's wrapper
        back-propagates the loss (with its own AMP loss scale) down to the SR
        pixels, and the generator's wrapper back-propagates that pixel
        gradient (with its own scale). The result equals one backward through
        both networks, while each wrapper keeps its own GradScaler, gradient
        accumulation and DDP synchronisation.
        """
        if self.segmentor is None:
            raise RuntimeError('A guided turn needs a segmentor; this model was built without one')
        g_optim, s_optim = optim_wrapper['generator'], optim_wrapper['segmentor']
        seg_samples = self.segmentor_data_samples(data_samples)
        self._compile_segmentor_once()

        with g_optim.optim_context(self.generator):
            sr = self._generator_train_forward(inputs)
        sr_leaf = sr.detach().requires_grad_(True)
        with s_optim.optim_context(self.segmentor):
            seg_losses = self.segmentor(
                self._memory_format(self.to_segmentor_input(sr_leaf)), seg_samples, mode='loss')
            loss = self.guided_loss_weight * sum(
                value for key, value in seg_losses.items() if 'loss' in key)
        # read before update_params: its GradScaler.update() grows or backs off the scale
        used_scale = loss_scale(s_optim, sr_leaf.device)
        s_optim.update_params(loss)

        # d(loss)/d(sr), with the loss scale of the segmentor's backward removed (in fp32)
        g_optim.backward(pixel_gradient_loss(sr, sr_leaf.grad, used_scale))
        if g_optim.should_update():
            g_optim.step()
            g_optim.zero_grad()

        log_vars = {
            f'guided_{key}': value.detach()
            for key, value in seg_losses.items() if isinstance(value, Tensor)
        }
        log_vars['guided_loss'] = loss.detach()
        return log_vars

    # --------------------------------------------------------------- inference
    def generate(self,
                 inputs: Tensor,
                 tile: Optional[int] = None,
                 tile_overlap: int = 16,
                 progress=None) -> Tensor:
        """Super-resolve preprocessed inputs with the generator alone.

        Args:
            inputs (Tensor): (N, 3, h, w) batch from :attr:`data_preprocessor`.
            tile (int, optional): Tile size in LR pixels for large frames (see
                :func:`~mmssg.models.utils.tiled_forward`). Defaults to the
                whole frame.
            tile_overlap (int): Context around each tile in LR pixels.
            progress (Callable, optional): Called as ``progress(done, total)``.

        Returns:
            Tensor: The SR batch in the generator's space (not de-normalised).
        """
        return tiled_forward(self.generator, self._memory_format(inputs), tile, tile_overlap,
                             progress)

    def forward_inference(self,
                          inputs: Tensor,
                          data_samples: Optional[List[DataSample]] = None,
                          **kwargs) -> DataSample:
        """Super-resolve with the generator alone.

        With ``test_cfg=dict(segment=True)`` and a segmentor, the SR output is
        also segmented and the argmax label map stored as ``pred_seg_map``, at
        the resolution of the batch's ``gt_seg_map`` when there is one.
        """
        test_cfg = self.test_cfg or {}
        sr = self.generate(inputs, test_cfg.get('tile'), test_cfg.get('tile_overlap', 16))
        predictions = DataSample(pred_img=self.data_preprocessor.destruct(sr, data_samples).cpu())
        if test_cfg.get('segment', False) and self.segmentor is not None:
            logits = self.segmentor(self._memory_format(self.to_segmentor_input(sr)), mode='tensor')
            if data_samples is not None and 'gt_seg_map' in data_samples:
                size = data_samples.gt_seg_map.shape[-2:]
                if logits.shape[-2:] != size:
                    align = getattr(unwrap(self.segmentor).decode_head, 'align_corners', False)
                    logits = F.interpolate(logits, size=size, mode='bilinear', align_corners=align)
            predictions.set_tensor_data({'pred_seg_map': logits.argmax(1, keepdim=True).cpu()})
        return predictions
