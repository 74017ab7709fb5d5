"""The grader, run on fixture folders as a mentor would run it.

Every fixture folder is graded from a temporary copy: the correct folders
(tests/fixtures), broken ones (the correct one with one typical mistake:
MISTAKES), and hostile ones (tests/fixtures/hostile, see its README:
ATTACKS), which are graded only where the sandbox can run. Each folder is
graded on the tasks its verdict names (see fixture_folders), each task up
to its first failure, in two runs: the folders that hang, with a time
limit of 0.5 s per test phase, and the others, with two jobs. Every
grading command here runs in the background, started as soon as the
tests are collected (see background). Each folder's verdicts are
checked, then what the hostile folders must not have done, `python3 -m
grader`'s table, reports and exit status, the `python3 -m pytest
--solution-dir` way in, and the usage errors.
"""
import ast
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, cast

import pytest

from background import Command, Finished, command
from conftest import ROOT
from fixture_folders import (ADVICE, ATTACKS, FIXTURES, HANGS, IN_TURN,
                             MISTAKES, STYLES, Verdict, build)
from grader import (STOPPED, __main__ as cli, arguments, bounded, child,
                    discover, engine, inert, pytest_route, python37, report,
                    sandbox)

SANDBOX = sandbox.find()[0] is not None
if not SANDBOX and os.environ.get('GRADER_REQUIRE_SANDBOX'):
    raise RuntimeError('GRADER_REQUIRE_SANDBOX is set but no sandbox can '
                       'run: ' + sandbox.find()[1])
EXPECTED: Dict[str, Verdict] = dict(STYLES, **{
    name: mistake.verdict for name, mistake in MISTAKES.items()})
if SANDBOX:
    EXPECTED.update(ATTACKS)
AGAIN = ('completion_order_only',)  # graded twice: determinism
FIRST = 'detached_rewriter'  # graded first: the wait for its trace is short


CANARY = 'CANARY-{}-SECRET'.format(os.getpid())
LISTENERS: List[socket.socket] = []


def canaries(scratch: Path) -> Path:
    """Plant what the cage must hide: a secret in a home of its own for
    the grading command and one in the host's temp folder, and a Unix
    socket listening there (the test looks for a connection); return
    the home."""
    home = scratch / 'home'
    home.mkdir()
    for path in (home / 'canary-secret.txt', scratch / 'canary-tmp.txt'):
        path.write_text(CANARY, encoding='utf-8')
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(scratch / 'canary.sock'))
    listener.listen(64)
    listener.setblocking(False)
    LISTENERS.append(listener)
    return home


def planned(scratch: Path, names: List[str], timeout: float,
            jobs: int = 2) -> Command:
    """Return the command that grades copies of the folders named, each on
    the tasks of its verdict (with advice where ADVICE says), each task
    up to its first failure (-x), which decides its verdict and reason;
    the IN_TURN ones by one worker, in turn, first."""
    folders: Dict[str, Any] = {}
    in_turn: Dict[str, str] = {}
    for name in names:
        where = scratch / ('again' if name.startswith('again/') else 'cohort')
        base = name.split('/')[-1]
        folder = str(build(base, where))
        folders[folder] = {
            'tasks': sorted(EXPECTED[base]), 'advice': base in ADVICE,
            'exitfirst': True}
        if name in IN_TURN:
            in_turn[name] = folder
    job = scratch / 'job.json'
    job.write_text(json.dumps({'jobs': jobs, 'timeout': timeout,
                               'folders': folders,
                               'in_turn': [in_turn[name] for name in IN_TURN
                                           if name in in_turn],
                               'home': str(canaries(scratch))}),
                   encoding='utf-8')
    return ([str(ROOT / 'tests' / 'grade_plans.py'), str(job),
             str(scratch / 'report.json')], ROOT)


def reports(done: Finished) -> Dict[str, Dict[str, Any]]:
    """Return a planned run's report per folder: its name, or again/name."""
    assert done.status == 0, done.output
    folders = json.loads((done.scratch / 'report.json').read_text(
        encoding='utf-8'))['folders']
    return {str(Path(entry['solution_dir']).relative_to(
        done.scratch)).replace('cohort/', '', 1): entry for entry in folders}


