"""The grader, run on fixture folders as a mentor would run it.

Every fixture folder is graded from a temporary copy, in one run of
`python3 -m grader` over the whole cohort (in parallel, as a mentor
would): the correct folders (tests/fixtures), broken ones (the correct
one with one typical mistake: MISTAKES), and hostile ones
(tests/fixtures/hostile, see its README: ATTACKS), which are graded only
where the sandbox can run. Each folder's verdict on every task is
checked, then the table, the reports, and what the hostile folders must
not have done. A few more runs check the `python3 -m pytest
--solution-dir` way in, and the command's usage errors.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

import pytest

from conftest import ROOT
from fixture_folders import (ATTACKS, FIXTURES, MISTAKES, STYLES, Verdict,
                             build)
from grader import discover, sandbox

SANDBOX = sandbox.find()[0] is not None
if not SANDBOX and os.environ.get('GRADER_REQUIRE_SANDBOX'):
    raise RuntimeError('GRADER_REQUIRE_SANDBOX is set but no sandbox can '
                       'run: ' + sandbox.find()[1])
EXPECTED: Dict[str, Verdict] = dict(STYLES, **{
    name: mistake.verdict for name, mistake in MISTAKES.items()})
if SANDBOX:
    EXPECTED.update(ATTACKS)
TIMEOUT = "2"  # per test phase (the default): what a hang costs


def run(args: List[str],
        cwd: Path = ROOT) -> 'subprocess.CompletedProcess[str]':
    """Run a Python command as a user would, from cwd; capture its output."""
    return subprocess.run(
        [sys.executable] + args, cwd=str(cwd), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))


class Cohort(NamedTuple):
    """The cohort graded in one run, and what that run left."""

    folder: Path
    report: Dict[str, Dict[str, Any]]
    rows: Dict[str, Dict[str, str]]
    output: str
    status: int
    ended: float
    report_path: Path


class CohortRun:
    """The cohort's grading, started as early as the session allows.

    It is the longest test here by far and it runs in processes of its
    own, so conftest starts it as soon as the tests are collected (see
    start_cohort); the other tests then run while it grades.
    """

    def __init__(self) -> None:
        """Copy every fixture folder into a scratch cohort; start grading."""
        self.scratch = Path(tempfile.mkdtemp(prefix='cohort-'))
        self.folder = self.scratch / 'cohort'
        self.folder.mkdir()
        for name in EXPECTED:
            build(name, self.folder)
        self.report = self.scratch / 'report.json'
        self.table = self.scratch / 'report.csv'
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'grader', str(self.folder), '--jobs', '2',
             '--test-timeout', TIMEOUT, '--report-json', str(self.report),
             '--report-csv', str(self.table)],
            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
        self.done: Optional[Cohort] = None

    def result(self) -> Cohort:
        """Wait for the grading to end; return what it left."""
        if self.done is None:
            output, _ = self.process.communicate(timeout=600)
            ended = time.monotonic()
            folders = json.loads(self.report.read_text(
                encoding='utf-8'))['folders']
            with open(str(self.table), encoding='utf-8') as lines:
                rows = {Path(row['folder']).name: row
                        for row in csv.DictReader(lines)}
            self.done = Cohort(self.folder, {
                Path(entry['solution_dir']).name: entry for entry in folders},
                rows, output, self.process.returncode, ended, self.report)
        return self.done

    def close(self) -> None:
        """Stop the grading if it still runs, and remove the cohort."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        shutil.rmtree(str(self.scratch), ignore_errors=True)


RUNS: List[CohortRun] = []


def start_cohort() -> None:
    """Start grading the cohort, once (conftest calls this early)."""
    if not RUNS:
        RUNS.append(CohortRun())


def stop_cohort() -> None:
    """Clean up after the cohort (conftest calls this at the end)."""
    while RUNS:
        RUNS.pop().close()


@pytest.fixture(scope='module')
def cohort() -> Cohort:
    """Every fixture folder, graded in one run of python3 -m grader."""
    start_cohort()
    return RUNS[0].result()


