"""Task 2: measure_time times one wait_n and returns the time per wait."""
import asyncio
import gc
import inspect
import threading
import warnings
from types import ModuleType
from typing import Any, List

import pytest

from checks import BAD_MAX_DELAY, BAD_N, parse_float, rejects, run_main
from conftest import Fakes, Solution

pytestmark = pytest.mark.task(taskno=2)


NEVER_RAN = ('{} never ran wait_n: calling wait_n(n, max_delay) only makes '
             'a coroutine, which does nothing until it is awaited; run it '
             'with asyncio.run(wait_n(n, max_delay))')


@pytest.fixture
def task(solution: Solution) -> ModuleType:
    return solution.module(2)


def measure(task: ModuleType, n: object, max_delay: object) -> float:
    """Call measure_time as a script would; return what it returns.

    It runs on a thread of its own, with a new event loop set there, so
    that measure_time may use asyncio.run or the Python 3.7 way,
    asyncio.get_event_loop().run_until_complete. (In the main thread,
    asyncio.run would unset the loop that pytest-asyncio before 1.4 leaves
    set after an async test, its issue #724, and that loop's
    unclosed-ResourceWarning would fail a later test.) The thread is a
    daemon, so a measure_time that never returns cannot keep the process
    alive once the test has given up on it.
    """
    outcome: List[Any] = []

    def run() -> None:
        """Keep measure_time's result, or the error it raised."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            outcome.append((task.measure_time(n, max_delay), None))
        except BaseException as error:
            outcome.append((None, error))
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    result, error = outcome[0]
    if error is not None:
        raise error
    assert isinstance(result, (int, float)) and not isinstance(
        result, bool), 'measure_time should return a float, got {!r}'.format(
            result)
    return float(result)


def test_is_a_plain_function(task: ModuleType) -> None:
    assert not inspect.iscoroutinefunction(task.measure_time), (
        'measure_time should be a plain function (def, not async def) that '
        'runs the event loop itself')


def test_returns_the_time_of_wait_n_over_n(task: ModuleType,
                                           fake: Fakes) -> None:
    fake.time.tick = 0.001  # each sleep overshoots, as real ones do
    result = measure(task, 5, 9)
    took = fake.time.now
    assert fake.time.slept, NEVER_RAN.format('measure_time(5, 9)')
    assert fake.time.reads >= 2, (
        'measure_time should time the run with a wall clock (time.'
        'perf_counter, time.monotonic, time.time, datetime.now); it read '
        '{}'.format(
            'none' if not fake.time.reads else 'one only once') + (
                '; the CPU clock it read (time.process_time or the like) '
                'barely moves while the code sleeps' if fake.time.cpu_reads
                else ''))
    assert result != pytest.approx(took), (
        'measure_time returned the total time ({:.3f}); return total / n'
        .format(result))
    assert result == pytest.approx(took / 5), (
        'measure_time(5, 9) should return the run time of wait_n over 5, '
        '{:.3f} / 5 = {:.4f}, but returned {:.4f}; time exactly the run of '
        'wait_n'.format(took, took / 5, result))
    assert isinstance(result, float), (
        'measure_time should return a float, got {}'.format(
            type(result).__name__))


def test_runs_wait_n_once(task: ModuleType, fake: Fakes) -> None:
    """One run of wait_n(4, 2): four waits drawn up to 2 s, at once, so
    it takes the longest of them, not their sum."""
    measure(task, 4, 2)
    slept = fake.time.slept
    assert slept, NEVER_RAN.format('measure_time(4, 2)')
    assert sorted(slept) == sorted(fake.random.drawn(2)) and len(
        slept) == 4, (
        'measure_time(4, 2) should run wait_n(4, 2) once: 4 waits of at '
        'most 2 s; it slept {}{}'.format(slept, '' if len(slept) % 4 else
                                         ', as {} runs would'.format(
                                             len(slept) // 4)))
    assert fake.time.now == pytest.approx(max(slept)), (
        'measure_time(4, 2) took {:.3f} virtual seconds, its waits one '
        'after another; run wait_n(4, 2) once, so that they overlap and '
        'take only the longest, {:.3f}'.format(fake.time.now, max(slept)))


@pytest.mark.extra
def test_closes_its_event_loop(task: ModuleType, fake: Fakes) -> None:
    """An event loop left open holds its resources until the garbage
    collector finds it, and warns then (asyncio.run closes its own)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        measure(task, 3, 1)
        gc.collect()
    unclosed = [str(warning.message) for warning in caught
                if issubclass(warning.category, ResourceWarning)]
    assert not unclosed, (
        'measure_time leaves something open: {}; close the event loop it '
        'makes (loop.close(), or use asyncio.run, which closes it)'.format(
            unclosed[0]))


@pytest.mark.extra
@pytest.mark.asyncio
async def test_works_inside_a_running_loop(task: ModuleType,
                                           fake: Fakes) -> None:
    try:
        result = task.measure_time(3, 1)
    except Exception as error:
        pytest.fail('called while an event loop is running (as in a Jupyter '
                    'cell), measure_time raised {}: {}'.format(
                        type(error).__name__, error), pytrace=False)
    assert result == pytest.approx(fake.time.now / 3), (
        'called from a running loop, measure_time should still return the '
        'time per wait, got {}'.format(result))


@pytest.mark.extra
def test_rejects_n_below_1(task: ModuleType, fake: Fakes) -> None:
    """0, then -1: the first one not rejected is the advice."""
    for value in (0, -1):
        with rejects('measure_time({!r}, 1)'.format(value), ValueError, 'n',
                     value):
            measure(task, value, 1)


@pytest.mark.extra
def test_rejects_an_n_of_the_wrong_type(task: ModuleType,
                                        fake: Fakes) -> None:
    """Each n of a wrong type in turn (from BAD_N)."""
    for value, error in [row for row in BAD_N if row[1] is TypeError]:
        with rejects('measure_time({!r}, 1)'.format(value), error, 'n',
                     value):
            measure(task, value, 1)


@pytest.mark.extra
def test_rejects_a_bad_max_delay(task: ModuleType, fake: Fakes) -> None:
    """Each bad value in turn (BAD_MAX_DELAY)."""
    for value, error in BAD_MAX_DELAY:
        with rejects('measure_time(3, {!r})'.format(value), error,
                     'max_delay', value):
            measure(task, 3, value)
        assert fake.time.slept == [], (
            'measure_time started waits before rejecting max_delay={!r}'
            .format(value))


@pytest.mark.subprocess
def test_main_file_prints_a_time_per_wait(solution: Solution) -> None:
    lines = run_main(solution, 2)
    assert len(lines) == 1 and 0 <= parse_float(lines[0]) <= 9, (
        '{} should print one time in [0, 9], printed {!r}'.format(
            solution.main_path(2).name, lines))