@command
def cohort(scratch: Path) -> Command:
    """Every fixture folder that does not hang, graded once (AGAIN twice),
    the IN_TURN ones first in one worker. Leaving traces (100 zombies, a
    detached process, files) makes an import that takes seconds on a busy
    machine; no folder here hangs, so a long time limit costs nothing."""
    names = sorted(name for name in EXPECTED if name not in HANGS)
    names.sort(key=lambda name: name != FIRST)
    return planned(scratch, names + ['again/' + name for name in AGAIN], 6)


@command
def hangs(scratch: Path) -> Command:
    """The folders that hang (at their second test, after a trivial one),
    with 0.5 s per test phase: each hang costs that."""
    return planned(scratch, [name for name in HANGS if name in EXPECTED],
                   0.5, jobs=1)


@pytest.fixture(scope='module')
def graded(cohort: Finished, hangs: Finished) -> Dict[str, Dict[str, Any]]:
    """Every fixture folder's report, by name (again/name for a copy)."""
    return dict(reports(cohort), **reports(hangs))


pytestmark = pytest.mark.grader


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_verdict_per_task(graded: Dict[str, Dict[str, Any]],
                          name: str) -> None:
    tasks = graded[name]['tasks']
    assert sorted(tasks) == [str(n) for n in sorted(EXPECTED[name])], tasks
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
    assert graded[name]['sandboxed'] == SANDBOX


def test_advice_is_never_a_failure(
        graded: Dict[str, Dict[str, Any]]) -> None:
    """advice_hangs passes task 1, though its advice fails, and hangs."""
    task = graded['advice_hangs']['tasks']['1']
    assert task['status'] == 'passed' and any(
        'when wait_n is cancelled' in advice for advice in task['advice'])
    assert graded['correct_hyphen']['tasks']['1']['advice_tests'] == 0


def test_grading_is_deterministic(graded: Dict[str, Dict[str, Any]]) -> None:
    """A folder graded twice, by other processes after other folders,
    gets the same verdicts and messages.

    Every draw of the random module is the fakes', and sleepers are woken
    in a seeded order, so even the shuffled checks give the same values.
    """
    for name in AGAIN:
        assert graded['again/' + name]['tasks'] == graded[name]['tasks']
    assert graded['completion_order_only']['tasks']['1']['status'] == \
        'failed'


def traces(name: str, trees: List[Path], folders: List[str]) -> List[str]:
    """Return every file called name in trees (not in their virtual
    environments or .git) or directly in folders: write_outside tries
    every folder Python imports from, and the grader's and the suite's."""
    found = []
    for tree in trees:
        for here, dirs, files in os.walk(str(tree)):
            dirs[:] = [folder for folder in dirs
                       if folder not in ('.git', '.venv', 'venv')]
            found += [os.path.join(here, name)] if name in files else []
    return found + [os.path.join(folder, name) for folder in set(folders)
                    if os.path.isfile(os.path.join(folder, name))]


@pytest.mark.skipif(not SANDBOX, reason='hostile folders need the sandbox')
def test_hostile_folders_leave_no_trace(
        graded: Dict[str, Dict[str, Any]], cohort: Finished) -> None:
    """No file was written outside, nothing outlived its folder, and the
    report still holds the true verdicts 2.5 s after the detached process
    was started (it waits 1.5 s, then rewrites report files)."""
    time.sleep(max(0.0, graded[FIRST]['ended'] + 2.5 - time.time()))
    assert reports(cohort) == {name: entry for name, entry in graded.items()
                               if name not in HANGS}
    paths = sysconfig.get_paths()
    stdlib = os.path.dirname(os.__file__)
    left = traces('HOSTILE_WAS_HERE', [ROOT, cohort.scratch], sys.path + [
        paths['purelib'], paths['platlib'], paths['stdlib'],
        paths['platstdlib'], stdlib, os.path.join(stdlib, 'lib-dynload')])
    assert not left and not os.path.exists(
        '/tmp/hostile_detached_was_here'), left
    for name in ('pipe_holder', 'ignore_sigalrm', 'stop_supervisor'):
        assert graded[name]['seconds'] < 15, graded[name]


