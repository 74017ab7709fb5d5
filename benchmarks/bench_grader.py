#!/usr/bin/env python3
"""Time the grader on a generated cohort, with 1, 2 and N jobs.

The cohort is copies of the test fixture folders, correct and broken
(the correct ones and every typical mistake of tests/fixture_folders.py,
in turn), as many as --folders asks for. Each run grades the whole cohort
with `grader.engine.grade`, as `python3 -m grader` does, and reports the
wall time, the median time a folder took, and the throughput in folders
per second and per minute. Runs are real time on this machine: this is a
benchmark, not a test.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
sys.path.insert(0, str(ROOT))
from fixture_folders import MISTAKES, STYLES, build  # noqa: E402
from grader import engine  # noqa: E402
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
        exitfirst: bool) -> Dict[str, Any]:
    """Grade the cohort with jobs workers; return the timings."""
    options = engine.Options(timeout=2.0, use_sandbox=sandboxed,
                             advice=advice, exitfirst=exitfirst)
    started = time.perf_counter()
    results = engine.grade(folders, options, jobs)
    wall = time.perf_counter() - started
    return {'jobs': jobs, 'folders': len(folders), 'wall_s': wall,
            'median_folder_s': statistics.median(
                result.seconds for result in results),
            'folders_per_s': len(folders) / wall, 'advice': advice,
            'exitfirst': exitfirst,
            'sandboxed': options.bwrap is not None}


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
    parser.add_argument('--no-advice', action='store_true',
                        help='run only the graded tests, as python3 -m '
                             'grader --no-advice does')
    parser.add_argument('--exitfirst', '-x', action='store_true',
                        help='stop each task at its first failing graded '
                             'test, as python3 -m grader -x does')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the results to FILE as JSON')
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix='cohort-') as scratch:
        folders = make_cohort(Path(scratch), args.folders)
        for jobs in args.jobs:
            rows.append(run(folders, jobs, not args.no_sandbox,
                            not args.no_advice, args.exitfirst))
            print('graded {} folders with {} jobs'.format(len(folders), jobs),
                  file=sys.stderr)
    print('Python {} ({}), {} CPUs, sandbox {}, advice {}, -x {}'.format(
        platform.python_version(), platform.system(), os.cpu_count(),
        'on' if rows[0]['sandboxed'] else 'off',
        'off' if args.no_advice else 'on', 'on' if args.exitfirst else 'off'))
    print('{:>5}  {:>7}  {:>8}  {:>13}  {:>10}  {:>11}'.format(
        'jobs', 'folders', 'wall s', 'median/folder', 'folders/s',
        'folders/min'))
    for row in rows:
        print('{:>5}  {:>7}  {:>8.2f}  {:>12.2f}s  {:>10.2f}  {:>11.0f}'
              .format(row['jobs'], row['folders'], row['wall_s'],
                      row['median_folder_s'], row['folders_per_s'],
                      60 * row['folders_per_s']))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as out:
            json.dump({'python': platform.python_version(),
                       'cpus': os.cpu_count(), 'results': rows}, out,
                      indent=2)
            out.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
