"""Task 0: wait_random sleeps a random delay in [0, max_delay], returns it."""
import inspect
from types import ModuleType

import pytest

from checks import BAD_MAX_DELAY, parse_float, rejects, run_main
from conftest import Fakes, Solution

pytestmark = pytest.mark.task(taskno=0)


@pytest.fixture
def task(solution: Solution) -> ModuleType:
    return solution.module(0)


def test_wait_random_is_a_coroutine_function(task: ModuleType) -> None:
    assert inspect.iscoroutinefunction(task.wait_random), (
        'wait_random must be defined with async def')


def drawn(fake: Fakes, max_delay: float) -> str:
    """Say what the draws were, for a message."""
    return ', '.join('{:g}'.format(value)
                     for value in fake.random.drawn(max_delay)) or 'none'


@pytest.mark.asyncio
@pytest.mark.parametrize('max_delay', [0, 1, 5, 7.5, 15])
async def test_returns_the_delay_it_drew_and_slept(
        task: ModuleType, fake: Fakes, max_delay: float) -> None:
    delay = await task.wait_random(max_delay)
    assert isinstance(delay, float), (
        'wait_random should return the float it drew with random.uniform, '
        'got {!r}, of type {}'.format(delay, type(delay).__name__))
    delay = float.__float__(delay)  # never the subclass's own comparisons
    assert fake.random.gives(delay, max_delay), (
        'wait_random({}) returned {!r}, not a delay drawn from the random '
        'module in [0, {}] (the draws would give {}); return '
        'random.uniform(0, max_delay)'.format(
            max_delay, delay, max_delay, drawn(fake, max_delay)))
    elsewhere = ' on the event loop: it slept {} s in another thread ' \
        '(time.sleep in an executor), which holds a thread for every ' \
        'wait'.format(fake.time.thread_sleeps[0]) \
        if fake.time.thread_sleeps else ''
    assert fake.time.now == delay, (
        'wait_random({}) never waited{}: await asyncio.sleep(delay) before '
        'returning the delay'.format(max_delay, elsewhere)
        if not fake.time.now else
        'wait_random returned {!r} after {!r} virtual seconds{}; wait '
        'exactly the delay you return'.format(
            delay, fake.time.now, ' (it slept {})'.format(fake.time.slept)
            if fake.time.slept else ''))


@pytest.mark.asyncio
async def test_draws_afresh_on_every_call(task: ModuleType,
                                          fake: Fakes) -> None:
    delays = [float.__float__(await task.wait_random(5)) for _ in range(3)]
    assert not fake.random.seeds, (
        'wait_random seeds the random generator (with {!r}), so every delay '
        'is the same; never seed it'.format(fake.random.seeds[0]))
    assert all(fake.random.gives(delay, 5) for delay in delays), (
        'three calls of wait_random(5) returned {}, not the delays drawn '
        'from the random module in [0, 5] (the draws would give {}); return '
        'random.uniform(0, max_delay)'.format(
            delays, fake.random.drawn(5)[:3]))
    assert len(set(delays)) == 3, (
        'three calls of wait_random(5) returned {}; draw a new delay on '
        'every call'.format(delays))


@pytest.mark.asyncio
async def test_default_max_delay_is_10(task: ModuleType, fake: Fakes) -> None:
    parameters = inspect.signature(task.wait_random).parameters
    assert 'max_delay' in parameters, (
        'wait_random should take max_delay; its parameters are {}'.format(
            ', '.join(parameters) or 'none'))
    default = parameters['max_delay'].default
    assert default == 10, (
        'max_delay should default to 10; it has {}'.format(
            'no default' if default is inspect.Parameter.empty
            else 'the default {!r}'.format(default)))
    delay = await task.wait_random()
    assert fake.random.gives(float.__float__(delay), 10), (
        'wait_random() returned {!r}, not a delay drawn in [0, 10] (the '
        'draws would give {}); max_delay defaults to 10'.format(
            delay, fake.random.drawn(10)[-1:]))


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
async def test_rejects_a_bad_max_delay(task: ModuleType, fake: Fakes) -> None:
    """Each bad value in turn (BAD_MAX_DELAY): the first one not
    rejected as it should be is the advice."""
    for value, error in BAD_MAX_DELAY:
        with rejects('wait_random({!r})'.format(value), error, 'max_delay',
                     value):
            await task.wait_random(value)
        assert fake.time.slept == [] and fake.time.now == 0, (
            'wait_random waited before rejecting max_delay={!r}'.format(
                value))


@pytest.mark.subprocess
def test_main_file_prints_three_delays(solution: Solution) -> None:
    lines = run_main(solution, 0)
    assert len(lines) == 3, (
        '{} should print three delays, printed {!r}'.format(
            solution.main_path(0).name, lines))
    for line, max_delay in zip(lines, (10, 5, 15)):
        delay = parse_float(line)
        assert 0 <= delay <= max_delay, (
            'expected a delay in [0, {}], got {}'.format(max_delay, line))
