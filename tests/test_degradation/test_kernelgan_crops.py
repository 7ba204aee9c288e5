# Copyright (c) mmssg contributors. All rights reserved.
"""KernelGAN inputs: image validation and gradient-weighted crop sampling."""
import numpy as np
import pytest

from mmssg.degradation.kernelgan import estimate_kernels
from mmssg.degradation.kernelgan.crops import crop_probability_map, prepare_image

pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.mark.parametrize('shape, message', [
    ((100, ), r'\(100,\)'),
    ((2, 100, 100, 3), r'\(2, 100, 100, 3\)'),
    ((100, 100, 2), r'\(100, 100, 2\)'),
    ((50, 80), '80x50'),
    ((80, 63, 3), '63x80'),
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
