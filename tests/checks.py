"""Checks that more than one task's tests share.

wait_n and task_wait_n promise the same thing, so WaitNContract holds the
tests of that promise once; each task's test file subclasses it and says
which function it is about. The rest are small helpers for the main
files, the bad-input tables, and reading a module's source.
"""
import ast
import asyncio
import builtins
import contextlib
import functools
import gc
import inspect
import operator
import os
import re
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import (Any, Callable, Coroutine, Dict, Iterator, List,
                    NamedTuple, Optional, Sequence, Set, Tuple, Type,
                    TypeVar)

import pytest
import vermin  # type: ignore

from grader import MAIN_FILES, fakes
from grader.fakes import settle
from grader.report import plural
from conftest import Fakes, Solution

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


def exercise_main(solution: Solution, taskno: int) -> str:
    """Return the exercise's main file for task taskno, importing the
    folder's modules by the folder's own names (0-basic_async_syntax or
    0_basic_async_syntax).

    The main files come with the exercise, and its checker runs its own:
    a folder's copy, edited or missing, is not what is graded.
    """
    text = MAIN_FILES[taskno].read_text(encoding='utf-8')
    return re.sub(r"__import__\('(\d)_", lambda found: "__import__('{}{}"
                  .format(found.group(1), solution.separator), text)


def run_main(solution: Solution, taskno: int) -> List[str]:
    """Run task taskno's main file on a virtual clock; return its lines.

    The exercise's main file (see exercise_main) runs in a forked copy of
    the test process, from the solution folder, as N-main.py there would,
    with the real asyncio.sleep; only the clock is virtual, so a 15 s
    wait takes no real time. The task modules are imported afresh, so
    what they print when imported is in the output. The earlier tasks'
    functions are the reference's there too, so that the file tests this
    task alone.
    """
    path = solution.main_path(taskno)
    status, out, err = fakes.run_main_forked(
        str(path), timeout=30,
        prepare=lambda: solution.import_afresh(taskno),
        source=exercise_main(solution, taskno))
    errors = err.strip().splitlines() or ['no error output']
    assert status == 0, '{} failed with exit status {}: {}'.format(
        path.name, 'none (it ran out of time)' if status is None else status,
        errors[-1])
    return out.splitlines()


def parse_float(line: str) -> float:
    """Parse a printed float, failing with a readable message."""
    try:
        return float(line)
    except ValueError:
        pytest.fail('expected a printed number, got {!r}'.format(line),
                    pytrace=False)


def parse_float_list(line: str) -> List[float]:
    """Parse a printed list of floats, failing with a readable message."""
    try:
        value = ast.literal_eval(line)
    except (ValueError, SyntaxError):
        value = None
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


OURS = (str(Path(fakes.__file__).parent) + os.sep,
        str(Path(__file__).parent) + os.sep)


