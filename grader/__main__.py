"""`python3 -m grader PATH ...`: grade folders, one or a whole cohort.

Each PATH that holds task 0's file is graded; any other PATH is searched
for such folders (see discover). With no PATH, this project's own modules
are graded. Folders are graded in parallel, each in sandboxed children.
Exit status: 0 if every folder passed every task, 1 if any failed, 4 for
a usage error.
"""
import argparse
import importlib.util
import os
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence, Tuple

from grader import ROOT, cohort, discover, engine, html_report, inert, report
from grader.arguments import count, fraction, interpreter, positive

if importlib.util.find_spec('pytest_asyncio') is None:  # the child needs it
    print('python3 -m grader: pytest_asyncio is not installed here: set up '
          'as the README says, python3 -m venv .venv && .venv/bin/python -m '
          'pip install -r requirements-test.txt, then run .venv/bin/python '
          '-m grader', file=sys.stderr)
    sys.exit(4)

USAGE_ERROR = 4


def usage(message: str) -> int:
    """Say what is wrong with the command line in one line; return 4."""
    print('python3 -m grader: ' + message, file=sys.stderr)
    return USAGE_ERROR


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error exits with status 4."""

    def error(self, message: str) -> 'NoReturn':
        """Print the usage and the error, and exit with status 4."""
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, '{}: error: {}\n'.format(self.prog, message))


def parser() -> argparse.ArgumentParser:
    """Return the command line's parser."""
    parse = Parser(
        prog='python3 -m grader', description=__doc__.split('\n\n')[0],
        epilog='Exit status: 0 if every folder passed every task, 1 if '
               'any failed, 4 for a usage error.')
    parse.add_argument('paths', nargs='*', metavar='PATH',
                       help='a folder of task files, or a folder to search '
                            'for them (default: this project)')
    parse.add_argument('--jobs', '-j', type=count, default=os.cpu_count(),
                       metavar='N', help='grade N folders at once (default: '
                                         'the number of CPUs)')
    parse.add_argument('--task', type=int, action='append', metavar='N',
                       choices=range(5), help='grade only task N '
                                              '(repeatable)')
    parse.add_argument('--report-json', metavar='FILE',
                       help='write {"folders": [...]}, a verdict per task '
                            'for each folder, to FILE')
    parse.add_argument('--report-csv', metavar='FILE',
                       help='write one row per folder (task statuses, '
                            'graded tests passed and failed) to FILE')
    parse.add_argument('--report-html', metavar='FILE', type=html_file,
                       help='write one self-contained page to FILE: the '
                            'table, pass rates, common mistakes, copied '
                            "pairs, and each folder's failures and advice")
    parse.add_argument('--copy-threshold', type=fraction, metavar='X',
                       default=cohort.THRESHOLD,
                       help='report two folders as copied when, in some '
                            'task, at least this share (0 to 1) of both '
                            'files is passages that few other folders '
                            'share (default {}: copies of a solution '
                            'score 0.75 and more, independent answers '
                            'below 0.6)'.format(cohort.THRESHOLD))
    parse.add_argument('--results-json', metavar='FILE',
                       help="write Exercism's results.json (version 3) to "
                            'FILE; one folder only')
    parse.add_argument('--test-timeout', type=positive, default=2.0,
                       metavar='S', help='fail a test phase that runs '
                                         'longer than S seconds (default 2)')
    parse.add_argument('--folder-timeout', type=positive, default=60.0,
                       metavar='S', help='stop grading a folder after S '
                                         'seconds (default 60)')
    parse.add_argument('--no-advice', action='store_true',
                       help='run only the graded tests, not the advice '
                            'checks beyond the exercise: the same grades, '
                            'about a quarter sooner')
    parse.add_argument('--exitfirst', '-x', action='store_true',
                       help='stop each task at its first failing graded '
                            'test: the same verdicts and first reasons, '
                            'sooner; the tests after it are not run')
    parse.add_argument('--no-sandbox', action='store_true',
                       help='grade without the bubblewrap sandbox')
    parse.add_argument('--python37', metavar='PATH', type=interpreter,
                       default='',
                       help="the Python 3.7 that imports each task module "
                            "too, as the exercise's checker would (default: "
                            "the newest under pyenv, or python3.7 on PATH; "
                            "'none' for none)")
    return parse


def tasks_of(result: engine.FolderResult) -> Dict[int, Dict[str, Any]]:
    """Return the verdict per task of a graded folder."""
    return report.task_verdicts(
        (taskno, bool(entry['extra']),
         result.results[entry['nodeid']]['outcome'],
         result.results[entry['nodeid']]['message'])
        for taskno, entries in result.schedule.items() for entry in entries)


def failures(result: engine.FolderResult) -> List[str]:
    """Return one line per failed graded test: its name and reason."""
    return ['FAILED {} - {}'.format(entry['nodeid'],
                                    result.results[entry['nodeid']]['message'])
            for entries in result.schedule.values() for entry in entries
            if not entry['extra'] and
            result.results[entry['nodeid']]['outcome'] == 'failed']


