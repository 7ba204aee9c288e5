# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN kernel pool: operators, post-processing, training, CLI."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import ndimage
from scipy.signal import convolve2d
from skimage import data

from mmssg.degradation.functional import kernel_center_of_mass, validate_kernel
from mmssg.degradation.kernelgan import (KernelGAN, KernelGenerator, PatchDiscriminator,
                                         bicubic_kernel, boundaries_loss, boundary_penalty_mask,
                                         center_kernel, centralized_loss, compose_x4_kernel,
                                         crop_probability_map, estimate_kernels,
                                         postprocess_kernel, prepare_image,
                                         run_kernelgan, sparsity_loss, sum_to_one_loss,
                                         zero_negligible_values)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLI = osp.join(REPO_ROOT, 'tools', 'data', 'estimate_kernels.py')


@pytest.fixture(autouse=True)
def one_thread():
    """KernelGAN's ops are tiny; a second thread only adds sync cost on a busy CPU."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def gaussian_kernel(size=13, sigma_row=0.8, sigma_col=2.0):
    """Axis-aligned anisotropic Gaussian, centred, summing to 1."""
    offsets = np.arange(size) - size // 2
    rows, cols = np.meshgrid(offsets, offsets, indexing='ij')
    kernel = np.exp(-0.5 * (rows**2 / sigma_row**2 + cols**2 / sigma_col**2))
    return kernel / kernel.sum()


def blur_and_subsample(image, kernel, scale=2):
    """Reference degradation: true convolution, then keep every ``scale``-th pixel."""
    image = image.astype(np.float64)
    if image.ndim == 3:
        return np.stack([blur_and_subsample(image[..., c], kernel, scale)
                         for c in range(image.shape[2])], axis=-1)
    return ndimage.convolve(image, kernel, mode='reflect')[::scale, ::scale]


def valid_blur_and_subsample(image, kernel, scale=2):
    """The same without padding: the generator's exact operator."""
    return convolve2d(image, kernel, mode='valid')[::scale, ::scale]


def random_generator(num_images=2, gain=7.):
    gens = [torch.Generator().manual_seed(i) for i in range(num_images)]
    generator = KernelGenerator(num_images, generators=gens)
    with torch.no_grad():  # the init gives a ~1e-4 kernel; scale it up to test something
        for weight in generator.weights:
            weight.mul_(gain)
    return generator


# --------------------------------------------------------------------------- operators


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
            np.testing.assert_allclose(output[b, c], expected, rtol=1e-4,
                                       atol=1e-5 * np.abs(expected).max())
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


def test_x4_composition_equals_two_x2_steps():
    rng = np.random.default_rng(0)
    kernel_x2 = rng.random((13, 13))
    kernel_x2 /= kernel_x2.sum()
    image = rng.standard_normal((83, 80))
    twice = valid_blur_and_subsample(valid_blur_and_subsample(image, kernel_x2), kernel_x2)
    full = compose_x4_kernel(kernel_x2)
    assert full.shape == (37, 37)
    once = valid_blur_and_subsample(image, full, scale=4)
    assert once.shape == twice.shape == (12, 11)
    np.testing.assert_allclose(once, twice, rtol=1e-10, atol=1e-12)


def test_x4_crop_keeps_a_compact_kernel():
    kernel_x2 = gaussian_kernel(sigma_row=1.0, sigma_col=1.2)
    full = compose_x4_kernel(kernel_x2)
    cropped = compose_x4_kernel(kernel_x2, size=25)
    assert cropped.shape == (25, 25)
    assert abs(cropped.sum() - 1) < 1e-9
    # The crop drops only the negligible far tails of the composition.
    np.testing.assert_allclose(cropped, full[6:-6, 6:-6] / full[6:-6, 6:-6].sum(), atol=1e-12)
    assert full[6:-6, 6:-6].sum() > 0.999 * full.sum()


# --------------------------------------------------------------------------- kernel post-processing


def test_bicubic_kernel_is_centred_and_normalised():
    kernel = bicubic_kernel()
    assert kernel.shape == (13, 13) and kernel.dtype == np.float32
    assert abs(kernel.sum() - 1) < 1e-6
    np.testing.assert_allclose(kernel_center_of_mass(kernel), [6, 6], atol=1e-6)
    np.testing.assert_allclose(kernel, kernel.T)
    assert kernel.min() < 0  # bicubic has negative lobes


