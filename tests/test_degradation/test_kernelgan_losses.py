# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN kernel constraints."""
import pytest
import torch

from mmssg.degradation.kernelgan.kernels import boundary_penalty_mask
from mmssg.degradation.kernelgan.losses import (boundaries_loss, centralized_loss, gan_loss,
                                                sparsity_loss, sum_to_one_loss)

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def test_constraint_losses():
    delta = torch.zeros(1, 13, 13)
    delta[0, 6, 6] = 1
    shifted = torch.roll(delta, shifts=(2, -1), dims=(1, 2))
    mask = torch.from_numpy(boundary_penalty_mask())
    assert sum_to_one_loss(delta).item() == 0
    assert sum_to_one_loss(0.5 * delta).item() == pytest.approx(0.5)
    assert centralized_loss(delta).item() == 0
    assert centralized_loss(shifted).item() == pytest.approx((2**2 + 1**2) / 2)
    assert boundaries_loss(delta, mask).item() == 0
    corner = torch.zeros(1, 13, 13)
    corner[0, 0, 0] = 1
    assert boundaries_loss(corner, mask).item() > 0
    spread = torch.full((1, 13, 13), 1 / 169)
    assert sparsity_loss(delta).item() < sparsity_loss(spread).item()


def test_gan_loss_is_the_published_l1_distance_from_the_label():
    # Two images' 1x2 discriminator maps; KernelGAN's code compares them with nn.L1Loss.
    maps = torch.tensor([[[0.2, 0.6]], [[1.0, 0.0]]])
    torch.testing.assert_close(gan_loss(maps, True), torch.tensor([0.6, 0.5]))
    torch.testing.assert_close(gan_loss(maps, False), torch.tensor([0.4, 0.5]))
