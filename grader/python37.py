"""Import each folder's task modules with Python 3.7, the exercise's own.

The exercise's checker runs Python 3.7, where some code fails as soon as
its module is imported: a generic subscripted where it is evaluated
(`-> Task[float]`, `Delays = list[float]`), syntax 3.7 lacks, a name its
standard library lacks. vermin reads what code needs; importing the module
with a real 3.7 finds what fails at definition time exactly, whatever the
spelling (an alias of asyncio.Task subscripted in an annotation, say).

find() looks for a CPython 3.7 (under pyenv, or python3.7 on PATH). The
supervisor starts one Importer inside its cage: a 3.7 process running
serve() from this file, which has imported asyncio once and then forks a
copy per folder; the copy imports the folder's task modules on a virtual
clock (so a loop left at a module's top level takes no real time), its
output thrown away, calls each task's function once, as its main file
would, and writes one JSON line: for each task, the error its own file
raised on import, and the call that ran without error. So a test that
fails on a newer grading interpreter, with an error raised inside the
standard library, can say whether 3.7 runs the code (asyncio.wait over
bare coroutines is fine on 3.7, and an error on 3.11). The copy runs the
folder's code, as a task process does, in the same cage; like a task
process, code that studies the grader could write that line itself, and
so mislead only its own folder's 3.7 verdict.

This file must run on Python 3.7: no syntax or library newer than that.
"""
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
from typing import IO, Any, Dict, NamedTuple, Optional

from grader import TASK_FUNCTIONS, reap, undumpable


def find() -> Optional[str]:
    """Return a CPython 3.7 interpreter, or None if none is installed.

    The newest 3.7 under pyenv ($PYENV_ROOT, or ~/.pyenv) comes first,
    then python3.7 on PATH. None if the grading interpreter is 3.7
    itself: its own imports judge then.
    """
    if sys.version_info[:2] == (3, 7):
        return None
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    found = sorted(glob.glob(os.path.join(root, 'versions', '3.7.*', 'bin',
                                          'python3.7')),
                   key=lambda path: [int(part) if part.isdigit() else -1
                                     for part in path.split(os.sep)[-3]
                                     .split('.')])
    return found[-1] if found else shutil.which('python3.7')


class Verdict(NamedTuple):
    """What Python 3.7 said of one task: the error its own file raised
    when imported (None if none), and the call of its function that ran
    without error (None if none did)."""

    error: Optional[str]
    ran: Optional[str]