class Progress:
    """A progress bar on a terminal (tqdm): folders done and time left."""

    def __init__(self, total: int) -> None:
        """Show a bar for total folders if standard error is a terminal."""
        self.bar: Any = None
        if total > 1 and sys.stderr.isatty():
            try:
                import tqdm  # type: ignore
                self.bar = tqdm.tqdm(total=total, unit='folder',
                                     file=sys.stderr)
            except ImportError:
                pass

    def done(self, result: engine.FolderResult) -> None:
        """Count one more folder done."""
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        """Take the bar away."""
        if self.bar is not None:
            self.bar.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Grade what the command line asks for; return the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    for word in words[:words.index('--') if '--' in words else None]:
        if word.startswith('-') and os.path.lexists(word):
            return usage('{!r} is both an option and a file or folder here; '
                         'to grade it, put -- before the paths: python3 -m '
                         'grader [OPTIONS] -- PATH ...'.format(word))
    args = parser().parse_args(argv)
    for path in args.paths:
        problem = discover.not_a_folder(path)
        if problem:
            return usage('{}: {}'.format(inert(path), problem))
        if discover.inside_project(path):
            return usage('{}: is this grader\'s own project or inside it; '
                         'copy the folder out to grade it (with no PATH, '
                         'the project\'s own modules are graded)'.format(
                             inert(path)))
    warnings: List[str] = []
    folders = discover.folders(args.paths or [str(ROOT)], warnings=warnings)
    for warning in warnings:
        print('warning: ' + warning, file=sys.stderr)
    if not folders:
        return usage('no folder with {} in {} or up to {} levels below'
                     .format(discover.TASK_ZERO, inert(', '.join(args.paths)),
                             discover.DEPTH))
    if args.results_json and len(folders) > 1:
        return usage('--results-json is for one folder; found {}'.format(
            len(folders)))
    options = engine.Options(args.task or (), args.test_timeout,
                             args.folder_timeout, not args.no_sandbox,
                             not args.no_advice, exitfirst=args.exitfirst,
                             py37=args.python37)
    if options.bwrap is None:
        print('warning: grading without a sandbox: {}'.format(
            options.why_unsandboxed), file=sys.stderr)
    elif options.missing:
        print('warning: the sandbox lacks {}'.format(
            '; '.join(options.missing)), file=sys.stderr)
    if options.python37 is None and args.python37 == '' and \
            sys.version_info[:2] != (3, 7):
        print('note: no Python 3.7 found to import the task modules with '
              '(--python37 PATH gives one); vermin judges 3.7 alone',
              file=sys.stderr)
    check = cohort.CopyCheck(folders) \
        if len(folders) >= cohort.MIN_FOLDERS else None  # beside the grading
    progress = Progress(len(folders))
    try:
        results = engine.grade(folders, options, args.jobs, progress.done)
    finally:
        progress.close()
    verdicts: List[Tuple[str, Dict[int, Dict[str, Any]]]] = [
        (result.folder, tasks_of(result)) for result in results]
    summary = cohort.cohort_report(results, verdicts, args.copy_threshold,
                                   check)
    show(results, verdicts)
    show_cohort(results, summary, args.copy_threshold)
    write_reports(args, results, verdicts, options, summary)
    passed = all(tasks and not result.problem and all(
        task['status'] == 'passed' for task in tasks.values())
        for result, (_, tasks) in zip(results, verdicts))
    return 0 if passed else 1


def show(results: List[engine.FolderResult],
         verdicts: List[Tuple[str, Dict[int, Dict[str, Any]]]]) -> None:
    """Print one folder's failures and verdicts, or a cohort's table."""
    if len(results) == 1:
        result, (folder, tasks) = results[0], verdicts[0]
        for line in failures(result):
            print(line)
        print('verdict per task for {}'.format(inert(folder)))
        if result.problem:
            print('problem: ' + result.problem)
        for line in report.verdict_lines(tasks):
            print(line)
        return
    common = os.path.commonpath([result.folder for result in results])
    rows = [(inert(os.path.relpath(folder, common)), tasks)
            for folder, tasks in verdicts]
    problems = {inert(os.path.relpath(result.folder, common)): result.problem
                for result in results}
    for line in report.table(rows, problems):
        print(line)


def html_file(path: str) -> str:
    """Take the --report-html path, if jinja2 is here to write it."""
    missing = html_report.jinja2_missing()
    if missing:
        raise argparse.ArgumentTypeError(missing)
    return path


def show_cohort(results: List[engine.FolderResult], summary: Dict[str, Any],
                threshold: float) -> None:
    """Print a cohort's common mistakes and copied pairs, after its table."""
    if len(results) > 1:
        common = os.path.commonpath([result.folder for result in results])
        for line in cohort.summary_lines(
                summary['common_mistakes'], summary['copies'], threshold,
                summary['copy_check_skipped'],
                lambda folder: os.path.relpath(folder, common)):
            print(line)


def write_reports(args: argparse.Namespace,
                  results: List[engine.FolderResult],
                  verdicts: List[Tuple[str, Dict[int, Dict[str, Any]]]],
                  options: engine.Options,
                  summary: Optional[Dict[str, Any]] = None) -> None:
    """Write the JSON, CSV and results.json files asked for."""
    sandboxed = options.bwrap is not None
    if args.report_json:
        report.write_json(args.report_json, {
            'missing_protections': options.missing,
            'python37': options.python37, 'folders': [
                report.folder_json(folder, tasks, result.problem, sandboxed,
                                   result.seconds)
                for result, (folder, tasks) in zip(results, verdicts)],
            **cohort.as_json(summary)})
    if args.report_csv:
        with open(args.report_csv, 'w', encoding='utf-8',
                  newline='') as out:
            report.write_csv(out, verdicts)
    if args.report_html:
        html_report.write(args.report_html, results, verdicts, summary,
                          args.copy_threshold)
    if args.results_json:
        report.write_json(args.results_json,
                          report.exercism(results[0]))


if __name__ == '__main__':
    sys.exit(main())
