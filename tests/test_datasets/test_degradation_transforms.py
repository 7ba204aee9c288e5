# Copyright (c) mmssg contributors. All rights reserved.
"""DomainAdaptedDegradation (Eq. 5-6) and SyntheticDegradation (section 5.1)."""
import json
import pickle

import numpy as np
import pytest
from mmagic.registry import TRANSFORMS
from scipy import ndimage
from skimage import data

from mmssg.datasets.transforms.domain_adapted_degradation import DomainAdaptedDegradation
from mmssg.datasets.transforms.synthetic_degradation import SyntheticDegradation
from mmssg.degradation.functional import anisotropic_gaussian_kernel, isotropic_gaussian_kernel
from mmssg.degradation.noise_patches import NoiseCriteria, extract_noise_patches, find_noise_windows
from mmssg.degradation.pools.noise_files import (CompactNoisePatches, Float32NoisePatches,
                                                 pack_noise_patches)


def _independent_alignment(kernel, scale):
    """The grid alignment written with scipy: move the kernel by -(s-1)/2, linear interpolation."""
    pad = int(np.ceil((scale - 1) / 2))
    shifted = ndimage.shift(
        np.pad(kernel.astype(np.float64), pad), (-(scale - 1) / 2, ) * 2, order=1, mode='constant')
    return shifted / shifted.sum()


def _independent_degradation(hr, kernel, scale, noise):
    """scipy.ndimage.convolve (reflect) + stride sampling + noise, clipped and rounded."""
    aligned = _independent_alignment(kernel, scale)
    blurred = np.stack([
        ndimage.convolve(hr[..., c].astype(np.float64), aligned, mode='reflect') for c in range(3)
    ],
                       axis=-1)
    return np.rint(np.clip(blurred[::scale, ::scale] + noise, 0, 255))


@pytest.fixture
def pools(tmp_path):
    kernel_dir, noise_dir = tmp_path / 'kernels', tmp_path / 'noise'
    kernel_dir.mkdir()
    noise_dir.mkdir()
    np.save(kernel_dir / 'k_a.npy', anisotropic_gaussian_kernel(25, 3.5, 1.2,
                                                                0.6))  # KernelGAN-like size
    np.save(kernel_dir / 'k_b.npy', isotropic_gaussian_kernel(13, 1.0))
    rng = np.random.default_rng(0)
    for name, n, std in (('city_a.npy', 3, 3.0), ('city_b.npy', 2, 6.0)):
        patches = rng.normal(0, std, (n, 40, 40, 3)).astype(np.float32)
        patches[..., 0] *= 2  # colour noise: R twice as strong as G and B
        np.save(noise_dir / name, patches - patches.mean(axis=(1, 2), keepdims=True))
    return str(kernel_dir), str(noise_dir)


def _hr(size=128):
    return np.ascontiguousarray(data.astronaut()[60:60 + size, 180:180 + size])


def test_output_matches_an_independent_computation(pools):
    kernel_dir, noise_dir = pools
    transform = DomainAdaptedDegradation(kernel_pool=kernel_dir, noise_pool=noise_dir, scale=4)
    hr = _hr()
    seen_kernels = set()
    for seed in range(6):
        np.random.seed(seed)
        out = transform(dict(gt=hr.copy(), gt_channel_order='rgb'))
        info = out['degradation']
        seen_kernels.add(info['kernel_file'])
        kernel = np.load(f"{kernel_dir}/{info['kernel_file']}")
        top, left = info['noise_crop']
        noise = np.load(f"{noise_dir}/{info['noise_file']}")[info['noise_patch']][top:top + 32,
                                                                                  left:left + 32]
        expected = _independent_degradation(hr, kernel, 4, noise)
        lr = out['img']
        assert lr.dtype == np.float32 and lr.shape == (32, 32, 3)
        # Rounding may flip where the float sum sits within ~1e-4 of .5.
        assert np.abs(lr - expected).max() <= 1 and np.mean(lr != expected) < 0.002
        assert out['img_channel_order'] == 'rgb' and out['img_shape'] == out['ori_img_shape'] == (
            32, 32, 3)
        np.testing.assert_array_equal(out['gt'], hr)  # the HR crop is left as it was
    assert seen_kernels == {'k_a.npy', 'k_b.npy'}


