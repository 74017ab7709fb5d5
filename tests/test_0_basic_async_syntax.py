"""Task 0: wait_random sleeps a random delay in [0, max_delay], returns it."""
import inspect
from types import ModuleType

import pytest

from checks import BAD_MAX_DELAY, rejects, run_main
from conftest import Fakes, Solution

pytestmark = pytest.mark.task(taskno=0)


@pytest.fixture
def task(solution: Solution) -> ModuleType:
    return solution.module(0)


def test_wait_random_is_a_coroutine_function(task: ModuleType) -> None:
    assert inspect.iscoroutinefunction(task.wait_random), (
        'wait_random must be defined with async def')


@pytest.mark.asyncio
@pytest.mark.parametrize('max_delay', [0, 1, 5, 7.5, 15])
async def test_returns_the_delay_it_drew_and_slept(
        task: ModuleType, fake: Fakes, max_delay: float) -> None:
    delay = await task.wait_random(max_delay)
    assert isinstance(delay, float), (
        'wait_random should return the float from random.uniform, got {!r}'
        .format(delay))
    delay = float.__float__(delay)  # never the subclass's own comparisons
    assert fake.random.calls == [(0, max_delay)], (
        'wait_random({}) should draw its delay once with random.uniform(0, '
        '{}); the calls were {}'.format(max_delay, max_delay,
                                        fake.random.calls))
    assert fake.time.slept == [delay], (
        'wait_random returned {!r} but slept {}; await asyncio.sleep with '
        'the delay you return'.format(delay, fake.time.slept))


@pytest.mark.asyncio
async def test_default_max_delay_is_10(task: ModuleType, fake: Fakes) -> None:
    default = inspect.signature(task.wait_random).parameters[
        'max_delay'].default
    assert default == 10, (
        'max_delay should default to 10, not {!r}'.format(default))
    await task.wait_random()
    assert fake.random.calls == [(0, 10)], (
        'wait_random() should draw from random.uniform(0, 10); the calls '
        'were {}'.format(fake.random.calls))


@pytest.mark.asyncio
async def test_the_sleep_takes_the_delay(task: ModuleType,
                                         fake: Fakes) -> None:
    delay = await task.wait_random(8)
    assert isinstance(delay, float) and fake.time.now == float.__float__(
        delay), (
        'wait_random(8) returned {} after {} virtual seconds'.format(
            delay, fake.time.now))


@pytest.mark.extra
@pytest.mark.asyncio
@pytest.mark.parametrize('value, error', BAD_MAX_DELAY)
async def test_rejects_a_bad_max_delay(task: ModuleType, fake: Fakes,
                                       value: object,
                                       error: type) -> None:
    with rejects('wait_random({!r})'.format(value), error, 'max_delay', value):
        await task.wait_random(value)
    assert fake.time.slept == [], (
        'wait_random slept before rejecting max_delay={!r}'.format(value))


@pytest.mark.subprocess
def test_main_file_prints_three_delays(solution: Solution) -> None:
    lines = run_main(solution, 0)
    assert len(lines) == 3, (
        '0_main should print three delays, printed {!r}'.format(lines))
    for line, max_delay in zip(lines, (10, 5, 15)):
        delay = float(line)
        assert 0 <= delay <= max_delay, (
            'expected a delay in [0, {}], got {}'.format(max_delay, line))
