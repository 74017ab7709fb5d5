"""Starting `python3 -m pytest --solution-dir PATH` again, safely.

pytest picks its settings file, and the plugins those settings name, from
the paths on its command line before any plugin of ours runs; in the
two-word spelling `--solution-dir PATH` it takes PATH for such a path.
So a run that grades a folder is started again from this project's
folder, with its settings named (`-c`, `--rootdir`) and each path option
as one absolute word (`--solution-dir=PATH`), which pytest never takes
for a path. The `async_grader_first` hook (folder first/, installed by
requirements-test.txt) does this when Python starts, before pytest is
imported; grader.options does it again, later, where that hook is not
installed. This module imports nothing heavy: the hook runs it at every
start of a Python that grades.
"""
import os
import sys
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / 'setup.cfg'
PATH_OPTIONS = ('--solution-dir', '--report-json', '--results-json')
NOT_FOR_SOLUTIONS = ('test_grader.py', 'test_benchmark.py', 'test_cohort.py')
# the grader's own tests: grading a folder collects none of them


def safe_args(args: List[str], where: Path) -> List[str]:
    """Return args with each path option as one absolute `--option=PATH`.

    Relative paths are taken from where, the folder pytest was started
    in; joined into one word, the folder graded is never taken for a test
    path.
    """
    joined: List[str] = []
    index = 0
    while index < len(args):
        name, equals, value = args[index].partition('=')
        if name in PATH_OPTIONS and not equals and index + 1 < len(args):
            value = args[index + 1]
            index += 1
        if name in PATH_OPTIONS and value:
            joined.append('{}={}'.format(name, where / value))
        else:
            joined.append(args[index])
        index += 1
    return joined


def command(args: List[str], where: Path) -> List[str]:
    """Return the pytest command that grades as args ask, from ROOT.

    That process runs no test itself (a grading child does, and it shows
    their results), so it neither rewrites their asserts nor collects the
    grader's own tests.
    """
    return [sys.executable, '-m', 'pytest', '-c', str(SETTINGS),
            '--rootdir', str(ROOT), '--assert=plain'] + [
                '--ignore=' + str(ROOT / 'tests' / name)
                for name in NOT_FOR_SOLUTIONS] + safe_args(args, where)


def is_safe(args: List[str]) -> bool:
    """Tell whether a pytest command line already names our settings and
    this folder as its root, and gives every path option in one word."""
    return '-c' in args and args[args.index('-c') + 1:][:1] == [
        str(SETTINGS)] and '--rootdir' in args and args[
        args.index('--rootdir') + 1:][:1] == [str(ROOT)] and not any(
        arg in PATH_OPTIONS for arg in args)


def pytest_arguments() -> Optional[List[str]]:
    """Return the arguments of this process if it is pytest, else None.

    At start-up `sys.argv` holds '-m' for `python3 -m pytest`, so the
    module's name is read from `sys.orig_argv` (3.10+) or
    /proc/self/cmdline.
    """
    full = list(getattr(sys, 'orig_argv', []))
    if not full:
        try:
            with open('/proc/self/cmdline', 'rb') as line:
                full = [os.fsdecode(word)
                        for word in line.read().split(b'\0')[:-1]]
        except OSError:
            return None
    program = os.path.basename(sys.argv[0]) if sys.argv else ''
    if program in ('pytest', 'py.test'):
        return list(sys.argv[1:])
    for index, word in enumerate(full[:-1]):
        if index == 0:
            continue  # the interpreter
        if word == '-m' and full[index + 1] in ('pytest', 'py.test'):
            return full[index + 2:]
        if not word.startswith('-') or word == '-c':
            return None  # a script or -c code runs, not pytest
    return None


def first() -> None:
    """Start a grading pytest again from here, before pytest is imported.

    The .pth file of the async_grader_first hook calls this at every
    start of Python; it returns at once unless the command is pytest with
    --solution-dir in either spelling and not already safe.
    """
    if not any(arg.startswith('--solution-dir') for arg in sys.argv):
        return
    args = pytest_arguments()
    if args is None or is_safe(args) and Path.cwd() == ROOT:
        return
    sys.stdout.flush()
    where = Path.cwd()
    os.chdir(str(ROOT))
    safe = command(args, where)
    os.execv(safe[0], safe)