def test_unquantised_output_matches_to_float_precision(pools):
    kernel_dir, noise_dir = pools
    transform = DomainAdaptedDegradation(kernel_dir, noise_dir, quantize=False)
    hr = _hr().astype(np.float32)
    np.random.seed(11)
    out = transform(dict(gt=hr))  # no channel order given: RGB
    info = out['degradation']
    top, left = info['noise_crop']
    noise = np.load(f"{noise_dir}/{info['noise_file']}")[info['noise_patch']][top:top + 32,
                                                                              left:left + 32]
    aligned = _independent_alignment(np.load(f"{kernel_dir}/{info['kernel_file']}"), 4)
    blurred = np.stack([
        ndimage.convolve(hr[..., c].astype(np.float64), aligned, mode='reflect') for c in range(3)
    ],
                       axis=-1)[::4, ::4]
    np.testing.assert_allclose(out['img'], np.clip(blurred + noise, 0, 255), atol=2e-3)
    assert not np.array_equal(out['img'], np.rint(out['img']))


def test_bgr_input_gets_the_noise_patch_flipped(pools):
    transform = DomainAdaptedDegradation(*pools)
    hr = _hr()
    np.random.seed(5)
    rgb = transform(dict(gt=hr.copy(), gt_channel_order='rgb'))
    np.random.seed(5)
    bgr = transform(dict(gt=hr[..., ::-1].copy(), gt_channel_order='bgr'))
    assert bgr['img_channel_order'] == 'bgr'
    assert bgr['degradation'] == rgb['degradation']
    np.testing.assert_allclose(bgr['img'][..., ::-1], rgb['img'], atol=1)
    # On a flat grey image the LR residual is the noise crop: R (twice as strong) comes last in BGR.
    grey = np.full((128, 128, 3), 128, np.uint8)
    for order, strong, weak in (('rgb', 0, 2), ('bgr', 2, 0)):
        np.random.seed(5)
        residual = transform(dict(gt=grey, gt_channel_order=order))['img'] - 128
        assert residual[..., strong].std() > 1.5 * residual[..., weak].std()


def test_hr_512_gives_a_pixel_aligned_lr_128(pools, tmp_path):
    kernel_dir, _ = pools
    noise_dir = tmp_path / 'noise128'
    noise_dir.mkdir()
    np.save(noise_dir / 'n.npy', np.zeros((1, 128, 128, 3), np.float32))
    transform = TRANSFORMS.build(
        dict(
            type='DomainAdaptedDegradation',
            kernel_pool=kernel_dir,
            noise_pool=str(noise_dir),
            scale=4))
    hr = data.astronaut()  # 512 x 512
    out = transform(dict(gt=hr))
    assert out['img'].shape == (128, 128, 3) and out['degradation']['noise_crop'] == (0, 0)
    # Pixel-aligned: LR pixel (i, j) matches HR block (i, j) better than any neighbouring block.
    blocks = hr.reshape(128, 4, 128, 4, 3).mean(axis=(1, 3))
    err = {
        (dy, dx): np.abs(np.roll(blocks, (dy, dx), axis=(0, 1)) - out['img'])[8:-8, 8:-8].mean()
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    }
    assert min(err, key=err.get) == (0, 0)


def test_same_seed_same_output_different_seed_different_output(pools):
    first = DomainAdaptedDegradation(*pools)
    second = DomainAdaptedDegradation(*pools)
    hr = _hr()
    np.random.seed(123)
    a = first(dict(gt=hr.copy()))
    np.random.seed(123)
    b = second(dict(gt=hr.copy()))
    np.testing.assert_array_equal(a['img'], b['img'])
    assert a['degradation'] == b['degradation']
    outputs = []
    for seed in range(4):
        np.random.seed(seed)
        outputs.append(first(dict(gt=hr.copy()))['img'])
    assert all(not np.array_equal(outputs[0], o) for o in outputs[1:])


