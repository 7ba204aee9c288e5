# Copyright (c) mmssg contributors. All rights reserved.
"""tools/data/extract_frames.py on real files: the demo's H.264 drive, image folders, corrupt
and truncated videos, and the inputs it refuses.

Videos the tests damage or compare pixel for pixel are written and read here with PyAV
directly, independently of :mod:`mmssg.utils.video`.
"""
import json
import os

import av
import cv2
import numpy as np
import pytest

from mmssg.cli.extract_frames import DEFAULT_MIN_CHANGE, main
from mmssg.demo import make_demo_video
from mmssg.utils import EXIT_OK, EXIT_SKIPPED

FRAMES, SIZE = 16, (48, 24)


def write_video(path, frames, codec='ffv1', pix_fmt='bgr0', fps=10, options=None):
    """Encode RGB uint8 frames with PyAV; returns the path."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream(codec, rate=fps, options=options or {})
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], \
            pix_fmt
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode(None))
    return path


def decode_bgr(path):
    """Every frame of a video as BGR uint8, decoded with PyAV."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format='bgr24') for f in container.decode(video=0)]


def packets(path):
    """``(pos, size)`` of the video packets of a file, in file order."""
    with av.open(str(path)) as container:
        return [(p.pos, p.size) for p in container.demux(video=0) if p.size]


def random_frames(count, seed=0, size=(24, 32)):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size + (3, ), np.uint8) for _ in range(count)]


def run(*args):
    return main([*map(str, args), '--no-progress'])


def summary_of(out):
    with open(out / 'summary.json') as f:
        return json.load(f)


def listing(out):
    return sorted(
        os.path.relpath(os.path.join(root, name), out) for root, _, names in os.walk(out)
        for name in names)


@pytest.fixture(scope='module')
def drive(tmp_path_factory):
    """The demo drive (H.264 in MP4) and what make_demo_video says about it."""
    path = tmp_path_factory.mktemp('drive') / 'drive.mp4'
    return make_demo_video(str(path), FRAMES, SIZE, seed=0)


def kept(indices, offsets, min_change=DEFAULT_MIN_CHANGE):
    """The sampled indices a run keeps: standing frames (same offset as the last kept one)
    are duplicates."""
    result = []
    for index in indices:
        if not result or offsets[index] != offsets[result[-1]] or min_change == 0:
            result.append(index)
    return result


def test_every_nth_frame_of_the_drive_as_decoded_named_by_position(drive, tmp_path):
    out = tmp_path / 'frames'
    assert run(drive['path'], out, '--every', '3') == EXIT_OK
    expected = kept(range(0, FRAMES, 3), drive['offsets'])
    names = [f'drive/drive_{i:06d}.png' for i in expected]
    assert listing(out) == sorted(names + ['summary.json'])
    decoded = decode_bgr(drive['path'])
    for index, name in zip(expected, names):
        np.testing.assert_array_equal(
            cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED), decoded[index])
    summary = summary_of(out)
    assert summary['src_dir'] == os.path.abspath(drive['path'])
    assert (summary['images_found'], summary['images_read']) == (FRAMES, len(range(0, FRAMES, 3)))
    assert summary['skipped'] == [] and summary['frames'] == names
    assert summary['parameters'] == dict(
        every=3, count=None, min_change=DEFAULT_MIN_CHANGE, thumbnail_size=64)
    assert summary['source'] == dict(
        codec='h264',
        pix_fmt='yuv420p',
        width=SIZE[0],
        height=SIZE[1],
        fps=10.0,
        fps_fraction='10',
        frame_count=FRAMES)
    assert summary['frames_kept'] == len(expected)


