"""After grading a cohort: its common mistakes, copied code and HTML page.

The summary and the page are built from graded folders made here in
memory (grading them for real is test_grader's business); the copy check
reads the fixture cohorts of tests/fixtures/cohorts, whose task files
are all it needs. The page is opened in a real browser by
tests/browser.py, in the background (starting Chromium takes a second or
two), and the test checks what it saw.
"""
import argparse
import ast
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Tuple

import pytest

from background import Command, Finished, command
from conftest import ROOT
from grader import __main__ as cli, cohort, engine, html_report

pytestmark = pytest.mark.grader
COHORTS = ROOT / 'tests' / 'fixtures' / 'cohorts'
COMMON = sorted(str(path) for path in (COHORTS / 'common_answer').iterdir())
COPIED = [str(COHORTS / 'copied' / name) for name in ('kofi', 'lena')]
UNRELATED = [str(COHORTS / 'unrelated' / name) for name in ('mira', 'noor')]
T0 = 'tests/test_0_basic_async_syntax.py::'
T1 = 'tests/test_1_concurrent_coroutines.py::TestWaitN::'
T2 = 'tests/test_2_measure_runtime.py::'
T3 = 'tests/test_3_tasks.py::'
T4 = 'tests/test_4_tasks.py::TestTaskWaitN::'
RUBRIC = 'tests/test_rubric.py::'
ORDER = 'test_ascending_whatever_order_sleepers_wake_in'
SCHEDULE = {
    0: [T0 + 'test_wait_random_is_a_coroutine_function',
        RUBRIC + 'test_first_line_is_the_shebang[task0]'],
    1: [T1 + 'test_all_waits_are_in_flight_at_once[5]',
        T1 + ORDER + '[deadline-2]', T1 + ORDER + '[reverse-10]',
        T1 + 'test_does_not_sort_at_run_time',
        RUBRIC + 'test_would_run_on_python_3_7[task1]',
        T1 + 'test_cancelling_it_cancels_every_wait'],
    2: [T2 + 'test_returns_the_time_of_wait_n_over_n',
        RUBRIC + 'test_would_run_on_python_3_7[task2]'],
    3: [T3 + 'test_is_not_a_coroutine_function'],
    4: [T4 + ORDER + '[deadline-2]', T4 + 'test_builds_on_task_wait_random']}
ADVICE = T1 + 'test_cancelling_it_cancels_every_wait'
OUT_OF_ORDER = ('wait_n returned {} values out of order when the sleepers '
                'woke in reverse order; keep the list ordered as results '
                'arrive, completion order alone is not enough')
SORTS = ('wait_n sorts at run time (sorted() at 1-concurrent_coroutines.py:'
         '18); insert each delay in its place as it arrives instead')
PY37 = ("2-measure_runtime.py would fail on Python 3.7, the exercise's "
        'interpreter: list[...] at line 9 (needs Python 3.9)')
HANG = ('the test did not finish in time: the solution hangs (an endless '
        'loop, a blocking time.sleep, or a sleep that bypasses '
        'asyncio.sleep)')


def graded(folder: str, failed: Dict[str, str],
           problem: str = '') -> engine.FolderResult:
    """Return a folder graded on SCHEDULE: the tests in failed failed
    with their messages, the others passed."""
    result = engine.FolderResult(folder)
    result.schedule = {taskno: [{'nodeid': nodeid, 'extra': nodeid == ADVICE}
                                for nodeid in nodeids]
                       for taskno, nodeids in SCHEDULE.items()}
    result.results = {
        nodeid: {'outcome': 'failed', 'message': failed[nodeid]}
        if nodeid in failed else {'outcome': 'passed', 'message': ''}
        for nodeids in SCHEDULE.values() for nodeid in nodeids}
    result.problem = problem
    return result


