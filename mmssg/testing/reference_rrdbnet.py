# Copyright (c) mmssg contributors. All rights reserved.
"""An RRDBNet written from the ESRGAN paper, independently of MMagic's and BasicSR's code.

The tests load a BasicSR-format export (``tools/export_generator.py --format basicsr``) into
it strictly and compare its output with the mmssg generator's; a mistake shared with MMagic's
implementation cannot hide here, since nothing is imported from it.

The architecture (Wang et al., ESRGAN, ECCV Workshops 2018, section 3.1 and figure 4):

- a residual dense block: five 3x3 convolutions, each fed the block's input concatenated
  with the outputs of all the convolutions before it; the first four give ``num_grow_ch``
  channels followed by LeakyReLU (slope 0.2), the fifth gives ``num_feat`` channels with no
  activation, scaled by 0.2 and added to the block's input (residual scaling);
- an RRDB: three dense blocks in a row, the result scaled by 0.2 and added to its input;
- the network: a 3x3 convolution to ``num_feat`` channels, ``num_block`` RRDBs and a 3x3
  convolution added to that first feature map (global residual), then two nearest-neighbour
  x2 upsamplings each followed by a 3x3 convolution and LeakyReLU, a 3x3 convolution with
  LeakyReLU and a last 3x3 convolution to the output channels.

BasicSR's x2 and x1 networks first fold each 2x2 (4x4) block of pixels into channels
(pixel unshuffle), so that the same x4 trunk serves them. Parameter names follow BasicSR's
documented ones: ``conv_first``, ``body.<n>.rdb<k>.conv<j>``, ``conv_body``, ``conv_up1``,
``conv_up2``, ``conv_hr``, ``conv_last``.
"""
import torch
import torch.nn.functional as F
from torch import nn

SLOPE = 0.2  # LeakyReLU negative slope
RESIDUAL_SCALE = 0.2  # residual scaling of dense blocks and RRDBs


def conv3x3(in_channels: int, out_channels: int) -> nn.Conv2d:
    """A 3x3 convolution that keeps the size (stride 1, padding 1), with bias."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)


class DenseBlock(nn.Module):
    """Residual dense block: five densely connected convolutions, residual scaled by 0.2.

    Args:
        num_feat (int): Channels in and out.
        num_grow_ch (int): Channels each of the first four convolutions adds.
    """

    def __init__(self, num_feat: int, num_grow_ch: int):
        super().__init__()
        for j in range(1, 6):
            width = num_feat + (j - 1) * num_grow_ch
            self.add_module(f'conv{j}', conv3x3(width, num_feat if j == 5 else num_grow_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, num_feat, H, W) to the same shape."""
        features = [x]
        for j in range(1, 5):
            new = getattr(self, f'conv{j}')(torch.cat(features, dim=1))
            features.append(F.leaky_relu(new, SLOPE))
        return x + RESIDUAL_SCALE * self.conv5(torch.cat(features, dim=1))


class ResidualInResidualBlock(nn.Module):
    """Three dense blocks in a row, with a residual scaled by 0.2 around them.

    Args:
        num_feat (int): Channels in and out.
        num_grow_ch (int): Growth channels of the dense blocks.
    """

    def __init__(self, num_feat: int, num_grow_ch: int):
        super().__init__()
        self.rdb1 = DenseBlock(num_feat, num_grow_ch)
        self.rdb2 = DenseBlock(num_feat, num_grow_ch)
        self.rdb3 = DenseBlock(num_feat, num_grow_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, num_feat, H, W) to the same shape."""
        return x + RESIDUAL_SCALE * self.rdb3(self.rdb2(self.rdb1(x)))


class ReferenceRRDBNet(nn.Module):
    """ESRGAN's generator with BasicSR's parameter names (see the module's docstring).

    Args:
        num_in_ch (int): Input channels.
        num_out_ch (int): Output channels.
        scale (int): 4, 2 or 1. Defaults to 4.
        num_feat (int): Trunk channels. Defaults to 64.
        num_block (int): RRDBs. Defaults to 23.
        num_grow_ch (int): Growth channels. Defaults to 32.
    """

    def __init__(self,
                 num_in_ch: int,
                 num_out_ch: int,
                 scale: int = 4,
                 num_feat: int = 64,
                 num_block: int = 23,
                 num_grow_ch: int = 32):
        super().__init__()
        if scale not in (1, 2, 4):
            raise ValueError(f'scale must be 1, 2 or 4, got {scale}')
        self.fold = 4 // scale  # pixel-unshuffle factor before the x4 trunk
        self.conv_first = conv3x3(num_in_ch * self.fold**2, num_feat)
        self.body = nn.ModuleList(
            ResidualInResidualBlock(num_feat, num_grow_ch) for _ in range(num_block))
        self.conv_body = conv3x3(num_feat, num_feat)
        self.conv_up1 = conv3x3(num_feat, num_feat)
        self.conv_up2 = conv3x3(num_feat, num_feat)
        self.conv_hr = conv3x3(num_feat, num_feat)
        self.conv_last = conv3x3(num_feat, num_out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, num_in_ch, H, W) to (N, num_out_ch, scale * H, scale * W)."""
        if self.fold > 1:
            x = F.pixel_unshuffle(x, self.fold)
        shallow = self.conv_first(x)
        deep = shallow
        for block in self.body:
            deep = block(deep)
        features = shallow + self.conv_body(deep)
        for conv in (self.conv_up1, self.conv_up2):
            features = F.interpolate(features, scale_factor=2, mode='nearest')
            features = F.leaky_relu(conv(features), SLOPE)
        return self.conv_last(F.leaky_relu(self.conv_hr(features), SLOPE))
