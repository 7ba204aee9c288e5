# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN networks: the generator applies exactly its kernel; per-image discriminators."""
import numpy as np
import pytest
import torch

from mmssg.degradation.kernelgan.networks import KernelGenerator, PatchDiscriminator
from mmssg.testing import valid_blur_and_subsample

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def random_generator(num_images=2, gain=7.):
    gens = [torch.Generator().manual_seed(i) for i in range(num_images)]
    generator = KernelGenerator(num_images, generators=gens)
    with torch.no_grad():  # the init gives a ~1e-4 kernel; scale it up to test something
        for weight in generator.weights:
            weight.mul_(gain)
    return generator


def test_generator_output_is_saved_kernel_blur_and_subsample():
    generator = random_generator()
    images = torch.randn(2, 3, 41, 38, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        output = generator(images).double().numpy()
        kernels = generator.kernel().double().numpy()
    assert kernels.shape == (2, 13, 13)
    assert output.shape == (2, 3, 15, 13)
    for b in range(2):
        for c in range(3):
            expected = valid_blur_and_subsample(images[b, c].double().numpy(), kernels[b])
            np.testing.assert_allclose(
                output[b, c], expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())
    # Not symmetric, so a flipped (correlation) kernel would fail the check above.
    assert np.abs(kernels[0] - kernels[0, ::-1, ::-1]).max() > 0.1 * np.abs(kernels[0]).max()


def test_product_kernel_equals_layers_at_full_resolution():
    generator = random_generator()
    images = torch.randn(2, 3, 40, 40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        fast = generator(images)
        slow = generator.forward_layer_by_layer(images)
    assert fast.shape == slow.shape == (2, 3, 14, 14)
    torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-4 * slow.abs().max().item())


def test_product_kernel_gradients_match_layer_by_layer():
    generator = random_generator(num_images=1, gain=5.)
    images = torch.randn(1, 3, 30, 30, generator=torch.Generator().manual_seed(2))
    grads = []
    for forward in (generator.forward, generator.forward_layer_by_layer):
        generator.zero_grad()
        forward(images).pow(2).sum().backward()
        grads.append([w.grad.clone() for w in generator.weights])
    for fast, slow in zip(*grads):
        torch.testing.assert_close(fast, slow, rtol=1e-3, atol=1e-4 * slow.abs().max().item())


def test_discriminator_matches_torch_spectral_norm_reference():
    """One image's discriminator is the plain torch network the paper describes."""
    disc = PatchDiscriminator(1, generators=[torch.Generator().manual_seed(0)])
    sn = torch.nn.utils.spectral_norm
    convs = [disc.first] + list(disc.hidden) + [disc.last]
    reference = []
    for conv in convs:
        out_ch, in_ch, k, _ = conv.weight.shape
        layer = sn(torch.nn.Conv2d(in_ch, out_ch, k))
        with torch.no_grad():
            layer.weight_orig.copy_(conv.weight)
            layer.bias.copy_(conv.bias)
            layer.weight_u.copy_(conv.u[0])
            layer.weight_v.copy_(conv.v[0])
        reference.append(layer)
    layers = [reference[0]]
    for conv, weight, bias in zip(reference[1:-1], disc.bn_weights, disc.bn_biases):
        bn = torch.nn.BatchNorm2d(weight.numel())
        with torch.no_grad():
            bn.weight.copy_(weight)
            bn.bias.copy_(bias)
        layers += [conv, bn, torch.nn.ReLU()]
    reference = torch.nn.Sequential(*layers, reference[-1], torch.nn.Sigmoid())
    assert len(convs) == 7

    images = torch.randn(1, 3, 26, 26, generator=torch.Generator().manual_seed(1))
    for _ in range(3):  # power iterations advance identically
        torch.testing.assert_close(disc(images), reference(images)[:, 0], rtol=1e-4, atol=1e-5)


def test_discriminator_is_per_image():
    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    disc = PatchDiscriminator(2, generators=gens)
    images = torch.randn(2, 3, 20, 20)
    out = disc(images)
    assert out.shape == (2, 14, 14)
    # Changing image 1 leaves image 0's output unchanged (per-image weights, per-image BN).
    disc.eval()  # freeze the spectral-norm power iteration for the comparison
    first = disc(images)[0]
    images[1] += 5
    torch.testing.assert_close(disc(images)[0], first)
