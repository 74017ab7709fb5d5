"""Checks that more than one task's tests share.

wait_n and task_wait_n promise the same thing, so WaitNContract holds the
tests of that promise once; each task's test file subclasses it and says
which function it is about. The rest are small helpers for the main
files, the bad-input tables, and reading a module's source.
"""
import ast
import asyncio
import contextlib
from pathlib import Path
from typing import (Any, Callable, Coroutine, Dict, Iterator, List, Sequence,
                    Tuple, Type, TypeVar)

import pytest

from grader import fakes
from grader.fakes import settle
from conftest import ROOT, Fakes, Solution

T = TypeVar('T')
WaitN = Callable[[int, float], Coroutine[Any, Any, List[float]]]

NAN = float('nan')
INF = float('inf')
BAD_MAX_DELAY: List[Tuple[object, Type[Exception]]] = [
    (-1, ValueError), (-0.5, ValueError), (NAN, ValueError),
    (INF, ValueError), (-INF, ValueError),
    (True, TypeError), ('5', TypeError), (None, TypeError)]
BAD_N: List[Tuple[object, Type[Exception]]] = [
    (-1, ValueError), (2.5, TypeError), (True, TypeError),
    ('3', TypeError), (None, TypeError)]
BAD_ARGUMENTS = [('n', value, error) for value, error in BAD_N] + [
    ('max_delay', value, error) for value, error in BAD_MAX_DELAY]


@contextlib.contextmanager
def rejects(call: str, error: Type[Exception], argument: str,
            value: object) -> Iterator[None]:
    """Expect the block to raise error, with a message naming the argument
    and its value; say plainly which call did not.
    """
    try:
        with pytest.raises(error) as raised:
            yield
    except pytest.fail.Exception:
        pytest.fail('{} should raise {} (naming {} and its value) but '
                    'raised nothing'.format(call, error.__name__, argument),
                    pytrace=False)
    message = str(raised.value)
    assert argument in message and repr(value) in message, (
        'the {} raised by {} should name {} and its value {!r}; its '
        'message was {!r}'.format(error.__name__, call, argument, value,
                                  message))


def run_main(solution: Solution, taskno: int) -> List[str]:
    """Run task taskno's main file on a virtual clock; return its lines.

    The file runs in a forked copy of the test process, from the solution
    folder, with the real asyncio.sleep; only the clock is virtual, so a
    15 s wait takes no real time.
    """
    path = solution.main_path(taskno)
    if not path.exists() and solution.directory != ROOT:
        pytest.skip('{} is not in the folder'.format(path.name))
    status, out, err = fakes.run_main_forked(str(path), timeout=30)
    errors = err.strip().splitlines() or ['no error output']
    assert status == 0, '{} failed with exit status {}: {}'.format(
        path.name, 'none (it ran out of time)' if status is None else status,
        errors[-1])
    return out.splitlines()


def parse_float_list(line: str) -> List[float]:
    """Parse a printed list of floats, failing with a readable message."""
    value = ast.literal_eval(line)
    assert isinstance(value, list) and all(
        isinstance(item, float) for item in value), (
        'expected a printed list of floats, got {!r}'.format(line))
    return value


def still_running(fake: Fakes) -> int:
    """Count the tasks that called the fake sleep and have not finished."""
    return sum(1 for task in fake.time.tasks
               if task is not None and not task.done())


def plain_floats(name: str, value: object) -> List[float]:
    """Return what name returned as a plain list of plain floats.

    It must be a list of floats; a subclass's own comparisons (which
    could hide any disorder) are never used: the values are read through
    list's and float's own methods.
    """
    assert isinstance(value, list), (
        '{} should return a list, got {}'.format(name, type(value).__name__))
    values = list(list.__iter__(value))
    wrong = [item for item in values if not isinstance(item, float)]
    assert not wrong, '{} should return float delays, got {!r}'.format(
        name, wrong[0])
    return [float.__float__(item) for item in values]


def descents(values: Sequence[float]) -> int:
    """Count the places where a value is smaller than the one before it."""
    return sum(1 for a, b in zip(values, values[1:]) if b < a)


def retry_on_system_error(action: Callable[[], T]) -> T:
    """Run action, once more if CPython 3.11 raised its spurious AST error.

    CPython 3.11 (up to 3.11.7 at least; its issue gh-106905) can raise
    "SystemError: AST constructor recursion depth mismatch" when it builds
    an AST; it happens here in the grader's forked children, and the same
    call made again succeeds.
    """
    try:
        return action()
    except SystemError as error:
        if 'recursion depth mismatch' not in str(error):
            raise
        return action()


def parse(source: str) -> ast.Module:
    """Parse Python source into its syntax tree."""
    return retry_on_system_error(lambda: ast.parse(source))


def sort_calls(path: Path) -> List[str]:
    """Return each sort() or sorted() call in a file's source, with its line.

    Reading the syntax tree instead of the text means a comment or a
    docstring that mentions sorted() is not mistaken for a call.
    """
    tree = parse(path.read_text(encoding='utf-8'))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == 'sorted' or \
                    isinstance(func, ast.Attribute) and func.attr == 'sort':
                found.append('line {}'.format(node.lineno))
    return found


