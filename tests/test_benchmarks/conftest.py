# Copyright (c) mmssg contributors. All rights reserved.
"""The benchmarks run in-process here: each may set the thread counts a measurement needs."""
import cv2
import pytest
import torch


@pytest.fixture(autouse=True)
def restore_thread_counts():
    """torch's and OpenCV's thread counts as they were before the benchmark set them."""
    torch_threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    yield
    torch.set_num_threads(torch_threads)
    cv2.setNumThreads(cv2_threads)
