"""--report-html: one self-contained page of a graded cohort.

The page has the table of verdicts, each task's pass rate as a bar, the
common mistakes, the copied pairs, and each folder's failing checks and
advice (folded until opened). It is made with jinja2 from
templates/report.html.j2, with autoescape on: every text that comes from
a folder (its name, the messages its code caused) is escaped, and made
inert first (control characters and bidirectional overrides written as
escapes). The page loads nothing and runs no script: its styles are
inline and its Content-Security-Policy forbids anything else.
"""
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from grader import inert, report
from grader.cohort import check_for, label

TEMPLATES = Path(__file__).resolve().parent / 'templates'
Verdicts = Sequence[Tuple[str, Dict[int, Dict[str, Any]]]]


def jinja2_missing() -> str:
    """Say why the page cannot be made here, or return ''."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        return ('jinja2 is not installed here: pip install jinja2, or '
                'install requirements-test.txt')
    return ''


def namer(folders: Sequence[str]) -> Any:
    """Return a function that names a folder as the table does: its path
    below the folders' common one (the folder itself when alone)."""
    if len(folders) == 1:
        return lambda folder: inert(folder)
    common = os.path.commonpath(list(folders))
    return lambda folder: inert(os.path.relpath(folder, common))


def failing(result: Any) -> List[Dict[str, Any]]:
    """Return a folder's failed graded tests: task, check, test, message."""
    found = []
    for taskno, entries in sorted(result.schedule.items()):
        for entry in entries:
            outcome = result.results.get(entry['nodeid'], {})
            if not entry['extra'] and outcome.get('outcome') == 'failed':
                message = str(outcome.get('message', ''))
                found.append({'task': taskno, 'check': label(check_for(
                    entry['nodeid'], message)), 'message': inert(message),
                    'test': inert(entry['nodeid'])})
    return found


def page(results: Sequence[Any], verdicts: Verdicts,
         cohort: Optional[Dict[str, Any]] = None,
         threshold: float = 0.0) -> str:
    """Return the page of a graded cohort, as HTML.

    cohort is what cohort.cohort_report returned (the common mistakes and
    the copied pairs), if it was worked out; threshold is the copy
    check's.
    """
    import jinja2
    name = namer([result.folder for result in results])
    rows = []
    for index, (result, (folder, tasks)) in enumerate(zip(results,
                                                          verdicts)):
        passed, failed = report.graded_counts(tasks)
        rows.append({
            'anchor': 'folder-{}'.format(index), 'name': name(folder),
            'statuses': [report.status_of(tasks, n) for n in range(5)],
            'graded': '{}/{}'.format(passed, passed + failed),
            'problem': inert(result.problem),
            'passed_all': bool(tasks) and not result.problem and all(
                task['status'] == 'passed' for task in tasks.values()),
            'failures': failing(result),
            'advice': [{'task': taskno, 'message': inert(message)}
                       for taskno, task in tasks.items()
                       for message in task['advice']]})
    rates = []
    for taskno in range(5):
        graded = [tasks[taskno]['status'] for _, tasks in verdicts
                  if taskno in tasks]
        passed = graded.count('passed')
        rates.append({'task': taskno, 'passed': passed,
                      'graded': len(graded),
                      'percent': round(100 * passed / len(graded))
                      if graded else 0})
    cohort = cohort or {}
    groups = [dict(group, names=[name(folder)
                                 for folder in group['folders']],
                   example=inert(group['example']))
              for group in cohort.get('common_mistakes', [])]
    pairs = [dict(pair, names=[name(folder) for folder in pair['folders']])
             for pair in cohort.get('copies') or []]
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    return environment.get_template('report.html.j2').render(
        rows=rows, rates=rates, groups=groups, pairs=pairs,
        copies_checked=cohort.get('copies') is not None,
        copy_check_skipped=cohort.get('copy_check_skipped', ''),
        threshold=threshold, folders=len(rows),
        passed_all=sum(row['passed_all'] for row in rows))


def write(path: str, results: Sequence[Any], verdicts: Verdicts,
          cohort: Optional[Dict[str, Any]] = None,
          threshold: float = 0.0) -> None:
    """Write the page of a graded cohort to path (see page)."""
    text = page(results, verdicts, cohort, threshold)
    with open(path, 'w', encoding='utf-8') as out:
        out.write(text)
