# Copyright (c) mmssg contributors. All rights reserved.
"""Where ``tools/inference.py`` writes each result, and in which format.

Paths are compared as resolved real paths (links followed): the output folder may not be the
input folder or inside it, no result may land on an input file, and no two inputs may share a
result. A result goes in its input's format where that format holds it (:data:`FORMATS`),
else as a PNG next to where it was planned, or it is skipped with the reason.
"""
import os.path as osp

from mmssg.utils import IMG_EXTENSIONS, is_inside, list_images

#: Every image suffix names a result file when INPUT is a single image.
OUTPUT_EXTENSIONS = IMG_EXTENSIONS
#: What OpenCV writes in each format without losing samples or channels:
#: ``(name, bits per sample, channel counts)``; 4 channels are colour + alpha.
FORMATS = {
    '.png': ('a PNG', (8, 16), (1, 3, 4)),
    '.tif': ('a TIFF', (8, 16), (1, 3, 4)),
    '.tiff': ('a TIFF', (8, 16), (1, 3, 4)),
    '.jpg': ('a JPEG', (8, ), (1, 3)),
    '.jpeg': ('a JPEG', (8, ), (1, 3)),
    '.bmp': ('a BMP', (8, ), (1, 3)),
    '.webp': ('a WebP', (8, ), (3, 4)),
    '.ppm': ('a PPM', (8, 16), (3, )),
    '.pgm': ('a PGM', (8, 16), (1, )),
}


def list_inputs(path):
    """The image files of INPUT (a file or a folder, recursively), sorted."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input {path} does not exist')
    files = [osp.join(path, name) for name in list_images(path)]
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {path}')
    return files


def result_suffix(path, ext):
    """The suffix of an input's result: ``--ext auto`` keeps the input's own, else .png/.jpg."""
    own = osp.splitext(path)[1]
    if ext == 'auto':
        return own if own.lower() in FORMATS else '.png'
    return f'.{ext}'


def names_a_file(input_root, output):
    """Whether OUTPUT is the result file of a single input (rather than a folder)."""
    return osp.isfile(input_root) and output.lower().endswith(OUTPUT_EXTENSIONS)


def output_paths(inputs, input_root, output, suffix, ext='auto'):
    """Where each result goes; refuses to write into the input folder (the output folder
    itself or any result), over an input, or one result for two inputs.

    Both checks use resolved real paths, so an output folder that is a link to the
    input folder (or a link to an input file) is refused like the folder itself.

    Args:
        inputs (list[str]): The input files.
        input_root (str): INPUT, the file or folder they come from.
        output (str): OUTPUT, a result file (for a single input) or a folder.
        suffix (str): Appended to the results' names.
        ext (str): ``'auto'``, ``'png'`` or ``'jpg'`` (:func:`result_suffix`).

    Returns:
        list[str]: One result path per input, in order.
    """
    single = osp.isfile(input_root)
    if names_a_file(input_root, output):
        named = FORMATS[osp.splitext(output)[1].lower()][0]
        if ext != 'auto' and named != FORMATS[f'.{ext}'][0]:
            raise ValueError(f'OUTPUT {output} names {named} file but --ext {ext} was '
                             f'given; name a .{ext} file or leave --ext out')
        targets = [osp.abspath(output)]
    else:
        base = osp.dirname(osp.abspath(input_root)) if single else input_root
        if not single and is_inside(output, base):
            raise ValueError(f'output folder {output} is the input folder {input_root} or inside '
                             f'it (resolved: {osp.realpath(output)}); choose another one')
        targets = [
            osp.join(
                osp.abspath(output),
                osp.splitext(osp.relpath(p, base))[0] + suffix + result_suffix(p, ext))
            for p in map(osp.abspath, inputs)
        ]
    if not single:
        inside = [dst for dst in targets if is_inside(dst, input_root)]
        if inside:
            raise ValueError(f'{len(inside)} result(s) would land inside the input folder '
                             f'{input_root}, e.g. {inside[0]}, and be read as inputs by a '
                             'rerun; choose an output folder that does not hold it')
    clashes = set(map(osp.realpath, inputs)) & set(map(osp.realpath, targets))
    if clashes:
        raise ValueError(f'refusing to overwrite input file(s): {sorted(clashes)}')
    sources = {}
    for src, dst in zip(inputs, targets):
        sources.setdefault(osp.realpath(dst), []).append(src)
    shared = {dst: srcs for dst, srcs in sources.items() if len(srcs) > 1}
    if shared:
        listed = '; '.join(f'{dst} <- {", ".join(srcs)}' for dst, srcs in shared.items())
        raise ValueError(f'several inputs would share a result, so one would be lost: {listed}; '
                         "rename them (--ext auto keeps each input's suffix)")
    return targets


def unheld(path, image):
    """What the format of ``path`` cannot hold of ``image`` (a phrase), '' when it holds it.

    Args:
        path (str): The result file; its suffix is a key of :data:`FORMATS`.
        image (np.ndarray): An image in the layout of the result (grey ``(H, W)``,
            colour, colour + alpha), uint8 or uint16.
    """
    name, depths, counts = FORMATS[osp.splitext(path)[1].lower()]
    bits = image.dtype.itemsize * 8
    channels = 1 if image.ndim == 2 else image.shape[2]
    if bits not in depths:
        return f'{name} cannot hold {bits}-bit samples'
    if channels not in counts:
        held = {1: 'a grey image', 3: 'a colour image', 4: 'an alpha channel'}[channels]
        return f'{name} cannot hold {held}'
    return ''


def result_path(dst, image, args, taken):
    """Where a decoded input's result goes, with a note; or None and why it is skipped.

    The planned ``dst`` when its format holds the result; with ``--ext auto`` (and no
    result file named by OUTPUT), else the PNG next to it when no input or other result has
    that name. A file whose transparency OpenCV cannot read is skipped: its result would
    lose it.

    Args:
        dst (str): The planned result path (:func:`output_paths`).
        image (ImageData): The decoded input (:func:`~mmssg.utils.images.decode_image`).
        args (Namespace): The parsed command line (``ext``, ``named_output``).
        taken (set[str]): Real paths of every input and planned result; a PNG chosen
            instead is added.

    Returns:
        tuple: ``(path, note)``, the note saying why the result is a PNG (or empty), or
        ``(None, reason)``.
    """
    if image.dropped:
        return None, f'{image.dropped}; save it as an RGBA PNG'
    problem = unheld(dst, image.pixels)
    if not problem:
        return dst, ''
    if args.named_output:
        return None, f'{problem}, as OUTPUT {dst} asks; name a .png file'
    if args.ext != 'auto':
        return None, f'--ext {args.ext}: {problem}; use --ext png or auto'
    png = osp.splitext(dst)[0] + '.png'
    if osp.realpath(png) in taken:
        return None, f'{problem}, and {png} is taken; use --suffix'
    taken.add(osp.realpath(png))
    return png, f'{problem}, so its result is a PNG: {png}'
