# Copyright (c) mmssg contributors. All rights reserved.
"""Is an LR image JPEG-compressed, and at which quality? From the file, or from its pixels.

JPEG shapes the spectrum that :mod:`.spectral_kernels` reads a blur from (its quantisation
removes fine detail block by block and its block edges add energy at multiples of 1/8 cycle
per pixel), so a kernel pool records which of its images were compressed.

- From the file (:func:`file_jpeg_quality`): a JPEG file's luminance quantisation table
  (``PIL.Image.quantization``) against the IJG encoder's table at every quality (what libjpeg,
  OpenCV and Pillow write); the closest quality, and how far the table is from it (another
  encoder's tables are close to, not equal to, IJG's).
- From the pixels (:func:`blockiness`): an image that was decoded and saved again (PNG) keeps
  its 8x8 block edges. The mean absolute step between neighbouring pixels across each column
  (row) phase modulo 8 is the same at every phase for an image never compressed; after JPEG
  the phase on the blocks' boundary (pixel 8k+7 to 8k+8) steps more (steps clipped at
  :data:`STEP_CLIP`, so that the content's edges do not decide). The score is that
  phase's mean step over the median of all phases', less one, the smaller along the two axes.
  It assumes the file's block grid starts at the first pixel: an image cropped off the grid
  after decoding reads as never compressed. One image's score is noisy (its content's edges
  fall where they fall); a pool's median is not (:data:`POOL_BLOCKINESS_THRESHOLD`).
"""
from typing import NamedTuple, Optional

import numpy as np
from PIL import Image

from .power_spectra import luminance

# The IJG luminance table at quality 50 (ITU-T T.81, Annex K), row-major.
_IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99
])
#: Blockiness above which one image's pixels are taken for decoded JPEG: above the scatter
#: of the development split's images never compressed (their content steps alike at every
#: phase), below most of them at quality 75 (benchmarks/accuracy/kernel_photos.py). At
#: quality 90 and above one image's blocks are often too faint to tell.
BLOCKINESS_THRESHOLD = 0.03
#: The same for the median over a pool's images, whose content's scatter averages out.
POOL_BLOCKINESS_THRESHOLD = 0.02
#: Steps larger than this (grey levels) count as this much: the content's edges are larger
#: than a block edge at the qualities of interest and would drown the boundary's excess.
STEP_CLIP = 6.0
BLOCK = 8
#: :func:`quantised_bins`' margin over the quantisation error's power, chosen on the kernel
#: benchmark's development split (benchmarks/RESULTS.md#kernel_estimation).
QUANTISATION_MARGIN = 1.0
#: :func:`block_edge_bins`: how close to an axis (cycles per pixel) and how far along it
#: JPEG adds power, chosen on the kernel benchmark's development split at x2 and x4, its
#: photographs as they are and area-downscaled by 2 (benchmarks/accuracy/jpeg_block_edges.py,
#: benchmarks/RESULTS.md#kernel_estimation).
BLOCK_EDGE_HALF_WIDTH = 0.05
BLOCK_EDGE_MIN_FREQUENCY = 0.15


class JpegEvidence(NamedTuple):
    """What an image says about JPEG compression.

    Attributes:
        quality (int, optional): The IJG quality of the file's tables (JPEG files only).
        table_error (float, optional): Mean absolute difference of the file's luminance table
            from that quality's IJG table (0: an IJG encoder).
        blockiness (float): :func:`blockiness` of the pixels.
        compressed (bool): A JPEG file, or blockiness over :data:`BLOCKINESS_THRESHOLD`.
    """
    quality: Optional[int]
    table_error: Optional[float]
    blockiness: float
    compressed: bool


