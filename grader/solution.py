"""A folder of task files: importing its modules, and checking they are its.

Every test reaches the task modules through a Solution, never by importing
them itself, so the same suite grades this project's modules and any
other folder. A module or function that does not come from the folder
(a learner's module that re-exports ours, say) fails its task.
"""
import importlib
import inspect
import os
import stat
import sys
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, Callable, Dict, List, Optional, Set

import pytest

from grader import (ROOT, TASK_FUNCTIONS, TASK_MODULES, fakes, one_line,
                    python37, reference)
from grader.fakes import rebind


RAN_AT_IMPORT = ('{} did not finish importing in time: code at its top level '
                 'runs when the module is imported (asyncio.run, a loop, a '
                 "sleep); guard it with if __name__ == '__main__':")
LOOP_AT_IMPORT = ('{} ran an event loop when it was imported: code at its top '
                  'level runs whenever the module is imported (by each main '
                  "file, and by the next task's module); guard it with if "
                  "__name__ == '__main__':")


class SolutionError(Exception):
    """A task module that cannot be used, with the one-line reason."""


def defined_in(value: Any) -> Optional[str]:
    """Return the file a function or module was defined in, if known."""
    value = inspect.unwrap(value) if callable(value) else value
    code = getattr(value, '__code__', None)
    if code is not None:
        return str(code.co_filename)
    return getattr(value, '__file__', None)