@contextlib.contextmanager
def sort_calls_at_run_time(profile_calls: bool = True
                           ) -> Iterator[List[str]]:
    """Record every sorted() or list.sort() call made in the block.

    A profile function, in this thread and in every thread started in
    the block (an executor's, say), sees each call of a built-in
    function, whatever name or route reached it (an alias, getattr, a
    helper module, heapq.nsmallest, run_in_executor); only the calls from
    this project's own code (the fakes, the tests) are left out. A call
    made from C (a functools.partial of sorted, map(sorted, ...)) raises
    no profile event, so the built-in sorted is also wrapped for the
    block, wherever the folder's code looks it up, and any partial that
    holds the real one is reported. Each is recorded as file:line.
    Without profile_calls (a profile function costs a call per call, at
    n = 1,000 a second) only the wrapper and the partials look: a sort
    through the name sorted, heapq.nsmallest's too.
    """
    found: List[str] = []
    real = builtins.sorted

    def note(kind: str, frame: Optional[FrameType]) -> None:
        """Record one sort, where the folder's code made it."""
        where = frame.f_code.co_filename if frame else '?'
        if not where.startswith(OURS):
            found.append('{}() at {}:{}'.format(
                kind, os.path.basename(where),
                frame.f_lineno if frame else 0))

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        """Note a call of sorted or of a list's sort method."""
        if event != 'c_call':
            return
        if arg is real or getattr(arg, '__name__', '') == 'sort' \
                and isinstance(getattr(arg, '__self__', None), list):
            note('sorted' if arg is real else 'sort', frame)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        """Note a call of sorted that reached the built-in's name."""
        note('sorted', sys._getframe(1))
        return real(*args, **kwargs)

    previous = sys.getprofile()
    if profile_calls:
        sys.setprofile(profile)
        threading.setprofile(profile)
    builtins.sorted = wrapped
    try:
        yield found
    finally:
        builtins.sorted = real
        threading.setprofile(None)
        still = sys.getprofile() is (profile if profile_calls else previous)
        sys.setprofile(previous)
    found += ['a functools.partial of {}'.format(
        getattr(holder.func, '__name__', 'sort')) for holder in
        gc.get_referrers(real, list.sort) if isinstance(
            holder, functools.partial) and holder.func in (real, list.sort)]
    assert still, ('the code under test took away the profile function that '
                   'looks for sorting')


def out_of_order(call: str, delays: List[float], fake: Fakes,
                 max_delay: float) -> str:
    """Say how a list came out of order, as a real loop would make it."""
    at = next(index for index in range(len(delays) - 1)
              if delays[index + 1] < delays[index])
    pair = '{:.4g} before {:.4g}'.format(delays[at], delays[at + 1])
    if delays == fake.time.waits and delays != fake.time.woke:
        return ('{} returned the delays in the order their waits were '
                'created ({}), as asyncio.gather gives them; put each in its '
                'place as it arrives'.format(call, pair))
    how = 'when all the waits start at once' if not fake.time.skew else \
        'when {}, so that a shorter wait that starts later finishes after ' \
        'a longer one'.format(started_apart(fake, max_delay))
    return ('{} returned its delays out of order ({}) {}; completion order '
            'alone is not enough: keep the list ordered as each delay '
            'arrives'.format(call, pair, how))


def started_apart(fake: Fakes, max_delay: float) -> str:
    """Say how far apart the waits started, as a real loop starts them."""
    return ('each wait starts {:.3g} s after the one before ({:.3g}% of '
            'max_delay, as on a real loop when max_delay is small or n '
            'large)'.format(fake.time.skew, 100 * fake.time.skew / max_delay))


def too_few(call: str, delays: List[float], fake: Fakes,
            max_delay: float) -> str:
    """Say why a call returned fewer delays than it should have: if some
    of its waits had not finished, that it gave up on them."""
    said = '{} returned {}'.format(call, plural(len(delays), 'value'))
    unfinished = len(fake.time.waits) - len(fake.time.woke)
    if unfinished <= 0:
        return said
    when = '' if not fake.time.skew else ', as when {}'.format(
        started_apart(fake, max_delay))
    return ('{}: {} of its {} waits had not finished when it returned; a '
            'timeout (asyncio.wait(..., timeout=...), wait_for) gives up on '
            'waits that finish late{}; wait for every one'.format(
                said, unfinished, len(fake.time.waits), when))


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


ASYNCIO_GENERICS = {'Task', 'Future', 'Queue', 'PriorityQueue',
                    'LifoQueue'}
BUILTIN_GENERICS = {'list', 'dict', 'set', 'frozenset', 'tuple', 'type'}
VERMIN = vermin.Config()
VERMIN.set_eval_annotations(True)  # annotations 3.7 evaluates at run time
VERMIN.set_verbose(3)  # a line for each finding, with its line number
VERMIN_FINDING = re.compile(
    r'^L(\d+)(?: C\d+)?: (.*) requires? (?:!2, )?(\d+)\.(\d+)')


