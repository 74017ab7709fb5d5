"""Grading a folder of task files: one subprocess per task, and a verdict.

With --solution-dir, the pytest process that the user started never runs a
learner's code. It becomes the Grader: for each task it starts a Worker, a
pytest subprocess that runs that task's tests against the folder, with a
timer on every test and a file where it writes each result as it goes. A
learner's sys.exit() or os._exit() can end only that worker; a hang is cut
short by the timer, or at worst by the Grader killing the worker; either
way the tests without a result fail with a message saying why, and the
other tasks are graded as usual. The Grader then reports every test as if
it had run it, so pytest's own output and exit status work as usual, and
prints (and can write as JSON) one verdict per task.

Summary gathers that verdict from the test reports in every mode, so a run
on our own modules ends with the same per-task lines.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import (IO, Any, Dict, Generator, List, Optional, Sequence,
                    Tuple)

import pytest
from _pytest.reports import TestReport

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
HANGS_BEFORE_GIVING_UP = 3


def taskno_of(item: pytest.Item) -> Optional[int]:
    """Return the task number an item is marked with, or None."""
    marker = item.get_closest_marker('task')
    return None if marker is None else int(marker.kwargs['taskno'])


def is_extra(item: pytest.Item) -> bool:
    """Tell whether an item checks something beyond the exercise."""
    return item.get_closest_marker('extra') is not None


def message_of(report: TestReport) -> str:
    """Return the one-line reason attached to a report, or ''."""
    return str(dict(report.user_properties).get('message', ''))


def one_line(error: BaseException) -> str:
    """Return the first line of an error, the way a learner should read it.

    A failed assert in this suite carries its explanation as the message,
    so that is shown alone; any other error is shown with its type.
    """
    text = str(error).strip().split('\n')[0]
    if isinstance(error, (AssertionError, pytest.fail.Exception,
                          pytest.skip.Exception)) and text:
        return text
    return '{}: {}'.format(type(error).__name__, text) if text else \
        type(error).__name__


class GradingTimeout(BaseException):
    """Raised in a worker when a test runs out of time.

    It derives from BaseException, like KeyboardInterrupt, so that a
    learner's `except Exception` cannot swallow it and keep hanging.
    """


class Worker:
    """The plugin of a worker process: timers and the result file."""

    def __init__(self, path: str, timeout: float) -> None:
        """Append results to path; give every test phase timeout seconds."""
        self.out: IO[str] = open(path, 'a', encoding='utf-8')
        self.timeout = timeout
        self.hangs = 0
        self.phases: Dict[str, List[Tuple[str, str]]] = {}

    def _write(self, record: Dict[str, Any]) -> None:
        """Write one record and flush it, in case the process dies next."""
        self.out.write(json.dumps(record) + '\n')
        self.out.flush()

    def _expire(self, signum: int, frame: Optional[FrameType]) -> None:
        """Interrupt whatever the test is doing: its time is up."""
        self.hangs += 1
        raise GradingTimeout(
            'the test did not finish within {:g} s: the solution hangs (an '
            'endless loop, a blocking time.sleep, or a sleep that bypasses '
            'asyncio.sleep)'.format(self.timeout))

    def _timed(self) -> Generator[None, None, None]:
        """Run one test phase with the timer armed (it repeats until reset).

        The timer repeats, so a hang in the clean-up after a hang is cut
        short too.
        """
        signal.signal(signal.SIGALRM, self._expire)
        signal.setitimer(signal.ITIMER_REAL, self.timeout, self.timeout)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        """Time the set-up, unless this task has hung too often already."""
        if self.hangs >= HANGS_BEFORE_GIVING_UP:
            pytest.fail('not run: {} tests of this task timed out already'
                        .format(self.hangs))
        yield from self._timed()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """Time the test itself."""
        yield from self._timed()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        """Time the tear-down."""
        yield from self._timed()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Note that a test started, so a crash in it can be told apart."""
        self._write({'nodeid': nodeid, 'started': True})

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        """Write a test's result once its last phase has run."""
        self.phases.setdefault(report.nodeid, []).append(
            (report.outcome, message_of(report)))
        if report.when == 'teardown':
            phases = self.phases.pop(report.nodeid)
            outcome, message = next(
                (phase for phase in phases if phase[0] != 'passed'),
                phases[0])
            self._write({'nodeid': report.nodeid, 'outcome': outcome,
                         'message': message})

    def pytest_sessionfinish(self) -> None:
        """Mark the file complete: every test that was to run has run."""
        self._write({'finished': True})
        self.out.close()


RANK = {'passed': 0, 'skipped': 1, 'advice': 2, 'failed': 3}


