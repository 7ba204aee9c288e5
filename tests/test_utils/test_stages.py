# Copyright (c) mmssg contributors. All rights reserved.
"""The stage runner: order, reuse by content, what a change redoes, processes and failures."""
import time

import pytest

from mmssg.testing import stage_commands
from mmssg.utils.stages import RAN, REUSED, WOULD_RUN, Stage, StageRunner, path_digest

COMMAND = stage_commands.main


def chain(tmp_path, text='hello'):
    """``a`` writes a.txt; ``b`` copies it to b.txt; ``c`` writes c.txt from nothing."""
    a, b, c = (str(tmp_path / f'{name}.txt') for name in 'abc')
    return [
        Stage('a', COMMAND, ['write', a, text], outputs=[a]),
        Stage('b', COMMAND, ['concat', b, a], inputs=[a], outputs=[b]),
        Stage('c', COMMAND, ['write', c, 'other'], outputs=[c]),
    ]


def run(stages, tmp_path, slots=1):
    lines = []
    runner = StageRunner(
        stages, str(tmp_path / 'state'), str(tmp_path / 'logs'), slots, report=lines.append)
    return runner.run(poll_s=0.05), lines


def test_stages_run_in_order_then_are_reused_untouched(tmp_path):
    outcome, _ = run(chain(tmp_path), tmp_path)
    assert outcome == dict(a=RAN, b=RAN, c=RAN)
    assert (tmp_path / 'b.txt').read_text().startswith('hello\n')
    written = (tmp_path / 'b.txt').stat().st_mtime_ns
    outcome, lines = run(chain(tmp_path), tmp_path)
    assert outcome == dict(a=REUSED, b=REUSED, c=REUSED)
    assert (tmp_path / 'b.txt').stat().st_mtime_ns == written
    assert all('reused' in line for line in lines)


def test_a_changed_argument_redoes_the_stage_and_what_reads_it_only(tmp_path):
    run(chain(tmp_path), tmp_path)
    outcome, _ = run(chain(tmp_path, text='changed'), tmp_path)
    assert outcome == dict(a=RAN, b=RAN, c=REUSED)
    assert (tmp_path / 'b.txt').read_text().startswith('changed\n')


def test_an_output_changed_or_deleted_by_hand_is_made_again(tmp_path):
    run(chain(tmp_path), tmp_path)
    (tmp_path / 'c.txt').write_text('edited by hand')
    (tmp_path / 'b.txt').unlink()
    outcome, _ = run(chain(tmp_path), tmp_path)
    assert outcome == dict(a=REUSED, b=RAN, c=RAN)


def test_the_same_bytes_from_upstream_leave_the_stages_after_it_alone(tmp_path):
    given, copy, again = (str(tmp_path / name) for name in ('given.txt', 'copy.txt', 'again.txt'))
    (tmp_path / 'given.txt').write_text('data')

    def stages(version):
        return [
            Stage(
                'copy',
                COMMAND, ['concat', copy, given],
                inputs=[given],
                outputs=[copy],
                settings=dict(version=version)),
            Stage('again', COMMAND, ['concat', again, copy], inputs=[copy], outputs=[again]),
        ]

    run(stages(1), tmp_path)
    outcome, _ = run(stages(2), tmp_path)  # 'copy' is made again, to the same bytes
    assert outcome == dict(copy=RAN, again=REUSED)
    (tmp_path / 'given.txt').write_text('new data')  # its input changed: both are redone
    outcome, _ = run(stages(2), tmp_path)
    assert outcome == dict(copy=RAN, again=RAN)
    assert (tmp_path / 'again.txt').read_text() == 'new data'


def test_settings_and_a_failed_check_make_a_stage_stale(tmp_path):
    stages = chain(tmp_path)
    run(stages, tmp_path)
    stages[2].check = lambda: 'the pool is incomplete'
    outcome, lines = run(stages, tmp_path)
    assert outcome['c'] == RAN and outcome['a'] == REUSED
    assert any('not current: the pool is incomplete' in line for line in lines)


