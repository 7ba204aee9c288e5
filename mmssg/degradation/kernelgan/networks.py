# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN networks holding one set of weights per image: linear generator, discriminator."""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .crops import IMAGE_CHANNELS
from .kernels import GENERATOR_KERNEL_SIZES


def _xavier_normal(shape: Sequence[int], gain: float, generator: torch.Generator) -> torch.Tensor:
    """Xavier-normal weights of one conv layer, drawn from ``generator``."""
    out_ch, in_ch, kh, kw = shape
    std = gain * math.sqrt(2.0 / ((in_ch + out_ch) * kh * kw))
    return torch.randn(shape, generator=generator) * std


class KernelGenerator(nn.Module):
    """Deep linear generator, one per image: blur with its kernel, subsample by 2.

    The layers (``kernel_sizes``, ``channels`` wide, no bias, no activation)
    are never run on images: their product kernel is computed from the weights
    (a unit impulse pushed backwards through the layers, i.e. transposed
    convolutions, which is cheap and differentiable) and applied as one
    stride-2 convolution. :meth:`forward_layer_by_layer` runs the layers the
    long way, for reference.

    Args:
        num_images (int): How many independent generators to hold.
        channels (int): Width of the hidden layers. Default: 64.
        kernel_sizes (Sequence[int]): Layer kernel sizes. Default: (7, 5, 3, 1, 1, 1).
        generators (list[torch.Generator], optional): One per image, for the
            initial weights. Default: None (global RNG).
        init_gain (float): Xavier gain of every layer. The published 0.1
            gives a ~1e-7 product kernel: a deep linear net that small sits
            near its all-zero saddle, and took 50 to over 600 steps to grow a
            kernel (1 run in 4 over 250; one never, its gradients having
            fallen below Adam's eps). With 0.3 every one of 33 measured runs
            grew it within 75 steps, and the estimates were as close to the
            true kernels. Default: 0.3.
    """

    def __init__(self,
                 num_images: int,
                 channels: int = 64,
                 kernel_sizes: Sequence[int] = GENERATOR_KERNEL_SIZES,
                 generators: Optional[List[torch.Generator]] = None,
                 init_gain: float = 0.3):
        super().__init__()
        self.num_images = num_images
        self.kernel_size = sum(kernel_sizes) - len(kernel_sizes) + 1
        widths = [1] + [channels] * (len(kernel_sizes) - 1) + [1]
        if generators is None:
            generators = [torch.default_generator] * num_images
        self.weights = nn.ParameterList()
        for layer, size in enumerate(kernel_sizes):
            shape = (widths[layer + 1], widths[layer], size, size)
            # Stacked per image along the output channels: image b owns rows [b*out, (b+1)*out).
            per_image = [_xavier_normal(shape, init_gain, g) for g in generators]
            self.weights.append(nn.Parameter(torch.cat(per_image, dim=0)))

    def correlation_kernel(self) -> torch.Tensor:
        """``(B, k, k)`` kernel ``w`` with ``F.conv2d(x, w) == layers(x)``."""
        batch = self.num_images
        footprint = self.weights[-1].new_ones(batch, 1, 1, 1)
        # The adjoint of the layer chain maps an output impulse to its input
        # footprint; starting from the 1x1 end keeps every map tiny. Each
        # adjoint (a transposed convolution) is a per-image matrix product
        # followed by an overlap-add (fold): one batched matmul for all
        # images, where grouped transposed convolutions run image by image.
        for weight in reversed(self.weights):
            out_ch, in_ch, size = weight.shape[0] // batch, weight.shape[1], weight.shape[-1]
            height, width = footprint.shape[-2:]
            # (x^T W)^T rather than W^T x: the weight's gradient then comes out
            # in the weight's own layout, with no transposed copy.
            columns = torch.bmm(
                footprint.reshape(batch, out_ch, height * width).transpose(1, 2),
                weight.view(batch, out_ch, in_ch * size * size)).transpose(1, 2)
            footprint = F.fold(columns, (height + size - 1, width + size - 1), size)
        return footprint[:, 0]

    def kernel(self) -> torch.Tensor:
        """``(B, k, k)`` true convolution kernel of each generator."""
        return self.correlation_kernel().flip(-2, -1)

    def forward(self, images: torch.Tensor, kernel: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Downscale ``(B, C, H, W)`` crops to ``(B, C, (H-k)//2+1, (W-k)//2+1)``.

        Args:
            images (torch.Tensor): Generator ``b`` downscales ``images[b]``.
            kernel (torch.Tensor, optional): Precomputed :meth:`correlation_kernel`.
        """
        if kernel is None:
            kernel = self.correlation_kernel()
        # Channels as a batch: one kernel for all colour channels of an image.
        x = images.transpose(0, 1)
        out = F.conv2d(x, kernel[:, None], stride=2, groups=self.num_images)
        return out.transpose(0, 1)

    def forward_layer_by_layer(self, images: torch.Tensor) -> torch.Tensor:
        """Reference: every layer at full resolution, then keep every 2nd pixel."""
        x = images.transpose(0, 1)
        for weight in self.weights:
            x = F.conv2d(x, weight, groups=self.num_images)
        return x[..., ::2, ::2].transpose(0, 1)


class GroupedSpectralNormConv2d(nn.Module):
    """``num_groups`` independent convolutions, each spectrally normalised.

    Like ``torch.nn.utils.spectral_norm``: one power iteration per training
    forward, ``u`` and ``v`` kept as buffers, no gradient through them. Not a
    drop-in ``Conv2d``: :meth:`forward` takes unfolded input (``F.unfold``
    columns, or the feature maps as they are for 1x1 kernels) and computes
    all groups in one batched matmul.

    Args:
        num_groups (int): Number of independent convolutions (images).
        in_channels (int): Input channels of each.
        out_channels (int): Output channels of each.
        kernel_size (int): Square kernel size.
        generators (list[torch.Generator]): One per group, for initialisation.
        init_gain (float): Xavier gain. Default: 0.1.
    """

    def __init__(self,
                 num_groups: int,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 generators: List[torch.Generator],
                 init_gain: float = 0.1):
        super().__init__()
        self.num_groups = num_groups
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(
            torch.cat([_xavier_normal(shape, init_gain, g) for g in generators]))
        self.bias = nn.Parameter(torch.zeros(num_groups * out_channels))
        fan_in = in_channels * kernel_size * kernel_size
        self.register_buffer(
            'u',
            F.normalize(
                torch.stack([torch.randn(out_channels, generator=g) for g in generators]), dim=1))
        self.register_buffer(
            'v',
            F.normalize(torch.stack([torch.randn(fan_in, generator=g) for g in generators]), dim=1))

    def normalized_weight(self) -> torch.Tensor:
        """The weight divided, per group, by its estimated largest singular value."""
        matrices = self.weight.view(self.num_groups, self.u.shape[1], -1)
        if self.training:
            with torch.no_grad():
                v = F.normalize(torch.einsum('goi,go->gi', matrices, self.u), dim=1)
                u = F.normalize(torch.einsum('goi,gi->go', matrices, v), dim=1)
                self.u.copy_(u)
                self.v.copy_(v)
        # Clones: a later forward updates the buffers in place while this
        # graph still needs them for backward.
        sigma = torch.einsum('go,goi,gi->g', self.u.clone(), matrices, self.v.clone())
        return self.weight / sigma.repeat_interleave(self.u.shape[1])[:, None, None, None]

    def forward(self, columns: torch.Tensor) -> torch.Tensor:
        """The convolutions as one batched matmul on unfolded input.

        Args:
            columns (torch.Tensor): ``(G, in_channels * k * k, L)``, e.g. from
                ``F.unfold`` (for 1x1 convolutions, the feature maps as they are).

        Returns:
            torch.Tensor: ``(G, out_channels, L)``.
        """
        weight = self.normalized_weight().view(self.num_groups, -1, columns.shape[1])
        return torch.baddbmm(self.bias.view(self.num_groups, -1, 1), weight, columns)


class PatchDiscriminator(nn.Module):
    """Fully convolutional patch discriminator, one per image.

    A 7x7 spectral-norm conv (receptive field of one output pixel), then 1x1
    spectral-norm convs with BatchNorm and ReLU, then a 1x1 conv and a
    sigmoid: ``num_layers`` convs in all. BatchNorm statistics are per image
    (each image owns its channels) and always from the current batch.

    Args:
        num_images (int): How many independent discriminators to hold.
        in_channels (int): Image channels. Default: 3.
        channels (int): Hidden width. Default: 64.
        num_layers (int): Convolutions in all. Default: 7.
        first_kernel_size (int): Kernel of the first conv. Default: 7.
        generators (list[torch.Generator], optional): One per image. Default: None.
    """

    def __init__(self,
                 num_images: int,
                 in_channels: int = IMAGE_CHANNELS,
                 channels: int = 64,
                 num_layers: int = 7,
                 first_kernel_size: int = 7,
                 generators: Optional[List[torch.Generator]] = None):
        super().__init__()
        if generators is None:
            generators = [torch.default_generator] * num_images
        self.num_images = num_images
        self.first = GroupedSpectralNormConv2d(num_images, in_channels, channels, first_kernel_size,
                                               generators)
        self.hidden = nn.ModuleList(
            GroupedSpectralNormConv2d(num_images, channels, channels, 1, generators)
            for _ in range(num_layers - 2))
        self.bn_weights = nn.ParameterList(
            nn.Parameter(
                torch.cat([1 + 0.02 * torch.randn(channels, generator=g) for g in generators]))
            for _ in range(num_layers - 2))
        self.bn_biases = nn.ParameterList(
            nn.Parameter(torch.zeros(num_images * channels)) for _ in range(num_layers - 2))
        self.last = GroupedSpectralNormConv2d(num_images, channels, 1, 1, generators)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, H - 6, W - 6)`` probabilities of being real."""
        batch, channels, height, width = images.shape
        size = self.first.weight.shape[-1]
        out_h, out_w = height - size + 1, width - size + 1
        # Every layer is a per-image matrix product over channels: the first on
        # the unfolded 7x7 patches, the others (1x1) on the feature maps. One
        # batched matmul per layer beats grouped convolutions, which PyTorch's
        # CPU backend runs (and differentiates) group by group.
        x = F.unfold(images, size)  # (B, C*7*7, L), ordered like the weight's (C, kh, kw)
        x = self.first(x)
        for conv, weight, bias in zip(self.hidden, self.bn_weights, self.bn_biases):
            # BatchNorm of a batch of one crop normalises each channel over its
            # pixels; group_norm with one group per channel computes exactly
            # that (same biased variance, same eps), and faster on CPU.
            x = conv(x).view(1, -1, x.shape[-1])
            x = F.relu(F.group_norm(x, x.shape[1], weight, bias, eps=1e-5), inplace=True)
            x = x.view(batch, -1, x.shape[-1])
        return torch.sigmoid(self.last(x)).view(batch, out_h, out_w)
