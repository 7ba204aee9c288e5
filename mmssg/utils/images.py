# Copyright (c) mmssg contributors. All rights reserved.
"""Finding, reading and naming the images of a folder, the same way in every tool."""
import io
import os
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def list_images(folder: str) -> List[str]:
    """Image files under ``folder``, searched recursively, as sorted relative paths.

    Recursive because Cityscapes-like datasets keep one sub-folder per city.
    Suffixes (:data:`IMG_EXTENSIONS`) match case-insensitively. Hidden files
    and folders (``.ipynb_checkpoints`` and the like) are skipped, and
    symlinked sub-folders are not entered, so that a link can neither list
    an image twice nor loop; ``folder`` itself may be a link.

    Args:
        folder (str): The folder to search.

    Returns:
        list[str]: Paths relative to ``folder``; empty when it holds no image.

    Raises:
        FileNotFoundError: ``folder`` does not exist or is not a folder.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder not found (or not a folder): {folder}')
    found = []
    for root, dirs, names in os.walk(folder):  # followlinks=False
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        found += [
            osp.relpath(osp.join(root, name), folder) for name in names
            if not name.startswith('.') and name.lower().endswith(IMG_EXTENSIONS)
        ]
    return sorted(found)


def is_inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it, comparing resolved real paths.

    Links are followed on both sides, so a link to a folder counts as that
    folder. Either path may not exist yet.
    """
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


#: Joins the folders of an image's relative path in a flat output file name.
FOLDER_JOIN = '__'

#: What the EXIF orientation tag (1-8) asks for, as ``(transpose, flip rows, flip columns)``,
#: applied in that order to the stored pixels: the image as a viewer shows it.
_ORIENTATIONS = {
    2: (False, False, True),  # mirrored left-right
    3: (False, True, True),  # rotated 180 degrees
    4: (False, True, False),  # mirrored top-bottom
    5: (True, False, False),  # transposed
    6: (True, False, True),  # rotated 90 degrees clockwise
    7: (True, True, True),  # transversed
    8: (True, True, False),  # rotated 90 degrees counter-clockwise
}

#: The formats (PIL's names) whose EXIF orientation OpenCV's colour decoding applies and its
#: unchanged decoding does not. OpenCV applies a TIFF's orientation in either mode and
#: ignores a WebP's (OpenCV 4.10).
_ORIENTED_BY_COLOUR_DECODING = ('JPEG', 'MPO', 'PNG')

#: Files of these PIL modes are read as something else (:attr:`ImageData.converted`).
_CONVERTED_MODES = {
    '1': 'a 1-bit image',
    'P': 'a palette image',
    'PA': 'a palette image',
    'LA': 'a grey image with alpha',
    'La': 'a grey image with alpha',
    'CMYK': 'a CMYK image',
}
#: What the pixels of each channel count are.
_LAYOUTS = {1: 'grey', 3: 'colour', 4: 'colour with alpha'}

#: PIL modes with an alpha channel (a palette or colour with ``transparency`` has one too).
_ALPHA_MODES = ('LA', 'La', 'PA', 'RGBA', 'RGBa')
#: The PNG colour type of grey with alpha (8 or 16 bits), which OpenCV's decoder gives as
#: colour with alpha (and PIL opens as LA, or as RGBA at 16 bits).
PNG_GREY_ALPHA = 4
#: Formats whose further frames are not more of the picture (a phone JPEG's preview or depth
#: map): only the first is read, as every viewer shows it.
_EXTRA_FRAMES_IGNORED = ('MPO', )


class ImageData(NamedTuple):
    """An image file's pixels, everything it holds, as :func:`decode_image` reads them.

    Attributes:
        pixels (np.ndarray): ``(H, W)`` grey, ``(H, W, 3)`` colour or ``(H, W, 4)``
            colour with alpha (alpha last), uint8 or uint16 as stored.
        converted (str): Empty, or what reading changed about the file (a palette, CMYK
            or 1-bit image), for a message.
        dropped (str): Empty, or what the file holds that OpenCV's decoder does not give
            (the transparency of a grey PNG, the alpha of a grey TIFF).
        grey (bool): The file is grey with alpha: the three colour channels of ``pixels``
            are one grey plane repeated. Default: False.
    """
    pixels: np.ndarray
    converted: str
    dropped: str
    grey: bool = False


class _Header(NamedTuple):
    """What PIL reads from a file's header, without decoding the pixels."""
    format: Optional[str]
    mode: Optional[str]
    orientation: int
    alpha: bool
    frames: int = 1


def _header(data: np.ndarray) -> _Header:
    """A file's PIL format and mode, EXIF orientation and whether it has transparency.

    The orientation is read from the EXIF block that precedes the pixels (a JPEG's APP1, a
    PNG's eXIf chunk before IDAT, where OpenCV looks); 1 when there is none.
    """
    try:
        with Image.open(io.BytesIO(data.tobytes())) as img:
            exif = img.info.get('exif')
            tags = Image.Exif()
            if isinstance(exif, bytes):
                tags.load(exif)
            alpha = img.mode in _ALPHA_MODES or 'transparency' in img.info
            frames = int(getattr(img, 'n_frames', 1))
            return _Header(img.format, img.mode, int(tags.get(0x0112, 1)), alpha, frames)
    except Exception:  # a format or an EXIF block PIL cannot parse: OpenCV alone decides
        return _Header(None, None, 1, False)


