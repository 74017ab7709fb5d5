"""Grading a folder of task files: one process per task, and a verdict.

With --solution-dir, the pytest process that the user started never runs a
learner's code itself. It collects the tests, then forks one child per
task; the child runs that task's tests against the folder, with a timer on
every test phase, and writes each result to a file as it goes. A learner's
sys.exit() or os._exit() can end only that child; a hang is cut short by
the timer, or at worst by the Grader killing the child; either way the
tests without a result fail with a message saying why, and the other tasks
are graded as usual. The Grader then reports every test as if it had run
it, so pytest's own output and exit status work as usual, and prints (and
can write as JSON) one verdict per task. Forking needs a POSIX system.

Summary gathers that verdict from the test reports in every mode, so a run
on our own modules ends with the same per-task lines.
"""
import json
import os
import signal
import sys
import tempfile
import time
from types import FrameType
from typing import (IO, Any, Dict, Generator, List, Optional, Sequence,
                    Tuple)

import pytest
from _pytest.reports import TestReport

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
    """Raised in a grading child when a test runs out of time.

    It derives from BaseException, like KeyboardInterrupt, so that a
    learner's `except Exception` cannot swallow it and keep hanging.
    """


class TaskRun:
    """Runs one task's tests in a forked child; it never returns.

    Its hook wrappers arm a timer around every test phase; each result is
    written to a file as soon as it is known, so a child that dies still
    leaves the results it had.
    """

    def __init__(self, path: str, timeout: float) -> None:
        """Append results to path; give every test phase timeout seconds."""
        self.out: IO[str] = open(path, 'a', encoding='utf-8')
        self.timeout = timeout
        self.hangs = 0
        self.reports: List[TestReport] = []

    def _write(self, record: Dict[str, Any]) -> None:
        """Write one record and flush it, in case the process dies next."""
        self.out.write(json.dumps(record) + '\n')
        self.out.flush()

    def _expire(self, signum: int, frame: Optional[FrameType]) -> None:
        """Interrupt whatever the test is doing: its time is up."""
        self.hangs += 1
        raise GradingTimeout(
            'the test did not finish in time: the solution hangs (an '
            'endless loop, a blocking time.sleep, or a sleep that bypasses '
            'asyncio.sleep)')

    def _timed(self, item: pytest.Item) -> Generator[None, None, None]:
        """Run one test phase with the timer armed.

        A test that starts a Python of its own (marked subprocess) gets
        five times as long. The timer repeats, so a hang in the clean-up
        after a hang is cut short too.
        """
        timeout = self.timeout
        if item.get_closest_marker('subprocess') is not None:
            timeout *= 5
        signal.signal(signal.SIGALRM, self._expire)
        signal.setitimer(signal.ITIMER_REAL, timeout, timeout)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        """Time the set-up."""
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """Time the test, unless this task has hung too often already.

        Only the tests that run the solution's code are given up on; the
        rubric reads its files, which cannot hang.
        """
        runs_code = 'fake' in getattr(item, 'fixturenames', ()) or \
            item.get_closest_marker('subprocess') is not None
        if runs_code and self.hangs >= HANGS_BEFORE_GIVING_UP:
            pytest.fail('not run: {} tests of this task timed out already'
                        .format(self.hangs), pytrace=False)
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        """Time the tear-down."""
        yield from self._timed(item)

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        """Keep each phase's report of the test that is running."""
        self.reports.append(report)

    def run(self, items: Sequence[pytest.Item]) -> None:
        """Run the items in order, record each result, and exit.

        Each item goes through pytest's whole test protocol, so warning
        filters, capture and the rest apply as in a normal run; only the
        terminal output is left to the parent.
        """
        status = 0
        try:
            sys.dont_write_bytecode = True
            config = items[0].config
            config.option.tbstyle = 'native'
            silence(config)
            config.pluginmanager.register(self, 'task-run')
            for index, item in enumerate(items):
                self._write({'nodeid': item.nodeid, 'started': True})
                following = items[index + 1] if index + 1 < len(items) \
                    else None
                started = time.perf_counter()
                self.reports = []
                try:
                    item.ihook.pytest_runtest_protocol(item=item,
                                                       nextitem=following)
                    record = worst(self.reports)
                except BaseException as error:
                    record = {'outcome': 'failed',
                              'message': one_line(error)}
                record.update(nodeid=item.nodeid,
                              duration=time.perf_counter() - started)
                self._write(record)
            self._write({'finished': True})
        except BaseException as error:
            sys.stderr.write('grading child failed: {}\n'.format(
                one_line(error)))
            status = 3
        finally:
            os._exit(status)