@pytest.mark.skipif(not SANDBOX, reason='hostile folders need the sandbox')
def test_the_cage_shows_nothing_of_the_host(
        graded: Dict[str, Dict[str, Any]], cohort: Finished,
        hangs: Finished) -> None:
    """No secret of the home or the host's temp folder, no connection to
    a host socket, no other folder and no trace of an earlier folder
    reached a folder (each would fail its task 0 with what it found, see
    test_verdict_per_task); and nothing found reached any output."""
    for done in (cohort, hangs):
        assert CANARY not in done.output and CANARY not in (
            done.scratch / 'report.json').read_text(encoding='utf-8')
    for listener in LISTENERS:
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.mark.skipif(not SANDBOX, reason='hostile folders need the sandbox')
def test_what_a_person_reads_is_bounded_and_inert(
        graded: Dict[str, Dict[str, Any]]) -> None:
    """A 2 MiB message is cut to about 2,000 characters, saying how many
    more there were; ESC, CR and the rest are written as escapes."""
    huge = graded['huge_message']['tasks']['0']['messages'][0]
    assert len(huge) < 2100 and huge.endswith('more characters'), huge[-80:]
    for entry in graded.values():
        for task in entry['tasks'].values():
            for text in task['messages'] + task['advice']:
                assert not any(ord(char) < 32 or 127 <= ord(char) < 160
                               for char in text), repr(text[:200])


@command
def slow_folder(scratch: Path) -> Command:
    """python3 -m grader on two folders, a correct one and one so slow
    (a blocking wait in wait_random, which the fake time.sleep would
    refuse) that it runs out of time."""
    slow = scratch / 'cohort' / 'slow'
    build('correct_hyphen', scratch / 'cohort').rename(slow)
    path = slow / '0-basic_async_syntax.py'
    path.write_text(path.read_text(encoding='utf-8').replace(
        'import random\n', 'import random\nimport select\n').replace(
        '    delay = random.uniform', '    select.select([], [], [], 0.4)\n'
        '    delay = random.uniform'), encoding='utf-8')
    build('correct_hyphen', scratch / 'cohort')
    return (['-m', 'grader', str(scratch / 'cohort'), '--task', '0',
             '--folder-timeout', '3', '--jobs', '1', '--report-json',
             str(scratch / 'report.json'), '--report-csv',
             str(scratch / 'report.csv')], ROOT)


def test_a_folder_that_runs_out_of_time(slow_folder: Finished) -> None:
    """It says so; the folder beside it is graded as usual. One job
    grades the correct folder first, so its time is its own even on a
    busy machine; the slow one's tests each take 0.4 s, far below their
    limit, but together far above the folder's 3 s."""
    folders = {Path(entry['solution_dir']).name: entry for entry in
               json.loads((slow_folder.scratch / 'report.json').read_text(
                   encoding='utf-8'))['folders']}
    assert slow_folder.status == 1, slow_folder.output
    assert folders['slow']['problem'] == 'the folder ran out of time (3 s)'
    assert folders['correct_hyphen']['tasks']['0']['status'] == 'passed'


def test_table_reports_and_exit_status(slow_folder: Finished) -> None:
    report = json.loads((slow_folder.scratch / 'report.json').read_text(
        encoding='utf-8'))['folders']
    with open(str(slow_folder.scratch / 'report.csv'),
              encoding='utf-8') as lines:
        rows = {Path(row['folder']).name: row
                for row in csv.DictReader(lines)}
    assert '1 of 2 folders passed every task' in slow_folder.output
    for entry in report:
        name = Path(entry['solution_dir']).name
        line = [text for text in slow_folder.output.splitlines()
                if text.startswith(name + ' ')]
        status = entry['tasks']['0']['status']
        assert line and line[0].split()[1:6] == [
            'pass' if status == 'passed' else 'FAIL', '-', '-', '-', '-'], (
            name, line)
        row = rows[name]
        assert [row['task{}'.format(n)] for n in range(5)] == [
            status, '-', '-', '-', '-']
        task = entry['tasks']['0']
        assert int(row['graded_failed']) == task['failed'] and int(
            row['graded_passed']) <= task['graded'] - task['failed'], row


ROUTED = 'ini_plugin_takeover' if SANDBOX else 'sorted_call'


@command
def pytest_way_in(scratch: Path) -> Command:
    """`python3 -m pytest --solution-dir PATH` (two words: pytest starts
    again from here), run from the folder itself, on tasks 0 and 1. Where
    the sandbox runs, the folder is ini_plugin_takeover, whose pytest.ini
    names a plugin that forges reports; elsewhere, one that sorts."""
    folder = build(ROUTED, scratch)
    return (['-m', 'pytest', '--solution-dir', str(folder), '--task', '0',
             '--task', '1', '--report-json', str(scratch / 'report.json'),
             '--results-json', str(scratch / 'results.json')], folder)


