"""The grader, run on fixture solutions as a learner would run it.

Each broken solution is the correct one in tests/fixtures/correct_hyphen
with one typical mistake made in it; MISTAKES says which, and what the
verdict on each task must be. Every solution is graded in a subprocess
with `python3 -m pytest --solution-dir ... --report-json ...`, and the test
reads the JSON verdict.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

import pytest

from conftest import ROOT

FIXTURES = Path(__file__).resolve().parent / 'fixtures'
CORRECT = FIXTURES / 'correct_hyphen'
ALL_PASS: Dict[int, Optional[str]] = {n: None for n in range(5)}


class Mistake(NamedTuple):
    """One broken solution: edits to a correct one, and its verdict.

    edits are (file, old, new) replacements; new None deletes the file.
    verdict maps each task to grade to None (it passes) or to a piece of
    its first failure's message ('' for any message). Only those tasks
    are graded (--task), to keep the run short: the ones the mistake
    breaks, and one it does not, which must still pass.
    """

    edits: List[Tuple[str, str, Optional[str]]]
    verdict: Dict[int, Optional[str]]
    base: Path = CORRECT


TASKS = ('    tasks = [asyncio.create_task(wait_random(max_delay)) '
         'for _ in range(n)]\n')
AS_COMPLETED = ('    for finished in asyncio.as_completed(tasks):\n'
                '        bisect.insort(delays, await finished)\n')
MISTAKES = {
    'sequential_awaits': Mistake(
        [('1-concurrent_coroutines.py', TASKS + AS_COMPLETED,
          '    for _ in range(n):\n'
          '        bisect.insort(delays, await wait_random(max_delay))\n')],
        {1: 'awaited each wait_random in turn: 1 of 5 sleepers',
         2: 'should return the run time of wait_n over 5', 3: None}),
    'sorted_call': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = sorted(await asyncio.gather(*tasks))\n')],
        {0: None, 1: 'calls sort() or sorted() (line 1'}),
    'completion_order_only': Mistake(
        [('1-concurrent_coroutines.py', 'bisect.insort(delays, ',
          'delays.append(')],
        {1: 'values out of order when the sleepers woke in reverse',
         2: None}),
    'measure_total': Mistake(
        [('2-measure_runtime.py', 'return (time.perf_counter() - start) / n',
          'return time.perf_counter() - start')],
        {1: None, 2: 'returned the total time'}),
    'async_task_wait_random': Mistake(
        [('3-tasks.py', 'def task_wait_random', 'async def task_wait_random')],
        {0: None, 3: 'must be a regular function', 4: ''}),
    'integer_delays': Mistake(
        [('0-basic_async_syntax.py', 'random.uniform(0, max_delay)',
          'random.randint(0, max_delay)')],
        {0: 'should draw its delay once with random.uniform', 2: None}),
    'missing_docstring': Mistake(
        [('0-basic_async_syntax.py',
          '    """Wait a random number of seconds up to max_delay and return '
          'it."""\n', '')],
        {0: 'give wait_random a docstring', 3: None}),
    'missing_shebang': Mistake(
        [('3-tasks.py', '#!/usr/bin/env python3\n', '')],
        {3: 'should start with #!/usr/bin/env python3', 4: None}),
    'hanging_coroutine': Mistake(
        [('1-concurrent_coroutines.py', '    return delays\n',
          '    await asyncio.Event().wait()\n    return delays\n')],
        {1: 'did not finish in time', 2: 'did not finish in time',
         4: None}),
    'syntax_error': Mistake(
        [('2-measure_runtime.py', 'def measure_time(n: int, max_delay: int)',
          'def measure_time(n: int, max_delay: int')],
        {1: None, 2: '2-measure_runtime.py has a syntax error at line'}),
    'missing_file': Mistake(
        [('3-tasks.py', '', None)],
        {0: None, 3: '3-tasks.py: file not found',
         4: '3-tasks.py: file not found (imported by 4-tasks.py)'}),
    'missing_file_underscore': Mistake(
        [('3_tasks.py', '', None)],
        {1: None, 4: '3_tasks.py: file not found (imported by 4_tasks.py)'},
        FIXTURES / 'variant_callbacks'),
    'os_exit': Mistake(
        [('3-tasks.py', '    return asyncio.create_task',
          '    import os\n    os._exit(0)\n    return asyncio.create_task')],
        {0: None, 3: 'ended early (exit status 0)', 4: 'ended early'}),
    'sys_exit': Mistake(
        [('2-measure_runtime.py', '    start = time.perf_counter()',
          '    import sys\n    sys.exit(0)\n    start = time.perf_counter()')],
        {1: None, 2: 'SystemExit'}),
}
SOLUTIONS = ['correct_hyphen', 'variant_callbacks', 'variant_wait'] + sorted(
    MISTAKES)