pytestmark = pytest.mark.grader


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_verdict_per_task(cohort: Cohort, name: str) -> None:
    tasks = cohort.report[name]['tasks']
    assert sorted(tasks) == [str(n) for n in range(5)], cohort.output
    for taskno, part in EXPECTED[name].items():
        task = tasks[str(taskno)]
        if part is None:
            assert task['status'] == 'passed', (
                '{}: task {} should pass, failed with: {}'.format(
                    name, taskno, task['messages'][:1]))
        else:
            assert task['status'] == 'failed', (
                '{}: task {} should fail'.format(name, taskno))
            parts = part if isinstance(part, tuple) else (part,)
            assert any(piece in task['messages'][0] for piece in parts), (
                '{}: task {} failed with {!r}, expected {!r} in it'.format(
                    name, taskno, task['messages'][0], part))
    assert cohort.report[name]['sandboxed'] == SANDBOX


def test_table_reports_and_exit_status(cohort: Cohort) -> None:
    passing = sorted(name for name, expected in EXPECTED.items()
                     if all(part is None for part in expected.values()))
    assert cohort.status == 1, cohort.output
    assert '{} of {} folders passed every task'.format(
        len(passing), len(EXPECTED)) in cohort.output, cohort.output
    for name, entry in cohort.report.items():
        line = [text for text in cohort.output.splitlines()
                if text.startswith(name + ' ')]
        statuses = [entry['tasks'][str(n)]['status'] for n in range(5)]
        assert line and line[0].split()[1:6] == [
            'pass' if status == 'passed' else 'FAIL'
            for status in statuses], (name, line)
        row = cohort.rows[name]
        assert [row['task{}'.format(n)] for n in range(5)] == statuses
        graded = sum(task['graded'] for task in entry['tasks'].values())
        failed = sum(task['failed'] for task in entry['tasks'].values())
        assert int(row['graded_failed']) == failed and int(
            row['graded_passed']) <= graded - failed, row


def test_advice_is_never_a_failure(cohort: Cohort) -> None:
    task = cohort.report['correct_hyphen']['tasks']['1']
    assert task['status'] == 'passed' and any(
        'when wait_n is cancelled' in advice for advice in task['advice'])


@pytest.mark.skipif(not SANDBOX, reason='hostile folders need the sandbox')
def test_hostile_folders_leave_no_trace(cohort: Cohort) -> None:
    """No file was written outside, nothing outlived its folder, and the
    report still holds the true verdicts after the detached process's
    wait."""
    time.sleep(max(0.0, 2.5 - (time.monotonic() - cohort.ended)))
    report = json.loads(cohort.report_path.read_text(encoding='utf-8'))
    assert {Path(entry['solution_dir']).name: entry for entry
            in report['folders']} == cohort.report
    places = [ROOT, Path(sysconfig.get_paths()['purelib']),
              Path(os.__file__).parent, cohort.folder]
    left = [str(path) for place in places
            for path in place.rglob('HOSTILE_WAS_HERE')]
    assert not left and not os.path.exists(
        '/tmp/hostile_detached_was_here'), left
    for name in ('pipe_holder', 'ignore_sigalrm'):
        assert cohort.report[name]['seconds'] < 15, cohort.report[name]


