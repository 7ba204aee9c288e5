# Copyright (c) mmssg contributors. All rights reserved.
"""Small ranking studies for the MOR tests: photo crops blurred by known amounts."""
import hashlib
import os

import cv2
import numpy as np
from skimage import data as skdata

# method -> Gaussian blur sigma (HR pixels); less blur is better, so the true order is this one
BLUR = {'sharp': 0.0, 'soft': 1.6, 'blurry': 3.5}
PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket')
HR_SIZE = (240, 160)  # width, height; the LR reference is a quarter of it


def make_study_folders(root, photos=PHOTOS, blur=None):
    """Write ``root/<method>/<photo>.png`` and ``root/lr/<photo>.png``.

    Args:
        root (pathlib.Path): Where to write.
        photos (Sequence[str]): scikit-image photos, one study image each.
        blur (dict, optional): ``{method: sigma}``; :data:`BLUR` by default.

    Returns:
        tuple[dict, Path]: ``{method: folder}`` and the LR folder.
    """
    blur = BLUR if blur is None else blur
    folders = {name: root / name for name in blur}
    for folder in [*folders.values(), root / 'lr']:
        folder.mkdir(parents=True, exist_ok=True)
    width, height = HR_SIZE
    for photo in photos:
        rgb = getattr(skdata, photo)()
        top, left = (rgb.shape[0] - height) // 2, (rgb.shape[1] - width) // 2
        crop = np.ascontiguousarray(rgb[top:top + height, left:left + width, ::-1])  # BGR
        for name, sigma in blur.items():
            out = cv2.GaussianBlur(crop, (0, 0), sigma) if sigma else crop
            cv2.imwrite(str(folders[name] / f'{photo}.png'), out)
        lr = cv2.resize(crop, (width // 4, height // 4), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(root / 'lr' / f'{photo}.png'), lr)
    return folders, root / 'lr'


def file_digests(folders):
    """``{sha1 of the file's bytes: method}`` for every image of the method folders."""
    digests = {}
    for name, folder in folders.items():
        for file in os.listdir(folder):
            with open(os.path.join(folder, file), 'rb') as f:
                digests[hashlib.sha1(f.read()).hexdigest()] = name
    return digests
