"""Grading folders: sandboxed children, and what they may say.

grade() runs several workers at once; each keeps one child (see
child.py) that grades folder after folder in its sandbox, and reads what
it reports. Nothing a child says is taken on trust: it must
first announce its schedule, then for each task give exactly one result
per scheduled test, in that order, each after a start line, then a
finish line. Anything else (a record out of place, an unknown test, a
second result, a line that is not a record, the child's own report that
the grader's code was changed) fails that task as tampered with. A test
that runs past its time gets its task process killed by the child; if the
child itself stalls, the engine kills the whole sandbox. Only the engine
writes reports, after its children have ended.
"""
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import (Any, Callable, Dict, Iterator, List, Mapping, Optional,
                    Sequence, Tuple)

from grader import ROOT, Plan, bounded, limits, python37, sandbox

TAMPERED = "the folder's code tampered with the grader ({})"


def bootstrap() -> str:
    """Return the Python code that starts a child (see child.py).

    It finds the grader package by path, then takes this project's folder
    off the import path, so that the folder's code cannot import our task
    modules by name.
    """
    return ('import sys; sys.path.insert(0, {root!r}); '
            'import grader.child, grader.solution, grader.fakes; '
            'sys.path.remove({root!r}); grader.child.main()'
            .format(root=str(ROOT)))


class Options:
    """How to grade: tasks, advice, traces, time limits, the sandbox."""

    def __init__(self, tasks: Sequence[int] = (), timeout: float = 2.0,
                 folder_timeout: float = 60.0, use_sandbox: bool = True,
                 advice: bool = True, traces: bool = False,
                 exitfirst: bool = False,
                 py37: Optional[str] = '') -> None:
        """Keep the options; a sandbox is used if asked for and possible.

        traces asks for the traceback of each failure (the pytest way in
        shows them with -v or --tb); without, each has its reason only.
        advice and exitfirst make the plan of every folder (see Plan).
        py37 is the Python 3.7 that imports each task module too (see
        grader.python37): '' finds one, None uses none.
        """
        self.python37 = python37.find() if py37 == '' else py37
        self.tasks = list(tasks)
        self.traces = traces
        self.exitfirst = exitfirst
        self.timeout = timeout
        self.folder_timeout = folder_timeout
        self.advice = advice
        self.bwrap: Optional[str] = None
        self.why_unsandboxed = 'asked for with --no-sandbox'
        self.missing: List[str] = []
        if use_sandbox:
            cage = sandbox.find()
            self.bwrap, self.why_unsandboxed = cage.bwrap, cage.why_not
            self.missing = list(cage.missing) if cage.bwrap else []
            caps = limits.Caps.make('grader-probe-{}'.format(os.getpid()))
            if caps is None:
                self.missing.append('the memory and process caps ({})'
                                    .format(limits.Caps.why_not))
            else:
                caps.remove()

    def plan(self) -> Plan:
        """Return the plan of a folder that no plan of its own narrows."""
        return Plan(advice=self.advice, exitfirst=self.exitfirst)