def sample() -> List[engine.FolderResult]:
    """Return a cohort: a mistake six folders share, one that hangs, one
    that ran out of time, one with a missing file, and more."""
    order = {T1 + ORDER + '[reverse-10]': OUT_OF_ORDER.format(3),
             T1 + 'test_does_not_sort_at_run_time': SORTS}
    results = [
        graded('/cohort/ada', dict(order, **{
            T4 + ORDER + '[deadline-2]': OUT_OF_ORDER.format(1).replace(
                'wait_n', 'task_wait_n'),
            ADVICE: 'wait_n(6, 2) had started 1 of its 6 waits when it was '
                    'cancelled'})),
        graded('/cohort/ben', {T1 + ORDER + '[deadline-2]':
                               OUT_OF_ORDER.format(1)}),
        graded('/cohort/dee', {T1 + 'test_does_not_sort_at_run_time': SORTS,
                               RUBRIC + 'test_would_run_on_python_3_7[task2]':
                               PY37}),
        graded('/cohort/eve', {nodeid: 'not run: the folder ran out of time '
                               '(60 s)' for nodeids in SCHEDULE.values()
                               for nodeid in nodeids},
               problem='the folder ran out of time (60 s)'),
        graded('/cohort/fay', {
            T3 + 'test_is_not_a_coroutine_function': '3-tasks.py: file not '
                                                     'found',
            T4 + ORDER + '[deadline-2]': '3-tasks.py: file not found '
                                         '(imported by 4-tasks.py)',
            T4 + 'test_builds_on_task_wait_random': '3-tasks.py: file not '
                                                    'found (imported by '
                                                    '4-tasks.py)'}),
        graded('/cohort/gus', {T1 + 'test_all_waits_are_in_flight_at_once[5]':
                               HANG}),
        graded('/cohort/hal', {})]
    results += [graded('/cohort/' + name, order)
                for name in ('ivy', 'jo', 'kit', 'lu')]
    return results


def verdicts_of(results: List[engine.FolderResult]
                ) -> List[Tuple[str, Dict[int, Dict[str, Any]]]]:
    """Return each folder's verdicts, as the command line works them out."""
    return [(result.folder, cli.tasks_of(result)) for result in results]


def graded_test_functions() -> Dict[str, str]:
    """Return every graded test function of the suite, with its file.

    A graded test is a test function of a file that marks tests with a
    task (or of checks.py, whose tests two task files subclass) that is
    not marked extra (advice) or own (our helpers). Read with ast: no
    collection needed.
    """
    found = {}
    for path in sorted((ROOT / 'tests').glob('*.py')):
        source = path.read_text(encoding='utf-8')
        if 'mark.task' not in source and path.name != 'checks.py':
            continue
        tree = ast.parse(source)
        if path.name != 'checks.py' and not any(
                isinstance(node, ast.Attribute) and node.attr == 'task' and
                isinstance(node.value, ast.Attribute) and
                node.value.attr == 'mark' for node in ast.walk(tree)):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    or not node.name.startswith('test_'):
                continue
            marks = {decorator.attr for decorator in node.decorator_list
                     if isinstance(decorator, ast.Attribute)}
            if not marks & {'extra', 'own'}:
                found[node.name] = path.name
    return found


def test_every_graded_test_has_a_label_to_teach_from() -> None:
    functions = graded_test_functions()
    assert len(functions) >= 30 and ORDER in functions
    missing = sorted(name for name in functions if name not in cohort.LABELS)
    assert not missing, 'give these graded tests a label in grader/' \
        'cohort.py: {}'.format(', '.join(missing))
    stale = sorted(set(cohort.LABELS) - set(functions))
    assert not stale, 'these labels name no graded test: {}'.format(stale)
    for name, text in cohort.LABELS.items():
        assert len(text.split()) >= 5 and len(text) <= 120, name


def test_mistakes_are_grouped_by_the_check_that_failed_first() -> None:
    results = sample()
    groups = cohort.common_mistakes(results, verdicts_of(results))
    assert [(group['check'], group['count'], group['tasks'],
             [folder.split('/')[-1] for folder in group['folders']])
            for group in groups] == [
        (ORDER, 6, {1: 6, 4: 1}, ['ada', 'ben', 'ivy', 'jo', 'kit', 'lu']),
        (cohort.NOT_GRADED, 2, {3: 1, 4: 1}, ['eve', 'fay']),
        (cohort.HANGS, 1, {1: 1}, ['gus']),
        ('test_does_not_sort_at_run_time', 1, {1: 1}, ['dee']),
        ('test_would_run_on_python_3_7', 1, {2: 1}, ['dee'])]
    assert groups[0]['label'] == cohort.LABELS[ORDER]
    assert groups[0]['example'] == OUT_OF_ORDER.format(3)
    assert groups[1]['example'] == 'the folder ran out of time (60 s)'
    assert cohort.common_mistakes(results[-5:-4], verdicts_of(
        results[-5:-4])) == []  # hal passed everything