def test_plan_lists_what_would_run_without_running_it(tmp_path):
    run(chain(tmp_path), tmp_path)
    stages = chain(tmp_path, text='changed')
    runner = StageRunner(stages, str(tmp_path / 'state'), str(tmp_path / 'logs'), 1)
    assert runner.plan() == dict(a=WOULD_RUN, b=WOULD_RUN, c=REUSED)
    assert (tmp_path / 'a.txt').read_text().startswith('hello\n')  # nothing ran


def test_process_stages_run_side_by_side_with_one_thread_each(tmp_path):
    slow, fast, last = (str(tmp_path / f'{n}.txt') for n in ('slow', 'fast', 'last'))
    stages = [
        Stage('slow', COMMAND, ['write', slow, 'x', '3'], outputs=[slow], process=True),
        Stage('fast', COMMAND, ['write', fast, 'y'], outputs=[fast], process=True),
        Stage('last', COMMAND, ['concat', last, slow, fast], inputs=[slow, fast], outputs=[last]),
    ]
    outcome, _ = run(stages, tmp_path, slots=2)
    assert outcome == dict(slow=RAN, fast=RAN, last=RAN)
    finished = {n: float((tmp_path / f'{n}.txt').read_text().split()[1]) for n in ('slow', 'fast')}
    assert finished['fast'] < finished['slow']  # two slots: 'fast' did not wait for 'slow'
    assert [(tmp_path / f'{n}.txt').read_text().split()[2] for n in ('slow', 'fast')] == ['1', '1']
    assert (tmp_path / 'logs' / 'slow.log').exists()


def test_a_failure_stops_the_running_stages_and_names_the_stage_and_its_log(tmp_path):
    long, never = str(tmp_path / 'long.txt'), str(tmp_path / 'never.txt')
    stages = [
        Stage('long', COMMAND, ['write', long, 'x', '60'], outputs=[long], process=True),
        Stage('broken', COMMAND, ['fail', '7', 'the reason'], process=True),
        Stage('never', COMMAND, ['write', never, 'z'], outputs=[never]),
    ]
    start = time.time()
    with pytest.raises(
            RuntimeError, match=r'stage broken ended with exit status 7(.|\n)*the reason'):
        run(stages, tmp_path, slots=2)
    assert time.time() - start < 50  # 'long' was stopped, not waited for
    assert not (tmp_path / 'long.txt').exists() and not (tmp_path / 'never.txt').exists()


def test_repeated_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"repeated: \['a'\]"):
        StageRunner([Stage('a', COMMAND), Stage('a', COMMAND)], str(tmp_path), '', 1)


def test_two_writers_of_one_path_and_reading_a_later_output_are_refused(tmp_path):
    out = str(tmp_path / 'out')
    with pytest.raises(ValueError, match="stages 'a' and 'b' both write"):
        StageRunner(
            [Stage('a', COMMAND, outputs=[out]),
             Stage('b', COMMAND, outputs=[out + '/inside'])], str(tmp_path), '', 1)
    with pytest.raises(ValueError, match="reads what the later stage 'b' writes"):
        StageRunner([Stage('a', COMMAND, inputs=[out]),
                     Stage('b', COMMAND, outputs=[out])], str(tmp_path), '', 1)
    with pytest.raises(ValueError, match='slots must be at least 1'):
        StageRunner([], str(tmp_path), '', 0)


def test_a_folder_digest_follows_names_and_bytes(tmp_path):
    folder = tmp_path / 'f'
    (folder / 'sub').mkdir(parents=True)
    (folder / 'sub' / 'x').write_bytes(b'1')
    first = path_digest(str(folder))
    (folder / 'sub' / 'x').write_bytes(b'1')  # rewritten, same bytes
    assert path_digest(str(folder)) == first
    (folder / 'sub' / 'x').rename(folder / 'sub' / 'y')
    assert path_digest(str(folder)) != first
    assert path_digest(str(tmp_path / 'missing')) == 'missing'