def _png_colour_type(data: np.ndarray) -> Optional[int]:
    """A PNG file's colour type (its IHDR chunk, the first), None for another file.

    PIL opens a 16-bit grey + alpha PNG as RGBA; the colour type tells it apart."""
    if data[:8].tobytes() != b'\x89PNG\r\n\x1a\n' or data[12:16].tobytes() != b'IHDR':
        return None
    return int(data[25]) if data.size > 25 else None


def _tiff_rgba_as_stored(data: np.ndarray) -> np.ndarray:
    """An 8-bit RGBA TIFF's BGRA pixels as stored, turned as its orientation tag asks.

    OpenCV reads such a file through libtiff's RGBA interface, which multiplies the colour by
    the alpha: PIL gives the colour as stored.
    """
    with Image.open(io.BytesIO(data.tobytes())) as img:
        rgba = np.asarray(img)
        orientation = int(img.getexif().get(0x0112, 1))
    return apply_orientation(rgba[..., [2, 1, 0, 3]], orientation)


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Stored pixels turned as an EXIF orientation tag asks (1, or any other value: unchanged).

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` pixels as stored.
        orientation (int): The EXIF orientation tag, 1-8.

    Returns:
        np.ndarray: The image as a viewer shows it, C-contiguous.
    """
    transpose, flip_rows, flip_columns = _ORIENTATIONS.get(orientation, (False, False, False))
    if transpose:
        img = img.swapaxes(0, 1)
    if flip_rows:
        img = img[::-1]
    if flip_columns:
        img = img[:, ::-1]
    return np.ascontiguousarray(img)


def _upright_pixels(path: str, data: np.ndarray, header: _Header) -> np.ndarray:
    """A file's samples as OpenCV decodes them (BGR(A), as stored: uint8 or uint16), turned
    upright, with the 8-bit four-channel TIFFs that libtiff's RGBA interface changes read as
    stored (an RGBA one's colour not multiplied by its alpha; a CMYK one without the opaque
    alpha it adds)."""
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)  # BGR(A); EXIF orientation not applied
    if img is None:
        raise ValueError(f'{path}: cannot decode the image (corrupt or not an image file)')
    if img.dtype not in (np.uint8, np.uint16):
        raise ValueError(f'{path}: {img.dtype} samples are not supported; expected an 8- or '
                         '16-bit image')
    if header.format in _ORIENTED_BY_COLOUR_DECODING:
        img = apply_orientation(img, header.orientation)
    if header.format == 'TIFF' and img.ndim == 3 and img.shape[2] == 4 and img.dtype == np.uint8:
        if header.mode == 'RGBA':
            img = _tiff_rgba_as_stored(data)
        elif header.mode == 'CMYK':
            img = img[..., :3]
    return img


def decode_image(path: str, channel_order: str = 'rgb') -> ImageData:
    """Read an image file with everything it holds: grey or colour, alpha, 8 or 16 bits.

    The one image reader of mmssg's tools (:func:`read_image` is its three-channel view).
    EXIF orientation is applied exactly where OpenCV's colour decoding applies it (JPEG, PNG
    and TIFF files; not WebP), so every tool sees the pixels that MMagic's
    ``LoadImageFromFile`` (``mmcv.imfrombytes`` with ``flag='color'``) gives the training
    and test pipelines: the image as a viewer shows it. Grey with alpha is read as colour
    with alpha (OpenCV's decoders give it so; nothing is lost; ``grey`` says so), palette
    images as colour (with alpha when they have transparency), CMYK as colour; ``converted``
    says so. An 8-bit RGBA TIFF keeps its colour as stored (OpenCV alone would multiply it by
    the alpha). Where the file has transparency that OpenCV's decoder does not give (grey PNG
    with a transparent value, grey + alpha TIFF), ``dropped`` says so: a tool that keeps alpha
    refuses the file. A file of several frames (a multi-page TIFF, an animated PNG or WebP) is
    refused rather than read as its first; a phone's MPO JPEG is read as its first picture.

    Args:
        path (str): The image file.
        channel_order (str): 'rgb' or 'bgr' (alpha stays last). Default: 'rgb'.

    Returns:
        ImageData: The pixels and what reading converted.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file is empty, cannot be decoded (corrupt, not an image), holds
            samples of another depth (float, 32-bit) or channel count, or several frames.
    """
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    data = np.fromfile(path, np.uint8)  # names the file when it cannot be opened
    if data.size == 0:
        raise ValueError(f'{path}: empty file, not an image')
    header = _header(data)
    if header.frames > 1 and header.format not in _EXTRA_FRAMES_IGNORED:
        raise ValueError(f'{path}: holds {header.frames} frames ({header.format}); expected a '
                         'single image: save each frame as its own file')
    img = _upright_pixels(path, data, header)
    channels = 1 if img.ndim == 2 else img.shape[2]
    grey = channels == 2 or (channels == 4 and _png_colour_type(data) == PNG_GREY_ALPHA)
    if channels == 2:  # grey + alpha (OpenCV's PNG decoder gives it as BGRA already)
        img, channels = np.dstack([img[..., 0]] * 3 + [img[..., 1]]), 4
    if channels not in (1, 3, 4):
        raise ValueError(f'{path}: {channels} channels are not supported; expected grey, '
                         'colour, or either with alpha')
    if channels > 1 and channel_order == 'rgb':
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if channels == 4 else cv2.COLOR_BGR2RGB)
    dropped = ''
    if header.alpha and channels != 4:
        dropped = f'its transparency ({header.format} {header.mode}), which OpenCV does not read'
    converted, mode = '', 'LA' if grey else header.mode
    if mode in _CONVERTED_MODES:
        converted = (f'{_CONVERTED_MODES[mode]}, read as {img.dtype.itemsize * 8}-bit '
                     f'{_LAYOUTS[channels]}')
    return ImageData(np.ascontiguousarray(img), converted, dropped, grey)


def read_image(path: str, channel_order: str = 'rgb') -> np.ndarray:
    """Read an image file as a three-channel array, at the bit depth it is stored in.

    The three-channel view of :func:`decode_image` (same EXIF orientation policy), for the
    data tools: grey images are repeated to three channels, an alpha channel is dropped,
    8-bit files give uint8 and 16-bit files uint16 (never scaled: each tool decides what 16
    bits become).

    Args:
        path (str): The image file.
        channel_order (str): 'rgb' or 'bgr'. Default: 'rgb'.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 or uint16, C-contiguous.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file is empty, cannot be decoded (corrupt, not an
            image) or holds samples of another depth (float, 32-bit).
    """
    img = decode_image(path, channel_order).pixels
    if img.ndim == 2:
        return np.ascontiguousarray(np.repeat(img[..., None], 3, axis=2))
    return np.ascontiguousarray(img[..., :3])


def output_names(rel_paths: Sequence[str], suffix: str) -> List[str]:
    """Flat output file names of images given by their paths relative to a source folder.

    The one naming rule of the tools that write one file per source image
    into a flat folder (the degradation pools): the relative path without its
    extension, folders joined by :data:`FOLDER_JOIN`, plus ``suffix``. So
    ``aachen/a_leftImg8bit.png`` gives ``aachen__a_leftImg8bit.npy`` and an
    image at the top of the folder keeps its own stem. An image's output name
    does not depend on which other images are there.

    Args:
        rel_paths (Sequence[str]): Paths relative to the source folder, as
            :func:`list_images` gives them.
        suffix (str): Appended to every name, e.g. ``'.npy'``.

    Returns:
        list[str]: One name per path, in the same order.

    Raises:
        ValueError: Two images would share an output name (``a.png`` and
            ``a.jpg`` in one folder, or ``a/b__c.png`` and ``a__b/c.png``);
            the message lists them.
    """
    names = [
        FOLDER_JOIN.join(osp.splitext(rel)[0].replace(os.sep, '/').split('/')) + suffix
        for rel in rel_paths
    ]
    sources = {}
    for name, rel in zip(names, rel_paths):
        sources.setdefault(name, []).append(rel)
    clashes = {name: rels for name, rels in sources.items() if len(rels) > 1}
    if clashes:
        listed = '; '.join(f'{name} <- {", ".join(rels)}' for name, rels in clashes.items())
        raise ValueError(f'{len(clashes)} output name(s) would be shared by several images, '
                         f'rename them: {listed}')
    return names


def source_images(src_dir: str, out_dir: str, suffix: str) -> List[Tuple[str, str]]:
    """The images a folder tool reads, each with the flat name of its output file.

    Args:
        src_dir (str): The source folder, searched recursively (:func:`list_images`).
        out_dir (str): Where the tool writes; must not be ``src_dir``.
        suffix (str): Suffix of the output names (:func:`output_names`).

    Returns:
        list[tuple[str, str]]: ``(path relative to src_dir, output name)`` pairs.

    Raises:
        FileNotFoundError: ``src_dir`` is missing or holds no image.
        ValueError: ``out_dir`` is ``src_dir``, or two images share an output name.
    """
    if not osp.isdir(src_dir):
        raise FileNotFoundError(f'source folder not found (or not a folder): {src_dir}')
    if osp.realpath(out_dir) == osp.realpath(src_dir):
        raise ValueError(f'refusing to write into the source folder {src_dir}; '
                         'choose another output folder')
    rels = list_images(src_dir)
    if not rels:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {src_dir}')
    return list(zip(rels, output_names(rels, suffix)))
