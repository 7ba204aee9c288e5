# Copyright (c) mmssg contributors. All rights reserved.
"""mmssg's benchmarks, grouped by the question they answer: :mod:`.speed` (time and memory) and
:mod:`.accuracy` (how close an estimate or an approximation comes). Each module has
``main(argv=None) -> int`` and runs as ``python -m benchmarks.<group>.<name>`` or as
``python benchmarks/<group>/<name>.py`` from the repository root; ``README.md`` here is the
index, ``RESULTS.md`` holds each current figure once.
"""