def compiled_from(path: str) -> Set[CodeType]:
    """Return every code object that compiling the file at path makes.

    A function counts as the folder's own only if its code is one of
    these: a code object compiled from any other text under the file's
    name (exec of another folder's file, or of a string) is not, though
    its co_filename says it is.
    """
    try:
        with open(path, 'rb') as source:
            top = compile(source.read(), path, 'exec', dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return set()
    found: Set[CodeType] = set()
    waiting = [top]
    while waiting:
        code = waiting.pop()
        found.add(code)
        waiting += [const for const in code.co_consts
                    if isinstance(const, CodeType)]
    return found


def not_regular(path: Path) -> bool:
    """Tell whether path exists but is no regular file (a named pipe, a
    link to a device): reading it could block or never end."""
    try:
        return not stat.S_ISREG(os.stat(str(path)).st_mode)
    except OSError:
        return False


def inside(path: Optional[str], directory: Path) -> bool:
    """Tell whether path names a file in directory or below it."""
    if not path:
        return False
    try:
        Path(path).resolve().relative_to(directory)
    except ValueError:
        return False
    return True


class Solution:
    """A folder of task files, named with '_' (ours) or '-' (the exercise's).

    Modules are imported from the folder on first use and kept; modules of
    the same names imported before the first use are dropped then, so the
    folder's own files are the ones that run.
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
        self.python37: Optional[Dict[int, python37.Verdict]] = None  # what
        # Python 3.7 said of each task, when grading found one

    def said_by_python37(self, taskno: int) -> Optional[python37.Verdict]:
        """Return what Python 3.7 said of task taskno, if grading found
        one (see grader.python37)."""
        return (self.python37 or {}).get(taskno)

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

        If the file is missing, importing it fails in any way (a syntax
        error, an exception, even sys.exit()), or the module or its task
        function comes from somewhere else, SolutionError says why in one
        line, for this call and every later one.
        """
        if not self._modules and not self._errors:
            for other in TASK_MODULES:
                sys.modules.pop(self.name(other), None)
            if self.directory != ROOT:  # so ours cannot stand in for theirs
                sys.path[:] = [entry for entry in sys.path
                               if Path(entry or '.').resolve() != ROOT]
            sys.path.insert(0, str(self.directory))
            for other in TASK_MODULES:  # importing one would never end
                if not_regular(self.path(other)):
                    sys.modules[self.name(other)] = None  # type: ignore
                    self._errors[other] = '{} is not a regular file'.format(
                        self.path(other).name)
        if taskno not in self._modules and taskno not in self._errors:
            try:
                module = importlib.import_module(self.name(taskno))
                self._check_origin(taskno, module)
                self._modules[taskno] = module
            except SolutionError as error:
                self._errors[taskno] = str(error)
            except BaseException as error:
                if type(error).__name__ == 'GradingTimeout':
                    self._errors[taskno] = RAN_AT_IMPORT.format(
                        self.path(taskno).name)
                    raise
                self._errors[taskno] = self._explain(taskno, error)
            self._take_imported()
        if taskno in self._errors:
            raise SolutionError(self._errors[taskno])
        return self._modules[taskno]

    def _take_imported(self) -> None:
        """Keep (and check) the task modules imported along the way.

        They are checked now, as imported, before any test replaces one
        of their functions for a while.
        """
        for other in TASK_MODULES:
            module = sys.modules.get(self.name(other))
            if other in self._modules or other in self._errors or \
                    not isinstance(module, ModuleType):
                continue
            try:
                self._check_origin(other, module)
                self._modules[other] = module
            except SolutionError as error:
                self._errors[other] = str(error)

    def _check_origin(self, taskno: int, module: ModuleType) -> None:
        """Fail unless the module and its task function are the folder's,
        and the module ran no event loop at its top level."""
        if any(Path(path).resolve() == self.path(taskno).resolve()
               for path in fakes.LOOPS_AT_IMPORT):
            raise SolutionError(LOOP_AT_IMPORT.format(self.path(taskno).name))
        name = TASK_FUNCTIONS[taskno]
        if not callable(getattr(module, name, None)):
            raise SolutionError('{}.py does not define {}'.format(
                self.name(taskno), name))
        for what, value in ((self.name(taskno), module),
                            (name, getattr(module, name, None))):
            if value is None:
                continue
            origin = defined_in(value)
            if origin is None and value is not module:  # a partial, an
                # object with __call__: no code of its own to tell by
                kind = type(value)
                raise SolutionError(
                    '{} is a {}.{}, not a function the folder defines with '
                    'def'.format(what, kind.__module__, kind.__qualname__))
            if not inside(origin, self.directory):
                raise SolutionError(
                    '{} is not defined in the folder (it comes from {})'
                    .format(what, origin or 'nowhere: it has no file'))
            code = getattr(inspect.unwrap(value), '__code__', None) \
                if callable(value) else None
            if code is not None and code not in compiled_from(str(origin)):
                raise SolutionError(
                    '{} is not compiled from the folder\'s own file {} (its '
                    'code was made from other text, by exec or compile, '
                    'under that file\'s name)'.format(
                        what, Path(str(origin)).name))

    def _explain(self, taskno: int, error: BaseException) -> str:
        """Say in one line why task taskno's module could not be used."""
        path = self.path(taskno)
        if not path.exists():
            return '{}: file not found'.format(path.name)
        missing = getattr(error, 'name', None)
        if isinstance(error, ImportError) and missing in {
                self.name(other) for other in TASK_MODULES}:
            return '{}.py{} (imported by {})'.format(
                missing, ' is not a regular file' if not_regular(
                    self.directory / (str(missing) + '.py'))
                else ': file not found', path.name)
        if isinstance(error, SyntaxError):
            return '{} has a syntax error at line {}: {}'.format(
                path.name, error.lineno, error.msg)
        return '{} could not be imported: {}'.format(path.name,
                                                     one_line(error))

    def check_file(self, taskno: int) -> Path:
        """Return task taskno's file, or fail: missing, or not a regular
        file (reading a named pipe or /dev/zero would never end)."""
        path = self.path(taskno)
        if not_regular(path):
            raise SolutionError('{} is not a regular file'.format(path.name))
        if not path.exists():
            raise SolutionError('{}: file not found'.format(path.name))
        return path

    def stand_in(self, taskno: int,
                 setattr: Callable[[Any, str, Any], None]) -> None:
        """Put the reference's functions in place of earlier tasks' own.

        For each task before taskno that has a reference (0, 1 and 3) and
        whose module this task's module imported, every name in the
        folder's modules that binds that task's function is set to the
        reference's function. No module is imported here: a task process
        runs only the code its own task imports.
        """
        replacements = []
        for earlier in range(taskno):
            name = TASK_FUNCTIONS[earlier]
            ours = getattr(reference, name, None)
            theirs = getattr(sys.modules.get(self.name(earlier)), name, None)
            if ours is not None and theirs is not None:
                replacements.append((theirs, ours))
        rebind(setattr, self.loaded(), replacements)

    def import_afresh(self, taskno: int) -> None:
        """Import task taskno's module anew, as `./N-main.py` would, then
        put the reference's functions in place of earlier tasks' own.

        A main file's test runs in a forked copy of a process that has
        imported the folder's modules already; dropping them first means
        that what they print or do at import happens again, where the
        main file's output is read. An error in the import propagates, as
        it would from the main file.
        """
        for other in TASK_MODULES:
            sys.modules.pop(self.name(other), None)
        importlib.import_module(self.name(taskno))
        self.stand_in(taskno, setattr)

    def loaded(self) -> List[ModuleType]:
        """Return the folder's task modules imported so far."""
        names = {self.name(taskno) for taskno in TASK_MODULES}
        return [sys.modules[name] for name in names if name in sys.modules]


SOLUTION = pytest.StashKey[Solution]()  # the folder a run's tests are about