def route_report(done: Finished) -> Dict[str, Any]:
    """Return the verdict per task that the pytest way in wrote."""
    tasks: Dict[str, Any] = json.loads((done.scratch / 'report.json')
                                       .read_text(encoding='utf-8'))['tasks']
    return tasks


def test_pytest_route_says_each_failure_in_a_line(
        pytest_way_in: Finished) -> None:
    """A line per failing graded test (its name and reason, nothing cut,
    no traceback), the verdicts, and exit status 1."""
    done = pytest_way_in
    assert done.status == 1, done.output
    lines = done.output.splitlines()
    assert 'task 0: passed (19 graded tests, 2 advice checks)' in lines
    failed = [line for line in lines if line.startswith('FAILED ')]
    task = route_report(done)['1']
    assert task['status'] == 'failed' and [
        line.partition(' - ')[2] for line in failed] == task['messages']
    assert all(line.startswith(
        'FAILED tests/test_1_concurrent_coroutines.py::') for line in failed)
    assert 'Traceback' not in done.output and 'File "' not in done.output


@pytest.mark.skipif(not SANDBOX, reason='hostile folders need the sandbox')
def test_pytest_route_ignores_the_folders_settings(
        pytest_way_in: Finished) -> None:
    """Started again from here, it grades ini_plugin_takeover as it is:
    its plugin forges nothing."""
    assert route_report(pytest_way_in)['1']['messages'][0].startswith(
        'wait_n(5, 3) had at most 0 of its 5 waits in flight at once')
    results = json.loads((pytest_way_in.scratch / 'results.json').read_text(
        encoding='utf-8'))
    assert results['status'] == 'fail'


@command
def pytest_below_settings(scratch: Path) -> Command:
    """`python3 -m pytest --solution-dir solution` (two words) from a
    folder whose pytest.ini loads a plugin from the folder graded."""
    parent = scratch / 'parent_ini'
    shutil.copytree(str(FIXTURES / 'hostile' / 'parent_ini'), str(parent),
                    symlinks=True)
    return (['-m', 'pytest', '--solution-dir', 'solution', '--task', '0'],
            parent)


def test_pytest_way_in_reads_no_settings_of_the_folder(
        pytest_below_settings: Finished) -> None:
    """The hook in first/ starts the command again from here before
    pytest reads the pytest.ini above the folder: its plugin never runs
    in the user's process, and the folder is graded."""
    done = pytest_below_settings
    assert done.status == 0, done.output
    assert 'task 0: passed' in done.output
    assert not (done.scratch / 'parent_ini' / 'PLUGIN_RAN').exists()


@command
def bad_solution_dir(scratch: Path) -> Command:
    """python3 -m pytest --solution-dir with a folder that is not there."""
    return (['-m', 'pytest', '--solution-dir=' + str(scratch / 'missing')],
            ROOT)


def test_a_bad_solution_dir_is_one_line(bad_solution_dir: Finished) -> None:
    done = bad_solution_dir
    assert done.status == 4
    assert [line for line in done.output.splitlines() if line.strip()] == [
        'ERROR: --solution-dir {}: no such folder'.format(
            done.scratch / 'missing')]


@pytest.mark.parametrize('path, reason', [
    ('missing', 'no such folder'), ('file.txt', 'not a folder'),
    ('empty', 'no task file there (expected 0-basic_async_syntax.py or '
              '0_basic_async_syntax.py)')])
def test_what_a_bad_solution_dir_is_told(tmp_path: Path, path: str,
                                         reason: str) -> None:
    (tmp_path / 'file.txt').write_text('x')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(pytest.UsageError) as error:
        pytest_route.check_folder(str(tmp_path / path))
    assert str(error.value) == '--solution-dir {}: {}'.format(
        tmp_path / path, reason)


