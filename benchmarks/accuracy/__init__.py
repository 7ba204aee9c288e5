# Copyright (c) mmssg contributors. All rights reserved.
"""Accuracy: kernel estimation against known blurs, tiled against whole-frame SR, LPIPS in
bf16."""
