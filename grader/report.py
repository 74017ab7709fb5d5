"""Verdicts, and the ways they are shown: lines, a table, JSON and CSV.

A task passes when every graded test of it passed or was skipped (a main
file the folder does not have). Advice (tests marked extra) is listed but
never changes a verdict.
"""
import ast
import csv
import functools
import inspect
import json
import textwrap
from typing import Any, Dict, IO, Iterable, List, Optional, Tuple

from grader import ROOT, STOPPED, inert

Entry = Tuple[int, bool, str, str]  # task, advice?, outcome, message


def task_verdicts(entries: Iterable[Entry]) -> Dict[int, Dict[str, Any]]:
    """Return, per task, its status, counts, messages and advice.

    passed, failed and skipped count tests as pytest does, except that
    advice that failed counts as skipped; graded and advice count the
    tests of each kind; graded_passed the graded tests that passed;
    not_run the tests a task stopped before (-x), also counted as skipped.
    """
    tasks: Dict[int, Dict[str, Any]] = {}
    for taskno, extra, outcome, message in entries:
        task = tasks.setdefault(taskno, {
            'status': 'passed', 'passed': 0, 'failed': 0, 'skipped': 0,
            'graded': 0, 'advice_tests': 0, 'graded_passed': 0,
            'not_run': 0, 'messages': [], 'advice': []})
        task['advice_tests' if extra else 'graded'] += 1
        task['graded_passed'] += not extra and outcome == 'passed'
        task['not_run'] += outcome == 'skipped' and message == STOPPED
        if extra and outcome == 'failed':
            task['advice'].append(message)
            outcome = 'skipped'
        task[outcome] += 1
        if outcome == 'failed':
            task['status'] = 'failed'
            task['messages'].append(message)
    return dict(sorted(tasks.items()))


def plural(count: int, noun: str) -> str:
    """Return '1 test' or '2 tests'."""
    return '{} {}{}'.format(count, noun, '' if count == 1 else 's')


def verdict_lines(tasks: Dict[int, Dict[str, Any]]) -> List[str]:
    """Return the verdict lines, one per task, then the first advice of each.

    The counts say what they are: graded tests, advice (never graded),
    graded tests skipped because a main file is not in the folder, and
    tests not run after the first failure (-x).
    """
    lines = []
    for taskno, task in tasks.items():
        skipped = task['skipped'] - len(task['advice']) - task['not_run']
        counts = plural(task['graded'], 'graded test') + (
            ', {} skipped: a main file is not in the folder'.format(skipped)
            if skipped else '') + (', ' + plural(
                task['advice_tests'], 'advice check')
                if task['advice_tests'] else '') + (  # none: --no-advice
            ', {} not run after the first failure (-x)'.format(
                task['not_run']) if task['not_run'] else '')
        if task['status'] == 'passed':
            lines.append('task {}: passed ({})'.format(taskno, counts))
        else:
            lines.append('task {}: failed ({} of {}): {}'.format(
                taskno, task['failed'], counts, task['messages'][0]))
    for taskno, task in tasks.items():
        for advice in task['advice'][:1]:
            lines.append('advice, not graded: task {}: {}'.format(
                taskno, advice))
    return lines


def folder_json(folder: Optional[str], tasks: Dict[int, Dict[str, Any]],
                problem: str = '', sandboxed: Optional[bool] = None,
                seconds: Optional[float] = None) -> Dict[str, Any]:
    """Return one folder's report in the --report-json shape."""
    report: Dict[str, Any] = {'solution_dir': folder and inert(folder),
                              'tasks': {
        str(taskno): task for taskno, task in tasks.items()}}
    if seconds is not None:
        report['seconds'] = round(seconds, 3)
    if problem:
        report['problem'] = problem
    if sandboxed is not None:
        report['sandboxed'] = sandboxed
    return report


def write_json(path: str, report: Dict[str, Any]) -> None:
    """Write a report as indented JSON."""
    with open(path, 'w', encoding='utf-8') as out:
        json.dump(report, out, indent=2)
        out.write('\n')


def status_of(tasks: Dict[int, Dict[str, Any]], taskno: int) -> str:
    """Return a task's status, or '-' if it was not graded."""
    return tasks[taskno]['status'] if taskno in tasks else '-'


def write_csv(out: IO[str], rows: List[Tuple[str, Dict[int, Dict[str, Any]]]]
              ) -> None:
    """Write one row per folder: tasks 0 to 4, graded passed and failed."""
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['folder'] + ['task{}'.format(n) for n in range(5)] +
                    ['graded_passed', 'graded_failed'])
    for folder, tasks in rows:
        passed, failed = graded_counts(tasks)
        writer.writerow([inert(folder)] +
                        [status_of(tasks, n) for n in range(5)] +
                        [passed, failed])


