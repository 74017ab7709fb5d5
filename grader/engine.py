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

from grader import ROOT, Plan, sandbox

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
                 exitfirst: bool = False) -> None:
        """Keep the options; a sandbox is used if asked for and possible.

        traces asks for the traceback of each failure (the pytest way in
        shows them with -v or --tb); without, each has its reason only.
        advice and exitfirst make the plan of every folder (see Plan).
        """
        self.tasks = list(tasks)
        self.traces = traces
        self.exitfirst = exitfirst
        self.timeout = timeout
        self.folder_timeout = folder_timeout
        self.advice = advice
        self.bwrap: Optional[str] = None
        self.why_unsandboxed = 'asked for with --no-sandbox'
        if use_sandbox:
            self.bwrap, self.why_unsandboxed = sandbox.find()

    def plan(self) -> Plan:
        """Return the plan of a folder that no plan of its own narrows."""
        return Plan(advice=self.advice, exitfirst=self.exitfirst)


class TaskStream:
    """What one task process of a child has said, checked line by line."""

    def __init__(self, entries: List[Dict[str, Any]]) -> None:
        """Expect a start and a result for each entry, in order."""
        self.entries = entries
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
                'message': str(record.get('message', '')),
                'details': str(record.get('details', '')),
                'output': str(record.get('output', '')),
                'duration': float(record.get('duration', 0.0))}
            self.running = False
            self.index += 1
        elif record == {'finished': True} and not self.running and \
                self.index == len(self.entries):
            self.finished = True
        else:
            self.tamper = 'a record out of place: {}'.format(line[:80])

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
            message = TAMPERED.format(self.tamper)
            return {entry['nodeid']: {'outcome': 'failed', 'message': message}
                    for entry in self.entries}
        if self.ended == 'killed':
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


class Worker:
    """One child at a time, which grades the folders this worker gives it.

    A child starts Python and pytest and collects the tests once, then
    grades folder after folder (it ends every process a folder left and
    empties its scratch folder in between), which saves most of the cost
    of a folder. A child that ends, stalls or runs out of time is killed,
    and the next folder gets a fresh one.
    """

    def __init__(self, options: Options) -> None:
        """Start no child yet."""
        self.options = options
        self.process: Optional['subprocess.Popen[bytes]'] = None
        self.scratch = ''
        self.schedule: Dict[int, List[Dict[str, Any]]] = {}
        self.buffer = b''
        self.errors = b''

    def _start(self) -> None:
        """Start a child in a scratch folder of its own, in the sandbox."""
        self.scratch = os.path.realpath(tempfile.mkdtemp(prefix='grader-'))
        argv = [sys.executable, '-I', '-B', '-c', bootstrap()]
        if self.options.bwrap:
            argv = sandbox.wrap(self.options.bwrap, argv, self.scratch)
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=self.scratch, start_new_session=True)
        self.schedule, self.buffer, self.errors = {}, b'', b''
        self._write(json.dumps({'tasks': self.options.tasks,
                                'timeout': self.options.timeout,
                                'traces': self.options.traces,
                                'sandboxed': bool(self.options.bwrap),
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
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = ''

    def grade(self, folder: str, plan: Plan) -> FolderResult:
        """Grade one folder as planned; a child that fails before it
        starts it is replaced once."""
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
            if self._write(plan.line(folder)):
                begun = self._converse(result, started, plan)
            else:  # the child has gone
                self.stop()
                begun = False
                result.problem = 'the grading child could not be started'
            if begun or fresh:
                return result
        return result

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
                  plan: Plan) -> bool:
        """Read one folder's lines into result; tell whether it began.

        The child is stopped if it ends, stalls or runs out of time. The
        folder's seconds count from its start (the F line), not from the
        child's.
        """
        streams: Dict[int, TaskStream] = {}
        begun = finished = False
        fallback = 'the grading child stopped before it ran this test'
        deadline = started + self.options.folder_timeout
        for line in self._lines():
            if time.monotonic() > deadline:
                result.problem = 'the folder ran out of time ({:g} s)' \
                    .format(self.options.folder_timeout)
                fallback = 'not run: ' + result.problem
                break
            if any(stream.overdue(time.monotonic())
                   for stream in streams.values()):
                fallback = 'the grader stopped the test process, ' \
                    'which had hung'
                break
            if line is None:
                continue
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
                streams = {taskno: TaskStream(entries)
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
        if not finished:
            self.stop()
            if not result.problem and not begun:
                text = self.errors.decode('utf-8', 'replace').strip()
                result.problem = 'the grading child failed: {}'.format(
                    text.splitlines()[-1] if text else 'no error output')
        for stream in streams.values():
            result.results.update(stream.outcomes(fallback))
        result.seconds = time.monotonic() - started
        return begun


def grade_folder(folder: str, options: Options) -> FolderResult:
    """Grade one folder in a child of its own; see the module docstring."""
    worker = Worker(options)
    try:
        return worker.grade(folder, options.plan())
    finally:
        worker.stop()


def grade(folders: Sequence[str], options: Options, jobs: int = 1,
          done: Optional[Callable[[FolderResult], None]] = None,
          plans: Optional[Mapping[str, Plan]] = None) -> List[FolderResult]:
    """Grade folders with jobs workers at once; return results in order.

    done, if given, is called with each result as soon as it is known
    (the progress bar uses it). plans may narrow what is graded in some
    folders (the suite's fixture cohort uses it to grade each broken
    folder on the tasks its mistake is about).
    """
    default = options.plan()
    waiting: 'queue.Queue[Tuple[int, str]]' = queue.Queue()
    for index, folder in enumerate(folders):
        waiting.put((index, folder))
    results: Dict[int, FolderResult] = {}

    def work() -> None:
        """Grade folders from the queue until it is empty."""
        worker = Worker(options)
        try:
            while True:
                try:
                    index, folder = waiting.get_nowait()
                except queue.Empty:
                    return
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