def newer_syntax(source: str) -> Optional[str]:
    """Return the first syntax in source that Python 3.7 cannot parse,
    with its line (checked on Python 3.8 and newer), or None."""
    if sys.version_info >= (3, 8):
        try:
            ast.parse(source, feature_version=(3, 7))
        except SyntaxError as error:
            return '{} at line {}'.format(error.msg, error.lineno)
    return None


def py37_problems(source: str) -> List[str]:
    """Return what in source would fail on Python 3.7, each with its line.

    Syntax newer than 3.7 (checked by parsing as 3.7 would, on Python 3.8
    and newer); modules, functions and keyword arguments newer than 3.7,
    as vermin (a kept library of what each Python version added) finds
    them, through any alias (`import asyncio as aio`); and a generic
    subscript (`list[float]`, `collections.abc.Callable[...]`, an
    asyncio class however imported, `Task[Any]`: Python 3.9) or an `X |
    Y` annotation (3.10) wherever Python 3.7 would evaluate it: in code,
    and in annotations of functions, modules and classes unless the
    module has `from __future__ import annotations` (never in a local
    variable's annotation, which is not evaluated). vermin's own findings
    of those are left out: it cannot tell which annotations run. Nor is
    what a version check keeps from Python 3.7 (`if sys.version_info >=
    (3, 8):`) a problem.
    """
    newer = newer_syntax(source)
    if newer:
        return [newer]
    tree = parse(source)
    skipped = lines_older_pythons_skip(tree)
    problems = ['{} at line {} (needs Python {})'.format(what, line, version)
                for what, line, version in evaluated_generics(tree)
                if line not in skipped]
    for line in vermin.visit(source, VERMIN).output_text().splitlines():
        found = VERMIN_FINDING.match(line)
        if found and (int(found.group(3)), int(found.group(4))) > (3, 7) \
                and 'generic type annotation' not in found.group(2) and \
                'union types' not in found.group(2) and \
                int(found.group(1)) not in skipped:
            problems.append('{} at line {} (needs Python {}.{})'.format(
                found.group(2).replace("'", ''), found.group(1),
                found.group(3), found.group(4)))
    return problems


def lines_older_pythons_skip(tree: ast.Module) -> Set[int]:
    """Return the lines Python 3.7 never runs because a version check
    keeps them from it: the body of `if sys.version_info >= (3, 8):`, the
    else of `if sys.version_info < (3, 8):`, and the like."""
    skipped: Set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        runs_body = runs_body_on_37(node.test)
        if runs_body is None:
            continue
        for statement in node.orelse if runs_body else node.body:
            skipped.update(range(statement.lineno, max(
                getattr(inner, 'lineno', statement.lineno)
                for inner in ast.walk(statement)) + 1))
    return skipped


VERSION_TESTS = {ast.GtE: operator.ge, ast.Gt: operator.gt,
                 ast.LtE: operator.le, ast.Lt: operator.lt}


def literal(node: ast.AST) -> Any:
    """Return the value a literal of the syntax tree stands for, or None
    if it is no literal (a name, a call)."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def runs_body_on_37(test: ast.expr) -> Optional[bool]:
    """Tell whether Python 3.7 runs the body of an if whose test compares
    sys.version_info (or a slice of it) with a tuple; None if it is no
    such test."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or \
            type(test.ops[0]) not in VERSION_TESTS:
        return None
    left = test.left.value if isinstance(test.left, ast.Subscript) \
        else test.left
    named = left.attr if isinstance(left, ast.Attribute) else getattr(
        left, 'id', None)
    version = literal(test.comparators[0])
    if named != 'version_info' or not isinstance(version, tuple):
        return None
    ours = ((3, 7) + (99,) * 3)[:max(2, len(version))]
    return bool(VERSION_TESTS[type(test.ops[0])](ours, version))