class QuietReporter:
    """Stands in for the terminal reporter in a child: it reports nothing."""

    def __init__(self, writer: Any) -> None:
        """Keep the terminal writer, which pytest looks up by this name."""
        self._tw = writer


def silence(config: pytest.Config) -> None:
    """Stop a child from printing: its parent reports for it.

    The terminal reporter is swapped for a stand-in with its terminal
    writer, which pytest's assertion messages ask for (for colours) but
    nothing writes to once the reporter's hooks are gone.
    """
    manager = config.pluginmanager
    manager.unregister(name='summary')
    reporter = manager.get_plugin('terminalreporter')
    if reporter is not None:
        manager.unregister(reporter)
        manager.register(QuietReporter(reporter._tw), 'terminalreporter')


def worst(reports: Sequence[TestReport]) -> Dict[str, Any]:
    """Return a test's outcome over its phases, with the reason and trace.

    The trace is Python's own (the native style), which a learner knows
    and which takes a tenth of the time of pytest's to format.
    """
    for report in reports:
        if not report.passed:
            return {'outcome': report.outcome, 'message': message_of(report),
                    'details': report.longreprtext[-4000:]}
    return {'outcome': 'passed', 'message': ''}


RANK = {'passed': 0, 'skipped': 1, 'advice': 2, 'failed': 3}


def wait_or_kill(pid: int, deadline: float) -> Optional[int]:
    """Wait for a child until deadline; kill it then. Return its status.

    The status is None if the child had to be killed.
    """
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if hasattr(
                os, 'waitstatus_to_exitcode') else status >> 8
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.01)


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
        if not self.tasks():
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

    def run(self, groups: Dict[int, List[pytest.Item]]
            ) -> Dict[str, Dict[str, Any]]:
        """Run one child per task, all at once; return every test's result.

        A child is killed if it outlives a generous budget: a child gives
        up on its task after a few hangs, so even a hanging solution ends
        well before it. Tests it reported as started but not finished, and
        tests it never started, get a failing result that says what
        happened.
        """
        results: Dict[str, Dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix='grading-') as scratch:
            children = []
            for taskno, items in sorted(groups.items()):
                report = os.path.join(scratch, 'task{}.jsonl'.format(taskno))
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    TaskRun(report, self.timeout).run(items)
                children.append((pid, report, items))
            deadline = time.monotonic() + 30 + 15 * self.timeout
            for pid, report, items in children:
                status = wait_or_kill(pid, deadline)
                results.update(self._read(report, items, status))
        return results

    @staticmethod
    def _read(report: str, items: Sequence[pytest.Item],
              status: Optional[int]) -> Dict[str, Dict[str, Any]]:
        """Turn one child's result file into a result for each item."""
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
        for item in items:
            if item.nodeid in results:
                continue
            if finished:
                message = 'the test process did not run this test'
            elif item.nodeid == current:
                message = ended
            else:
                message = 'not run: ' + ended
            results[item.nodeid] = {'outcome': 'failed', 'message': message}
        return results

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Run the items in children, then report them as if run here."""
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
            longrepr: Any = result.get('details') or message
            if outcome == 'skipped':
                longrepr = (str(item.location[0]), item.location[1] or 0,
                            'Skipped: ' + message)
            report = TestReport(
                nodeid=item.nodeid, location=item.location,
                keywords={name: 1 for name in item.keywords},
                outcome=outcome, longrepr=longrepr, when='call',
                duration=result.get('duration', 0.0),
                user_properties=[('message', message)])
            item.ihook.pytest_runtest_logreport(report=report)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid,
                                                location=item.location)
        return True
