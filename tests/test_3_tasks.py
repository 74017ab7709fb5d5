"""Task 3: task_wait_random is a plain function that returns a Task."""
import asyncio
import gc
import inspect
from types import ModuleType

import pytest

from grader.fakes import settle
from checks import BAD_MAX_DELAY, rejects, run_main
from conftest import Fakes, Solution

pytestmark = pytest.mark.task(taskno=3)


@pytest.fixture
def task(solution: Solution) -> ModuleType:
    return solution.module(3)


def test_is_not_a_coroutine_function(task: ModuleType) -> None:
    assert not inspect.iscoroutinefunction(task.task_wait_random), (
        'task_wait_random must be a regular function (def, not async def) '
        'that returns a Task')


@pytest.mark.asyncio
async def test_returns_a_task_running_wait_random(task: ModuleType,
                                                  fake: Fakes) -> None:
    result = task.task_wait_random(4)
    assert isinstance(result, asyncio.Task), (
        'task_wait_random should return an asyncio.Task, got {!r}'
        .format(result))
    delay = await result
    assert isinstance(delay, float) and fake.random.gives(float.__float__(
        delay), 4) and fake.time.slept == [
        float.__float__(delay)], (
        'the task should run wait_random(4) and give its delay: it returned '
        '{!r} and slept {}'.format(delay, fake.time.slept))


@pytest.mark.asyncio
async def test_the_task_is_scheduled_at_once(task: ModuleType,
                                             fake: Fakes) -> None:
    result = task.task_wait_random(4)
    await settle()  # a wrapper (wait_for) takes a turn more to start it
    assert fake.time.slept, (
        'the task should start without being awaited; the event loop went '
        'round 20 times and it had not slept')
    await result


@pytest.mark.extra
@pytest.mark.filterwarnings('ignore:coroutine .* was never awaited')
def test_needs_a_running_loop(task: ModuleType) -> None:
    message = None
    try:
        result = task.task_wait_random(1)
    except RuntimeError as error:
        message = str(error)
    # A solution that made the coroutine before failing leaves it never
    # awaited; collect it here, where that warning is expected.
    gc.collect()
    if message is None:
        pytest.fail('without a running loop, task_wait_random(1) should '
                    'raise RuntimeError saying it needs one; it returned {!r}'
                    .format(result), pytrace=False)
    assert 'loop' in message, (
        'without a running loop, task_wait_random should say it needs one; '
        'it said {!r}'.format(message))


@pytest.mark.extra
@pytest.mark.asyncio
async def test_rejects_a_bad_max_delay_at_once(task: ModuleType,
                                               fake: Fakes) -> None:
    """Each bad value in turn (BAD_MAX_DELAY), when the Task is made."""
    for value, error in BAD_MAX_DELAY:
        with rejects('task_wait_random({!r})'.format(value), error,
                     'max_delay', value):
            task.task_wait_random(value)


@pytest.mark.subprocess
def test_main_file_prints_the_task_class(solution: Solution) -> None:
    lines = run_main(solution, 3)
    assert lines in (["<class '_asyncio.Task'>"],
                     ["<class 'asyncio.tasks.Task'>"]), (
        "{} should print <class '_asyncio.Task'>, printed {!r}"
        .format(solution.main_path(3).name, lines))