class TaskStream:
    """What one task process of a child has said, checked line by line."""

    def __init__(self, entries: List[Dict[str, Any]],
                 paths: Tuple[str, str] = ('', '')) -> None:
        """Expect a start and a result for each entry, in order.

        paths is the copy graded and the folder it is a copy of: messages
        name the folder.
        """
        self.entries = entries
        self.paths = paths
        self.note = ''  # why the task process ended, if a cap ended it
        self.index = 0
        self.running = False
        self.finished = False
        self.started_at = 0.0
        self.tamper: Optional[str] = None
        self.ended: Optional[str] = None
        self.results: Dict[str, Dict[str, Any]] = {}

    def take(self, line: str) -> None:
        """Take one record, or note that the grader was tampered with."""
        if self.tamper is not None:
            return
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(line)
        except ValueError:
            self.tamper = 'it wrote {!r} where a record was due'.format(
                line[:60])
            return
        expected = self.entries[self.index]['nodeid'] \
            if self.index < len(self.entries) else None
        if 'tamper' in record:
            self.tamper = 'it changed {}'.format(record['tamper'])
        elif 'started' in record and not self.running and \
                record['started'] == expected and not self.finished:
            self.running = True
            self.started_at = time.monotonic()
        elif 'outcome' in record and self.running and \
                record.get('nodeid') == expected and \
                record['outcome'] in ('passed', 'failed', 'skipped'):
            self.results[str(expected)] = {
                'outcome': record['outcome'],
                'message': self._text(record.get('message', '')),
                'details': self._text(record.get('details', ''), '\n'),
                'output': self._text(record.get('output', ''), '\n\t'),
                'duration': float(record.get('duration', 0.0))}
            self.running = False
            self.index += 1
        elif record == {'finished': True} and not self.running and \
                self.index == len(self.entries):
            self.finished = True
        else:
            self.tamper = 'a record out of place: {}'.format(line[:80])

    def _text(self, value: Any, keep: str = '') -> str:
        """Return a text of a record as a person may read it: bounded,
        inert, naming the folder rather than its copy."""
        text = str(value)
        if self.paths[0]:
            text = text.replace(self.paths[0], self.paths[1])
        return bounded(text, keep)

    def close(self, how: str) -> None:
        """Note how the task process ended: an exit status, or 'killed'."""
        if self.ended is None:
            self.ended = how

    def overdue(self, now: float) -> bool:
        """Tell whether the running test is long past its budget.

        The child kills a task process at three budgets plus a second;
        two more seconds past that, the child has failed to.
        """
        if not self.running or self.index >= len(self.entries):
            return False
        limit = 3 * float(self.entries[self.index]['budget']) + 3
        return now - self.started_at > limit

    def outcomes(self, fallback: str) -> Dict[str, Dict[str, Any]]:
        """Return a result for every scheduled test.

        A tampered task fails every test; a test the task process did not
        finish fails with the reason it ended (or fallback, when the whole
        child stopped).
        """
        if self.tamper is not None:
            message = TAMPERED.format(bounded(self.tamper, limit=200))
            return {entry['nodeid']: {'outcome': 'failed', 'message': message}
                    for entry in self.entries}
        if self.note and self.ended is not None and not self.finished:
            reason = self.note
        elif self.ended == 'killed':
            reason = 'the test ran past its time and ignored the timer, ' \
                'so the grader stopped it'
        elif self.ended is not None and not self.finished:
            reason = ('the test process ended early (exit status {}): does '
                      'the solution call sys.exit() or os._exit()?'
                      .format(self.ended))
        else:
            reason = fallback
        results = dict(self.results)
        for index, entry in enumerate(self.entries):
            if entry['nodeid'] not in results:
                results[entry['nodeid']] = {
                    'outcome': 'failed',
                    'message': reason if index == self.index
                    else 'not run: ' + reason}
        return results


class FolderResult:
    """A graded folder: its schedule, a result per test, and any problem."""

    def __init__(self, folder: str) -> None:
        """Start with nothing known about folder."""
        self.folder = folder
        self.schedule: Dict[int, List[Dict[str, Any]]] = {}
        self.results: Dict[str, Dict[str, Any]] = {}
        self.problem = ''
        self.seconds = 0.0
        self.wedged: List[int] = []  # tasks unfinished when the child froze


