# Copyright (c) mmssg contributors. All rights reserved.
"""Tiled super-resolution of frames too large to process in one piece."""
from typing import Callable, Iterator, Optional, Tuple

from torch import Tensor


def tile_boxes(
        height: int, width: int, tile: int,
        overlap: int) -> Iterator[Tuple[Tuple[int, int, int, int], Tuple[int, int, int, int]]]:
    """Yield (core box, context box) pairs that tile an image.

    Core boxes partition the image into ``tile`` x ``tile`` pieces (smaller at
    the right and bottom edges); each context box is its core box grown by
    ``overlap`` pixels on every side, clipped to the image. Boxes are
    ``(top, left, bottom, right)`` in input pixels.

    Args:
        height (int): Image height.
        width (int): Image width.
        tile (int): Core tile size.
        overlap (int): Context added around each core tile.
    """
    if tile <= 0 or overlap < 0:
        raise ValueError(f'tile must be positive and overlap non-negative, got {tile}, {overlap}')
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            bottom, right = min(top + tile, height), min(left + tile, width)
            yield ((top, left, bottom, right), (max(top - overlap, 0), max(left - overlap, 0),
                                                min(bottom + overlap,
                                                    height), min(right + overlap, width)))


def tiled_forward(fn: Callable[[Tensor], Tensor],
                  inputs: Tensor,
                  tile: Optional[int] = None,
                  overlap: int = 16,
                  progress: Optional[Callable[[int, int], None]] = None) -> Tensor:
    """Apply an image-to-image network to overlapping tiles and stitch the cores.

    Each output pixel comes from the tile whose core contains it, computed
    with ``overlap`` input pixels of real context on every side (or the true
    image border). For a network whose receptive field reaches at most
    ``overlap`` input pixels, the result equals ``fn(inputs)``; beyond that it
    differs only by the missing far context, without visible seams. Peak
    memory is that of one tile of ``tile + 2 * overlap`` pixels.

    Args:
        fn (Callable): The network, e.g. ``model.generator``; (N, C, h, w) ->
            (N, C', s*h, s*w) for an integer scale s.
        inputs (Tensor): (N, C, H, W) input.
        tile (int, optional): Core tile size in input pixels; ``None`` or a
            size covering the image runs ``fn`` once on the whole input.
        overlap (int): Context in input pixels. Defaults to 16.
        progress (Callable, optional): Called as ``progress(done, total)``
            after each tile.

    Returns:
        Tensor: The stitched output.
    """
    height, width = inputs.shape[-2:]
    if tile is None or (height <= tile and width <= tile):
        return fn(inputs)
    boxes = list(tile_boxes(height, width, tile, overlap))
    output, scale = None, None
    for done, ((top, left, bottom, right), (ctop, cleft, cbottom, cright)) in enumerate(boxes, 1):
        piece = fn(inputs[..., ctop:cbottom, cleft:cright])
        if output is None:
            scale = piece.shape[-1] // (cright - cleft)
            if piece.shape[-1] != scale * (cright - cleft) or piece.shape[-2] != scale * (cbottom -
                                                                                          ctop):
                raise ValueError(f'tiled_forward needs an integer scale; a {cbottom - ctop}x'
                                 f'{cright - cleft} tile gave {tuple(piece.shape[-2:])}')
            output = piece.new_empty(*piece.shape[:-2], height * scale, width * scale)
        output[..., top * scale:bottom * scale,
               left * scale:right * scale] = piece[...,
                                                   (top - ctop) * scale:(bottom - ctop) * scale,
                                                   (left - cleft) * scale:(right - cleft) * scale]
        if progress is not None:
            progress(done, len(boxes))
    return output