def ijg_table(quality: int) -> np.ndarray:
    """The IJG encoder's luminance quantisation table at ``quality`` (1-100), row-major."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip((_IJG_LUMA * scale + 50) // 100, 1, 255)


def quality_from_table(table) -> tuple:
    """``(quality, mean absolute table difference)`` of the IJG table closest to ``table``."""
    table = np.asarray(table, np.float64).reshape(-1)
    if table.size != 64:
        raise ValueError(f'a quantisation table has 64 entries, got {table.size}')
    errors = [np.abs(ijg_table(q) - table).mean() for q in range(1, 101)]
    best = int(np.argmin(errors))
    return best + 1, float(errors[best])


def file_jpeg_quality(path: str) -> Optional[tuple]:
    """``(quality, table error)`` of a JPEG file, None for any other format.

    Args:
        path (str): An image file.
    """
    with Image.open(path) as image:
        if image.format != 'JPEG' or not getattr(image, 'quantization', None):
            return None
        return quality_from_table(image.quantization[0])


def _phase_steps(gray: np.ndarray) -> np.ndarray:
    """Mean absolute step between neighbouring columns, by column phase modulo 8, each step
    clipped at :data:`STEP_CLIP`."""
    steps = np.minimum(np.abs(np.diff(gray, axis=1)), STEP_CLIP)
    usable = steps.shape[1] // BLOCK * BLOCK
    return steps[:, :usable].reshape(steps.shape[0], -1, BLOCK).mean(axis=(0, 1))


def blockiness(image: np.ndarray, name: str = 'image') -> float:
    """How much more the pixels step across the 8 px block boundaries than elsewhere.

    Args:
        image (np.ndarray): See :func:`~.power_spectra.luminance`; at least 16 px a side.
        name (str): How to name the image in error messages. Default: 'image'.

    Returns:
        float: The smaller over both axes of (the boundary phase's mean step over the median
        of the phases) less one; about 0 for an image never compressed.
    """
    gray = luminance(image, name)
    if min(gray.shape) < 2 * BLOCK + 1:
        raise ValueError(f'{name}: size {gray.shape[1]}x{gray.shape[0]} is too small to look '
                         f'for {BLOCK}x{BLOCK} JPEG blocks')
    scores = []
    for axis_view in (gray, gray.T):
        steps = _phase_steps(axis_view)
        # The step from column 8k+7 to 8k+8 crosses a block boundary of the file's grid.
        scores.append(steps[BLOCK - 1] / max(float(np.median(steps)), 1e-9) - 1)
    return float(min(scores))


def jpeg_evidence(image: np.ndarray,
                  path: Optional[str] = None,
                  name: str = 'image') -> JpegEvidence:
    """The file's and the pixels' evidence of JPEG compression.

    Args:
        image (np.ndarray): The decoded pixels.
        path (str, optional): The file they came from (its format and tables).
        name (str): How to name the image in error messages. Default: 'image'.
    """
    from_file = file_jpeg_quality(path) if path is not None else None
    score = blockiness(image, name)
    quality, table_error = from_file if from_file else (None, None)
    return JpegEvidence(quality, table_error, score, bool(from_file
                                                          or score > BLOCKINESS_THRESHOLD))


def quantised_bins(power: np.ndarray, quality: int, margin: float = QUANTISATION_MARGIN):
    """The periodogram bins that JPEG's quantisation at ``quality`` has changed.

    A DCT coefficient quantised with step ``Q`` keeps its value only while its power is
    well above the quantisation error's, ``Q^2 / 12``; below, it is zeroed or rounded and the
    spectrum there is the encoder's, not the camera's. Each bin is compared with the step of
    the IJG luminance table at the DCT frequency nearest to it (basis ``u`` of an 8-point DCT
    has ``u / 16`` cycles per pixel).

    Args:
        power (np.ndarray): ``(tile, tile)`` periodogram in FFT order
            (:class:`~.power_spectra.PowerSpectrum`), luminance on the 0-255 scale.
        quality (int): The encoder's quality (:func:`file_jpeg_quality`).
        margin (float): A bin is changed when its power is under ``margin * Q^2 / 12``.
            Default: :data:`QUANTISATION_MARGIN`.

    Returns:
        np.ndarray: Boolean ``(tile, tile)``, True where quantisation decides the power.
    """
    table = ijg_table(quality).reshape(BLOCK, BLOCK)
    freqs = np.abs(np.fft.fftfreq(power.shape[0]))
    index = np.minimum(np.round(2 * BLOCK * freqs), BLOCK - 1).astype(int)
    steps = table[index[:, None], index[None, :]]
    return power < margin * steps**2 / 12


def block_edge_bins(tile: int,
                    half_width: float = BLOCK_EDGE_HALF_WIDTH,
                    min_frequency: float = BLOCK_EDGE_MIN_FREQUENCY) -> np.ndarray:
    """The periodogram bins where JPEG adds power whatever the quality: near the axes.

    A block's edges are lines along a column or a row, and the DCT bases that vary along one
    axis only are quantised with the table's smallest steps, so that their rounding noise
    survives where the diagonal bases are zeroed: both raise the power of the bins close to
    an axis at the higher frequencies along it, which a blur fit reads as a narrower blur
    along that axis. These bins depend on the tile only, not on the image's power.

    Args:
        tile (int): Side of the periodogram (:data:`~.power_spectra.SPECTRUM_TILE`).
        half_width (float): A bin closer than this to an axis (cycles per pixel)...
            Default: :data:`BLOCK_EDGE_HALF_WIDTH`.
        min_frequency (float): ...and further than this along it is one. Default:
            :data:`BLOCK_EDGE_MIN_FREQUENCY`.

    Returns:
        np.ndarray: Boolean ``(tile, tile)`` in FFT order, True where the blocks add power.
    """
    freqs = np.abs(np.fft.fftfreq(tile))
    across = np.minimum(freqs[:, None], freqs[None, :])
    along = np.maximum(freqs[:, None], freqs[None, :])
    return (across < half_width) & (along > min_frequency)