class Worker:
    """One child at a time, which grades the folders this worker gives it.

    A child starts Python and pytest and collects the tests once, then
    grades folder after folder, which saves most of the cost of a folder.
    Each folder reaches it as a copy in the worker's scratch folder, the
    only folder of the host its cage holds; in between, the child ends
    every process the folder left and empties the scratch folder, /tmp,
    /dev/shm and the System V IPC of its namespace, and the engine removes
    the copy. A child that ends, stalls, stops answering or runs out of
    time is killed, and the next folder gets a fresh one.
    """

    def __init__(self, options: Options) -> None:
        """Start no child yet."""
        self.options = options
        self.process: Optional['subprocess.Popen[bytes]'] = None
        self.caps: Optional[limits.Caps] = None
        self.scratch = ''
        self.copies = 0
        self.schedule: Dict[int, List[Dict[str, Any]]] = {}
        self.buffer = b''
        self.errors = b''

    def _start(self) -> None:
        """Start a child in a scratch folder of its own, in the sandbox."""
        self.scratch = os.path.realpath(tempfile.mkdtemp(prefix='grader-'))
        argv = [sys.executable, '-I', '-B', '-c', bootstrap()]
        self.schedule, self.buffer, self.errors = {}, b'', b''
        if self.options.bwrap:
            give_away(self.scratch)
            self.caps = limits.Caps.make(os.path.basename(self.scratch))
            self.process = sandbox.start(
                self.options.bwrap, argv, self.scratch,
                self.caps.prefix() if self.caps else (),
                self.caps.bind() if self.caps else (),
                [self.options.python37] if self.options.python37 else [])
        else:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=self.scratch,
                start_new_session=True)
        self._write(json.dumps({'tasks': self.options.tasks,
                                'timeout': self.options.timeout,
                                'traces': self.options.traces,
                                'sandboxed': bool(self.options.bwrap),
                                'python37': self.options.python37,
                                'scratch': self.scratch}))

    def _write(self, line: str) -> bool:
        """Send the child one line; tell whether it could be sent."""
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(line.encode('utf-8') + b'\n')
            self.process.stdin.flush()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """Kill the child and everything it started, and clean up.

        In a sandbox the child's descendants die with it (its PID
        namespace); unsandboxed, they are killed by their process group,
        which does not reach a process that left the group on purpose.
        """
        process, self.process = self.process, None
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
        if self.caps is not None:
            self.caps.remove()
            self.caps = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = ''

    def grade(self, folder: str, plan: Plan) -> FolderResult:
        """Grade one folder as planned.

        A child that fails before it starts the folder is replaced once.
        If the child stopped answering (the folder's code stopped it, say),
        each task it had not finished is graded again alone, in a fresh
        child, so that only the task that stops it fails.
        """
        result = self._grade(folder, plan)
        if len(result.wedged) > 1:
            for taskno in result.wedged:
                again = self._grade(folder, plan._replace(tasks=[taskno]))
                result.results.update(again.results)
            result.wedged = []
        return result

    def _grade(self, folder: str, plan: Plan) -> FolderResult:
        """Grade one folder as planned, in this worker's child."""
        for _ in range(2):
            fresh = self.process is None
            result = FolderResult(folder)
            if fresh:
                try:
                    self._start()
                except OSError as error:
                    result.problem = 'the grading child could not be ' \
                        'started: {}'.format(error)
                    self.stop()
                    return result
            started = time.monotonic()
            try:
                copy = self._copy(folder)
            except OSError as error:
                result.problem = 'the folder could not be copied: {}' \
                    .format(error)
                return result
            if self._write(plan.line(copy)):
                begun = self._converse(result, started, plan,
                                       (copy, folder))
            else:  # the child has gone
                self.stop()
                begun = False
                result.problem = 'the grading child could not be started'
            if self.scratch:
                shutil.rmtree(os.path.dirname(copy), ignore_errors=True)
            if begun or fresh:
                return result
        return result

    def _copy(self, folder: str) -> str:
        """Copy folder into the scratch folder; return the copy's path.

        The copy is the only view the cage has of the folder (see
        copy_folder); it is given to the unprivileged uid when grading as
        root.
        """
        self.copies += 1
        where = os.path.join(self.scratch, 'folder-{}'.format(self.copies))
        os.mkdir(where)
        copy = os.path.join(where, 'solution')
        copy_folder(folder, copy)
        if self.options.bwrap:
            give_away(where)
        return copy

    def _lines(self) -> Iterator[Optional[str]]:
        """Yield the child's lines; None when nothing came for a while.

        It ends when the child has ended or closed its output.
        """
        assert self.process is not None
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        out, err = self.process.stdout.fileno(), self.process.stderr.fileno()
        while True:
            ready, _, _ = select.select([out, err], [], [], 0.1)
            if not ready:
                if self.process.poll() is not None:
                    return  # ended; a process it left may hold the pipes
                yield None
                continue
            if err in ready:
                self.errors = (self.errors + os.read(err, 65536))[-4000:]
            if out in ready:
                chunk = os.read(out, 65536)
                if not chunk:
                    return
                self.buffer += chunk
                *lines, self.buffer = self.buffer.split(b'\n')
                for line in lines:
                    yield line.decode('utf-8', 'replace')

    def _converse(self, result: FolderResult, started: float,
                  plan: Plan, paths: Tuple[str, str]) -> bool:
        """Read one folder's lines into result; tell whether it began.

        The child is stopped if it ends, stalls, stops answering (it says
        something at least every half second while it grades) or runs out
        of time. The folder's seconds count from its start (the F line),
        not from the child's.
        """
        streams: Dict[int, TaskStream] = {}
        begun = finished = False
        fallback = 'the grading child stopped before it ran this test'
        # until the folder starts (F), the child may still be starting up,
        # which a busy machine slows: the folder's own time starts at F
        deadline = started + max(self.options.folder_timeout, START_TIMEOUT)
        heard = time.monotonic()
        silence = self.options.timeout + 1
        oom = self.caps.oom_kills() if self.caps else 0
        for line in self._lines():
            now = time.monotonic()
            if now > deadline:
                result.problem = 'the folder ran out of time ({:g} s)' \
                    .format(self.options.folder_timeout)
                fallback = 'not run: ' + result.problem
                break
            if any(stream.overdue(now) for stream in streams.values()):
                fallback = 'the grader stopped the test process, ' \
                    'which had hung'
                break
            if line is None:
                if begun and now - heard > silence:
                    fallback = WEDGED
                    result.wedged = [taskno for taskno, stream in
                                     streams.items() if not stream.finished]
                    break
                continue
            heard = now
            tag, _, rest = line.partition(' ')
            if tag == 'S' and not self.schedule:
                self.schedule = {int(taskno): entries for taskno, entries
                                 in json.loads(rest).items()}
            elif tag == 'F' and not begun:
                begun = True  # the folder's time starts now, not the child's
                started = time.monotonic()
                deadline = started + self.options.folder_timeout
                result.schedule = plan.apply(
                    self.schedule, lambda entry: bool(entry['extra']))
                streams = {taskno: TaskStream(entries, paths)
                           for taskno, entries in result.schedule.items()}
            elif tag == 'E' and begun:
                finished = True
                break
            elif tag in ('T', 'X') and begun:
                taskno, _, rest = rest.partition(' ')
                stream = streams.get(int(taskno)) if taskno.isdigit() \
                    else None
                if stream is not None:
                    (stream.take if tag == 'T' else stream.close)(rest)
        over = self.caps is not None and self.caps.oom_kills() > oom
        if not finished:
            self.stop()
            if not result.problem and not begun:
                text = self.errors.decode('utf-8', 'replace').strip()
                result.problem = 'the grading child failed: {}'.format(
                    bounded(text.splitlines()[-1] if text
                            else 'no error output', limit=300))
        if over:
            for stream in streams.values():
                stream.note = limits.OVER_MEMORY
        for stream in streams.values():
            result.results.update(stream.outcomes(fallback))
        result.seconds = time.monotonic() - started
        return begun


