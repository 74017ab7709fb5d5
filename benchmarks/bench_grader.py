#!/usr/bin/env python3
"""Time the grader on a generated cohort, with 1, 2 and N jobs.

The cohort is copies of the test fixture folders, correct and broken
(the correct ones and every typical mistake of tests/fixture_folders.py,
in turn), as many as --folders asks for. Each run grades the whole cohort
with `grader.engine.grade`, as `python3 -m grader` does, and reports the
wall time, the median time a folder took, and the throughput in folders
per second and per minute. Runs are real time on this machine: this is a
benchmark, not a test.

Each run also works out what python3 -m grader prints after the table
of a cohort, the common mistakes and the copied pairs (the copy check
begun beside the grading, as the command does), and reports how long
that took after the grading ended; --no-summary leaves it out, to
compare the wall times. With 8 folders or more it also times the copy
check alone, in a fresh process (python3 -m grader.cohort): Python,
copydetect's import and the check.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT))
from fixture_folders import MISTAKES, STYLES, build  # noqa: E402
from grader import __main__ as cli, cohort, engine  # noqa: E402
from grader.arguments import count  # noqa: E402


def make_cohort(where: Path, size: int) -> List[str]:
    """Copy size fixture folders (correct and broken, in turn) into where."""
    names = sorted(STYLES) + sorted(MISTAKES)
    folders = []
    for index in range(size):
        name = names[index % len(names)]
        learner = where / 'learner{:04d}'.format(index)
        learner.mkdir()
        folders.append(str(build(name, learner)))
    return folders


def run(folders: List[str], jobs: int, sandboxed: bool, advice: bool,
        exitfirst: bool, summary: bool = True,
        tasks: Sequence[int] = ()) -> Dict[str, Any]:
    """Grade the cohort with jobs workers (on the tasks given, or all),
    then (unless summary is False) work out its common mistakes and
    copied pairs; return the timings."""
    options = engine.Options(tasks=tasks, timeout=2.0, use_sandbox=sandboxed,
                             advice=advice, exitfirst=exitfirst)
    started = time.perf_counter()
    check = cohort.CopyCheck(folders) \
        if summary and len(folders) >= cohort.MIN_FOLDERS else None
    results = engine.grade(folders, options, jobs)
    graded = time.perf_counter()
    pairs: Any = None
    if summary:
        verdicts = [(result.folder, cli.tasks_of(result))
                    for result in results]
        pairs = cohort.cohort_report(results, verdicts,
                                     check=check)['copies']
    wall = time.perf_counter() - started
    return {'jobs': jobs, 'folders': len(folders), 'wall_s': wall,
            'median_folder_s': statistics.median(
                result.seconds for result in results),
            'folders_per_s': len(folders) / wall, 'advice': advice,
            'tasks': sorted(tasks) or None,
            'exitfirst': exitfirst,
            'sandboxed': options.bwrap is not None,
            'summary': summary,
            'summary_after_grading_s': wall - (graded - started)
            if summary else None,
            'copied_pairs': None if pairs is None else len(pairs)}


def copy_check_alone(folders: List[str]) -> Optional[float]:
    """Time python3 -m grader.cohort on the folders, in a fresh process;
    None if it could not run (too few folders, or no copydetect)."""
    if len(folders) < cohort.MIN_FOLDERS:
        return None
    started = time.perf_counter()
    done = subprocess.run([sys.executable, '-m', 'grader.cohort', '--json']
                          + folders, cwd=str(ROOT), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    return time.perf_counter() - started if done.returncode == 0 else None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Make a cohort, time it at each number of jobs, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--folders', type=count, default=100, metavar='N',
                        help='the size of the cohort (default 100)')
    parser.add_argument('--jobs', type=count, nargs='+', metavar='J',
                        default=sorted({1, 2, os.cpu_count() or 1}),
                        help='the numbers of jobs to time (default 1, 2 '
                             'and the number of CPUs)')
    parser.add_argument('--no-sandbox', action='store_true',
                        help='grade without the bubblewrap sandbox')
    parser.add_argument('--task', type=int, action='append', default=[],
                        choices=range(5), metavar='N',
                        help='grade only task N (again for more), as '
                             'python3 -m grader --task does')
    parser.add_argument('--no-advice', action='store_true',
                        help='run only the graded tests, as python3 -m '
                             'grader --no-advice does')
    parser.add_argument('--exitfirst', '-x', action='store_true',
                        help='stop each task at its first failing graded '
                             'test, as python3 -m grader -x does')
    parser.add_argument('--no-summary', action='store_true',
                        help='leave out the common mistakes and the copy '
                             'check after grading')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the results to FILE as JSON')
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix='cohort-') as scratch:
        folders = make_cohort(Path(scratch), args.folders)
        for jobs in args.jobs:
            rows.append(run(folders, jobs, not args.no_sandbox,
                            not args.no_advice, args.exitfirst,
                            not args.no_summary, args.task))
            print('graded {} folders with {} jobs'.format(len(folders), jobs),
                  file=sys.stderr)
        alone = copy_check_alone(folders)
    print('Python {} ({}), {} CPUs, sandbox {}, advice {}, -x {}, tasks {}'
          .format(platform.python_version(), platform.system(),
                  os.cpu_count(), 'on' if rows[0]['sandboxed'] else 'off',
                  'off' if args.no_advice else 'on',
                  'on' if args.exitfirst else 'off',
                  ' '.join(map(str, sorted(args.task))) or 'all'))
    print('{:>5}  {:>7}  {:>8}  {:>13}  {:>10}  {:>11}  {:>9}'.format(
        'jobs', 'folders', 'wall s', 'median/folder', 'folders/s',
        'folders/min', 'summary s'))
    for row in rows:
        print('{:>5}  {:>7}  {:>8.2f}  {:>12.2f}s  {:>10.2f}  {:>11.0f}  {:>9}'
              .format(row['jobs'], row['folders'], row['wall_s'],
                      row['median_folder_s'], row['folders_per_s'],
                      60 * row['folders_per_s'],
                      '-' if row['summary_after_grading_s'] is None else
                      '{:.2f}'.format(row['summary_after_grading_s'])))
    if alone is not None:
        print('the copy check alone (python3 -m grader.cohort, a fresh '
              'process): {:.2f} s for {} folders'.format(alone,
                                                         len(folders)))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as out:
            json.dump({'python': platform.python_version(),
                       'cpus': os.cpu_count(), 'results': rows,
                       'copy_check_alone_s': alone}, out, indent=2)
            out.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