class Summary:
    """Collects each test's outcome per task and prints the verdicts."""

    def __init__(self, config: pytest.Config,
                 solution_dir: Optional[str]) -> None:
        """Start with no result; solution_dir is the folder graded, if any."""
        self.config = config
        self.solution_dir = solution_dir
        self.items: Dict[str, pytest.Item] = {}
        self.outcomes: Dict[str, Tuple[str, str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember the items, to find each report's task."""
        self.items = {item.nodeid: item for item in session.items}

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        """Keep the worst outcome of each test over its phases."""
        message = message_of(report)
        outcome: str = report.outcome
        if outcome == 'skipped' and message.startswith('advice: '):
            outcome, message = 'advice', message[len('advice: '):]
        old = self.outcomes.get(report.nodeid, ('passed', ''))
        if RANK[outcome] > RANK[old[0]]:
            self.outcomes[report.nodeid] = (outcome, message)
        else:
            self.outcomes[report.nodeid] = old

    def tasks(self) -> Dict[int, Dict[str, Any]]:
        """Return, per task, its status, counts, messages and advice."""
        tasks: Dict[int, Dict[str, Any]] = {}
        for nodeid, (outcome, message) in self.outcomes.items():
            item = self.items.get(nodeid)
            taskno = None if item is None else taskno_of(item)
            if taskno is None:
                continue
            task = tasks.setdefault(taskno, {
                'status': 'passed', 'passed': 0, 'failed': 0, 'skipped': 0,
                'messages': [], 'advice': []})
            if outcome == 'advice':
                task['advice'].append(message)
                outcome = 'skipped'
            task[outcome] += 1
            if outcome == 'failed':
                task['status'] = 'failed'
                task['messages'].append(message)
        return dict(sorted(tasks.items()))

    def lines(self) -> List[str]:
        """Return the verdict lines, one per task, then any advice."""
        tasks = self.tasks()
        lines = []
        for taskno, task in tasks.items():
            total = task['passed'] + task['failed'] + task['skipped']
            if task['status'] == 'passed':
                lines.append('task {}: passed ({} tests)'.format(
                    taskno, total))
            else:
                lines.append('task {}: failed ({} of {} tests): {}'.format(
                    taskno, task['failed'], total, task['messages'][0]))
        for taskno, task in tasks.items():
            for advice in task['advice'][:1]:
                lines.append('advice, not graded: task {}: {}'.format(
                    taskno, advice))
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the verdicts, and write them as JSON if asked to."""
        if not self.outcomes:
            return
        title = 'verdict per task' + (
            ' for ' + self.solution_dir if self.solution_dir else '')
        terminalreporter.write_sep('=', title)
        for line in self.lines():
            terminalreporter.write_line(line)
        path = self.config.getoption('report_json')
        if path:
            with open(path, 'w', encoding='utf-8') as out:
                json.dump({'solution_dir': self.solution_dir,
                           'tasks': {str(taskno): task for taskno, task
                                     in self.tasks().items()}},
                          out, indent=2)
                out.write('\n')


class Grader:
    """The plugin of the user's process when it grades another folder."""

    def __init__(self, solution_dir: str, timeout: float) -> None:
        """Grade solution_dir, giving each test phase timeout seconds."""
        self.solution_dir = solution_dir
        self.timeout = timeout

    def _command(self, items: Sequence[pytest.Item],
                 report: str) -> List[str]:
        return [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                '--rootdir', str(ROOT), '-c', str(ROOT / 'setup.cfg'),
                '--solution-dir', self.solution_dir,
                '--grading-worker', report,
                '--test-timeout', str(self.timeout)] + [
            str(ROOT / item.nodeid) for item in items]

    def run(self, groups: Dict[int, List[pytest.Item]]
            ) -> Dict[str, Dict[str, Any]]:
        """Run one worker per task, all at once; return every test's result.

        A worker is killed if it outlives a generous budget (every test
        timing out, plus start-up). Tests it reported as started but not
        finished, and tests it never started, get a failing result that
        says what happened.
        """
        results: Dict[str, Dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix='grading-') as scratch:
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
            running = []
            for taskno, items in sorted(groups.items()):
                report = os.path.join(scratch, 'task{}.jsonl'.format(taskno))
                log = open(os.path.join(scratch, 'task{}.log'.format(taskno)),
                           'w')
                process = subprocess.Popen(
                    self._command(items, report), cwd=scratch, env=env,
                    stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT)
                budget = 20 + len(items) * self.timeout * 3
                running.append((process, log, report, items, budget))
            started = time.monotonic()
            for process, log, report, items, budget in running:
                left = max(0.0, budget - (time.monotonic() - started))
                try:
                    status: Optional[int] = process.wait(timeout=left)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    status = None
                log.close()
                results.update(self._read(report, items, status))
        return results

    @staticmethod
    def _read(report: str, items: Sequence[pytest.Item],
              status: Optional[int]) -> Dict[str, Dict[str, Any]]:
        """Turn one worker's result file into a result for each item."""
        results: Dict[str, Dict[str, Any]] = {}
        current = None
        finished = False
        if os.path.exists(report):
            with open(report, encoding='utf-8') as lines:
                for line in lines:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if record.get('finished'):
                        finished = True
                    elif record.get('started'):
                        current = record['nodeid']
                    elif 'outcome' in record:
                        results[record['nodeid']] = record
                        current = None
        if status is None:
            ended = 'the grader stopped the test process, which had hung'
        else:
            ended = ('the test process ended early (exit status {}): does '
                     'the solution call sys.exit() or os._exit()?'
                     .format(status))
        if finished and status in (0, 1):
            ended = 'the test process did not run this test'
        for item in items:
            if item.nodeid not in results:
                message = ended if item.nodeid == current else \
                    'not run: ' + ended
                results[item.nodeid] = {'outcome': 'failed',
                                        'message': message}
        return results

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Run the items in workers, then report them as if run here."""
        if session.config.option.collectonly:
            return True
        groups: Dict[int, List[pytest.Item]] = {}
        for item in session.items:
            taskno = taskno_of(item)
            if taskno is not None:
                groups.setdefault(taskno, []).append(item)
        results = self.run(groups)
        for item in session.items:
            result = results[item.nodeid]
            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid,
                                               location=item.location)
            outcome, message = result['outcome'], result['message']
            if outcome == 'failed' and is_extra(item):
                outcome, message = 'skipped', 'advice: ' + message
            longrepr: Any = message
            if outcome == 'skipped':
                longrepr = (str(item.location[0]), item.location[1] or 0,
                            'Skipped: ' + message)
            report = TestReport(
                nodeid=item.nodeid, location=item.location,
                keywords={name: 1 for name in item.keywords},
                outcome=outcome, longrepr=longrepr, when='call',
                user_properties=[('message', message)])
            item.ihook.pytest_runtest_logreport(report=report)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid,
                                                location=item.location)
        return True