START_TIMEOUT = 60.0  # seconds a child may take to start and collect
WEDGED = 'the grading child stopped answering (the code stopped or ' \
    'froze it, or it hung), so the grader ended it'
COPY_LIMIT = 64 << 20  # bytes of a folder's files copied, at most


def copy_folder(folder: str, copy: str) -> None:
    """Copy a folder's tree for the cage, never following a link.

    Regular files (up to COPY_LIMIT in all) and folders are copied, a
    symbolic link as a link (one that leaves the folder then points at
    nothing of the host's in the cage) and a named pipe as a named pipe,
    so that the grader can say it is not a regular file; devices and
    sockets are left out. Nothing is read but regular files.
    """
    import stat
    left = [COPY_LIMIT]

    def walk(source: str, target: str, depth: int) -> None:
        """Copy one folder's entries into target."""
        os.mkdir(target)
        for entry in os.scandir(source):
            into = os.path.join(target, entry.name)
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                os.symlink(os.readlink(entry.path), into)
            elif stat.S_ISDIR(mode) and depth < 6 and \
                    entry.name not in ('.git', '__pycache__', '.venv',
                                       'node_modules'):
                walk(entry.path, into, depth + 1)
            elif stat.S_ISREG(mode) and entry.stat().st_size <= left[0]:
                left[0] -= entry.stat().st_size
                shutil.copyfile(entry.path, into, follow_symlinks=False)
                os.chmod(into, stat.S_IMODE(mode) | 0o444)
            elif stat.S_ISFIFO(mode):
                os.mkfifo(into)
    walk(folder, copy, 0)


