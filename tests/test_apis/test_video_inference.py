# Copyright (c) mmssg contributors. All rights reserved.
"""tools/inference.py with a video: a video out with the input's frame rate and frame count,
each frame what :func:`mmssg.apis.super_resolve` gives for the decoded input frame.

Exactness is checked through a lossless codec: an FFV1 input (RGB, ``bgr0``) gives an FFV1
output, whose decoded frames must equal ``super_resolve`` of the decoded input frames bit for
bit (8 and 16 bits). The demo's H.264 drive gives H.264 (``libx264``, ``yuv420p``, CRF 18):
its frames must equal those of the same encode of the same ``super_resolve`` results, made
here with PyAV directly (x264 is deterministic for given settings and input).
"""
import av
import numpy as np
import pytest
import torch
from mmagic.registry import MODELS

from mmssg.apis import init_model, super_resolve
from mmssg.cli import inference as inference_tool
from mmssg.demo import make_demo_video
from mmssg.testing import tiny_generator_config
from mmssg.utils import EXIT_OK, EXIT_SKIPPED

#: The config's tiling: a 24x32 frame is cut in 3 x 4 tiles.
TILE, OVERLAP = 8, 4


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A config (tiny generator, tiles of 8 with overlap 4), a checkpoint, the model."""
    root = tmp_path_factory.mktemp('tiny_video')
    config = str(root / 'tiny.py')
    cfg = tiny_generator_config(config, TILE, OVERLAP)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    for p in model.generator.parameters():  # a result that varies with its input
        p.data.normal_(0, 0.3)
    checkpoint = str(root / 'iter_1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint, init_model(config, checkpoint)


def run(tiny, *args, workers=2):
    config, checkpoint, _ = tiny
    return inference_tool.main(
        [config, checkpoint, *map(str, args), '--workers',
         str(workers), '--device', 'cpu'])


def write_video(path, frames, codec='ffv1', pix_fmt='bgr0', fps=25, source_format='rgb24'):
    """Encode frames with PyAV; returns the path."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], \
            pix_fmt
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format=source_format)))
        container.mux(stream.encode(None))
    return path


def decoded_frames(container, stream):
    """The frames of a stream, leaving out those of packets the decoder refuses."""
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.InvalidDataError:
            continue


def decode(path, fmt='bgr24'):
    """``(frames, pts in frame units, fps, codec, pix_fmt)`` of a video, decoded with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate
        frames, positions = [], []
        for frame in decoded_frames(container, stream):
            frames.append(frame.to_ndarray(format=fmt))
            positions.append(int(round(frame.pts * stream.time_base * rate)))
        return frames, positions, rate, stream.codec_context.name, stream.codec_context.pix_fmt


def random_frames(count, dtype=np.uint8, seed=0, size=(24, 32)):
    rng = np.random.default_rng(seed)
    peak = np.iinfo(dtype).max
    return [rng.integers(0, peak + 1, size + (3, ), dtype) for _ in range(count)]


def expected(model, frames, **kwargs):
    """super_resolve of each BGR frame with the config's tiles."""
    return [super_resolve(model, f, TILE, OVERLAP, channel_order='bgr', **kwargs) for f in frames]


def test_a_lossless_video_gives_each_frame_super_resolved_at_its_rate(tiny, tmp_path, capsys):
    video = write_video(tmp_path / 'drive.mkv', random_frames(6), fps=25)
    assert run(tiny, video, tmp_path / 'sr') == EXIT_OK
    inputs, _, _, _, _ = decode(video)
    outputs, positions, rate, codec, pix_fmt = decode(tmp_path / 'sr' / 'drive.mkv')
    assert (rate, codec, pix_fmt, positions) == (25, 'ffv1', 'bgr0', list(range(6)))
    for output, result in zip(outputs, expected(tiny[2], inputs), strict=True):
        np.testing.assert_array_equal(output, result)
    captured = capsys.readouterr()
    bar = [line for line in captured.err.split('\r') if line.startswith('super-resolving: 100%')]
    assert '6/6' in bar[-1] and ('frame/s' in bar[-1] or 's/frame' in bar[-1])  # in frames
    assert 'encoded: ffv1 (ffv1), bgr0, 25 fps' in captured.out
    assert captured.out.strip().splitlines()[-1] == (
        f'wrote 6 frame(s) to {tmp_path / "sr" / "drive.mkv"}; skipped 0 unreadable frame(s)')


