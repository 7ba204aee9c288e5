# Copyright (c) mmssg contributors. All rights reserved.
"""benchmarks/speed/pool_memory.py: dataloader workers' memory with the degradation pools."""
import json

from benchmarks.speed import pool_memory


def test_pool_memory_reads_each_workers_memory(tmp_path):
    out, work = tmp_path / 'memory.json', tmp_path / 'pools'
    args = [
        '--work-dir',
        str(work), '--kernels', '4', '--frames', '3', '--patches-per-frame', '4', '--workers', '1',
        '--samples', '4', '--json',
        str(out)
    ]
    assert pool_memory.main(args) == 0
    report = json.loads(out.read_text())
    assert list(report['transforms']) == ['none (HR[::4, ::4])', 'DomainAdaptedDegradation']
    for workers in report['transforms'].values():
        assert len(workers) == 1
        memory = workers[0]
        assert set(memory) == set(pool_memory.FIELDS)
        uss = memory['Private_Clean'] + memory['Private_Dirty']
        assert 0 < memory['Pss'] <= memory['Rss'] and 0 < uss <= memory['Pss']
    assert len(list((work / 'kernels').glob('*.npy'))) == 4
    assert len(list((work / 'noise').glob('*.npz'))) == 3
    assert pool_memory.main(args) == 0  # the pools are kept for reruns