def give_away(path: str) -> None:
    """Give a tree to the unprivileged uid the cage runs as, under root.

    bwrap itself, holding no capability that overrides permissions, must
    be able to enter the tree's top folder: it is made mode 711.
    """
    os.chmod(path, 0o711)
    if os.geteuid() != 0:
        return
    for here, dirs, files in os.walk(path):
        for name in [here] + [os.path.join(here, name)
                              for name in dirs + files]:
            os.lchown(name, sandbox.UNPRIVILEGED, sandbox.UNPRIVILEGED)


def grade_folder(folder: str, options: Options) -> FolderResult:
    """Grade one folder in a child of its own; see the module docstring."""
    worker = Worker(options)
    try:
        return worker.grade(folder, options.plan())
    finally:
        worker.stop()


def grade(folders: Sequence[str], options: Options, jobs: int = 1,
          done: Optional[Callable[[FolderResult], None]] = None,
          plans: Optional[Mapping[str, Plan]] = None,
          in_turn: Sequence[str] = ()) -> List[FolderResult]:
    """Grade folders with jobs workers at once; return results in order.

    done, if given, is called with each result as soon as it is known
    (the progress bar uses it). plans may narrow what is graded in some
    folders (the suite's fixture cohort uses it to grade each broken
    folder on the tasks its mistake is about). The folders in_turn (of
    folders) are graded by one worker, one after the other, in their
    order there, first (the suite checks that one folder finds nothing
    another left).
    """
    default = options.plan()
    waiting: 'queue.Queue[List[Tuple[int, str]]]' = queue.Queue()
    turn = [(index, folder) for wanted in in_turn
            for index, folder in enumerate(folders) if folder == wanted]
    if turn:
        waiting.put(turn)
    for index, folder in enumerate(folders):
        if folder not in in_turn:
            waiting.put([(index, folder)])
    results: Dict[int, FolderResult] = {}

    def work() -> None:
        """Grade folders from the queue until it is empty."""
        worker = Worker(options)
        try:
            while True:
                try:
                    group = waiting.get_nowait()
                except queue.Empty:
                    return
                for index, folder in group:
                    results[index] = worker.grade(
                        folder, (plans or {}).get(folder, default))
                    if done is not None:
                        done(results[index])
        finally:
            worker.stop()

    threads = [threading.Thread(target=work)
               for _ in range(max(1, min(jobs, len(folders))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[index] for index in range(len(folders))]
