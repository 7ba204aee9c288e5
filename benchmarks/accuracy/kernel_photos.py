# Copyright (c) mmssg contributors. All rights reserved.
"""The clean HR photographs of the sealed kernel benchmark (:mod:`.kernel_cameras`), by split.

The ``dev`` split is where the spectral fit's settings may be chosen: scikit-image's
photographs and the demo's renders (what the fit was tuned on before the split existed), two
photographs of the installed wheels, and (added when the split was widened for the interval's
band term) three more of scikit-image's and seven camera photographs of OpenCV's sample data,
which the Debian package ``opencv-doc`` ships (``tools/setup_env.sh`` installs it as root). The
``test`` split is scored once per change and
never used to choose: eight real photographs that no setting was ever chosen on, shipped in
wheels the environment installs anyway (pyiqa's Kodak references and test frames,
matplotlib's sample photograph), so nothing is downloaded at run time.

A source is named ``'<package>:<path in the package's distribution>'``, ``'skimage:<name>'``,
``'debian:<package>:<path under /usr/share/doc/<package>>'`` or ``'render:<index>'``. JPEG
sources are area-downscaled by :data:`JPEG_DOWNSCALE` (or their entry's own factor) before
use: their own compression and softness would otherwise count as the camera's blur. BMP and
PNG sources are used as they are.
"""
import importlib.metadata
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np

#: The development split: settings may be chosen on it.
DEV_IMAGES = ('skimage:astronaut', 'skimage:camera', 'skimage:immunohistochemistry',
              'skimage:retina', 'skimage:moon', 'skimage:gravel', 'skimage:hubble_deep_field',
              'skimage:brick', 'skimage:grass', 'skimage:cell', 'render:0', 'render:1', 'render:2',
              'pyiqa:ResultsCalibra/ref_dir/I19.bmp',
              'pyiqa:tests/test_efficiency_img_dir/frame_9ogwhvvy7gfj6jzh.jpg', 'skimage:coffee',
              'skimage:chelsea', 'skimage:motorcycle_left',
              'debian:opencv-doc:examples/data/aloeL.jpg',
              'debian:opencv-doc:examples/data/leuvenA.jpg',
              'debian:opencv-doc:examples/data/ela_original.jpg',
              'debian:opencv-doc:examples/data/building.jpg',
              'debian:opencv-doc:examples/data/graf1.png',
              'debian:opencv-doc:examples/data/rubberwhale1.png',
              'debian:opencv-doc:examples/data/basketball1.png')
#: The sealed test split: scored once per change, never used to choose a setting.
TEST_IMAGES = ('pyiqa:ResultsCalibra/ref_dir/I03.bmp', 'pyiqa:ResultsCalibra/ref_dir/I04.bmp',
               'pyiqa:ResultsCalibra/ref_dir/I06.bmp', 'pyiqa:ResultsCalibra/ref_dir/I08.bmp',
               'pyiqa:tests/test_efficiency_img_dir/SPAQ_10241.jpg',
               'pyiqa:tests/test_efficiency_img_dir/frame_4wrwr48cdk6rbcjl.jpg',
               'pyiqa:tests/test_efficiency_img_dir/frame_7gzdcz9sif0ekg31.jpg',
               'matplotlib:matplotlib/mpl-data/sample_data/grace_hopper.jpg')
SPLITS = dict(dev=DEV_IMAGES, test=TEST_IMAGES)
#: Area-downscaling of a JPEG source: each LR pixel of the clean HR image averages 3x3 of
#: the file's, which spreads a JPEG block's edges over less than three pixels and lowers
#: the compression noise ninefold in power.
JPEG_DOWNSCALE = 3
#: Sources too small for :data:`JPEG_DOWNSCALE` (grace_hopper is 512x600: a third leaves
#: under one 64 px LR tile at x4), downscaled by 2 instead.
DOWNSCALE = {
    'matplotlib:matplotlib/mpl-data/sample_data/grace_hopper.jpg': 2,
    'debian:opencv-doc:examples/data/leuvenA.jpg': 2,
    'debian:opencv-doc:examples/data/ela_original.jpg': 2,
    'debian:opencv-doc:examples/data/building.jpg': 2
}
RENDER_SIZE = (1024, 512)  # (width, height): the demo's HR frames
PHOTO_SIZE = 512  # scikit-image photographs: centre crop side


def debian_file(source: str) -> str:
    """The path of ``'debian:<package>:<path>'``: ``/usr/share/doc/<package>/<path>``.

    Raises:
        FileNotFoundError: The Debian package or the file is not installed.
    """
    _, package, rel = source.split(':', 2)
    path = osp.join('/usr/share/doc', package, rel)
    if osp.isfile(path):
        return path
    if osp.isfile(f'/var/lib/dpkg/info/{package}.list'):
        raise FileNotFoundError(
            f'{source}: {path} does not exist although {package} is installed: dpkg may be told '
            'to leave out /usr/share/doc (a path-exclude in /etc/dpkg/dpkg.cfg.d/, as minimal '
            'container images have); tools/setup_env.sh run as root reinstalls it with the '
            "path included (apt-get install --reinstall -o 'Dpkg::Options::=--path-include="
            f"/usr/share/doc/{package}/*' {package})")
    raise FileNotFoundError(f'{source}: {path} does not exist; install the Debian package '
                            f'as root: apt-get install -y {package}')


def package_file(source: str) -> str:
    """The path of ``'<package>:<path>'`` inside the installed distribution.

    Raises:
        FileNotFoundError: The distribution or the file is not installed.
    """
    if source.startswith('debian:'):
        return debian_file(source)
    package, rel = source.split(':', 1)
    try:
        path = str(importlib.metadata.distribution(package).locate_file(rel))
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(f'{source}: package {package!r} is not installed') from None
    if not osp.isfile(path):
        raise FileNotFoundError(f'{source}: {path} does not exist in the installed {package}')
    return path


def read_source(source: str) -> np.ndarray:
    """The clean HR uint8 RGB image of one source (see the module's docstring)."""
    kind, name = source.split(':', 1)
    if kind == 'render':
        from mmssg.demo import generate_scene
        return generate_scene(0, 'clean', int(name), RENDER_SIZE)[0]
    if kind == 'skimage':
        from skimage import data

        # the stereo pair's left view: scikit-image names it in a pair only
        photo = data.stereo_motorcycle()[0] if name == 'motorcycle_left' else getattr(data, name)()
        photo = np.repeat(photo[..., None], 3, axis=2) if photo.ndim == 2 else photo[..., :3]
        top, left = ((side - min(side, PHOTO_SIZE)) // 2 for side in photo.shape[:2])
        return photo[top:top + PHOTO_SIZE, left:left + PHOTO_SIZE]
    path = package_file(source)
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'{source}: {path} could not be read as an image')
    if path.lower().endswith(('.jpg', '.jpeg')):
        factor = DOWNSCALE.get(source, JPEG_DOWNSCALE)
        height, width = (side // factor for side in image.shape[:2])
        image = cv2.resize(
            image[:height * factor, :width * factor], (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image[..., ::-1])


def load_split(split: str) -> List[Tuple[str, np.ndarray]]:
    """``[(source, clean HR uint8 RGB)]`` of a split, in its fixed order.

    Args:
        split (str): ``'dev'`` or ``'test'``.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {sorted(SPLITS)}, got {split!r}')
    return [(source, read_source(source)) for source in SPLITS[split]]