class Importer:
    """A Python 3.7 process that imports folders' task modules for the
    supervisor, one folder at a time (see the module docstring)."""

    def __init__(self, python: str, root: str) -> None:
        """Start python serving, with the grader package found in root."""
        self.python = python
        self.root = root
        self.process: Optional['subprocess.Popen[bytes]'] = None

    @property
    def pid(self) -> Optional[int]:
        """Return the 3.7 process's id while it runs, else None."""
        process = self.process
        return process.pid if process and process.poll() is None else None

    def _start(self) -> None:
        """Start the 3.7 process, if it is not running."""
        if self.pid is not None:
            return
        boot = ('import sys; sys.path.insert(0, {!r}); '
                'import grader.python37 as p; p.serve()'.format(self.root))
        self.process = subprocess.Popen(
            [self.python, '-I', '-B', '-c', boot], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def check(self, folder: str, modules: Dict[int, str], limit: float
              ) -> Optional[Dict[int, 'Verdict']]:
        """Import the modules (by task) from folder with 3.7, and call
        each task's function once, within limit seconds; return what 3.7
        said of each task, or None if it could not say."""
        try:
            self._start()
            assert self.process is not None
            stdin, stdout = self.process.stdin, self.process.stdout
            assert stdin is not None and stdout is not None
            stdin.write(json.dumps({'folder': folder, 'limit': limit,
                                    'modules': {str(taskno): name for taskno,
                                                name in modules.items()}})
                        .encode('utf-8') + b'\n')
            stdin.flush()
            if not select.select([stdout], [], [], limit + 5)[0]:
                raise OSError('Python 3.7 did not answer')
            answer = json.loads(stdout.readline().decode('utf-8'))
            return {int(taskno): Verdict(
                None if said['error'] is None else str(said['error']),
                None if said['ran'] is None else str(said['ran']))
                for taskno, said in answer.items()}
        except (OSError, ValueError, AttributeError, TypeError, KeyError):
            # no answer, or not one of serve()'s (the folder's code in the
            # copy may write its own): 3.7 says nothing of this folder
            self.close()
            return None

    def close(self) -> None:
        """End the 3.7 process."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()


def owner(error: BaseException, folder: str) -> Optional[str]:
    """Return the file of the folder where error was raised (the innermost
    frame there, or a syntax error's file), or None if none of its own."""
    if isinstance(error, SyntaxError) and error.filename:
        path = os.path.abspath(error.filename)
        return path if os.path.dirname(path) == folder else None
    where = None
    for frame, _ in traceback.walk_tb(error.__traceback__):
        path = os.path.abspath(frame.f_code.co_filename)
        if os.path.dirname(path) == folder:
            where = path
    return where


def describe(error: BaseException, folder: str = '') -> str:
    """Say in one line what was raised, and where in the folder: a syntax
    error says its file and line itself; otherwise the innermost line of
    the folder's own code, if any (never one of the grader's)."""
    text = '{}: {}'.format(type(error).__name__, error).splitlines()[0][:300]
    if isinstance(error, SyntaxError):
        return text
    where = ''
    for frame, number in traceback.walk_tb(error.__traceback__):
        path = os.path.abspath(frame.f_code.co_filename)
        if folder and os.path.dirname(path) == folder:
            where = ' ({}:{})'.format(os.path.basename(path), number)
    return text + where


CALLS = {0: (1,), 1: (3, 1), 2: (3, 1), 3: (1,), 4: (3, 1)}  # the
# arguments each task's function is called with once, on the virtual clock


def call_once(taskno: int, module: Any) -> str:
    """Call task taskno's function as its main file would (awaiting what
    it returns, on an event loop of its own where it needs one); return
    the call, as text, if it raised nothing."""
    import asyncio
    name = TASK_FUNCTIONS[taskno]
    function = getattr(module, name)
    args = CALLS[taskno]
    if taskno == 2:
        function(*args)
    else:
        async def run() -> None:
            """Await what the function returns (a Task, for task 3)."""
            await function(*args)
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(run())
        finally:
            loop.close()
    return '{}({})'.format(name, ', '.join(map(str, args)))


def import_all(folder: str, modules: Dict[str, str]) -> Dict[str, Any]:
    """Import each module from folder, and call its function once; return
    for each task the error its own file raised on import (None if none),
    and the call made if it ran without error."""
    os.chdir(folder)
    sys.path.insert(0, folder)
    answers: Dict[str, Any] = {}
    for taskno, name in sorted(modules.items()):
        answers[taskno] = {'error': None, 'ran': None}
        path = os.path.join(folder, name + '.py')
        try:
            module = __import__(name)
        except BaseException as error:  # noqa: B902 - the folder's code
            if owner(error, folder) == path:
                answers[taskno]['error'] = describe(error, folder)
            continue
        try:
            answers[taskno]['ran'] = call_once(int(taskno), module)
        except BaseException:  # noqa: B902 - said by the grading run
            pass
    return answers


def serve(inp: IO[bytes] = sys.stdin.buffer,
          out: IO[bytes] = sys.stdout.buffer) -> None:
    """Answer each request line with one JSON line (Python 3.7's side).

    asyncio and the fakes are imported once, here; each folder is then
    imported in a forked copy, whose standard streams lead nowhere, and
    its answer comes back on a pipe. A copy that outlives the request's
    time limit is killed, with what it started, and 3.7 says nothing of
    that folder.
    """
    from grader import fakes  # noqa: F401 - imported once, for the copies
    undumpable()  # its copies run the folder's code
    signal.signal(signal.SIGCHLD, lambda *signalled: reap())  # what a
    # copy left (made this process's child with CLONE_PARENT) is reaped at
    # once, so the supervisor finds no zombie of this folder's
    devnull = os.open(os.devnull, os.O_RDWR)
    for line in inp:
        request = json.loads(line.decode('utf-8'))
        folder, modules = request['folder'], request['modules']
        limit = float(request['limit'])
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the copy never returns
            os.setpgid(0, 0)  # what it starts is killed with it
            os.close(read)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            try:
                fakes.virtual_clock()
                answer = json.dumps(import_all(folder, modules))
            except BaseException as error:  # noqa: B902
                answer = json.dumps({taskno: {
                    'error': describe(error), 'ran': None}
                    for taskno in modules})
            os.write(write, answer.encode('utf-8') + b'\n')
            os._exit(0)
        os.close(write)
        text = read_line(read, limit)
        os.close(read)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        reap()
        try:
            answers = json.loads(text)
        except ValueError:  # out of time (a hang, or a busy machine): 3.7
            # cannot say; a hang at import fails the grading import anyway
            answers = {taskno: {'error': None, 'ran': None}
                       for taskno in modules}
        out.write(json.dumps(answers).encode('utf-8') + b'\n')
        out.flush()


def read_line(fd: int, limit: float) -> str:
    """Read one line from fd, waiting at most limit seconds in all."""
    data = b''
    deadline = time.monotonic() + limit
    while b'\n' not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data.split(b'\n')[0].decode('utf-8', 'replace')