def graded_counts(tasks: Dict[int, Dict[str, Any]]) -> Tuple[int, int]:
    """Return how many graded tests passed and failed over all tasks."""
    return (sum(task['graded_passed'] for task in tasks.values()),
            sum(task['failed'] for task in tasks.values()))


def table(rows: List[Tuple[str, Dict[int, Dict[str, Any]]]],
          problems: Dict[str, str]) -> List[str]:
    """Return a table: one row per folder, one column per task, totals."""
    width = max([len('folder')] + [len(folder) for folder, _ in rows])
    head = '{:<{w}}  {}  {}'.format('folder', '  '.join(
        'task{}'.format(n) for n in range(5)), 'graded', w=width)
    lines = [head, '-' * len(head)]
    passed_all = 0
    per_task = [0] * 5
    for folder, tasks in rows:
        cells = []
        for n in range(5):
            status = status_of(tasks, n)
            per_task[n] += status == 'passed'
            cells.append({'passed': 'pass', 'failed': 'FAIL'}.get(
                status, status).ljust(5))
        passed, failed = graded_counts(tasks)
        passed_all += bool(tasks) and all(
            task['status'] == 'passed' for task in tasks.values())
        lines.append('{:<{w}}  {}  {}/{}{}'.format(
            folder, '  '.join(cells), passed, passed + failed,
            '  ' + problems[folder] if problems.get(folder) else '',
            w=width))
    lines.append('-' * len(head))
    lines.append('{:<{w}}  {}'.format('passed', '  '.join(
        str(count).ljust(5) for count in per_task), w=width).rstrip())
    lines.append('{} of {} folders passed every task'.format(
        passed_all, len(rows)))
    return lines


EXERCISM_OUTPUT_LIMIT = 500


@functools.lru_cache(maxsize=None)
def source_lines(path: str) -> List[str]:
    """Return the lines of a test file (read once)."""
    with open(path, encoding='utf-8') as source:
        return source.readlines()


def test_code(path: str, name: str) -> str:
    """Return the body of test function name in a file, without its def.

    It is what Exercism shows a learner as the test's code. Only
    results.json needs it, so it is read here, when that file is written.
    """
    lines = source_lines(path)
    tree = ast.parse(''.join(lines))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name == name:
            block = textwrap.dedent(''.join(
                inspect.getblock(lines[node.lineno - 1:])))
            function = ast.parse(block).body[0]
            body = function.body  # type: ignore
            skip = 1 if ast.get_docstring(function) and len(  # type: ignore
                body) > 1 else 0
            return textwrap.dedent(''.join(
                block.splitlines(True)[body[skip].lineno - 1:])).strip()
    return ''


def exercism_name(nodeid: str) -> str:
    """Return a test's name as Exercism's Python runner writes it."""
    parts = nodeid.split('::')[1:]
    return ' > '.join(part[len('test_'):] if part.startswith('test_')
                      else part for part in parts).replace('_', ' ')


def exercism(result: Any) -> Dict[str, Any]:
    """Return Exercism's results.json (version 3) for one graded folder.

    Only graded tests that ran are listed, task by task in the order of
    their test files; advice and tests skipped for a missing main file
    are left out, since Exercism knows only pass, fail and error. The
    status is error, with a message, when no test could run.
    """
    entries = sorted(
        ((taskno, entry) for taskno, entries in result.schedule.items()
         for entry in entries if not entry['extra']),
        key=lambda pair: (pair[0], pair[1]['file'], pair[1]['line']))
    tests = []
    for taskno, entry in entries:
        found = result.results[entry['nodeid']]
        if found['outcome'] == 'skipped':
            continue
        test: Dict[str, Any] = {
            'name': exercism_name(entry['nodeid']),
            'status': 'pass' if found['outcome'] == 'passed' else 'fail',
            'message': found['message'] or None,
            'output': clip(found.get('output', '')),
            'test_code': test_code(
                str(ROOT / entry['file']),
                entry['nodeid'].split('::')[-1].split('[')[0]),
            'task_id': taskno}
        tests.append(test)
    if not tests:
        return {'version': 3, 'status': 'error', 'message':
                result.problem or 'no test could run', 'tests': []}
    failed = any(test['status'] == 'fail' for test in tests)
    return {'version': 3, 'status': 'fail' if failed else 'pass',
            'message': None, 'tests': tests}


def clip(output: str) -> Optional[str]:
    """Return output cut to Exercism's limit, saying so, or None if empty."""
    output = output.strip()
    if not output:
        return None
    if len(output) <= EXERCISM_OUTPUT_LIMIT:
        return output
    note = ' [Output was truncated. Please limit to 500 chars]'
    return output[:EXERCISM_OUTPUT_LIMIT - len(note)] + note