def test_a_traceback_starts_at_the_learners_file() -> None:
    """With -v or --tb a failure is shown whole, from the learner's own
    frame on (or the test's, if none is the learner's), without pytest's,
    pluggy's or the grader's frames."""
    text = '\n'.join([
        'Traceback (most recent call last):',
        '  File "/v/site-packages/_pytest/runner.py", line 341, in from_call',
        '    result = func()',
        '  File "/v/site-packages/pluggy/_callers.py", line 103, in call',
        '    res = hook_impl.function(*args)',
        '  File "/work/tests/checks.py", line 300, in test_in_flight',
        '    delays = await module.wait_n(5, 3)',
        '  File "/learner/1-concurrent_coroutines.py", line 18, in wait_n',
        '    return 1 / 0',
        'ZeroDivisionError: division by zero'])
    assert child.learner_traceback(text, '/learner').splitlines() == [
        'Traceback (most recent call last):',
        '  File "/learner/1-concurrent_coroutines.py", line 18, in wait_n',
        '    return 1 / 0',
        'ZeroDivisionError: division by zero']
    checks = str(ROOT / 'tests' / 'checks.py')
    text = '\n'.join([
        'Traceback (most recent call last):',
        '  File "/v/site-packages/pytest_asyncio/plugin.py", line 9, in inner',
        '    runner.run(coro, context=context)',
        '  File "/py/asyncio/base_events.py", line 721, in run_until_complete',
        '    return future.result()',
        '  File "{}", line 300, in test_in_flight'.format(checks),
        '    assert most == n, message',
        'AssertionError: wait_n(5, 3) had at most 1 of its 5 waits'])
    assert child.learner_traceback(text, '/learner').splitlines() == [
        'Traceback (most recent call last):',
        '  File "{}", line 300, in test_in_flight'.format(checks),
        '    assert most == n, message',
        'AssertionError: wait_n(5, 3) had at most 1 of its 5 waits']
    options = [(('auto', 0), False), (('no', 0), False), (('auto', 1), True),
               (('long', 0), True), (('native', 0), True)]
    for (tbstyle, verbose), whole in options:
        config = SimpleNamespace(option=SimpleNamespace(tbstyle=tbstyle,
                                                        verbose=verbose))
        assert pytest_route.whole_traces(cast(pytest.Config, config)) == whole


def test_every_graded_assert_says_what_is_wrong() -> None:
    """A child runs the graded tests with --assert=plain (no rewriting,
    which saves a sixth of its start), so an assert without a message
    would fail with a bare AssertionError: every one has a message."""
    bare = []
    for path in sorted((ROOT / 'tests').glob('test_[0-4]_*.py')) + [
            ROOT / 'tests' / 'test_rubric.py', ROOT / 'tests' / 'checks.py']:
        tree = ast.parse(path.read_text(encoding='utf-8'))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef,
                                         ast.AsyncFunctionDef)) or any(
                    'own' in ast.dump(decorator)
                    for decorator in function.decorator_list):
                continue
            bare += ['{}:{}'.format(path.name, node.lineno)
                     for node in ast.walk(function)
                     if isinstance(node, ast.Assert) and node.msg is None]
    assert not bare, bare


def test_a_process_deaf_to_its_timer_is_seen() -> None:
    """The child kills a task process whose test runs past its time with
    SIGALRM blocked or ignored as soon as its timer was due (the folder
    blocks_the_timer is graded so); here, this process, for a moment."""
    assert not child.deaf_to_timer(os.getpid())
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
    try:
        assert child.deaf_to_timer(os.getpid())
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGALRM])
    before = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        assert child.deaf_to_timer(os.getpid())
    finally:
        signal.signal(signal.SIGALRM, before)
    assert not child.deaf_to_timer(os.getpid())


def test_folders_in_turn_go_to_one_worker_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """engine.grade(..., in_turn=...) hands those folders to one worker,
    in that order, before any other; results stay in the folders' order."""
    seen: List[Any] = []

    class Stub:
        """A worker that grades nothing, and notes what it was given."""

        def __init__(self, options: engine.Options) -> None:
            self.who = object()

        def grade(self, folder: str, plan: Any) -> engine.FolderResult:
            seen.append((self.who, folder))
            return engine.FolderResult(folder)

        def stop(self) -> None:
            pass
    monkeypatch.setattr(engine, 'Worker', Stub)
    options = engine.Options(use_sandbox=False, py37=None)
    results = engine.grade(['a', 'b', 'c', 'd'], options, 2,
                           in_turn=['c', 'a'])
    assert [result.folder for result in results] == ['a', 'b', 'c', 'd']
    who = dict((folder, worker) for worker, folder in seen)
    assert who['c'] is who['a'] and [
        folder for worker, folder in seen if worker is who['c']][:2] == [
            'c', 'a']