def test_pytest_route_grades_alike(tmp_path: Path) -> None:
    """`--solution-dir PATH` (two words: pytest starts again from here)
    prints a line per failing test, the verdicts, and exits 1."""
    folder = build('sorted_call', tmp_path)
    report = tmp_path / 'report.json'
    results = tmp_path / 'results.json'
    done = run(['-m', 'pytest', '--solution-dir', str(folder), '--task', '0',
                '--task', '1', '--report-json', str(report),
                '--results-json', str(results)], cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    lines = done.stdout.splitlines()
    assert 'task 0: passed (19 graded tests, 8 advice checks)' in lines
    failed = [line for line in lines if line.startswith('FAILED ')]
    assert failed == [
        'FAILED tests/test_1_concurrent_coroutines.py::TestWaitN::'
        'test_does_not_sort_at_run_time - wait_n sorts at run time '
        '(sorted() at 1-concurrent_coroutines.py:18); insert each delay in '
        'its place as it arrives instead',
        'FAILED tests/test_1_concurrent_coroutines.py::TestWaitN::'
        'test_does_not_call_sort - 1-concurrent_coroutines.py calls sort() '
        'or sorted() (line 18); insert each delay in its place as it '
        'arrives instead'], done.stdout
    assert 'Traceback' not in done.stdout and 'File "' not in done.stdout
    tasks = json.loads(report.read_text(encoding='utf-8'))['tasks']
    assert tasks['1']['status'] == 'failed'
    exercism = json.loads(results.read_text(encoding='utf-8'))
    assert exercism['status'] == 'fail' and {
        test['task_id'] for test in exercism['tests']} == {0, 1}


@pytest.mark.skipif(not SANDBOX, reason='hostile folders need the sandbox')
def test_pytest_route_ignores_the_folders_settings(tmp_path: Path) -> None:
    """A folder's pytest.ini names a plugin that forges reports; the run
    started again from here grades it as it is, and nothing is forged."""
    folder = build('ini_plugin_takeover', tmp_path)
    report = tmp_path / 'report.json'
    done = run(['-m', 'pytest', '--solution-dir', str(folder), '--task', '1',
                '--report-json', str(report)], cwd=folder)
    assert done.returncode == 1, done.stdout
    tasks = json.loads(report.read_text(encoding='utf-8'))['tasks']
    assert tasks['1']['status'] == 'failed', tasks


@pytest.mark.parametrize('path, reason', [
    ('missing', 'no such folder'), ('file.txt', 'not a folder'),
    ('empty', 'no task file there')])
def test_a_bad_solution_dir_is_one_line(tmp_path: Path, path: str,
                                        reason: str) -> None:
    (tmp_path / 'file.txt').write_text('x')
    (tmp_path / 'empty').mkdir()
    done = run(['-m', 'pytest', '--solution-dir=' + str(tmp_path / path)])
    assert done.returncode == 4
    assert [line for line in done.stdout.splitlines() if line.strip()] == [
        'ERROR: --solution-dir {}: {}{}'.format(
            tmp_path / path, reason, ' (expected 0-basic_async_syntax.py '
            'or 0_basic_async_syntax.py)' if path == 'empty' else '')]


def test_discovery(tmp_path: Path) -> None:
    """Both namings, nested up to four levels below a path given, not
    inside a found folder, and not deeper."""
    made = []
    for where, name in [('a', '0-basic_async_syntax.py'),
                        ('b/c', '0_basic_async_syntax.py'),
                        ('d/e/f/g', '0-basic_async_syntax.py'),
                        ('a/inner', '0-basic_async_syntax.py'),
                        ('h/i/j/k/l', '0-basic_async_syntax.py')]:
        (tmp_path / where).mkdir(parents=True)
        (tmp_path / where / name).write_text('')
        made.append(str(tmp_path / where))
    assert discover.folders([str(tmp_path)]) == made[:3]
    assert discover.folders([made[0], str(tmp_path / 'b')]) == made[:2]
    assert discover.folders([str(tmp_path / 'h' / 'i')]) == [made[4]]
    assert discover.folders([str(tmp_path / 'h')]) == [made[4]]


@pytest.mark.parametrize('args, message', [
    (['nowhere'], 'nowhere: no such folder'),
    (['EMPTY'], 'no folder with 0-basic_async_syntax.py'),
    (['--jobs', '0'], 'argument --jobs/-j: 0 is below 1'),
])
def test_usage_errors_exit_4(tmp_path: Path, args: List[str],
                             message: str) -> None:
    (tmp_path / 'EMPTY').mkdir()
    done = run(['-m', 'grader'] + args, cwd=tmp_path)
    assert done.returncode == 4, done.stdout
    assert message in done.stdout


def test_a_hanging_folder_beside_a_correct_one(tmp_path: Path) -> None:
    """A folder that runs out of time says so; the other is graded as
    usual.

    The hanging folder's modules block SIGALRM and sleep when imported, so
    only the child's kill (after three test budgets and a second, 7 s)
    could end them; the folder's 6 s run out first. One job grades the
    correct folder first, so its time is its own even on a busy machine.
    """
    hang = build('correct_hyphen', tmp_path / 'cohort')
    hang.rename(tmp_path / 'cohort' / 'hang')
    path = tmp_path / 'cohort' / 'hang' / '0-basic_async_syntax.py'
    path.write_text(path.read_text(encoding='utf-8').replace(
        'import random\n', 'import random\nimport signal\nimport time\n'
        'signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n'
        'time.sleep(60)\n'), encoding='utf-8')
    build('correct_hyphen', tmp_path / 'cohort')
    report = tmp_path / 'report.json'
    done = run(['-m', 'grader', str(tmp_path / 'cohort'), '--folder-timeout',
                '6', '--jobs', '1', '--report-json', str(report)])
    folders = {Path(entry['solution_dir']).name: entry for entry in
               json.loads(report.read_text(encoding='utf-8'))['folders']}
    assert done.returncode == 1
    assert folders['hang']['problem'] == 'the folder ran out of time (6 s)'
    assert all(task['status'] == 'passed' for task in
               folders['correct_hyphen']['tasks'].values()), done.stdout


def test_exercism_results_json(tmp_path: Path) -> None:
    """Every field of Exercism's results.json, version 3."""
    folder = build('measure_total', tmp_path)
    results = tmp_path / 'results.json'
    done = run(['-m', 'grader', str(folder), '--task', '2', '--task', '3',
                '--results-json', str(results)])
    assert done.returncode == 1, done.stdout
    data = json.loads(results.read_text(encoding='utf-8'))
    assert sorted(data) == ['message', 'status', 'tests', 'version']
    assert data['version'] == 3 and data['status'] == 'fail'
    assert data['message'] is None
    tests = data['tests']
    assert [test['task_id'] for test in tests] == sorted(
        test['task_id'] for test in tests) and {2, 3} == {
        test['task_id'] for test in tests}
    for test in tests:
        assert sorted(test) == ['message', 'name', 'output', 'status',
                                'task_id', 'test_code']
        assert test['status'] in ('pass', 'fail')
        assert isinstance(test['name'], str) and test['name']
        assert isinstance(test['test_code'], str) and test['test_code']
        assert not test['test_code'].startswith(('def ', '@'))
        assert test['output'] is None or len(test['output']) <= 500
        assert (test['message'] is None) == (test['status'] == 'pass')
    failing = [test for test in tests if test['status'] == 'fail']
    assert failing and 'returned the total time' in failing[0]['message']
    assert failing[0]['name'] == 'returns the time of wait n over n'


def test_grading_is_deterministic(tmp_path: Path) -> None:
    """The same folders get the same verdicts and messages every run.

    Every draw of the random module is the fakes', and sleepers are woken
    in a seeded order, so even the shuffled checks give the same values.
    """
    for name in ('completion_order_only', 'style_draws'):
        build(name, tmp_path / 'cohort')
    reports = []
    for run_no in range(2):
        report = tmp_path / 'report{}.json'.format(run_no)
        run(['-m', 'grader', str(tmp_path / 'cohort'), '--task', '1',
             '--report-json', str(report)])
        folders = json.loads(report.read_text(encoding='utf-8'))['folders']
        reports.append([entry['tasks'] for entry in folders])
    assert reports[0] == reports[1]
    assert reports[0][0]['1']['status'] == 'failed'


def test_without_the_requirements_one_line_says_what_to_do() -> None:
    """Python without site-packages (-S) has none of the test tools."""
    done = run(['-S', '-m', 'grader', str(FIXTURES / 'correct_hyphen')])
    assert done.returncode == 4
    assert done.stdout.splitlines() == [
        'python3 -m grader: pytest_asyncio is not installed here: set up as '
        'the README says, python3 -m venv .venv && .venv/bin/python -m pip '
        'install -r requirements-test.txt, then run .venv/bin/python -m '
        'grader']
