"""Task 2: measure_time times one wait_n and returns the time per wait."""
import threading
from types import ModuleType
from typing import Any, List

import pytest

from checks import BAD_MAX_DELAY, BAD_N, rejects, run_main
from conftest import Fakes, Solution

pytestmark = pytest.mark.task(taskno=2)


@pytest.fixture
def task(solution: Solution) -> ModuleType:
    return solution.module(2)


def measure(task: ModuleType, n: object, max_delay: object) -> float:
    """Call measure_time on a thread of its own and return what it returns.

    measure_time calls asyncio.run, which unsets the thread's event loop
    when it ends. In the main thread that would orphan the loop that
    pytest-asyncio (before 1.4, its issue #724) leaves set after an async
    test, and the loop's unclosed-ResourceWarning would fail a later test.
    The thread is a daemon, so a measure_time that never returns cannot
    keep the process alive once the test has given up on it.
    """
    outcome: List[Any] = []

    def run() -> None:
        """Keep measure_time's result, or the error it raised."""
        try:
            outcome.append((task.measure_time(n, max_delay), None))
        except BaseException as error:
            outcome.append((None, error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    result, error = outcome[0]
    if error is not None:
        raise error
    return float(result)


def test_returns_the_time_of_wait_n_over_n(task: ModuleType,
                                           fake: Fakes) -> None:
    result = measure(task, 5, 9)
    longest = max(fake.time.slept)
    assert len(fake.time.slept) == 5, (
        'measure_time(5, 9) should run wait_n(5, 9) once; it slept {} '
        'times'.format(len(fake.time.slept)))
    assert result != pytest.approx(longest), (
        'measure_time returned the total time ({:.3f}); return total / n'
        .format(result))
    assert result == pytest.approx(longest / 5), (
        'measure_time(5, 9) should return the run time of wait_n over 5, '
        '{:.3f} / 5 = {:.3f}, but returned {:.3f}; time exactly the run of '
        'wait_n'
        .format(longest, longest / 5, result))
    assert isinstance(result, float)


def test_runs_the_waits_concurrently(task: ModuleType, fake: Fakes) -> None:
    measure(task, 4, 2)
    assert fake.time.max_in_flight == 4, (
        'measure_time should time wait_n, whose waits overlap; only {} of '
        '4 were in flight at once'.format(fake.time.max_in_flight))


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
    assert result == pytest.approx(max(fake.time.slept) / 3), (
        'called from a running loop, measure_time should still return the '
        'time per wait, got {}'.format(result))


@pytest.mark.extra
@pytest.mark.parametrize('value', [0, -1])
def test_rejects_n_below_1(task: ModuleType, fake: Fakes,
                           value: int) -> None:
    with rejects('measure_time({!r}, 1)'.format(value), ValueError, 'n',
                 value):
        measure(task, value, 1)


@pytest.mark.extra
@pytest.mark.parametrize('value, error',
                         [row for row in BAD_N if row[1] is TypeError])
def test_rejects_an_n_of_the_wrong_type(task: ModuleType, fake: Fakes,
                                        value: object, error: type) -> None:
    with rejects('measure_time({!r}, 1)'.format(value), error, 'n', value):
        measure(task, value, 1)


@pytest.mark.extra
@pytest.mark.parametrize('value, error', BAD_MAX_DELAY)
def test_rejects_a_bad_max_delay(task: ModuleType, fake: Fakes,
                                 value: object, error: type) -> None:
    with rejects('measure_time(3, {!r})'.format(value), error, 'max_delay',
                 value):
        measure(task, 3, value)
    assert fake.time.slept == [], (
        'measure_time started waits before rejecting max_delay={!r}'
        .format(value))


@pytest.mark.subprocess
def test_main_file_prints_a_time_per_wait(solution: Solution) -> None:
    lines = run_main(solution, 2)
    assert len(lines) == 1 and 0 <= float(lines[0]) <= 9, (
        '2_main should print one time in [0, 9], printed {!r}'.format(lines))
