"""Grading folders: one sandboxed child per folder, and what it may say.

grade() runs a child (see child.py) for each folder, several at once, and
reads what each reports. Nothing a child says is taken on trust: it must
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
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from grader import child, sandbox

TAMPERED = "the folder's code tampered with the grader ({})"


class Options:
    """How to grade: which tasks, the time limits, the sandbox."""

    def __init__(self, tasks: Sequence[int] = (), timeout: float = 2.0,
                 folder_timeout: float = 60.0,
                 use_sandbox: bool = True) -> None:
        """Keep the options; a sandbox is used if asked for and possible."""
        self.tasks = list(tasks)
        self.timeout = timeout
        self.folder_timeout = folder_timeout
        self.bwrap: Optional[str] = None
        self.why_unsandboxed = 'asked for with --no-sandbox'
        if use_sandbox:
            self.bwrap, self.why_unsandboxed = sandbox.find()


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


def _job_argv() -> List[str]:
    """Return the command that starts a child."""
    return [sys.executable, '-I', '-B', '-c', child.bootstrap()]


def grade_folder(folder: str, options: Options) -> FolderResult:
    """Grade one folder in a child of its own; see the module docstring."""
    result = FolderResult(folder)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='grader-') as scratch:
        scratch = os.path.realpath(scratch)
        argv = _job_argv()
        if options.bwrap:
            argv = sandbox.wrap(options.bwrap, argv, scratch)
        job = json.dumps({'folder': folder, 'tasks': options.tasks,
                          'timeout': options.timeout})
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=scratch, start_new_session=True)
        try:
            _converse(process, job, result, options, started)
        finally:
            _end(process)
    result.seconds = time.monotonic() - started
    return result


def _end(process: 'subprocess.Popen[bytes]') -> None:
    """Kill the child and everything it started, and reap it.

    In a sandbox the child's descendants die with it (its PID namespace);
    unsandboxed, they are killed by their process group, which does not
    reach a process that left the group on purpose.
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _converse(process: 'subprocess.Popen[bytes]', job: str,
              result: FolderResult, options: Options, started: float) -> None:
    """Send the job, read the child's lines, and fill in result."""
    assert process.stdin and process.stdout and process.stderr
    process.stdin.write(job.encode('utf-8'))
    process.stdin.close()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, 'out')
    selector.register(process.stderr, selectors.EVENT_READ, 'err')
    streams: Dict[int, TaskStream] = {}
    buffer, errors = b'', b''
    schedule_seen = False
    fallback = 'the grading child stopped before it ran this test'
    deadline = started + options.folder_timeout
    while selector.get_map():
        now = time.monotonic()
        if now > deadline:
            result.problem = 'the folder ran out of time ({:g} s)'.format(
                options.folder_timeout)
            fallback = 'not run: ' + result.problem
            break
        if any(stream.overdue(now) for stream in streams.values()):
            fallback = 'the grader stopped the test process, which had hung'
            break
        events = selector.select(timeout=0.1)
        if not events and process.poll() is not None:
            break  # ended; a process it left may hold the pipes open
        for key, _ in events:
            chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore
            if not chunk:
                selector.unregister(key.fileobj)
                continue
            if key.data == 'err':
                errors = (errors + chunk)[-4000:]
                continue
            buffer += chunk
            *lines, buffer = buffer.split(b'\n')
            for raw in lines:
                line = raw.decode('utf-8', 'replace')
                if line.startswith('S ') and not schedule_seen:
                    schedule_seen = True
                    result.schedule = {int(taskno): entries for taskno, entries
                                       in json.loads(line[2:]).items()}
                    streams = {taskno: TaskStream(entries) for taskno, entries
                               in result.schedule.items()}
                    continue
                tag, _, rest = line.partition(' ')
                taskno_text, _, rest = rest.partition(' ')
                stream = streams.get(int(taskno_text)) \
                    if taskno_text.isdigit() else None
                if stream is None or tag not in ('T', 'X'):
                    continue  # the child's own lines are never malformed
                if tag == 'T':
                    stream.take(rest)
                else:
                    stream.close(rest)
    if not schedule_seen:
        text = errors.decode('utf-8', 'replace').strip().splitlines()
        result.problem = result.problem or 'the grading child failed: {}' \
            .format(text[-1] if text else 'no error output')
    for stream in streams.values():
        result.results.update(stream.outcomes(fallback))


def grade(folders: Sequence[str], options: Options, jobs: int = 1,
          done: Optional[Callable[[FolderResult], None]] = None
          ) -> List[FolderResult]:
    """Grade folders, jobs at a time; return their results in order.

    done, if given, is called with each result as soon as it is known
    (the progress bar uses it).
    """
    def one(folder: str) -> FolderResult:
        """Grade one folder and tell done about it."""
        graded = grade_folder(folder, options)
        if done is not None:
            done(graded)
        return graded

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, folders))


__all__ = ['Options', 'FolderResult', 'grade', 'grade_folder', 'Path']
