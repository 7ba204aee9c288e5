# Copyright (c) mmssg contributors. All rights reserved.
"""run_jobs: real subprocesses, their order, their thread settings and their failures."""
import os.path as osp
import sys
import time

import pytest

from mmssg.utils import Job, run_jobs
from mmssg.utils.jobs import THREAD_VARIABLES, check_jobs


def python_job(name, code, tmp_path, after=(), then=None, threads=1):
    return Job(name, [sys.executable, '-c', code], str(tmp_path / 'logs' / f'{name}.log'),
               list(after), then, threads)


def stamp(tmp_path, name, sleep=0.0):
    """Code that sleeps, then writes the time it finished to <tmp>/<name>.done."""
    return (f'import time; time.sleep({sleep}); '
            f'open({str(tmp_path / name)!r} + ".done", "w").write(repr(time.time()))')


def finished_at(tmp_path, name):
    return float((tmp_path / f'{name}.done').read_text())


def test_dependencies_run_first_and_independent_jobs_overlap(tmp_path):
    jobs = [
        python_job('slow', stamp(tmp_path, 'slow', 1.0), tmp_path),
        python_job('fast', stamp(tmp_path, 'fast', 0.0), tmp_path),
        python_job('last', stamp(tmp_path, 'last'), tmp_path, after=['slow', 'fast']),
    ]
    start = time.time()
    seconds = run_jobs(jobs, slots=2, poll_s=0.05)
    assert set(seconds) == {'slow', 'fast', 'last'}
    # 'fast' did not wait for 'slow' (two slots), 'last' waited for both
    assert finished_at(tmp_path, 'fast') < finished_at(tmp_path, 'slow')
    assert finished_at(tmp_path, 'last') > finished_at(tmp_path, 'slow')
    assert finished_at(tmp_path, 'fast') - start < 1.0


def test_one_slot_runs_jobs_one_after_another(tmp_path):
    jobs = [python_job(n, stamp(tmp_path, n, 0.3), tmp_path) for n in ('a', 'b')]
    run_jobs(jobs, slots=1, poll_s=0.05)
    assert finished_at(tmp_path, 'b') - finished_at(tmp_path, 'a') >= 0.3


THREADS_CODE = 'import os; print(' + ', '.join(f'os.environ[{k!r}]' for k in THREAD_VARIABLES) + ')'


def test_each_process_gets_one_thread_and_its_output_in_its_log(tmp_path):
    run_jobs([python_job('env', THREADS_CODE, tmp_path)], slots=1, poll_s=0.05)
    assert (tmp_path / 'logs' / 'env.log').read_text().split() == ['1'] * len(THREAD_VARIABLES)


def test_a_job_of_several_threads_takes_that_many_slots_and_no_more_than_all(tmp_path):
    jobs = [
        python_job('wide', THREADS_CODE + '; ' + stamp(tmp_path, 'wide', 0.3), tmp_path, threads=5),
        python_job('narrow', THREADS_CODE + '; ' + stamp(tmp_path, 'narrow'), tmp_path),
    ]
    start = time.time()
    run_jobs(jobs, slots=2, poll_s=0.05)
    assert (tmp_path / 'logs' / 'wide.log').read_text().split() == ['2'] * len(THREAD_VARIABLES)
    # 'narrow' waited: 'wide' held both slots
    assert finished_at(tmp_path, 'narrow') > finished_at(tmp_path, 'wide') > start + 0.3


def test_a_job_waiting_for_threads_lets_a_narrower_later_one_start(tmp_path):
    jobs = [
        python_job('first', stamp(tmp_path, 'first', 0.5), tmp_path),
        python_job('wide', stamp(tmp_path, 'wide'), tmp_path, threads=2),
        python_job('narrow', stamp(tmp_path, 'narrow'), tmp_path),
    ]
    run_jobs(jobs, slots=2, poll_s=0.05)
    # 'narrow' ran beside 'first'; 'wide' needed both threads, so it waited for 'first'
    assert finished_at(tmp_path, 'narrow') < finished_at(tmp_path, 'first')
    assert finished_at(tmp_path, 'wide') > finished_at(tmp_path, 'first')


def test_then_runs_before_the_jobs_that_wait(tmp_path):
    marker = tmp_path / 'copied'
    jobs = [
        python_job('train', 'pass', tmp_path, then=lambda: marker.write_text('x')),
        python_job('test', f'import os; assert os.path.exists({str(marker)!r})', tmp_path,
                   ['train']),
    ]
    run_jobs(jobs, slots=2, poll_s=0.05)


def test_a_failure_stops_the_others_and_names_the_job_and_its_log(tmp_path):
    jobs = [
        python_job('long', stamp(tmp_path, 'long', 30), tmp_path),
        python_job('broken', 'print("the reason"); raise SystemExit(7)', tmp_path),
        python_job('never', stamp(tmp_path, 'never'), tmp_path, after=['broken']),
    ]
    start = time.time()
    with pytest.raises(RuntimeError, match=r'broken ended with exit status 7(.|\n)*the reason'):
        run_jobs(jobs, slots=2, poll_s=0.05)
    assert time.time() - start < 20  # 'long' was stopped, not waited for
    assert not osp.exists(tmp_path / 'long.done') and not osp.exists(tmp_path / 'never.done')


@pytest.mark.parametrize('jobs, message', [
    ([('a', []), ('a', [])], 'repeated'),
    ([('a', ['b'])], 'unknown jobs'),
    ([('a', [], 0)], 'asks for 0 threads'),
    ([('a', ['b']), ('b', ['a'])], 'cycle'),
])
def test_bad_job_lists_are_refused_before_anything_runs(tmp_path, jobs, message):
    built = [
        Job(name, ['true'], str(tmp_path / name), after, threads=threads[0] if threads else 1)
        for name, after, *threads in jobs
    ]
    with pytest.raises(ValueError, match=message):
        check_jobs(built)
    with pytest.raises(ValueError, match=message):
        run_jobs(built, slots=1)
    with pytest.raises(ValueError, match='slots'):
        run_jobs([], slots=0)
