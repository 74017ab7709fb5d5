"""Task 4: task_wait_n is wait_n built on task_wait_random."""
import inspect
import os
from typing import Any, List, Tuple

import pytest

from checks import WaitN, WaitNContract
from conftest import Fakes, Solution
from grader import TASK_FUNCTIONS, reference
from grader.fakes import rebind
from grader.solution import defined_in


def named(solution: Solution, value: Any) -> str:
    """Say which function value is, by the file of the folder it is from
    (the reference's stand-ins by the task file they stand in for)."""
    for taskno, name in TASK_FUNCTIONS.items():
        if value is getattr(reference, name, None):
            return '{} from {}'.format(name, solution.path(taskno).name)
    where = defined_in(value)
    return '{} from {}'.format(
        getattr(value, '__qualname__', type(value).__name__),
        os.path.basename(where) if where else 'elsewhere')


@pytest.mark.task(taskno=4)
class TestTaskWaitN(WaitNContract):
    taskno = 4

    @pytest.fixture
    def subject(self, solution: Solution) -> Tuple[str, WaitN]:
        return 'task_wait_n', solution.module(4).task_wait_n

    @pytest.mark.asyncio
    async def test_builds_on_task_wait_random(
            self, solution: Solution, fake: Fakes,
            monkeypatch: pytest.MonkeyPatch) -> None:
        task_wait_n = solution.module(4).task_wait_n
        assert inspect.iscoroutinefunction(task_wait_n), (
            'task_wait_n should be a coroutine (async def) that awaits the '
            'tasks; it is a plain function')
        calls: List[Any] = []
        real = reference.task_wait_random  # what the fake fixture put in
        # the place of the folder's own (see Solution.stand_in), so that
        # task 3's mistakes are not this task's

        def spy(*args: Any, **kwargs: Any) -> Any:
            calls.append(args or kwargs)
            return real(*args, **kwargs)

        rebind(monkeypatch.setattr, solution.loaded(), [(real, spy)])
        await task_wait_n(5, 3)
        bound = getattr(solution.module(4), 'task_wait_random', spy)
        assert len(calls) == 5, (
            'task_wait_n(5, 3) should call task_wait_random 5 times, called '
            'it {} times{}'.format(len(calls), '' if bound is spy else
                                   "; the name task_wait_random in {} is {}, "
                                   "not {}'s".format(
                                       solution.path(4).name,
                                       named(solution, bound),
                                       solution.path(3).name)))