def evaluated_generics(tree: ast.Module) -> List[Tuple[str, int, str]]:
    """Return each generic subscript or union Python 3.7 would evaluate.

    The classes are found by whatever name the module bound them: a
    built-in (list), an asyncio class (asyncio.Task, or Task imported
    from asyncio, or from aio), or a class of collections or
    collections.abc.
    """
    lazy = any(isinstance(node, ast.ImportFrom) and node.module ==
               '__future__' and any(alias.name == 'annotations'
                                    for alias in node.names)
               for node in tree.body)
    modules = {alias.asname or alias.name.split('.')[0]:
               alias.name if alias.asname else alias.name.split('.')[0]
               for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names
               if alias.name in ('asyncio', 'collections', 'collections.abc')}
    classes = {alias.asname or alias.name: '{}.{}'.format(node.module,
                                                          alias.name)
               for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module in ('asyncio', 'collections',
                                   'collections.abc')
               for alias in node.names}
    annotations: List[ast.expr] = []
    local: List[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = getattr(args, 'posonlyargs', []) + args.args + \
                args.kwonlyargs + [arg for arg in (args.vararg, args.kwarg)
                                   if arg is not None]
            annotations += [arg.annotation for arg in every
                            if arg.annotation is not None]
            if node.returns is not None:
                annotations.append(node.returns)
            local += [item.annotation for item in ast.walk(node)
                      if isinstance(item, ast.AnnAssign)]
        elif isinstance(node, (ast.Module, ast.ClassDef)):
            annotations += [item.annotation for item in node.body
                            if isinstance(item, ast.AnnAssign)]
    unevaluated = {id(part) for annotation in
                   local + (annotations if lazy else [])
                   for part in ast.walk(annotation)}
    evaluated = {id(part) for annotation in annotations
                 for part in ast.walk(annotation)} - unevaluated
    found = []
    for node in ast.walk(tree):
        if id(node) in unevaluated:
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) \
                and id(node) in evaluated:
            found.append(('X | Y in an annotation', node.lineno, '3.10'))
        if not isinstance(node, ast.Subscript):
            continue
        name = dotted(node.value)
        head, _, rest = name.partition('.')
        full = classes.get(name) or (
            modules[head] + '.' + rest if head in modules and rest else
            name if name in BUILTIN_GENERICS else '')
        if full in BUILTIN_GENERICS or full.startswith(
                ('collections.', 'asyncio.')) and \
                full.split('.')[-1][:1].isupper() and (
                    not full.startswith('asyncio.') or
                    full.split('.')[-1] in ASYNCIO_GENERICS):
            found.append(('{}[...]'.format(full), node.lineno, '3.9'))
    return found