def test_standing_frames_are_the_duplicates_left_out(drive, tmp_path):
    out = tmp_path / 'frames'
    assert run(drive['path'], out) == EXIT_OK
    summary = summary_of(out)
    assert [d['frame'] for d in summary['duplicates']
            ] == [f'drive/drive_{i:06d}.png' for i in drive['standing']]
    before_stop = drive['standing'][0] - 1
    assert {d['of'] for d in summary['duplicates']} == {f'drive/drive_{before_stop:06d}.png'}
    assert all(d['change'] < DEFAULT_MIN_CHANGE for d in summary['duplicates'])
    assert summary['duplicates_skipped'] == len(drive['standing'])
    assert summary['frames_kept'] == FRAMES - len(drive['standing'])
    # with --min-change 0 every frame is kept
    assert run(drive['path'], tmp_path / 'all', '--min-change', '0') == EXIT_OK
    assert summary_of(tmp_path / 'all')['frames_kept'] == FRAMES


def test_count_keeps_n_frames_evenly_spaced_over_the_video(drive, tmp_path):
    out = tmp_path / 'frames'
    assert run(drive['path'], out, '--count', '5', '--min-change', '0') == EXIT_OK
    positions = np.round(np.linspace(0, FRAMES - 1, 5)).astype(int)
    assert summary_of(out)['frames'] == [f'drive/drive_{i:06d}.png' for i in positions]
    assert summary_of(out)['parameters']['count'] == 5


