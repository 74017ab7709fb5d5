"""The `python3 -m pytest --solution-dir PATH` way into the grader.

Grader replaces pytest's test loop in the user's process: the engine
grades the folder in a sandboxed child (the user's process never imports
the folder's code), and each result comes back as a pytest report, so
pytest's own output and exit status work as usual. Summary prints one
verdict per task at the end, for our own modules too.
"""
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from _pytest.reports import TestReport

from grader import discover, engine, inert, report
from grader.child import is_extra, taskno_of

RANK = {'passed': 0, 'skipped': 1, 'failed': 2}


def check_folder(path: str) -> str:
    """Return the folder to grade, absolute, or raise a one-line UsageError.

    The folder must exist and hold task 0's file under either naming.
    """
    folder = Path(path).expanduser().resolve()
    problem = discover.not_a_folder(str(folder))
    if problem is None and not discover.task_zero_names(folder):
        problem = 'no task file there (expected {})'.format(
            discover.TASK_ZERO)
    if problem is None and discover.inside_project(str(folder)):
        problem = "this grader's own project or inside it; copy the " \
            'folder out to grade it'
    if problem:
        raise pytest.UsageError('--solution-dir {}: {}'.format(
            inert(path), problem))
    return str(folder)


def message_of(report: TestReport) -> str:
    """Return the one-line reason attached to a report, or ''."""
    return str(dict(report.user_properties).get('message', ''))


class Summary:
    """Collects each test's outcome per task and prints the verdicts."""

    def __init__(self, config: pytest.Config,
                 solution_dir: Optional[str]) -> None:
        """Start with no result; solution_dir is the folder graded, if any."""
        self.config = config
        self.solution_dir = solution_dir
        self.items: Dict[str, pytest.Item] = {}
        self.outcomes: Dict[str, Tuple[str, str]] = {}
        self.problem = ''
        self.sandboxed: Optional[bool] = None
        self.missing: List[str] = []
        self.list_failures = False
        self.graded: Optional[engine.FolderResult] = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember the items, to find each report's task."""
        self.items = {item.nodeid: item for item in session.items}

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        """Keep the worst outcome of each test over its phases."""
        old = self.outcomes.get(report.nodeid, ('passed', ''))
        outcome = 'failed' if dict(report.user_properties).get('advice') \
            else report.outcome
        if RANK[outcome] > RANK[old[0]]:
            self.outcomes[report.nodeid] = (outcome, message_of(report))
        else:
            self.outcomes[report.nodeid] = old

    def tasks(self) -> Dict[int, Dict[str, Any]]:
        """Return, per task, its status, counts, messages and advice."""
        entries = []
        for nodeid, (outcome, message) in self.outcomes.items():
            item = self.items.get(nodeid)
            taskno = None if item is None else taskno_of(item)
            if item is not None and taskno is not None:
                entries.append((taskno, is_extra(item), outcome, message))
        return report.task_verdicts(entries)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the verdicts, and write them as JSON if asked to."""
        tasks = self.tasks()
        if not tasks:
            return
        if self.list_failures:
            for nodeid, (outcome, message) in self.outcomes.items():
                item = self.items.get(nodeid)
                if outcome == 'failed' and item and not is_extra(item):
                    terminalreporter.write_line('FAILED {} - {}'.format(
                        nodeid, message))
        title = 'verdict per task' + (
            ' for ' + inert(self.solution_dir) if self.solution_dir else '')
        terminalreporter.write_sep('=', title)
        for line in report.verdict_lines(tasks):
            terminalreporter.write_line(line)
        path = self.config.getoption('report_json')
        if path:
            entry = report.folder_json(self.solution_dir, tasks, self.problem,
                                       self.sandboxed)
            if self.sandboxed:
                entry['missing_protections'] = self.missing
            report.write_json(path, entry)
        path = self.config.getoption('results_json')
        if path and self.graded is not None:
            report.write_json(path, report.exercism(self.graded))


class Grader:
    """The plugin of the user's process when it grades another folder."""

    def __init__(self, solution_dir: str, summary: Summary) -> None:
        """Grade solution_dir; tell summary how it went."""
        self.solution_dir = solution_dir
        self.summary = summary

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Grade the folder in a child, then report its tests as if run here.

        Advice that failed is reported as skipped, with its reason.
        """
        config = session.config
        if config.option.collectonly:
            return True
        options = engine.Options(
            config.getoption('task') or (), config.getoption('test_timeout'),
            use_sandbox=not config.getoption('no_sandbox'),
            traces=whole_traces(config))
        if options.bwrap is None:
            config.get_terminal_writer().line(
                'warning: grading without a sandbox: {}'.format(
                    options.why_unsandboxed), yellow=True)
        elif options.missing:
            config.get_terminal_writer().line(
                'warning: the sandbox lacks {}'.format(
                    '; '.join(options.missing)), yellow=True)
        self.summary.missing = options.missing
        result = engine.grade_folder(self.solution_dir, options)
        self.summary.graded = result
        self.summary.problem = result.problem
        self.summary.sandboxed = options.bwrap is not None
        missing = 'the grading child did not run this test' + (
            ': ' + result.problem if result.problem else '')
        for item in session.items:
            found = result.results.get(
                item.nodeid, {'outcome': 'failed', 'message': missing})
            self._report(item, found)
        return True

    @staticmethod
    def _report(item: pytest.Item, found: Dict[str, Any]) -> None:
        """Log one result as the report of a test run here."""
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid,
                                           location=item.location)
        outcome, message = found['outcome'], found['message']
        if outcome == 'failed' and is_extra(item):
            outcome, message = 'skipped', 'advice: ' + message
        longrepr: Any = found.get('details') if whole_traces(item.config) \
            and found.get('details') else message
        if outcome == 'skipped':
            longrepr = (str(item.location[0]), item.location[1] or 0,
                        'Skipped: ' + message)
        test_report = TestReport(
            nodeid=item.nodeid, location=item.location,
            keywords={name: 1 for name in item.keywords},
            outcome=outcome, longrepr=longrepr, when='call',
            duration=found.get('duration', 0.0),
            user_properties=[('message', found['message']),
                             ('advice', message != found['message'])])
        item.ihook.pytest_runtest_logreport(report=test_report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid,
                                            location=item.location)


def whole_traces(config: pytest.Config) -> bool:
    """Tell whether failures are shown with their tracebacks (-v, --tb)."""
    return config.option.tbstyle not in ('auto', 'no') or \
        config.option.verbose > 0


def configure(config: pytest.Config) -> None:
    """Register Summary, and Grader when a folder is to be graded."""
    solution_dir = config.getoption('solution_dir')
    folder = check_folder(solution_dir) if solution_dir else None
    summary = Summary(config, folder)
    config.pluginmanager.register(summary, 'summary')
    if folder is not None:
        config.pluginmanager.register(Grader(folder, summary), 'grader')
        option = config.option
        if option.tbstyle == 'auto' and option.verbose <= 0:
            option.tbstyle = 'no'  # Summary lists each failure in a line
            option.reportchars = ''.join(
                char for char in getattr(option, 'reportchars', '')
                if char not in 'fEA')
            summary.list_failures = True


__all__: List[str] = ['configure', 'Summary', 'Grader', 'check_folder']
