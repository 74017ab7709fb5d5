"""The grader of the Python - Async exercise.

It runs this project's test suite (tests/) against any folder of task
files and turns the results into one verdict per task. Where each part
lives:

- discover: finding the folders to grade below the paths given;
- engine: the schedule of tests, one sandboxed child per folder, reading
  and checking what the child reports, and the verdicts;
- sandbox: the bubblewrap command that cages a child, and its limits;
- child: what runs inside the cage: pytest, one forked process per task,
  the timers, and the tamper checks;
- solution and fakes: importing a folder's modules, and the fake sleep,
  random draws and clocks patched into them;
- report: the verdict block, the table of a cohort, JSON, CSV and
  Exercism's results.json;
- options and pytest_route: the suite's command-line options, and the
  `python3 -m pytest --solution-dir` way in;
- __main__: `python3 -m grader PATH ...`.
"""
import json
import os
import re
from pathlib import Path
from typing import (Callable, Dict, List, Match, NamedTuple, Optional,
                    Sequence, Tuple, TypeVar)

ROOT = Path(__file__).resolve().parent.parent
TASK_MODULES: Dict[int, str] = {
    0: '0_basic_async_syntax', 1: '1_concurrent_coroutines',
    2: '2_measure_runtime', 3: '3_tasks', 4: '4_tasks'}
TASK_FUNCTIONS: Dict[int, str] = {
    0: 'wait_random', 1: 'wait_n', 2: 'measure_time',
    3: 'task_wait_random', 4: 'task_wait_n'}
MAIN_FILES: Dict[int, Path] = {  # the exercise's main files, which the
    # tests run on a folder's modules (a folder's own copy is not graded)
    taskno: ROOT / '{}_main.py'.format(taskno) for taskno in TASK_MODULES}

Test = TypeVar('Test')


STOPPED = 'not run: stopped at the first failure (-x)'


class Plan(NamedTuple):
    """What to grade in one folder, within the tasks a child collected.

    tasks None means every task; advice False leaves out the checks beyond
    the exercise, which never change a grade; exitfirst stops each task at
    its first failing graded test (the rest are reported as skipped, not
    run), which keeps the verdict and its first reason. The engine sends a
    plan to the child as a line (line, read), and both work out from it
    the same tests (apply): the child runs them, the engine expects their
    records.
    """

    tasks: Optional[Sequence[int]] = None
    advice: bool = True
    exitfirst: bool = False

    def line(self, folder: str) -> str:
        """Return the line that asks a child to grade folder so."""
        return json.dumps({'folder': folder, 'advice': self.advice,
                           'exitfirst': self.exitfirst,
                           'tasks': None if self.tasks is None
                           else sorted(self.tasks)})

    @staticmethod
    def read(line: str) -> Tuple[str, 'Plan']:
        """Return the folder and the plan that a line asks for."""
        asked = json.loads(line)
        tasks = asked['tasks']
        return str(asked['folder']), Plan(
            None if tasks is None else [int(taskno) for taskno in tasks],
            bool(asked['advice']), bool(asked['exitfirst']))

    def apply(self, schedule: Dict[int, List[Test]],
              extra: Callable[[Test], bool]) -> Dict[int, List[Test]]:
        """Return the part of a schedule (tests by task) this plan grades."""
        return {taskno: [test for test in tests
                         if self.advice or not extra(test)]
                for taskno, tests in schedule.items()
                if self.tasks is None or taskno in self.tasks}


LIMIT = 2000  # characters of one message, trace or output a person reads
CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f'
                     '\u202a-\u202e\u2066-\u2069\ud800-\udfff]')


def inert(text: str, keep: str = '') -> str:
    """Return text with every control character written as an escape.

    ESC, CR, backspace, the bidirectional overrides and the rest could
    repaint or reorder what a terminal, a table or a page shows; each
    becomes a visible escape (\\x1b, \\r, \\u202e), and a byte of a name
    that was not UTF-8 (a lone surrogate) becomes \\xNN. keep names the
    characters left as they are ('\\n\\t' in a traceback); a newline and
    a tab are otherwise written \\n and \\t too.
    """
    def escape(found: 'Match[str]') -> str:
        char = found.group()
        code = ord(char)
        if 0xdc80 <= code <= 0xdcff:
            return '\\x{:02x}'.format(code - 0xdc00)
        return char.encode('unicode_escape').decode('ascii') \
            if code < 0x100 else '\\u{:04x}'.format(code)
    text = CONTROL.sub(escape, text) if CONTROL.search(text) else text
    for char, written in (('\n', '\\n'), ('\t', '\\t')):
        if char not in keep:
            text = text.replace(char, written)
    return text


def cut(text: str, limit: int = LIMIT) -> str:
    """Return text cut to limit characters, saying how many more it had."""
    if len(text) <= limit:
        return text
    more = len(text) - limit
    return '{}\u2026 {} more characters'.format(text[:limit], more)


def bounded(text: str, keep: str = '', limit: int = LIMIT) -> str:
    """Return text cut to limit characters (see cut) and made inert."""
    return inert(cut(text, limit), keep)


def exit_code(status: int) -> int:
    """Turn a wait status into an exit code, minus the signal if killed.

    os.waitstatus_to_exitcode does this from Python 3.9 on.
    """
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else \
        -os.WTERMSIG(status)


def one_line(error: BaseException) -> str:
    """Return the first line of an error, the way a learner should read it.

    A failed assert in this suite carries its explanation as the message,
    so that is shown alone (as is a pytest.fail or skip reason); any other
    error is shown with its type.
    """
    text = str(error).strip().split('\n')[0]
    plain = ('Failed', 'Skipped', 'SolutionError', 'GradingTimeout')
    if text and (isinstance(error, AssertionError) or
                 type(error).__name__ in plain):
        return text
    return '{}: {}'.format(type(error).__name__, text) if text else \
        type(error).__name__


def undumpable() -> None:
    """Forbid other processes of the same user to ptrace this one, or to
    open its pipes and read its memory through /proc (Linux)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def reap() -> bool:
    """Reap every child of this process that has ended (zombies made its
    children with CLONE_PARENT too); tell if any had."""
    reaped = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if not pid:
            return reaped
        reaped = True
