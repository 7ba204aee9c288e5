# Copyright (c) mmssg contributors. All rights reserved.
"""The hidden camera: its kernel, its sampling grid, its noise."""
import numpy as np
import pytest
from scipy import ndimage

from mmssg.demo import camera as cam
from mmssg.demo.labels import SKY
from mmssg.demo.render import CAMERA_STREAM, generate_scene, scene_rng


def test_camera_kernel_has_the_configured_shape():
    camera = cam.CameraModel()
    kernel = cam.camera_kernel(camera)
    assert kernel.shape == (2 * camera.blur_radius, ) * 2
    assert kernel.sum() == pytest.approx(1.0)
    taps = np.arange(kernel.shape[0]) - (kernel.shape[0] - 1) / 2
    cols, rows = np.meshgrid(taps, taps)
    x, y = cols, -rows  # screen coordinates with y up
    cov = np.array([[np.sum(kernel * x * x), np.sum(kernel * x * y)],
                    [np.sum(kernel * x * y), np.sum(kernel * y * y)]])
    assert np.sum(kernel * x) == pytest.approx(0, abs=1e-9)  # centred between the taps
    values, vectors = np.linalg.eigh(cov)
    # truncation at 3.2 sigma shrinks the variance by a few per cent
    assert np.sqrt(values) == pytest.approx([camera.blur_sigma_minor, camera.blur_sigma_major],
                                            rel=0.05)
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])) % 180
    assert angle == pytest.approx(camera.blur_angle_deg, abs=1.0)


def test_downsampling_takes_block_centres():
    camera = cam.CameraModel()
    ramp_x = np.tile(np.arange(64, dtype=np.float32), (32, 1))
    lr = cam.blur_and_downsample(ramp_x, camera)
    assert lr.shape == (8, 16)
    # away from the mirrored borders a symmetric kernel reproduces the block centre 4j + 1.5
    np.testing.assert_allclose(
        lr[2:-2, 2:-2], (4 * np.arange(16) + 1.5)[None, 2:-2] * np.ones((4, 1)), atol=1e-3)
    labels = (np.arange(16)[:, None] * 16 + np.arange(16)[None, :]).astype(np.uint8)
    np.testing.assert_array_equal(cam.camera_label_downsample(labels, 4), labels[2::4, 2::4])
    with pytest.raises(ValueError, match='needs an even scale, got 3'):
        cam.blur_and_downsample(ramp_x, cam.CameraModel(scale=3))


def test_real_lr_is_blurred_and_noisy_as_configured():
    """Real LR = blur + subsample + noise: less detail than a box down-sampling of the HR
    render, and a residual against the noise-free camera output whose standard deviation
    in the sky is the configured one.

    Tolerance of the noise check: JPEG (quality 90, 4:2:0) quantises away part of the
    high-frequency noise and moves chroma noise between channels; measured over 12 scenes
    the ratio measured/configured std is 0.95 on average (0.87 for green, 1.02 for blue),
    each image within [0.78, 1.2] per channel. Pooling three scenes and three channels
    (~1500 sky pixels, sampling error ~2%) the ratio must lie in [0.8, 1.1]; a camera without
    noise gives ~0.1, one with twice the noise ~1.9.
    """
    camera = cam.CameraModel()
    residuals, expected = [], []
    for index in range(3):
        hr, labels = generate_scene(5, 'train', index, (512, 256))
        lr = cam.apply_camera(hr, camera, scene_rng(5, 'train', index,
                                                    CAMERA_STREAM)).astype(np.float64)
        box = hr.reshape(64, 4, 128, 4, 3).mean(axis=(1, 3))

        def high_frequency_energy(image):
            return np.mean(ndimage.laplace(image.mean(-1))**2)

        assert high_frequency_energy(lr) < 0.85 * high_frequency_energy(box)
        clean = cam.blur_and_downsample(hr, camera)
        sky = ndimage.binary_erosion(
            cam.camera_label_downsample(labels, 4) == SKY, np.ones((5, 5)), border_value=0)
        assert sky.sum() > 100
        residual = (lr - clean)[sky]
        assert np.abs(residual.mean()) < 1.0  # zero-mean noise, no colour shift
        residuals.append(residual)
        expected.append(camera.noise_sigma(clean[sky]))
    ratio = np.concatenate(residuals).std() / np.sqrt(np.mean(np.concatenate(expected)**2))
    assert 0.8 < ratio < 1.1