def test_what_means_not_graded_is_what_the_grader_says() -> None:
    """Each message part that puts a task among those not graded, or
    those that hung, is still in the grader's own words."""
    said = ''.join((ROOT / 'grader' / name).read_text(encoding='utf-8')
                   for name in ('solution.py', 'engine.py', 'child.py',
                                'fakes.py'))
    for part in cohort.CANNOT_JUDGE + cohort.HUNG:
        assert part in said, part
    said = ''.join(path.read_text(encoding='utf-8') for path in (
        ROOT / 'tests' / 'conftest.py', ROOT / 'tests' / 'checks.py',
        ROOT / 'grader' / 'fakes.py', ROOT / 'grader' / 'solution.py'))
    for part in cohort.SAID:
        assert part in said, part
    assert cohort.check_for('x::test_ascending_whatever_order[2-0.5]',
                            'wait_n(2, 5) returned 0 values: 2 of its 2 '
                            'waits had not finished when it returned') == \
        cohort.GIVES_UP
    raised = cohort.check_for(
        'x::test_all_waits_are_in_flight_at_once[5]', 'TypeError: expect an '
        'iterable of futures, not generator, raised in wait_n '
        '(1-concurrent_coroutines.py:13)')
    assert cohort.label(raised) == 'the code raises TypeError (the first ' \
        'message says where)'
    assert cohort.check_for('x::test_keeps_equal_delays', 'TimeoutError (a '
                            'timeout the code set ran out before what it '
                            'waited for had ended), raised in wait_n '
                            '(1-concurrent_coroutines.py:17)') == \
        cohort.RAISES + 'TimeoutError'
    assert cohort.check_for('x::test_is_a_coroutine_function', 'wait_n(5, '
                            '3) had at most 4 of its 5 waits in flight') == \
        'test_is_a_coroutine_function'


def test_the_summary_fits_a_screen_and_names_the_first_few() -> None:
    results = sample()
    groups = cohort.common_mistakes(results, verdicts_of(results))
    pairs = [{'folders': ['/cohort/ada', '/cohort/ben'], 'similarity': 0.87,
              'tasks': {1: 0.87, 4: 0.76}}]
    lines = cohort.summary_lines(groups, pairs, 0.7,
                                 name=lambda folder: folder.split('/')[-1])
    assert lines == [
        'common mistakes, by the check that failed first in each task:',
        '  6 folders  ' + cohort.LABELS[ORDER],
        '             task 1 in 6 folders, task 4 in 1: ada, ben, ivy, jo, '
        'kit and 1 more',
        '  2 folders  ' + cohort.SPECIAL_LABELS[cohort.NOT_GRADED],
        '             task 3 in 1 folder, task 4 in 1: eve, fay',
        '  1 folder   ' + cohort.SPECIAL_LABELS[cohort.HANGS],
        '             task 1 in 1 folder: gus',
        '  1 folder   ' + cohort.LABELS['test_does_not_sort_at_run_time'],
        '             task 1 in 1 folder: dee',
        '  1 folder   ' + cohort.LABELS['test_would_run_on_python_3_7'],
        '             task 2 in 1 folder: dee',
        'copied code: pairs of folders sharing passages that few others '
        'share (similarity per task, 0.70 or more in one):',
        '  ada and ben: task 1 0.87, task 4 0.76']
    assert cohort.summary_lines([], [], 0.7) == [
        'common mistakes: none, every graded task passed',
        'copied code: no pair of folders shares passages that few others '
        'share (similarity 0.70 or more)']
    assert cohort.summary_lines([], None, 0.7, 'copydetect is missing')[
        -1] == 'copied code: not checked: copydetect is missing'