def expected(name: str) -> Dict[int, Optional[str]]:
    """Return the verdict solution name must get, per task graded."""
    return MISTAKES[name].verdict if name in MISTAKES else ALL_PASS


def build(name: str, scratch: Path) -> Path:
    """Return the folder of solution name, making a broken one in scratch."""
    if name not in MISTAKES:
        return FIXTURES / name
    folder = scratch / name
    shutil.copytree(str(MISTAKES[name].base), str(folder))
    for file, old, new in MISTAKES[name].edits:
        path = folder / file
        if new is None:
            path.unlink()
            continue
        text = path.read_text(encoding='utf-8')
        assert old in text, 'the {} edit no longer applies'.format(name)
        path.write_text(text.replace(old, new, 1), encoding='utf-8')
    return folder


def grade(folder: Path, report: Path, tasks: List[int]) -> Dict[str, Any]:
    """Grade folder as a learner would; return the JSON verdict.

    The learner's usual spelling, `--solution-dir PATH`, makes pytest
    start twice when PATH is outside this project (see pytest_cmdline_main
    in conftest.py); sorted_call is graded that way, and the rest with
    `--solution-dir=PATH`, which starts once and grades the same.
    """
    only = [arg for taskno in tasks for arg in ('--task', str(taskno))]
    where = ['--solution-dir', str(folder)] if folder.name == 'sorted_call' \
        else ['--solution-dir=' + str(folder)]
    done = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '--report-json', str(report), '--test-timeout', '1'] + where + only,
        cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
    verdict: Dict[str, Any] = json.loads(report.read_text(encoding='utf-8'))
    verdict['exit_status'] = done.returncode
    verdict['output'] = done.stdout
    return verdict


@pytest.fixture(scope='module')
def verdicts() -> Iterator[Dict[str, Dict[str, Any]]]:
    """Grade every fixture solution, two at a time, once for this module."""
    with tempfile.TemporaryDirectory() as scratch:
        folders = {name: build(name, Path(scratch)) for name in SOLUTIONS}
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = {name: pool.submit(
                grade, folder, Path(scratch) / (name + '.json'),
                sorted(expected(name)))
                for name, folder in folders.items()}
            yield {name: future.result() for name, future in futures.items()}


pytestmark = pytest.mark.grader


@pytest.mark.parametrize('name', SOLUTIONS)
def test_verdict_per_task(verdicts: Dict[str, Dict[str, Any]],
                          name: str) -> None:
    verdict = verdicts[name]
    assert sorted(verdict['tasks']) == [str(n) for n in sorted(expected(name))]
    for taskno, part in expected(name).items():
        task = verdict['tasks'][str(taskno)]
        if part is None:
            assert task['status'] == 'passed', (
                '{}: task {} should pass, failed with: {}'.format(
                    name, taskno, task['messages'][:1]))
        else:
            assert task['status'] == 'failed', (
                '{}: task {} should fail'.format(name, taskno))
            assert part in task['messages'][0], (
                '{}: task {} failed with {!r}, expected {!r} in it'.format(
                    name, taskno, task['messages'][0], part))
    all_passed = all(part is None for part in expected(name).values())
    assert (verdict['exit_status'] == 0) == all_passed, (
        '{}: exit status {}'.format(name, verdict['exit_status']))


def test_summary_is_printed(verdicts: Dict[str, Dict[str, Any]]) -> None:
    output = verdicts['sorted_call']['output']
    assert 'task 0: passed (24 tests)' in output and \
        'task 1: failed (1 of 40 tests): 1-concurrent_coroutines.py calls ' \
        'sort() or sorted()' in output, output


def test_extras_are_advice_not_failures(
        verdicts: Dict[str, Dict[str, Any]]) -> None:
    task = verdicts['correct_hyphen']['tasks']['1']
    assert task['status'] == 'passed' and any(
        'when wait_n is cancelled' in advice for advice in task['advice'])
