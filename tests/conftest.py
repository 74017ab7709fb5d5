"""The suite's fixtures: the folder under test and the fakes patched in.

Every test reaches the task modules through the solution fixture, never by
importing them itself, so that the same suite can grade another folder of
task files. How grading runs (a sandboxed child, a process per task) is
the grader package's business; see grader/__init__.py.
"""
import asyncio
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any, Iterator, List

try:
    import pytest
    import pytest_asyncio  # noqa: F401
except ImportError as error:  # pragma: no cover - said once, in one line
    sys.stderr.write(
        '{} is not installed here: set up as the README says, python3 -m '
        'venv .venv && .venv/bin/python -m pip install -r '
        'requirements-test.txt, then run .venv/bin/python -m pytest\n'
        .format(error.name))
    raise SystemExit(4)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path and 'grader' not in sys.modules:
    sys.path.append(str(ROOT))  # the grader package, when not installed

import background  # noqa: E402
from grader import child, one_line, pytest_route  # noqa: E402
from grader.fakes import Fakes, patch, virtual_clock  # noqa: E402
from grader.options import pytest_addoption  # noqa: E402,F401
from grader.solution import SOLUTION, Solution, SolutionError  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Pick the folder under test, and grade it if it is not ours.

    In a grading child (the supervisor and its task processes) the tests
    run here against the folder; anywhere else, a --solution-dir folder is
    graded by the engine, and this process runs none of its code. Every
    event loop made from here on, pytest-asyncio's too, runs on a virtual
    clock (see grader.fakes).
    """
    virtual_clock()
    directory = config.getoption('solution_dir')
    config.stash[SOLUTION] = Solution(
        Path(directory).resolve() if directory else ROOT)
    if child.ACTIVE:
        return
    pytest_route.configure(config)


def pytest_collection_modifyitems(config: pytest.Config,
                                  items: List[pytest.Item]) -> None:
    """Keep only the tests of the tasks asked for (--task, or grading).

    Grading another folder also leaves out the tests of our own helpers.
    """
    tasks = config.getoption('task')
    grading = config.getoption('solution_dir')
    if not tasks and not grading:
        return
    keep: List[pytest.Item] = []
    drop: List[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker('task')
        wanted = marker is not None and (
            not tasks or marker.kwargs['taskno'] in tasks) and not (
            grading and item.get_closest_marker('own') is not None)
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start every background command the selected tests will wait for.

    Each grades in processes of its own, so they all run at once, and
    the other tests meanwhile (see background.py).
    """
    if not session.config.option.collectonly and not child.ACTIVE:
        background.start(name for item in session.items
                         for name in getattr(item, 'fixturenames', ()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop and clean up the background commands."""
    background.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    """Attach the one-line reason of a failure or skip to its report."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and not report.passed:
        error = call.excinfo.value
        message = one_line(error)
        if not isinstance(error, (AssertionError, SolutionError,
                                  pytest.fail.Exception,
                                  pytest.skip.Exception)):
            solution = item.config.stash[SOLUTION]
            where = raised_in(call.excinfo.tb, solution.directory)
            if where and isinstance(error, TIMEOUTS):
                message += ' (a timeout the code set ran out before what it ' \
                    'waited for had ended)'
            message += where
            if isinstance(error, CHANGED_API):
                message += only_here(call.excinfo.tb, solution, item)
        report.user_properties.append(('message', message))


TIMEOUTS = (TimeoutError, asyncio.TimeoutError)  # one class from 3.11 on
CHANGED_API = (TypeError, AttributeError, ImportError, Warning)  # how a
# call an older Python accepted fails on a newer one (a keyword or an
# argument's type refused, a function gone, a deprecation); a timeout or
# a cancellation comes from the code's timing, on any Python


STDLIB = sysconfig.get_paths()['stdlib'] + os.sep


def only_here(tb: Any, solution: Solution, item: pytest.Item) -> str:
    """Say so if an error came from the standard library of a grading
    Python newer than 3.7, and Python 3.7 ran the task's code without
    error (see grader.python37): it fails here only. (The caller asks
    only of the errors a changed API raises, CHANGED_API.)"""
    taskno = child.taskno_of(item)
    said = None if taskno is None else solution.said_by_python37(taskno)
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = tb.tb_frame.f_code.co_filename
    if said is None or not said.ran or not where.startswith(STDLIB) or \
            sys.version_info[:2] == (3, 7):
        return ''
    return ("; Python 3.7, the exercise's interpreter, runs {} without "
            'error: this comes from Python {}.{}, the grading interpreter '
            '({})'.format(said.ran, sys.version_info[0], sys.version_info[1],
                          os.path.relpath(where, STDLIB)))


def raised_in(tb: Any, directory: Path) -> str:
    """Say where in the folder's own code an error was raised, if there:
    ', raised in wait_random (0-basic_async_syntax.py:9)'."""
    where = ''
    while tb is not None:
        code = tb.tb_frame.f_code
        path = Path(code.co_filename)
        if path.parent == directory:
            where = ', raised in {} ({}:{})'.format(
                code.co_name, path.name, tb.tb_lineno)
        tb = tb.tb_next
    return where


@pytest.fixture(scope='session')
def solution(request: pytest.FixtureRequest) -> Solution:
    """Return the folder of task files under test."""
    return request.config.stash[SOLUTION]


@pytest.fixture
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
         solution: Solution) -> Iterator[Fakes]:
    """Patch asyncio.sleep, the random draws and the clocks with fakes.

    The test's own task module is imported first (with whatever it imports
    in turn), so that the names it bound can be patched too, and the
    earlier tasks' functions are replaced by the reference's, so that the
    test judges this task's code alone.
    """
    marker = request.node.get_closest_marker('task')
    taskno = None if marker is None else marker.kwargs['taskno']
    if taskno is not None:
        solution.module(taskno)
        solution.stand_in(taskno, monkeypatch.setattr)
    fakes = Fakes()
    patch(monkeypatch.setattr, fakes, solution.loaded())
    yield fakes


__all__ = ['ROOT', 'Fakes', 'Solution', 'SolutionError']
