"""Where the task modules come from, the fakes patched into them, and the
command-line options that point the suite at another folder.

Every test reaches the task modules through the solution fixture, never by
importing them itself, so that the same suite can grade another folder of
task files (--solution-dir; see grading.py for how that runs).
"""
import asyncio
import importlib
import random
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional

import pytest

from asyncio_fakes import (FakeRandom, FakeTime, FakeTimeModule, real_sleep,
                           real_uniform)
from grading import GradingTimeout, Grader, Summary, one_line

ROOT = Path(__file__).resolve().parent.parent
# The options hook, re-exported so that pytest calls it from this conftest
# too, for runs where the plugin is not installed (the second call is a
# no-op when it is).
try:
    from grading_options import pytest_addoption  # noqa: F401
except ImportError:  # the plugin is not installed: use it from the source
    sys.path.append(str(ROOT / 'grading_plugin'))
    from grading_options import pytest_addoption  # noqa: F401

TASK_MODULES = {0: '0_basic_async_syntax', 1: '1_concurrent_coroutines',
                2: '2_measure_runtime', 3: '3_tasks', 4: '4_tasks'}
CLOCKS = ('perf_counter', 'time', 'monotonic',
          'perf_counter_ns', 'time_ns', 'monotonic_ns')
REAL_CLOCKS = [getattr(time, name) for name in CLOCKS]


class Solution:
    """A folder of task files, named with '_' (ours) or '-' (the exercise's).

    Modules are imported from the folder on first use and kept for the
    session; modules of the same names imported before the first use are
    dropped then, so the folder's own files are the ones that run.
    """

    def __init__(self, directory: Path) -> None:
        """Use directory, and whichever naming its task 0 file has."""
        self.directory = directory
        hyphen = directory / '0-basic_async_syntax.py'
        underscore = directory / '0_basic_async_syntax.py'
        self.separator = '-' if hyphen.exists() and \
            not underscore.exists() else '_'
        self._modules: Dict[int, ModuleType] = {}
        self._errors: Dict[int, str] = {}

    def name(self, taskno: int) -> str:
        """Return the module name of task taskno in this folder."""
        return TASK_MODULES[taskno].replace('_', self.separator, 1)

    def path(self, taskno: int) -> Path:
        """Return the path of task taskno's module file."""
        return self.directory / (self.name(taskno) + '.py')

    def main_path(self, taskno: int) -> Path:
        """Return the path of task taskno's main file."""
        return self.directory / '{}{}main.py'.format(taskno, self.separator)

    def module(self, taskno: int) -> ModuleType:
        """Import (once) and return task taskno's module.

        If the file is missing, or importing it fails in any way (a syntax
        error, an exception, even sys.exit()), the calling test fails with
        a one-line reason, and so does every later test of that module.
        """
        if not self._modules and not self._errors:
            for other in TASK_MODULES:
                sys.modules.pop(self.name(other), None)
            if self.directory != ROOT:  # so ours cannot stand in for theirs
                sys.path[:] = [entry for entry in sys.path
                               if Path(entry or '.').resolve() != ROOT]
            sys.path.insert(0, str(self.directory))
        if taskno not in self._modules and taskno not in self._errors:
            try:
                self._modules[taskno] = self._import(taskno)
            except GradingTimeout:
                raise
            except BaseException as error:
                self._errors[taskno] = self._explain(taskno, error)
        if taskno in self._errors:
            pytest.fail(self._errors[taskno], pytrace=False)
        return self._modules[taskno]

    def _import(self, taskno: int) -> ModuleType:
        """Import task taskno's module from the folder."""
        return importlib.import_module(self.name(taskno))

    def _explain(self, taskno: int, error: BaseException) -> str:
        """Say in one line why task taskno's module could not be used."""
        path = self.path(taskno)
        if not path.exists():
            return '{}: file not found'.format(path.name)
        missing = getattr(error, 'name', None)
        if isinstance(error, ImportError) and missing in {
                self.name(other) for other in TASK_MODULES}:
            return '{}.py: file not found (imported by {})'.format(
                missing, path.name)
        if isinstance(error, SyntaxError):
            return '{} has a syntax error at line {}: {}'.format(
                path.name, error.lineno, error.msg)
        return '{} could not be imported: {}'.format(path.name,
                                                     one_line(error))

    def loaded(self) -> List[ModuleType]:
        """Return the modules imported so far, with those they imported."""
        names = {self.name(taskno) for taskno in TASK_MODULES}
        return [sys.modules[name] for name in names if name in sys.modules]


class Fakes:
    """The FakeTime and FakeRandom patched in for one test."""

    def __init__(self) -> None:
        """Make a FakeTime and a FakeRandom with their defaults."""
        self.time = FakeTime()
        self.random = FakeRandom()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> Optional[int]:
    """Run again from this project's root if pytest rooted itself elsewhere.

    pytest picks its root folder before it knows any option, so it takes
    the PATH of `--solution-dir PATH` for a test path and roots itself
    there, without this project's setup.cfg. The same command, run again
    with the root and the config file named, is then what the user meant.
    """
    if config.rootpath == ROOT or not config.getoption('solution_dir'):
        return None
    command = [sys.executable, '-m', 'pytest', '--rootdir', str(ROOT),
               '-c', str(ROOT / 'setup.cfg')]
    return subprocess.call(command + list(config.invocation_params.args),
                           cwd=str(config.invocation_params.dir))


def pytest_configure(config: pytest.Config) -> None:
    """Grade another folder, or run on our own, as asked."""
    solution_dir = config.getoption('solution_dir')
    if solution_dir:
        config.pluginmanager.register(
            Grader(str(Path(solution_dir).resolve()),
                   config.getoption('test_timeout')), 'grader')
    config.pluginmanager.register(Summary(config, solution_dir and str(
        Path(solution_dir).resolve())), 'summary')


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    """Attach the one-line reason of a failure or skip to its report."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and not report.passed:
        report.user_properties.append(('message',
                                       one_line(call.excinfo.value)))


@pytest.fixture(scope='session')
def solution(request: pytest.FixtureRequest) -> Solution:
    """Return the folder of task files under test."""
    directory = request.config.getoption('solution_dir')
    return Solution(Path(directory).resolve() if directory else ROOT)


@pytest.fixture
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
         solution: Solution) -> Iterator[Fakes]:
    """Patch asyncio.sleep, random.uniform and the clocks with fakes.

    The test's own task module is imported first (with whatever it imports
    in turn). The modules are patched both through the asyncio, random and
    time modules and through any name they bound directly (from asyncio
    import sleep), so the fakes take effect however the code spells its
    calls.
    """
    marker = request.node.get_closest_marker('task')
    if marker is not None:
        solution.module(marker.kwargs['taskno'])
    fakes = Fakes()
    fake_time_module = FakeTimeModule(fakes.time)
    monkeypatch.setattr(asyncio, 'sleep', fakes.time.sleep)
    monkeypatch.setattr(random, 'uniform', fakes.random.uniform)
    monkeypatch.setattr(time, 'perf_counter', fakes.time.clock)
    monkeypatch.setattr(time, 'time', fakes.time.clock)
    replacements = [(real_sleep, fakes.time.sleep),
                    (real_uniform, fakes.random.uniform),
                    (time, fake_time_module)] + [
        (real, getattr(fake_time_module, name))
        for real, name in zip(REAL_CLOCKS, CLOCKS)]
    for module in solution.loaded():
        for name, value in list(vars(module).items()):
            for real, replacement in replacements:
                if value is real:
                    monkeypatch.setattr(module, name, replacement)
    yield fakes