def test_noise_pool_is_opened_once_per_process_and_not_pickled(pools, monkeypatch):
    from mmssg.degradation.pools import readers as pool_module
    transform = DomainAdaptedDegradation(*pools)
    assert transform._noise_arrays is None  # nothing opened for sampling at build time
    calls = []
    real_open = pool_module.open_noise_file
    monkeypatch.setattr(pool_module, 'open_noise_file',
                        lambda path: calls.append(path) or real_open(path))
    for _ in range(5):
        transform(dict(gt=_hr()))
    assert len(calls) == 2  # the two noise files, once
    assert all(isinstance(a, Float32NoisePatches) for a in transform._noise_arrays)
    blob = pickle.dumps(transform)
    assert len(
        blob
    ) < 20_000 and b'city_a' in blob  # names, not data (the pool holds 5 x 40 x 40 x 3 floats)
    clone = pickle.loads(blob)
    assert clone._noise_arrays is None
    np.random.seed(0)
    a = clone(dict(gt=_hr()))
    np.random.seed(0)
    np.testing.assert_array_equal(a['img'], transform(dict(gt=_hr()))['img'])


def _noise_pools_in_both_formats(tmp_path):
    """The noise patches of two noisy flat images, as float32 .npy and as compact .npz files."""
    rng = np.random.default_rng(4)
    folders = {fmt: tmp_path / f'noise_{fmt}' for fmt in ('npy', 'npz')}
    for folder in folders.values():
        folder.mkdir()
    for name, level in (('city_a', 3), ('city_b', 7)):
        img = np.clip(rng.normal(120, level, (96, 160, 3)), 0, 255).astype(np.uint8)
        windows = find_noise_windows(img, NoiseCriteria(48, 16, stride=16))
        assert len(windows.corners) > 3
        np.save(folders['npy'] / f'{name}.npy',
                extract_noise_patches(img, windows.corners, 48, windows.means))
        np.savez(folders['npz'] / f'{name}.npz',
                 **pack_noise_patches(img, windows.corners, 48, windows.means))
    return str(folders['npy']), str(folders['npz'])


def test_compact_and_float32_noise_pools_give_bit_identical_samples(pools, tmp_path):
    kernel_dir, _ = pools
    old_dir, new_dir = _noise_pools_in_both_formats(tmp_path)
    old, new = (DomainAdaptedDegradation(kernel_dir, d) for d in (old_dir, new_dir))
    assert old.noise_counts.tolist() == new.noise_counts.tolist()
    hr = _hr()
    for seed in range(8):
        np.random.seed(seed)
        a = old(dict(gt=hr.copy()))
        np.random.seed(seed)
        b = new(dict(gt=hr.copy()))
        assert a['degradation'] == dict(b['degradation'], noise_file=a['degradation']['noise_file'])
        np.testing.assert_array_equal(a['img'], b['img'])
    assert all(isinstance(a, CompactNoisePatches) for a in new._noise_arrays)
    clone = pickle.loads(pickle.dumps(new))  # names, not data
    assert clone._noise_arrays is None and len(pickle.dumps(new)) < 20_000


def test_kernel_pool_estimated_for_another_scale_is_refused(pools, tmp_path):
    kernel_dir, noise_dir = pools
    settings = dict(method='kernelgan', scale=2, kernel_size=25)
    with open(f'{kernel_dir}/summary.json', 'w') as f:
        json.dump(
            dict(
                parameters=dict(scale=2),
                kernel_size=25,
                images=[dict(file='a.png', pool_file='k_a.npy', settings=settings)]), f)
    with pytest.raises(
            ValueError,
            match=r'summary\.json records k_a\.npy as a x2 kernel, but '
            r'the pool is loaded for scale 4'):
        DomainAdaptedDegradation(kernel_dir, noise_dir, scale=4)