def test_python_3_7_is_found_unless_it_grades() -> None:
    """Under pyenv or on PATH; never when the grading Python is 3.7,
    whose own imports judge then. --python37 none asks for none."""
    found = python37.find()
    if sys.version_info[:2] == (3, 7):
        assert found is None
    elif found is not None:
        assert os.access(found, os.X_OK) and subprocess.run(
            [found, '-c', 'import sys; print(sys.version_info[:2])'],
            stdout=subprocess.PIPE, check=True).stdout == b'(3, 7)\n'
    assert sandbox.install_folder(sys.executable) == os.path.dirname(
        os.path.dirname(os.path.realpath(sys.executable)))
    if found is not None:  # shown to the cage, read-only
        folder = sandbox.install_folder(found)
        assert any(folder == path or folder.startswith(path + '/')
                   for path in sandbox.python_paths([found])), folder
    assert arguments.interpreter('none') is None


@pytest.mark.parametrize('answer', ['{"0": 5}', '[1]', '{"0": {}}', 'no'])
def test_an_answer_not_from_serve_is_no_verdict(answer: str) -> None:
    """What the folder's code in a 3.7 copy might write in place of the
    answer leaves the folder without a 3.7 verdict; it never stops the
    supervisor that asked."""
    importer = python37.Importer(sys.executable, str(ROOT))
    importer.process = subprocess.Popen(
        [sys.executable, '-c', 'import sys; sys.stdin.readline(); '
         'print({!r}, flush=True); sys.stdin.readline()'.format(answer)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert importer.check('/nowhere', {0: '0-basic_async_syntax'},
                          0.5) is None
    assert importer.process is None  # closed: the next folder starts anew


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
    (['--python37', 'no-such-python3.7'],
     "argument --python37: no program 'no-such-python3.7'"),
])
def test_usage_errors_exit_4(tmp_path: Path, args: List[str], message: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """python3 -m grader's main, called here: nothing is graded."""
    (tmp_path / 'EMPTY').mkdir()
    paths = [str(tmp_path / arg) if arg.isalpha() else arg for arg in args]
    try:
        status = cli.main(paths)
    except SystemExit as exit:
        status = int(str(exit.code))
    assert status == 4
    assert message in capsys.readouterr().err


def test_names_cannot_become_options_or_reach_the_project(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A folder called --no-sandbox in `python3 -m grader *` is refused
    (one line naming --); a link to this project, given or met in a
    cohort, is refused or named in a warning, never graded."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / '--no-sandbox').mkdir()
    assert cli.main(['--no-sandbox', 'x']) == 4
    assert "'--no-sandbox' is both an option and a file or folder here; " \
        'to grade it, put -- before the paths' in capsys.readouterr().err
    (tmp_path / 'project').symlink_to(ROOT)
    assert cli.main([str(tmp_path / 'project')]) == 4
    assert "is this grader's own project" in capsys.readouterr().err
    warnings: List[str] = []
    cohort = tmp_path / 'cohort'
    (cohort / 'real').mkdir(parents=True)
    (cohort / 'real' / '0-basic_async_syntax.py').write_text('')
    (cohort / 'project').symlink_to(ROOT)
    (cohort / 'again').symlink_to(cohort / 'real')
    assert discover.folders([str(cohort)], warnings=warnings) == [
        str(cohort / 'real')]
    assert warnings == [
        "{}: not graded, a link into the grader's own project".format(
            cohort / 'project'),
        '{}: graded once, as {}'.format(cohort / 'again', cohort / 'real')]


def test_names_and_texts_are_inert_in_every_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A newline, ESC or a byte that is not UTF-8 in a folder's name, or in
    a message, is written as an escape in the table, the verdicts, CSV
    and JSON; a long text is cut, saying how much more there was."""
    name = os.fsdecode(b'/cohort/a\nb\x1b[2J\xff')
    result = engine.FolderResult(name)
    result.schedule = {0: [{'nodeid': 't.py::a', 'extra': False}]}
    result.results = {'t.py::a': {'outcome': 'failed', 'message': 'm'}}
    cli.show([result], [(name, cli.tasks_of(result))])
    shown = capsys.readouterr().out
    assert 'verdict per task for /cohort/a\\nb\\x1b[2J\\xff' in shown
    assert '\x1b' not in shown and '\udcff' not in shown
    out = io.StringIO()
    report.write_csv(out, [(name, cli.tasks_of(result))])
    assert out.getvalue().splitlines()[1].startswith(
        '/cohort/a\\nb\\x1b[2J\\xff,')
    assert json.dumps(report.folder_json(name, {})).encode('ascii')
    assert inert('a\rb\u202ec\x08') == 'a\\rb\\u202ec\\x08'
    assert bounded('x' * 5000) == 'x' * 2000 + '\u2026 3000 more characters'
    stream = engine.TaskStream([{'nodeid': 'n', 'budget': 1}],
                               ('/scratch/folder-1/solution', '/learner'))
    stream.take(json.dumps({'started': 'n'}))
    stream.take(json.dumps({'nodeid': 'n', 'outcome': 'failed',
                            'message': 'at /scratch/folder-1/solution/x.py'
                                       '\x1b[31m' + 'y' * 3000}))
    message = stream.results['n']['message']
    assert message.startswith('at /learner/x.py\\x1b[31m') and \
        message.endswith(' more characters') and len(message) < 2100


def test_exercism_results_json(pytest_way_in: Finished) -> None:
    """Every field of Exercism's results.json, version 3 (python3 -m
    grader --results-json writes it with the same report.exercism)."""
    data = json.loads((pytest_way_in.scratch / 'results.json').read_text(
        encoding='utf-8'))
    assert sorted(data) == ['message', 'status', 'tests', 'version']
    assert data['version'] == 3 and data['status'] == 'fail'
    assert data['message'] is None
    tests = data['tests']
    assert [test['task_id'] for test in tests] == sorted(
        test['task_id'] for test in tests) and {0, 1} == {
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
    assert failing[0]['message'] == route_report(pytest_way_in)['1'][
        'messages'][0]
    assert failing[0]['name'].startswith('TestWaitN > ')


def test_one_folder_is_told_its_failures_and_verdicts(
        capsys: pytest.CaptureFixture[str]) -> None:
    """python3 -m grader on one folder: a line per failing graded test,
    then the verdict block (advice is never a failing line)."""
    result = engine.FolderResult('/learner')
    result.schedule = {1: [{'nodeid': 'tests/t.py::test_a', 'extra': False},
                           {'nodeid': 'tests/t.py::test_b', 'extra': True}],
                       3: [{'nodeid': 'tests/t.py::test_c', 'extra': False}]}
    result.results = {
        'tests/t.py::test_a': {'outcome': 'failed', 'message': 'too slow'},
        'tests/t.py::test_b': {'outcome': 'failed', 'message': 'no check'},
        'tests/t.py::test_c': {'outcome': 'passed', 'message': ''}}
    cli.show([result], [(result.folder, cli.tasks_of(result))])
    assert capsys.readouterr().out.splitlines() == [
        'FAILED tests/t.py::test_a - too slow',
        'verdict per task for /learner',
        'task 1: failed (1 of 1 graded test, 1 advice check): too slow',
        'task 3: passed (1 graded test)',
        'advice, not graded: task 1: no check']
    result.results['tests/t.py::test_b'] = {'outcome': 'skipped',
                                            'message': STOPPED}
    tasks = cli.tasks_of(result)
    assert report.verdict_lines(tasks)[0] == (
        'task 1: failed (1 of 1 graded test, 1 advice check, 1 not run '
        'after the first failure (-x)): too slow')
    assert report.graded_counts(tasks) == (1, 1)


@command
def no_requirements(scratch: Path) -> Command:
    """python3 -m grader in a Python without site-packages (-S), which has
    none of the test tools."""
    return ['-S', '-m', 'grader', str(FIXTURES / 'correct_hyphen')], ROOT


def test_without_the_requirements_one_line_says_what_to_do(
        no_requirements: Finished) -> None:
    done = no_requirements
    assert done.status == 4
    assert done.output.splitlines() == [
        'python3 -m grader: pytest_asyncio is not installed here: set up as '
        'the README says, python3 -m venv .venv && .venv/bin/python -m pip '
        'install -r requirements-test.txt, then run .venv/bin/python -m '
        'grader']