class WaitNContract:
    """The tests of wait_n's promise, for any function that makes it.

    A subclass sets taskno and defines the subject fixture, which returns
    the name and the function to test.
    """

    taskno = 1

    @pytest.fixture
    def subject(self, solution: Solution) -> Tuple[str, WaitN]:
        """Return the name of the function under test and the function."""
        raise NotImplementedError

    @pytest.mark.asyncio
    async def test_all_waits_are_in_flight_at_once(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        await wait_n(5, 3)
        assert fake.time.max_in_flight == 5, (
            '{} awaited each wait_random in turn: {} of 5 sleepers was in '
            'flight at once; create all the tasks before awaiting any'
            .format(name, fake.time.max_in_flight))

    @pytest.mark.asyncio
    async def test_takes_the_longest_delay_not_the_sum(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        await wait_n(10, 7)
        assert fake.time.now == max(fake.time.slept), (
            '{}(10, 7) took {:.2f} virtual seconds; running the waits '
            'together should take only the longest, {:.2f}'.format(
                name, fake.time.now, max(fake.time.slept)))

    @pytest.mark.asyncio
    @pytest.mark.parametrize('order', ['deadline', 'reverse', 'shuffle'])
    @pytest.mark.parametrize('n', [2, 10, 1000])
    async def test_ascending_whatever_order_sleepers_wake_in(
            self, subject: Tuple[str, WaitN], fake: Fakes, order: str,
            n: int) -> None:
        name, wait_n = subject
        fake.time.order = order
        fake.random.reseed(n)
        delays = plain_floats(name, await wait_n(n, 5))
        assert len(delays) == n, '{}({}, 5) returned {} values'.format(
            name, n, len(delays))
        assert descents(delays) == 0, (
            '{} returned {} values out of order when the sleepers woke in '
            '{} order; keep the list ordered as results arrive, completion '
            'order alone is not enough'.format(name, descents(delays), order))
        assert sorted(delays) == sorted(fake.time.slept), (
            '{} returned {} but the delays slept were {}'.format(
                name, delays, fake.time.slept))

    @pytest.mark.asyncio
    @pytest.mark.parametrize('n', [0, 1, 7])
    async def test_returns_one_delay_per_wait(
            self, subject: Tuple[str, WaitN], fake: Fakes, n: int) -> None:
        name, wait_n = subject
        delays = plain_floats(name, await wait_n(n, 4))
        assert len(delays) == n == len(fake.time.slept), (
            '{}({}, 4) returned {} delays after {} sleeps'.format(
                name, n, len(delays), len(fake.time.slept)))

    @pytest.mark.asyncio
    async def test_passes_max_delay_through(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        delays = plain_floats(name, await wait_n(4, 7))
        assert fake.random.calls == [(0, 7)] * 4, (
            '{}(4, 7) should draw each delay with random.uniform(0, 7); '
            'the calls were {}'.format(name, fake.random.calls))
        assert all(isinstance(delay, float) for delay in delays), (
            '{} should return the float delays, got {}'.format(name, delays))

    def test_does_not_call_sort(self, solution: Solution) -> None:
        path = solution.path(self.taskno)
        assert not sort_calls(path), (
            '{} calls sort() or sorted() ({}); insert each delay in its '
            'place as it arrives instead'.format(
                path.name, ', '.join(sort_calls(path))))

    @pytest.mark.extra
    @pytest.mark.asyncio
    async def test_cancelling_it_cancels_every_wait(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        fake.time.order = 'hold'
        outer = asyncio.ensure_future(wait_n(6, 2))
        await settle()
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        assert len(fake.time.tasks) == 6, (
            '{}(6, 2) had started {} of its 6 waits when it was cancelled'
            .format(name, len(fake.time.tasks)))
        assert not still_running(fake), (
            'when {} is cancelled, {} of its 6 waits are still running; '
            'cancel them and wait for them before returning'
            .format(name, still_running(fake)))

    @pytest.mark.extra
    @pytest.mark.asyncio
    async def test_a_timeout_leaves_nothing_pending(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        fake.time.order = 'hold'
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(wait_n(6, 2), timeout=0.001)
        assert not still_running(fake), (
            'after asyncio.wait_for({}(...)) timed out, {} waits were still '
            'running'.format(name, still_running(fake)))

    @pytest.mark.extra
    @pytest.mark.asyncio
    async def test_a_failing_wait_cancels_the_others(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        fake.time.fail_on = {2}
        with pytest.raises(RuntimeError, match='sleep number 2 failed'):
            await wait_n(6, 2)
        assert not still_running(fake), (
            'when one wait of {} failed, {} others were left running'
            .format(name, still_running(fake)))

    @pytest.mark.extra
    @pytest.mark.asyncio
    @pytest.mark.parametrize('argument, value, error', BAD_ARGUMENTS)
    async def test_rejects_a_bad_argument(
            self, subject: Tuple[str, WaitN], fake: Fakes, argument: str,
            value: object, error: Type[Exception]) -> None:
        name, wait_n = subject
        args: Dict[str, Any] = {'n': 3, 'max_delay': 1, argument: value}
        call = '{}({!r}, {!r})'.format(name, args['n'], args['max_delay'])
        with rejects(call, error, argument, value):
            await wait_n(args['n'], args['max_delay'])
        assert fake.time.slept == [], (
            '{} started waits before rejecting {}={!r}'.format(
                name, argument, value))

    @pytest.mark.subprocess
    def test_main_file_prints_ascending_lists(
            self, solution: Solution) -> None:
        lines = run_main(solution, self.taskno)
        sizes = [(5, 5), (10, 7), (10, 0)] if self.taskno == 1 else [(5, 6)]
        assert len(lines) == len(sizes), (
            'the main file should print {} lines, printed {!r}'.format(
                len(sizes), lines))
        for line, (n, max_delay) in zip(lines, sizes):
            delays = parse_float_list(line)
            assert len(delays) == n and descents(delays) == 0 and all(
                0 <= delay <= max_delay for delay in delays), (
                'expected {} ascending delays in [0, {}], got {}'.format(
                    n, max_delay, line))