def test_postprocess_centres_normalises_and_composes():
    off_centre = np.zeros((13, 13))
    off_centre[3:9, 5:12] = gaussian_kernel(size=13, sigma_row=1.0, sigma_col=1.5)[3:9, 3:10]
    off_centre += 1e-4 * np.random.default_rng(0).standard_normal((13, 13))  # noise floor
    assert np.abs(np.array(kernel_center_of_mass(off_centre)) - 6).max() > 1.5

    for scale, size in ((2, 13), (4, 25)):
        kernel = postprocess_kernel(off_centre, scale=scale)
        assert kernel.dtype == np.float32 and kernel.shape == (size, size)
        assert abs(kernel.sum() - 1) < 1e-5
        assert kernel.min() >= 0
        np.testing.assert_allclose(kernel_center_of_mass(kernel), [size // 2] * 2, atol=0.1)


def test_zero_negligible_values_removes_floor_and_negatives():
    kernel = gaussian_kernel(sigma_row=1.0, sigma_col=1.0) - 1e-4
    cleaned = zero_negligible_values(kernel, keep=40)
    assert cleaned.min() == 0 and abs(cleaned.sum() - 1) < 1e-12
    assert (cleaned > 0).sum() <= 60  # the corners are gone
    assert (cleaned > 0).sum() >= 40


def test_center_kernel_moves_centre_of_mass_only():
    kernel = np.zeros((13, 13))
    kernel[4, 8] = 1.0
    kernel[5, 8] = 1.0
    centred = center_kernel(kernel)
    np.testing.assert_allclose(kernel_center_of_mass(centred), [6, 6], atol=0.05)
    assert abs(centred.sum() - 1) < 1e-12


# --------------------------------------------------------------------------- constraint losses


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


# --------------------------------------------------------------------------- estimation


def photo_lr(name='chelsea', kernel=None):
    """A real photograph blurred with ``kernel`` and subsampled by 2, in [0, 1]."""
    photo = getattr(data, name)().astype(np.float64) / 255
    return np.clip(blur_and_subsample(photo, kernel), 0, 1).astype(np.float32)


def test_estimate_on_blurred_photos_beats_bicubic():
    """Two photographs degraded with a known anisotropic Gaussian, estimated as a batch.

    What a short run establishes, measured (4-5 photos x 2-3 seeds, 100-1500
    steps; the public code behaves alike): once its generator has grown a
    kernel (within 75 steps in 32 of 32 runs), the estimate is a centred blob
    of about the right overall width, closer to this wide blur than the bicubic
    kernel is. That much holds even with the adversarial term switched off, so
    this guards the pipeline (training, schedule, x2 operator, post-processing)
    rather than the GAN's learning, which
    :func:`test_adversarial_loss_trains_the_generator` checks. The orientation
    is right only about half the time on photos this small (150-256 px LR),
    and for a narrow blur (sigma 0.6 x 1.0) bicubic is closer, so the test asks
    for neither.
    """
    true_kernel = gaussian_kernel(sigma_row=0.8, sigma_col=2.0)
    images = [photo_lr('chelsea', true_kernel), photo_lr('coffee', true_kernel)]
    results = run_kernelgan(images, scale=2, iters=600, seed=0, batch_size=2)

    assert len(results) == 2
    bicubic_distance = np.abs(bicubic_kernel() - true_kernel).sum()
    for result in results:
        estimate = result.kernel
        assert abs(result.raw_kernel_x2.sum() - 1) < 0.2  # the generator has started
        assert estimate.shape == (13, 13) and estimate.dtype == np.float32
        assert abs(estimate.sum() - 1) < 1e-5 and estimate.min() >= 0
        np.testing.assert_allclose(kernel_center_of_mass(estimate), [6, 6], atol=0.5)
        assert np.abs(estimate - true_kernel).sum() < 0.85 * bicubic_distance


def test_schedule_waits_for_a_started_generator():
    """A near-zero kernel's output is "close to bicubic" in MSE; it must not count."""
    gan = KernelGAN([np.zeros((64, 64), np.float32)] * 2, iters=1)
    low_bicubic = torch.tensor([0.01, 0.01])
    sum_error = torch.tensor([1.0, 0.05])  # image 0 has not grown a kernel yet
    for step in range(1, 401):
        gan._update_schedule(step, low_bicubic, sum_error)
        if step == 199:
            assert gan.lambda_bicubic.tolist() == [5, 5]
    assert gan.lambda_bicubic[0] == 5 and gan.lambda_bicubic[1] == pytest.approx(5e-4)
    assert gan.lambda_sparse.tolist() == [0, 5] and gan.lambda_centralized.tolist() == [0, 1]
    assert gan.opt_g.param_groups[0]['lr'] == pytest.approx(2e-4)
    for step in range(401, 751):
        gan._update_schedule(step, low_bicubic, sum_error)
    assert gan.opt_g.param_groups[0]['lr'] == pytest.approx(2e-5)
    assert gan.opt_d.param_groups[0]['lr'] == pytest.approx(2e-5)


def test_adversarial_loss_trains_the_generator():
    """The discriminator's verdict reaches the layer weights through the product kernel."""
    gan = KernelGAN([photo_lr('coffee', gaussian_kernel())], iters=1, seed=0)
    with torch.no_grad():  # from a ~1e-4 kernel to one of order 1
        for weight in gan.generator.weights:
            weight.mul_(5)
    g_input, _ = gan.crops(0)
    optimizer = torch.optim.Adam(gan.generator.parameters(), lr=1e-3)
    history = []
    for _ in range(15):  # generator-only steps against a fixed discriminator
        optimizer.zero_grad()
        adversarial = gan.generator_losses(g_input)['adversarial'].sum()
        adversarial.backward()
        assert all(w.grad is not None and w.grad.abs().max() > 0 for w in gan.generator.weights)
        optimizer.step()
        history.append(adversarial.item())
    assert history[-1] < history[0] - 0.01


def two_images():
    rng = np.random.default_rng(0)
    colour = rng.random((70, 80, 3)).astype(np.float32)
    gray = (rng.random((64, 66)) * 255).astype(np.uint8)
    return [colour, gray]


def test_same_seed_same_kernels():
    images = two_images()
    first = run_kernelgan(images, iters=8, seed=3, batch_size=2)
    again = run_kernelgan(images, iters=8, seed=3, batch_size=2)
    other = run_kernelgan(images, iters=8, seed=4, batch_size=2)
    alone = run_kernelgan(images, iters=8, seed=3, batch_size=1)
    assert len(first) == len(alone) == 2
    for a, b, c, d in zip(first, again, other, alone):
        assert a.kernel.shape == d.kernel.shape == (13, 13)
        np.testing.assert_array_equal(a.raw_kernel_x2, b.raw_kernel_x2)
        np.testing.assert_array_equal(a.kernel, b.kernel)
        assert np.abs(a.raw_kernel_x2 - c.raw_kernel_x2).max() > 0
    assert set(first[0].losses) >= {'g_total', 'adversarial', 'bicubic', 'sum_to_one', 'd'}


def test_batched_gradients_equal_one_by_one():
    """Each image in a batch gets exactly the gradients it would get alone.

    (Whole runs are not compared: Adam's first steps are +-lr wherever a
    gradient is rounding noise, so batched and single runs drift apart.)
    """
    images = two_images()
    both = KernelGAN(images, iters=2, seed=5)
    alone = [KernelGAN([im], indices=[i], iters=2, seed=5) for i, im in enumerate(images)]
    for gan in [both] + alone:  # from a ~1e-4 kernel to one of order 1
        with torch.no_grad():
            for weight in gan.generator.weights:
                weight.mul_(5)

    def gradients(gan, step=0):
        g_input, d_real = gan.crops(step)
        gan.generator.zero_grad()
        gan.discriminator.zero_grad()
        gan.generator_losses(g_input)['total'].sum().backward()
        gan.discriminator_loss(g_input, d_real).sum().backward()
        params = list(gan.generator.parameters()) + list(gan.discriminator.parameters())
        return [p.grad.reshape(gan.generator.num_images, -1) for p in params]

    batched = gradients(both)
    for index, gan in enumerate(alone):
        single = gradients(gan)
        # Biases feeding a BatchNorm have a zero gradient up to rounding: judge
        # those against the largest gradient anywhere, not their own.
        floor = 1e-3 * max(grad.abs().max().item() for grad in single)
        for grad_b, grad_1 in zip(batched, single):
            scale = max(grad_1.abs().max().item(), floor)
            torch.testing.assert_close(grad_b[index], grad_1[0], rtol=0, atol=1e-3 * scale)


def test_generator_step_leaves_the_discriminator_trainable():
    """The generator's step freezes D only while it runs, even when it fails."""
    gan = KernelGAN(two_images(), iters=2, seed=0)
    before = [p.detach().clone() for p in gan.discriminator.parameters()]
    gan.train_step(0)
    assert all(p.requires_grad for p in gan.discriminator.parameters())
    assert any((p.detach() != b).any() for p, b in zip(gan.discriminator.parameters(), before))

    def failing_losses(g_input):
        assert not any(p.requires_grad for p in gan.discriminator.parameters())
        raise RuntimeError('boom')

    gan.generator_losses = failing_losses
    with pytest.raises(RuntimeError, match='boom'):
        gan.train_step(1)
    assert all(p.requires_grad for p in gan.discriminator.parameters())


def test_x4_estimate_shape():
    image = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    [kernel] = estimate_kernels([image], scale=4, iters=3)
    assert kernel.shape == (25, 25) and abs(kernel.sum() - 1) < 1e-5


@pytest.mark.parametrize('shape, message', [
    ((100, ), r'\(100,\)'),
    ((2, 100, 100, 3), r'\(2, 100, 100, 3\)'),
    ((100, 100, 2), r'\(100, 100, 2\)'),
    ((50, 80), '50x80'),
    ((80, 63, 3), '80x63'),
])
def test_bad_images_raise_naming_the_size(shape, message):
    with pytest.raises(ValueError, match=message):
        prepare_image(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match=message):
        estimate_kernels([np.zeros((70, 70), np.float32), np.zeros(shape, np.float32)], iters=1)


def test_crop_probability_prefers_edges():
    image = np.zeros((3, 128, 128), np.float32)
    image[:, :, 100:] = 1  # one vertical edge at column 100
    prob = crop_probability_map(image, 32)
    assert prob.shape == (97, 97) and abs(prob.sum() - 1) < 1e-9
    # Crops whose centre half holds the edge are far likelier than flat crops.
    assert prob[:, 100 - 16 - 4].mean() > 100 * prob[:, 10].mean()


# --------------------------------------------------------------------------- CLI


def run_cli(*args):
    return subprocess.run([sys.executable, CLI, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'))


def test_cli_missing_source_dir_names_the_path(tmp_path):
    missing = tmp_path / 'no_such_dir'
    result = run_cli(missing, tmp_path / 'out', '--scale', 2)
    assert result.returncode != 0
    assert str(missing) in result.stderr


def test_cli_refuses_empty_dir_and_writing_into_source(tmp_path):
    result = run_cli(tmp_path, tmp_path / 'out', '--scale', 2)
    assert result.returncode != 0 and 'no images' in result.stderr
    from PIL import Image
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / 'a.png')
    result = run_cli(tmp_path, tmp_path, '--scale', 2)
    assert result.returncode != 0 and 'source folder' in result.stderr
    assert sorted(os.listdir(tmp_path)) == ['a.png']


def load_cli():
    """The CLI as a module, to run it in-process (saves re-importing torch)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('estimate_kernels_cli', CLI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_writes_kernels_and_lists_unreadable_images(tmp_path, capsys):
    from PIL import Image
    src, out = tmp_path / 'lr', tmp_path / 'pool'
    src.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((70, 72, 3)) * 255).astype(np.uint8)).save(src / 'good.png')
    Image.fromarray((rng.random((64, 64)) * 255).astype(np.uint8)).save(src / 'gray.jpg')
    (src / 'broken.png').write_bytes(b'not an image at all')
    Image.fromarray(np.zeros((30, 30), np.uint8)).save(src / 'tiny.png')
    (src / 'notes.txt').write_text('ignored')

    load_cli().main([str(src), str(out), '--scale', '4', '--iters', '3', '--batch', '2',
                     '--seed', '7'])
    stderr = capsys.readouterr().err
    assert 'broken.png' in stderr and 'tiny.png' in stderr
    assert sorted(os.listdir(out)) == ['good.npy', 'gray.npy', 'summary.json']
    for name in ('good.npy', 'gray.npy'):
        kernel = np.load(out / name)
        assert kernel.dtype == np.float32 and kernel.shape == (25, 25)
        assert abs(kernel.sum() - 1) < 1e-5
        validate_kernel(kernel, source=name)  # what the degradation transforms load
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['images_read'] == 2
    assert sorted(s['file'] for s in summary['skipped']) == ['broken.png', 'tiny.png']
    assert '30x30' in next(s['reason'] for s in summary['skipped'] if s['file'] == 'tiny.png')
    settings = (summary['scale'], summary['iterations'], summary['seed'], summary['kernel_size'])
    assert settings == (4, 3, 7, 25)
    assert all('bicubic' in item['final_losses'] for item in summary['images'])
    # Three steps cannot grow a kernel from the ~1e-4 start: flagged.
    assert sorted(summary['suspect']) == ['good.png', 'gray.jpg']
    assert 'did not grow a kernel' in stderr


def test_cli_searches_city_folders_and_keeps_clashing_names_apart(tmp_path):
    from PIL import Image
    src, out = tmp_path / 'leftImg8bit' / 'train', tmp_path / 'pool'
    rng = np.random.default_rng(1)
    for city, name in (('aachen', 'a_leftImg8bit.png'), ('bremen', 'b_leftImg8bit.png'),
                       ('cologne', 'a_leftImg8bit.png')):
        (src / city).mkdir(parents=True)
        Image.fromarray((rng.random((64, 64, 3)) * 255).astype(np.uint8)).save(src / city / name)
    load_cli().main([str(src), str(out), '--scale', '2', '--iters', '2', '--batch', '3'])
    assert sorted(os.listdir(out)) == ['aachen__a_leftImg8bit.png.npy', 'b_leftImg8bit.npy',
                                       'cologne__a_leftImg8bit.png.npy', 'summary.json']