def test_an_image_folder_by_sub_folder_keeping_bits_and_grey_naming_the_unreadable(tmp_path):
    src = tmp_path / 'footage'
    (src / 'day' / 'one').mkdir(parents=True)
    frames = random_frames(3)
    cv2.imwrite(str(src / 'top.png'), frames[0])
    cv2.imwrite(str(src / 'day' / 'one' / 'a.png'), frames[1])
    cv2.imwrite(str(src / 'day' / 'one' / 'b.png'), frames[1])  # a duplicate of a.png
    (src / 'day' / 'one' / 'c.png').write_bytes(b'\x89PNG\r\n\x1a\n not an image')
    deep = frames[2].astype(np.uint16) * 257 + 3
    cv2.imwrite(str(src / 'day' / 'one' / 'd.png'), deep)
    cv2.imwrite(str(src / 'day' / 'one' / 'e.jpg'), frames[0][..., 0])  # grey
    before = listing(src)
    out = tmp_path / 'frames'
    assert run(src, out) == EXIT_SKIPPED
    assert listing(src) == before
    seq = 'day__one'
    assert listing(out) == sorted([
        'footage/footage_000000.png', f'{seq}/{seq}_000000.png', f'{seq}/{seq}_000003.png',
        f'{seq}/{seq}_000004.png', 'summary.json'
    ])
    written = cv2.imread(str(out / seq / f'{seq}_000003.png'), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint16
    np.testing.assert_array_equal(written, deep)
    grey = cv2.imread(str(out / seq / f'{seq}_000004.png'), cv2.IMREAD_UNCHANGED)
    assert grey.ndim == 2
    summary = summary_of(out)
    assert (summary['images_found'], summary['images_read']) == (6, 5)
    assert [s['file'] for s in summary['skipped']] == ['day/one/c.png']
    assert summary['duplicates'][0]['frame'] == f'{seq}/{seq}_000001.png'


def corrupt_packet(video, number):
    """Flip the last bytes of a video packet (ffv1 keeps its slice sizes there, so the
    decoder refuses the packet); returns the path."""
    data = bytearray(video.read_bytes())
    pos, size = packets(video)[number]
    data[pos + size - 4:pos + size] = bytes(b ^ 0xFF for b in data[pos + size - 4:pos + size])
    video.write_bytes(bytes(data))
    return video


def test_a_corrupt_frame_is_named_and_skipped_the_others_written(tmp_path, capsys):
    video = corrupt_packet(write_video(tmp_path / 'clip.mkv', random_frames(8)), 5)
    out = tmp_path / 'frames'
    assert run(video, out, '--min-change', '0') == EXIT_SKIPPED
    summary = summary_of(out)
    assert [s['file'] for s in summary['skipped']] == ['clip.mkv frame 5']
    assert summary['frames'] == [f'clip/clip_{i:06d}.png' for i in (0, 1, 2, 3, 4, 6, 7)]
    captured = capsys.readouterr()
    assert 'skipped clip.mkv frame 5: undecodable' in captured.err
    assert captured.out.strip().splitlines()[-1].endswith('1 input(s) skipped (listed in '
                                                          f'{out / "summary.json"})')


def test_a_truncated_video_names_its_missing_frames(tmp_path):
    frames = random_frames(10, seed=1)
    video = write_video(tmp_path / 'clip.mkv', frames)
    pos, size = packets(video)[6]
    video.write_bytes(video.read_bytes()[:pos + size // 2])
    out = tmp_path / 'frames'
    assert run(video, out, '--min-change', '0') == EXIT_SKIPPED
    summary = summary_of(out)
    assert summary['frames'] == [f'clip/clip_{i:06d}.png' for i in range(6)]
    assert summary['images_found'] == 10
    (skipped, ) = summary['skipped']
    assert skipped['file'] == 'clip.mkv frame 6' and 'frames 6-9 missing' in skipped['reason']
    for index in range(6):  # the frames before the cut are intact (ffv1 is lossless)
        np.testing.assert_array_equal(
            cv2.imread(str(out / 'clip' / f'clip_{index:06d}.png')), frames[index][..., ::-1])


def empty_video(path):
    """An AVI whose video stream has no frame (an MP4 without frames lists no stream)."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height = 32, 16
        container.start_encoding()
    return path


@pytest.mark.parametrize('kind', ['no frames', 'not a video', 'text', 'empty folder', 'missing'])
def test_bad_sources_are_refused_naming_them_and_nothing_is_written(tmp_path, kind):
    src = tmp_path / {
        'no frames': 'empty.avi',
        'not a video': 'notes.mp4',
        'text': 'notes.txt',
        'empty folder': 'nothing',
        'missing': 'gone.mp4'
    }[kind]
    if kind == 'no frames':
        empty_video(src)
    elif kind == 'empty folder':
        (src / 'sub').mkdir(parents=True)
        (src / 'sub' / 'notes.txt').write_text('no image')
    elif kind != 'missing':
        src.write_text('not a video')
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        run(src, tmp_path / 'out')
    assert str(src) in str(error.value)
    assert {
        'no frames': 'the video holds no frames',
        'not a video': 'not a video file FFmpeg can read',
        'text': 'is not a video file',
        'empty folder': 'no images',
        'missing': 'not found'
    }[kind] in str(error.value)
    assert not (tmp_path / 'out').exists()


def test_out_inside_src_or_src_inside_out_is_refused(tmp_path, drive):
    src = tmp_path / 'footage'
    src.mkdir()
    cv2.imwrite(str(src / 'a.png'), random_frames(1)[0])
    before = listing(src)
    for out in (src, src / 'frames'):
        with pytest.raises(ValueError, match='inside it'):
            run(src, out)
    os.symlink(src, tmp_path / 'link')
    with pytest.raises(ValueError, match='inside it'):
        run(src, tmp_path / 'link' / 'frames')
    with pytest.raises(ValueError, match='lies inside OUT'):
        run(src, tmp_path)
    with pytest.raises(ValueError, match='inside it'):
        run(drive['path'], drive['path'])
    assert listing(src) == before


def test_a_previous_run_is_replaced_only_with_overwrite(tmp_path, drive):
    out = tmp_path / 'frames'
    assert run(drive['path'], out, '--every', '2') == EXIT_OK
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='--overwrite'):
        run(drive['path'], out, '--every', '5')
    assert run(drive['path'], out, '--every', '5', '--overwrite') == EXIT_OK
    frames = summary_of(out)['frames']
    assert listing(out) == sorted(frames + ['summary.json', 'notes.txt'])
    assert (out / 'notes.txt').read_text() == 'mine'
