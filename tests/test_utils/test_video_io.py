# Copyright (c) mmssg contributors. All rights reserved.
"""mmssg.utils.video: frames come upright, a failed write leaves nothing, codecs are kept."""
import av
import numpy as np
import pytest

from mmssg.utils.video import VideoWriter, choose_encoder, probe_video, read_video_frames


def stored_frame():
    """A 16x24 RGB frame whose corners differ, so that a turn shows."""
    frame = np.zeros((16, 24, 3), np.uint8)
    frame[:4, :4] = (255, 0, 0)
    frame[-4:, :4] = (0, 255, 0)
    frame[:4, -4:] = (0, 0, 255)
    return frame


@pytest.mark.parametrize('degrees', [90, -90, 180])
def test_a_display_rotation_is_applied_counter_clockwise(tmp_path, degrees):
    path = str(tmp_path / 'phone.mkv')
    with av.open(path, 'w') as container:
        stream = container.add_stream('ffv1', rate=5)
        stream.width, stream.height, stream.pix_fmt = 24, 16, 'bgr0'
        stream.set_display_rotation(degrees)
        container.mux(stream.encode(av.VideoFrame.from_ndarray(stored_frame(), format='rgb24')))
        container.mux(stream.encode(None))
    (frame, ) = read_video_frames(path)
    np.testing.assert_array_equal(frame.pixels, np.rot90(stored_frame(), degrees // 90))


def test_a_failed_write_leaves_no_file_and_a_finished_one_keeps_rate_and_codec(tmp_path):
    path = tmp_path / 'out.mkv'
    with pytest.raises(RuntimeError, match='stop'):
        with VideoWriter(str(path), 25, 'ffv1', 'bgr0') as writer:
            writer.write(stored_frame())
            raise RuntimeError('stop')
    assert list(tmp_path.iterdir()) == []
    with VideoWriter(str(path), 25, 'ffv1', 'bgr0') as writer:
        for index in (0, 1, 3):  # frame 2 left out: a gap in time
            writer.write(stored_frame(), index)
    info = probe_video(str(path))
    assert (info.codec, info.pix_fmt, info.fps) == ('ffv1', 'bgr0', 25)
    assert [f.index for f in read_video_frames(str(path))] == [0, 1, 3]
    assert [p.name for p in tmp_path.iterdir()] == ['out.mkv']


def test_an_odd_size_is_refused_for_subsampled_chroma(tmp_path):
    with pytest.raises(ValueError, match='25x16 pixels cannot be written as yuv420p'):
        with VideoWriter(str(tmp_path / 'odd.mp4'), 10) as writer:
            writer.write(np.zeros((16, 25, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_the_encoder_keeps_the_family_else_falls_back_to_h264():
    assert choose_encoder('h264', 'mp4').name == 'libx264'
    assert choose_encoder('ffv1', 'matroska').name == 'ffv1'
    assert choose_encoder('vp9', 'webm').name == 'libvpx-vp9'
    assert choose_encoder('prores_no_encoder', 'mp4').name == 'libx264'
    assert choose_encoder('ffv1', 'flv').name == 'libx264'  # FLV cannot hold FFV1