def test_sixteen_bits_and_outscale_with_workers_off(tiny, tmp_path):
    frames = random_frames(3, np.uint16, seed=1)
    video = write_video(
        tmp_path / 'deep.mkv', frames, pix_fmt='gbrp16le', fps=10, source_format='rgb48le')
    out = tmp_path / 'deep_sr.mkv'
    assert run(tiny, video, out, '--outscale', '2', workers=0) == EXIT_OK
    inputs = decode(video, 'bgr48le')[0]
    outputs, _, rate, codec, pix_fmt = decode(out, 'bgr48le')
    assert (rate, codec, pix_fmt) == (10, 'ffv1', 'gbrp16le')
    assert outputs[0].shape == (48, 64, 3) and outputs[0].dtype == np.uint16
    for output, result in zip(outputs, expected(tiny[2], inputs, outscale=2), strict=True):
        np.testing.assert_array_equal(output, result)


def test_the_demo_drive_gives_h264_as_the_same_encode_of_each_result(tiny, tmp_path):
    drive = make_demo_video(str(tmp_path / 'drive.mp4'), 8, (32, 16), seed=1)
    out = tmp_path / 'drive_x4.mp4'
    assert run(tiny, drive['path'], out) == EXIT_OK
    inputs = decode(drive['path'])[0]
    results = expected(tiny[2], inputs)
    reference = tmp_path / 'reference.mp4'
    with av.open(str(reference), 'w') as container:
        stream = container.add_stream('libx264', rate=10, options=dict(crf='18', preset='medium'))
        stream.width, stream.height, stream.pix_fmt = 128, 64, 'yuv420p'
        stream.codec_context.time_base = stream.codec_context.time_base or 1 / stream.average_rate
        for index, result in enumerate(results):
            frame = av.VideoFrame.from_ndarray(result, format='bgr24').reformat(format='yuv420p')
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    outputs, positions, rate, codec, pix_fmt = decode(out)
    assert (rate, codec, pix_fmt, positions) == (10, 'h264', 'yuv420p', list(range(8)))
    for output, same_encode in zip(outputs, decode(reference)[0], strict=True):
        np.testing.assert_array_equal(output, same_encode)


def test_a_corrupt_frame_is_named_and_the_result_is_one_frame_shorter(tiny, tmp_path, capsys):
    video = write_video(tmp_path / 'clip.mkv', random_frames(5, seed=2), fps=10)
    with av.open(str(video)) as container:
        pos, size = [(p.pos, p.size) for p in container.demux(video=0) if p.size][2]
    data = bytearray(video.read_bytes())
    data[pos + size - 4:pos + size] = bytes(b ^ 0xFF for b in data[pos + size - 4:pos + size])
    video.write_bytes(bytes(data))
    out = tmp_path / 'clip_sr.mkv'
    assert run(tiny, video, out) == EXIT_SKIPPED
    outputs, positions, rate, _, _ = decode(out)
    assert positions == [0, 1, 3, 4] and rate == 10  # the others keep their times
    inputs = decode(video)[0]  # PyAV drops the undecodable frame too
    for output, result in zip(outputs, expected(tiny[2], inputs), strict=True):
        np.testing.assert_array_equal(output, result)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].endswith("skipped 1 unreadable frame(s): the result has 1 frame(s) fewer "
                              "than the input's 5, each kept frame at its own time")
    assert any(
        line.startswith('skipped (undecodable') and line.endswith(f'{video} frame 2')
        for line in lines)


def test_the_input_video_is_never_the_output(tiny, tmp_path):
    video = write_video(tmp_path / 'in.mkv', random_frames(1))
    (tmp_path / 'link.mkv').symlink_to(video)
    for output in (video, tmp_path / 'link.mkv'):
        with pytest.raises(ValueError, match='refusing to overwrite the input video'):
            run(tiny, video, output)
    with pytest.raises(ValueError, match='--ext jpg is for images'):
        run(tiny, video, tmp_path / 'sr', '--ext', 'jpg')
    with pytest.raises(ValueError, match='names an image'):
        run(tiny, video, tmp_path / 'sr.png')
    not_a_video = tmp_path / 'notes.mp4'
    not_a_video.write_text('not a video')
    with pytest.raises(ValueError, match=str(not_a_video)):
        run(tiny, not_a_video, tmp_path / 'sr')
    empty = tmp_path / 'empty.avi'  # a video stream without frames
    with av.open(str(empty), 'w') as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height = 32, 16
        container.start_encoding()
    with pytest.raises(ValueError, match=f'{empty}: the video holds no frames'):
        run(tiny, empty, tmp_path / 'sr')
    assert sorted(p.name
                  for p in tmp_path.iterdir()) == ['empty.avi', 'in.mkv', 'link.mkv', 'notes.mp4']