def test_bad_pools_and_inputs_raise_errors_naming_path_key_and_value(pools, tmp_path):
    kernel_dir, noise_dir = pools
    with pytest.raises(FileNotFoundError, match='kernel pool folder not found.*no_kernels'):
        DomainAdaptedDegradation(str(tmp_path / 'no_kernels'), noise_dir)
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='noise pool folder .*empty holds no .npy'):
        DomainAdaptedDegradation(kernel_dir, str(tmp_path / 'empty'))
    bad = tmp_path / 'bad_kernels'
    bad.mkdir()
    for name, kernel, match in (('k3d.npy', np.ones(
        (3, 3, 3)) / 27, r'2-D, got shape \(3, 3, 3\)'), ('rect.npy', np.ones(
            (3, 5)) / 15, r'square, got shape \(3, 5\)'), ('sum2.npy', np.ones(
                (3, 3)) / 4.5, 'sum to 1.*got sum 2')):
        np.save(bad / name, kernel)
        with pytest.raises(ValueError, match=match) as err:
            DomainAdaptedDegradation(str(bad), noise_dir)
        assert name in str(err.value)
        (bad / name).unlink()
    transform = DomainAdaptedDegradation(kernel_dir, noise_dir)
    with pytest.raises(ValueError, match=r'40x40, smaller than the LR crop 64x64.*256x256'):
        transform(dict(gt=_hr(256)))
    with pytest.raises(
            ValueError, match=r"results\['gt'\] has size 128x130.*not divisible by the scale 4"):
        transform(dict(gt=data.astronaut()[:130, :128]))
    with pytest.raises(
            ValueError, match=r"results\['gt'\] must be an \(H, W, 3\) image, got \(128, 128\)"):
        transform(dict(gt=data.camera()[:128, :128]))
    with pytest.raises(KeyError, match="no 'gt' key"):
        transform(dict(img=_hr()))


def test_synthetic_kernel_is_an_11x11_gaussian_of_sigma_1_5():
    transform = SyntheticDegradation()
    kernel = transform.kernel
    assert kernel.shape == (11, 11) and abs(kernel.sum() - 1) < 1e-6
    ax = np.arange(-5, 6)
    g = np.exp(-ax**2 / (2 * 1.5**2))
    np.testing.assert_allclose(kernel, np.outer(g, g) / np.outer(g, g).sum(), atol=1e-7)
    np.testing.assert_allclose(
        transform.aligned_kernel, _independent_alignment(kernel, 4), atol=1e-7)


def test_synthetic_noise_has_std_8_on_a_flat_grey_image():
    np.random.seed(0)
    out = SyntheticDegradation()(dict(gt=np.full((512, 512, 3), 128, np.uint8)))
    residual = out['img'] - 128
    # 128^2 * 3 samples: the std estimate is within 0.05 of the truth; rounding adds 1/12 to the
    # variance.
    assert residual.std() == pytest.approx(np.sqrt(64 + 1 / 12), abs=0.08)
    assert abs(residual.mean()) < 0.1
    assert np.array_equal(out['img'], np.rint(out['img']))


def test_synthetic_blur_and_labels_follow_the_lr_grid():
    hr = _hr(256)
    seg = np.full((256, 256), 255, np.uint8)  # ignore
    seg[:, 100:] = 7
    seg[150:, :] = 13
    seg[200::5, ::7] = 2
    transform = SyntheticDegradation(noise_sigma=0, seg_key='gt_seg_map')
    out = transform(dict(gt=hr, gt_seg_map=seg, gt_channel_order='bgr'))
    expected = _independent_degradation(hr, isotropic_gaussian_kernel(11, 1.5), 4, 0)
    assert np.abs(out['img'] - expected).max() <= 1 and np.mean(out['img'] != expected) < 0.002
    assert out['img_channel_order'] == 'bgr'
    lr_seg = out['gt_seg_map']
    assert lr_seg.shape == (64, 64) and lr_seg.dtype == np.uint8
    assert set(np.unique(lr_seg)) <= {2, 7, 13, 255}
    np.testing.assert_array_equal(lr_seg, seg[2::4, 2::4])
    # Boundaries land where the image's do: column 100 of HR is LR column 25.
    assert (lr_seg[:30, 24] == 255).all() and (lr_seg[:30, 25] == 7).all()
    with pytest.raises(ValueError, match=r"results\['gt_seg_map'\] has size \(128, 128\)"):
        transform(dict(gt=hr, gt_seg_map=seg[:128, :128]))


def test_synthetic_degradation_is_reproducible_from_the_global_seed():
    transform = TRANSFORMS.build(dict(type='SyntheticDegradation'))
    hr = _hr()
    np.random.seed(9)
    a = transform(dict(gt=hr))['img']
    np.random.seed(9)
    b = transform(dict(gt=hr))['img']
    np.random.seed(10)
    c = transform(dict(gt=hr))['img']
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
