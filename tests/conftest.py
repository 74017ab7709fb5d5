"""Where the task modules come from, and the fakes patched into them.

Every test reaches the task modules through the solution fixture, never by
importing them itself, so that the same suite can be pointed at another
folder of task files.
"""
import asyncio
import importlib
import random
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator, List

import pytest

from asyncio_fakes import (FakeRandom, FakeTime, FakeTimeModule, real_sleep,
                           real_uniform)

ROOT = Path(__file__).resolve().parent.parent
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
        """Import (once) and return task taskno's module."""
        if not self._modules:
            for other in TASK_MODULES:
                sys.modules.pop(self.name(other), None)
        if taskno not in self._modules:
            name = self.name(taskno)
            sys.path.insert(0, str(self.directory))
            try:
                self._modules[taskno] = importlib.import_module(name)
            finally:
                sys.path.remove(str(self.directory))
        return self._modules[taskno]

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


@pytest.fixture(scope='session')
def solution() -> Solution:
    """Return the folder of task files under test."""
    return Solution(ROOT)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, solution: Solution
         ) -> Iterator[Fakes]:
    """Patch asyncio.sleep, random.uniform and the clocks with fakes.

    The modules are patched both through the asyncio, random and time
    modules and through any name they bound directly (from asyncio import
    sleep), so the fakes take effect however the code spells its calls.
    """
    for taskno in TASK_MODULES:
        if solution.path(taskno).exists():
            solution.module(taskno)
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