@command
def copy_check(scratch: Path) -> Command:
    """The copy check of the fixture cohorts, at a low threshold, in a
    process of its own: copydetect (with numpy and matplotlib) takes a
    second to import."""
    return (['-m', 'grader.cohort', '--json', '--copy-threshold', '0.3'] +
            COMMON + COPIED + UNRELATED, ROOT)


def names(pairs: List[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """Return the pairs' folders by their last names."""
    return [(os.path.basename(pair['folders'][0]),
             os.path.basename(pair['folders'][1])) for pair in pairs]


def test_a_renamed_copy_of_an_unusual_solution_is_flagged_alone(
        copy_check: Finished) -> None:
    """Ten folders write the common answer in their own words and two
    others each their own way: none of them is a copy; the renamed,
    reworded, re-commented copy of an unusual solution is."""
    done = copy_check
    if done.status == 4 and 'copydetect' in done.output:
        pytest.skip(done.output.strip().splitlines()[-1])
    assert done.status == 0, done.output
    # The last line: a first import of matplotlib may say it is building
    # its font cache before.
    pairs = json.loads(done.output.splitlines()[-1])['copies']
    flagged = [pair for pair in pairs
               if pair['similarity'] >= cohort.THRESHOLD]
    assert names(flagged) == [('kofi', 'lena')]
    assert flagged[0]['tasks']['1'] >= 0.8
    assert flagged[0]['tasks']['4'] >= 0.7
    assert '0' not in flagged[0]['tasks']  # wait_random: everyone's alike
    # What independent answers share stays well below the threshold.
    assert max(pair['similarity'] for pair in pairs[1:]) < 0.6


def test_docstrings_are_cut_out_before_comparing() -> None:
    assert cohort.without_docstrings(
        '"""Doc."""\nx = 1  # one\n\n\ndef f() -> None:\n    """Do."""\n'
        '    return "kept"\n') == '\nx = 1  # one\n\n\ndef f() -> None:' \
        '\n    \n    return "kept"\n'
    assert cohort.without_docstrings('x = (\n') == 'x = (\n'


def test_a_task_file_that_is_not_a_regular_file_is_not_read(
        tmp_path: Path) -> None:
    (tmp_path / '0-basic_async_syntax.py').symlink_to('/dev/zero')
    (tmp_path / '1_concurrent_coroutines.py').write_text('x = 1\n')
    assert cohort.task_texts(str(tmp_path)) == {1: 'x = 1\n'}


def test_a_cohort_too_small_to_know_its_common_ground_is_not_checked(
) -> None:
    results = sample()[:3]
    summary = cohort.cohort_report(results, verdicts_of(results))
    assert summary['copies'] is None
    assert summary['copy_check_skipped'] == cohort.too_few(3)
    alone = cohort.cohort_report(results[:1], verdicts_of(results[:1]))
    assert alone['copies'] == [] and not alone['copy_check_skipped']


def test_the_json_report_gets_the_mistakes_and_the_copies(
        tmp_path: Path) -> None:
    results = sample()
    verdicts = verdicts_of(results)
    summary = {'common_mistakes': cohort.common_mistakes(results, verdicts),
               'copies': [{'folders': ['/cohort/ada', '/cohort/b\x1bn'],
                           'similarity': 0.9, 'tasks': {1: 0.9}}],
               'copy_check_skipped': ''}
    args = argparse.Namespace(report_json=str(tmp_path / 'r.json'),
                              report_csv=None, report_html=None,
                              results_json=None, copy_threshold=0.7)
    options: Any = SimpleNamespace(bwrap=None, missing=[],
                                   python37='/usr/bin/python3.7')
    cli.write_reports(args, results, verdicts, options, summary)
    written = json.loads((tmp_path / 'r.json').read_text(encoding='utf-8'))
    assert written['python37'] == '/usr/bin/python3.7'
    assert list(written)[-2:] == ['common_mistakes', 'copies']
    assert written['common_mistakes'][0]['tasks'] == {'1': 6, '4': 1}
    assert written['common_mistakes'][0]['folders'][0] == '/cohort/ada'
    assert written['copies'][0]['folders'] == ['/cohort/ada',
                                               '/cohort/b\\x1bn']


def test_the_copy_threshold_is_a_fraction(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.parser().parse_args([]).copy_threshold == cohort.THRESHOLD
    assert cli.parser().parse_args(['--copy-threshold', '0.5']
                                   ).copy_threshold == 0.5
    with pytest.raises(SystemExit) as exit:
        cli.parser().parse_args(['--copy-threshold', '1.5'])
    assert exit.value.code == cli.USAGE_ERROR
    assert '1.5 is not from 0 to 1' in capsys.readouterr().err


HOSTILE_NAME = '/cohort/<script>alert(1)</script>\u202e'
HOSTILE_MESSAGE = '<img src=x onerror=alert(2)> out of order'


def hostile_page() -> str:
    """Return the page of the sample cohort plus a folder whose name and
    message carry markup and a bidirectional override."""
    results = sample() + [graded(HOSTILE_NAME, {
        T1 + ORDER + '[deadline-2]': HOSTILE_MESSAGE})]
    verdicts = verdicts_of(results)
    summary = {'common_mistakes': cohort.common_mistakes(results, verdicts),
               'copies': [{'folders': ['/cohort/ada', HOSTILE_NAME],
                           'similarity': 0.9, 'tasks': {1: 0.9}}],
               'copy_check_skipped': ''}
    return html_report.page(results, verdicts, summary, 0.7)


def test_the_page_escapes_whatever_comes_from_a_folder() -> None:
    text = hostile_page()
    assert '<script' not in text and '<img' not in text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;\\u202e' in text
    assert '&lt;img src=x onerror=alert(2)&gt; out of order' in text
    assert '\u202e' not in text
    assert "default-src 'none'" in text  # nothing loads, nothing runs
    assert 'http://' not in text and 'https://' not in text
    assert text.count('<details id="folder-') == len(sample()) + 1
    assert 'style="width: 17%"' in text  # task 1: 2 of 12 passed


@command
def browser_page(scratch: Path) -> Command:
    """Write the sample cohort's page, then look at it in Chromium."""
    (scratch / 'report.html').write_text(hostile_page(), encoding='utf-8')
    return ([str(ROOT / 'tests' / 'browser.py'), str(scratch / 'report.html'),
             str(scratch / 'report.png')], scratch)


def test_the_page_shows_in_a_browser(
        browser_page: Finished, tmp_path_factory: pytest.TempPathFactory,
        record_property: Any) -> None:
    """The table, the pass-rate bars and a failing folder's first message
    (once its details are opened) are shown; the screenshot is kept."""
    done = browser_page
    assert done.status == 0, done.output
    facts: Dict[str, Any] = json.loads(done.output.splitlines()[-1])
    if 'skip' in facts:
        if os.environ.get('GRADER_REQUIRE_BROWSER'):
            pytest.fail('GRADER_REQUIRE_BROWSER is set, but ' + facts['skip'])
        pytest.skip(facts['skip'])
    shot = tmp_path_factory.getbasetemp() / 'report.png'
    shutil.copyfile(str(done.scratch / 'report.png'), str(shot))
    record_property('screenshot', str(shot))
    print('screenshot of the page: {}'.format(shot))
    assert facts['table_shown']
    assert facts['rows'][0] == 'ada pass FAIL pass pass FAIL 9/12'
    assert len(facts['rows']) == len(sample()) + 1
    assert [bar['text'].split('\n')[-1] for bar in facts['bars']] == [
        '11 of 12 (92%)', '2 of 12 (17%)', '10 of 12 (83%)',
        '10 of 12 (83%)', '9 of 12 (75%)']
    for bar in facts['bars']:
        assert bar['shown'] and bar['width'] > 100
    task1 = facts['bars'][1]
    assert abs(task1['filled'] - task1['width'] * 0.17) <= 1
    assert facts['folder'].startswith('ada: failed (3 failing checks')
    assert facts['message_hidden_before'] and facts['message_shown_after']
    assert facts['message'] == OUT_OF_ORDER.format(3)
    assert shot.stat().st_size > 10000
