# Copyright (c) mmssg contributors. All rights reserved.
"""The demo drive: moving frames, a stop of repeated frames, H.264 at a stated rate, and a
file at its path replaced only when it is a demo drive."""
import numpy as np
import pytest

from mmssg.cli.make_demo_data import main as make_demo_data
from mmssg.demo import DEMO_VIDEO_FPS, DemoDatasetError, make_demo_video
from mmssg.demo.video import drive_positions
from mmssg.utils.video import probe_video, read_video_frames


def test_the_view_moves_stops_and_moves_on():
    assert drive_positions(10, step=2, stop=3) == [0, 2, 4, 6, 6, 6, 6, 8, 10, 12]
    assert drive_positions(1) == [0]


def test_the_drive_is_h264_at_its_rate_with_repeated_frames_at_the_stop(tmp_path):
    video = make_demo_video(str(tmp_path / 'drive.mp4'), 10, (32, 16), seed=2)
    info = probe_video(video['path'])
    assert (info.codec, info.pix_fmt, info.fps, info.frames) == ('h264', 'yuv420p', DEMO_VIDEO_FPS,
                                                                 10)
    assert (info.width, info.height) == (32, 16) and video['standing'] == [3, 4, 5, 6]
    frames = [f.pixels.astype(int) for f in read_video_frames(video['path'])]
    changes = [np.abs(frames[i] - frames[i - 1]).mean() for i in range(1, 10)]
    assert all(changes[i - 1] < 0.5 for i in video['standing'])  # the stop: one frame repeated
    assert all(c > 5 for i, c in enumerate(changes, 1) if i not in video['standing'])


def test_the_tool_writes_the_drive_and_replaces_only_its_own(tmp_path, capsys):
    path = tmp_path / 'drive.mp4'
    args = ['--video', str(path), '--video-frames', '6', '--lr-size', '32', '16']
    assert make_demo_data(args) == 0
    assert 'wrote 6 frames (32x16' in capsys.readouterr().out
    assert make_demo_data(args) == 0  # its own drive: made again
    other = tmp_path / 'holiday.mp4'
    other.write_bytes(b'a video of yours')
    with pytest.raises(DemoDatasetError, match=str(other)):
        make_demo_data(['--video', str(other)])
    assert other.read_bytes() == b'a video of yours'