def dotted(node: ast.expr) -> str:
    """Return a name or attribute chain as text (a.b.c), or ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return inner + '.' + node.attr if inner else ''
    return ''


def sort_calls(path: Path) -> List[str]:
    """Return each sort() or sorted() call in a file's source, with its line.

    Reading the syntax tree instead of the text means a comment or a
    docstring that mentions sorted() is not mistaken for a call.
    """
    tree = parse(path.read_text(encoding='utf-8-sig'))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == 'sorted' or \
                    isinstance(func, ast.Attribute) and func.attr == 'sort':
                found.append('line {}'.format(node.lineno))
    return found


LARGE = 1000  # the n of the run at scale, which three tests judge
SMALL = 0.001  # the max_delay (seconds) of the runs whose waits start apart


class AtScale(NamedTuple):
    """What one run of wait_n(LARGE, 4) did: each check at scale reads it,
    so the costliest run of a task is made once, not once per check."""

    delays: List[float]  # what it returned, as plain floats
    waits: int  # the waits it started
    max_in_flight: int  # the most waits in flight at once
    sorts: List[str]  # the sorted() or list.sort calls made meanwhile


AT_SCALE: Dict[str, AtScale] = {}  # by the name of the function judged


async def at_scale(name: str, wait_n: WaitN, fake: Fakes) -> AtScale:
    """Run name(LARGE, 4) once in this process, sorting watched (see
    sort_calls_at_run_time, which at this size only wraps sorted); return
    what it did, the same to every test that asks. An error it raised is
    raised to each."""
    if name not in AT_SCALE:
        with sort_calls_at_run_time(profile_calls=False) as found:
            delays = plain_floats(name, await wait_n(LARGE, 4))
        AT_SCALE[name] = AtScale(delays, len(fake.time.waits),
                                 fake.time.max_in_flight, found)
    return AT_SCALE[name]


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

    def test_is_a_coroutine_function(
            self, subject: Tuple[str, WaitN]) -> None:
        name, wait_n = subject
        assert inspect.iscoroutinefunction(wait_n), (
            '{} should be a coroutine (async def) that awaits the waits; '
            'it is a plain function'.format(name))

    @pytest.mark.asyncio
    @pytest.mark.parametrize('n', [5, LARGE])
    async def test_all_waits_are_in_flight_at_once(
            self, subject: Tuple[str, WaitN], fake: Fakes, n: int) -> None:
        name, wait_n = subject
        if n == LARGE:
            seen = await at_scale(name, wait_n, fake)
            started, most, call = seen.waits, seen.max_in_flight, '{}({}, 4)'
        else:
            await wait_n(n, 3)
            started, most = len(fake.time.waits), fake.time.max_in_flight
            call = '{}({}, 3)'
        assert started <= n, (
            (call + ' started {} waits for n = {}; start exactly n').format(
                name, n, started, n))
        assert most == n, (
            (call + ' had at most {} of its {} waits in flight at once; '
             'create all the tasks before awaiting any').format(
                name, n, most, n))

    @pytest.mark.asyncio
    async def test_takes_the_longest_delay_not_the_sum(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        await wait_n(10, 7)
        assert fake.time.waits, '{}(10, 7) never slept'.format(name)
        assert fake.time.now == max(fake.time.waits), (
            '{}(10, 7) took {:.2f} virtual seconds; running the waits '
            'together should take only the longest, {:.2f}'.format(
                name, fake.time.now, max(fake.time.waits)))

    @pytest.mark.asyncio
    @pytest.mark.parametrize('n, spread', [  # all at once first; then the
        # lag of a real loop's starts (tens of microseconds), the case a
        # failure is first told with; then wider and narrower ones
        (2, 0), (10, 0), (100, 0), (10, 0.5), (2, 0.5), (2, 4), (10, 4),
        (100, 4), (500, 0.5)])
    async def test_ascending_whatever_order_sleepers_wake_in(
            self, subject: Tuple[str, WaitN], fake: Fakes, spread: float,
            n: int) -> None:
        """The waits of a real loop start one after another: with n large
        or max_delay small, a shorter wait that starts later finishes
        after a longer one. spread is how many max_delays pass between
        the first wait's start and the last's (0: all at once); what
        matters is the spread, so n = 100 shows what n = 20,000 would,
        and one case at n = 500 checks a long list. max_delay is 1 ms, as
        in a real run where this happens, so that the lag between starts
        is one a busy loop has (microseconds to a millisecond or two),
        and a timeout with a margin in seconds is not put to a test no
        real run makes."""
        name, wait_n = subject
        fake.time.skew = spread * SMALL / n
        fake.random.reseed(n)
        call = '{}({}, {})'.format(name, n, SMALL)
        delays = plain_floats(name, await wait_n(n, SMALL))
        assert len(delays) == n, too_few(call, delays, fake, SMALL)
        assert descents(delays) == 0, out_of_order(call, delays, fake,
                                                   SMALL)
        assert sorted(delays) == sorted(fake.time.waits), (
            '{} returned {} but the delays slept were {}'.format(
                name, delays, fake.time.waits))

    @pytest.mark.asyncio
    async def test_keeps_equal_delays(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        fake.random.use([0.5403023058681398, 0.2122065907891938,
                         0.5403023058681398, 0.5403023058681398,
                         0.2122065907891938])
        returned = await wait_n(5, 4)
        delays = plain_floats(name, returned)
        low, high = 0.2122065907891938 * 4, 0.5403023058681398 * 4
        assert delays == [low, low, high, high, high], (
            '{}(5, 4) returned {} for the delays {}; keep every delay, '
            'equal ones too'.format(name, delays, fake.time.waits))
        again = await wait_n(2, 4)
        after = list(list.__iter__(returned))
        assert again is not returned and after == delays, (
            '{}(5, 4) returned a list that the next call, {}(2, 4), changed '
            'to {}: return a new list from each call (a list kept at the '
            "module's level is every call's)".format(name, name, after))

    @pytest.mark.asyncio
    @pytest.mark.parametrize('n', [0, 1, 7, LARGE])
    async def test_returns_one_delay_per_wait(
            self, subject: Tuple[str, WaitN], fake: Fakes, n: int) -> None:
        name, wait_n = subject
        if n == LARGE:
            seen = await at_scale(name, wait_n, fake)
            delays, waits = seen.delays, seen.waits
        else:
            delays = plain_floats(name, await wait_n(n, 4))
            waits = len(fake.time.waits)
        assert len(delays) == n == waits, (
            '{}({}, 4) returned {} after {}'.format(
                name, n, plural(len(delays), 'delay'),
                plural(waits, 'sleep')))

    @pytest.mark.asyncio
    async def test_passes_max_delay_through(
            self, subject: Tuple[str, WaitN], fake: Fakes) -> None:
        name, wait_n = subject
        delays = plain_floats(name, await wait_n(4, 7))
        assert sorted(delays) == sorted(fake.random.drawn(7)), (
            '{}(4, 7) returned {}, not the 4 delays that wait_random(7) drew '
            '({}); pass max_delay on to each wait'.format(
                name, delays, sorted(fake.random.drawn(7))))

    @pytest.mark.asyncio
    @pytest.mark.parametrize('n', [50, LARGE])
    async def test_does_not_sort_at_run_time(
            self, subject: Tuple[str, WaitN], fake: Fakes, n: int) -> None:
        """At each size the tests use: code may sort only past some n."""
        name, wait_n = subject
        if n == LARGE:
            found = (await at_scale(name, wait_n, fake)).sorts
        else:  # the waits start apart, so that they finish out of order
            fake.time.skew = 0.5 * SMALL / n
            fake.random.reseed(n)
            with sort_calls_at_run_time() as found:
                await wait_n(n, SMALL)
        assert not found, (
            '{} sorts at run time ({}); insert each delay in its place as '
            'it arrives instead'.format(name, ', '.join(found[:3])))

    def test_does_not_call_sort(self, solution: Solution) -> None:
        path = solution.check_file(self.taskno)
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
    @pytest.mark.parametrize('argument', ['n', 'max_delay'])
    async def test_rejects_a_bad_argument(
            self, subject: Tuple[str, WaitN], fake: Fakes,
            argument: str) -> None:
        """Each bad value of the argument in turn (BAD_N, BAD_MAX_DELAY):
        the first one not rejected as it should be is the advice."""
        name, wait_n = subject
        for value, error in BAD_N if argument == 'n' else BAD_MAX_DELAY:
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
            '{} should print {} lines, printed {!r}'.format(
                solution.main_path(self.taskno).name, len(sizes), lines))
        for line, (n, max_delay) in zip(lines, sizes):
            delays = parse_float_list(line)
            assert len(delays) == n and descents(delays) == 0 and all(
                0 <= delay <= max_delay for delay in delays), (
                'expected {} ascending delays in [0, {}], got {}'.format(
                    n, max_delay, line))
