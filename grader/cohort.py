"""After grading a cohort: its common mistakes, and its copied code.

The common mistakes group the cohort's failures by the check behind
them: for each task of each folder, the graded test that failed first
(its function, whatever its parameters or the numbers in its message),
labelled with a sentence a mentor can teach from. A folder that could
not be graded, or a task whose module could not be imported, is in a
group of its own, and so is a task that hung.

The copy check finds pairs of folders whose task files share passages
that few other folders share, with copydetect's MOSS-style winnowing
over tokens: names become one letter each, comments and docstrings go,
and what many folders of the cohort write (or the exercise gives) is
common ground and never makes a copy. copydetect is optional: without
it, copy_check_missing() says how to get it.
"""
import collections
import io
import itertools
import os
import re
import stat
import threading
import tokenize
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from grader import TASK_MODULES, inert

Group = Dict[str, Any]
Pair = Dict[str, Any]
Verdicts = Sequence[Tuple[str, Dict[int, Dict[str, Any]]]]

NOT_GRADED = 'not graded'
HANGS = 'hangs'
ONLY_HERE = 'fails on the grading interpreter only'
GIVES_UP = 'gives up on waits'
BLOCKS = 'blocks the event loop'
AT_IMPORT = 'runs at import'
BUSY = 'busy-waits'
NOT_A_LIST = 'not a list of floats'
TOO_MANY = 'more waits than n'
SHARED = 'one list for every call'
RAISES = 'raises '  # and the error's type
# Each graded test of the suite, by its function's name, as a sentence a
# mentor can teach from. (Their docstrings, where they have one, tell a
# maintainer what the test does, not a learner what went wrong.) A unit
# test checks that every graded test function has one.
LABELS = {
    # task 0: wait_random
    'test_wait_random_is_a_coroutine_function':
        'wait_random is a plain function: a coroutine is defined with '
        'async def',
    'test_returns_the_delay_it_drew_and_slept':
        'wait_random does not return the delay it drew with '
        'random.uniform(0, max_delay) and slept',
    'test_draws_afresh_on_every_call':
        'wait_random gives the same delay every time: it seeds the '
        'generator or draws only once',
    'test_default_max_delay_is_10':
        'max_delay does not default to 10',
    'test_the_sleep_takes_the_delay':
        'the sleep does not last the delay that is returned',
    'test_main_file_prints_three_delays':
        'the main file of task 0 does not print three delays',
    # tasks 1 and 4: wait_n and task_wait_n
    'test_is_a_coroutine_function':
        'wait_n or task_wait_n is a plain function: it must be async def '
        'and await the waits',
    'test_all_waits_are_in_flight_at_once':
        'the waits run one after another: create every task before '
        'awaiting any',
    'test_takes_the_longest_delay_not_the_sum':
        'the waits take the sum of the delays instead of the longest: '
        'they do not run concurrently',
    'test_ascending_whatever_order_sleepers_wake_in':
        'the list is not ascending when waits finish out of order '
        '(completion or creation order is not enough)',
    'test_keeps_equal_delays':
        'equal delays are lost: a set or a dict keeps only one of them',
    'test_returns_one_delay_per_wait':
        'not exactly one delay per wait is returned (try n = 0 and n = 1)',
    'test_passes_max_delay_through':
        'max_delay is not passed on to each wait',
    'test_does_not_sort_at_run_time':
        'sorted() or list.sort() called at run time (heapq.nsmallest '
        'too): insert each delay in its place as it arrives',
    'test_does_not_call_sort':
        'sort() or sorted() written in the code, which the exercise '
        'forbids',
    'test_main_file_prints_ascending_lists':
        'the main file does not print lists of ascending delays',
    'test_builds_on_task_wait_random':
        'task_wait_n does not build on task_wait_random, once per wait',
    # task 2: measure_time
    'test_is_a_plain_function':
        'measure_time is async def: it must be a plain function that runs '
        'the event loop itself (asyncio.run)',
    'test_returns_the_time_of_wait_n_over_n':
        'measure_time does not return the run time of wait_n divided by n '
        '(the total time, or no wall clock read)',
    'test_runs_wait_n_once':
        'measure_time does not run wait_n(n, max_delay) exactly once',
    'test_main_file_prints_a_time_per_wait':
        'the main file of task 2 does not print one time per wait',
    # task 3: task_wait_random
    'test_is_not_a_coroutine_function':
        'task_wait_random is async def: it must be a plain function that '
        'returns a Task',
    'test_returns_a_task_running_wait_random':
        'task_wait_random does not return an asyncio.Task running '
        'wait_random(max_delay)',
    'test_the_task_is_scheduled_at_once':
        'the task is not scheduled at once: asyncio.create_task starts it, '
        'a bare coroutine does not',
    'test_main_file_prints_the_task_class':
        'the main file of task 3 does not print the Task class',
    # the rubric, on every task's file
    'test_uses_unix_line_endings':
        'Windows line endings (CRLF; on the first line, #!/usr/bin/env '
        'python3 cannot run the file)',
    'test_first_line_is_the_shebang':
        'the first line is not #!/usr/bin/env python3',
    'test_is_executable':
        'the file is not executable (chmod +x)',
    'test_ends_with_a_newline':
        'the file does not end with a newline',
    'test_module_has_a_docstring':
        'the module has no docstring that is a real sentence',
    'test_functions_have_docstrings':
        'a function has no docstring that is a real sentence',
    'test_functions_are_annotated':
        'a parameter or a return value is not annotated',
    'test_is_pycodestyle_clean':
        "pycodestyle 2.5.0, the exercise's checker, finds style errors",
    'test_would_run_on_python_3_7':
        "would fail on Python 3.7, the exercise's interpreter (list[float], "
        'X | Y, asyncio.to_thread and the like)',
}
SPECIAL_LABELS = {
    NOT_GRADED: 'could not be graded: a task file is missing, does not '
                'import or does not define its function, the folder ran '
                'out of time, or its code stopped the grader',
    HANGS: 'hangs: a call never finished in time (an endless loop, a '
           'blocking time.sleep, or a sleep that bypasses asyncio.sleep)',
    ONLY_HERE: 'fails on the grading interpreter only: Python 3.7 runs it '
               '(asyncio.wait over bare coroutines, and the like)',
    GIVES_UP: 'returns before every wait has finished (a timeout that '
              'gives up on the waits that finish late)',
    BLOCKS: 'blocks the event loop: time.sleep in a coroutine stops every '
            'other task while it sleeps (await asyncio.sleep instead)',
    AT_IMPORT: "runs code when imported: an event loop or a wait at the "
               "module's top level (guard it with if __name__ == "
               "'__main__':)",
    BUSY: 'busy-waits: a loop of asyncio.sleep(0) (or of checks) keeps the '
          'event loop spinning instead of waiting',
    NOT_A_LIST: 'returns something other than a list of floats (a tuple, a '
                'deque, a generator, ints)',
    TOO_MANY: 'starts more waits than n (or sleeps beside its waits)',
    SHARED: 'returns one list to every call (kept at the module\'s level, '
            'so the next call changes what the last one returned)',
}
# What a failure says when no check of the task could judge the code
# (grader/solution.py's and engine.py's words; a unit test checks they
# are still theirs), and when the code hung (child.py's, engine.py's and
# fakes.py's).
CANNOT_JUDGE = ('could not be imported', 'file not found',
                'has a syntax error', 'is not defined in the folder',
                'does not define', 'not a function the folder defines',
                'tampered with the grader',
                'the grading child', 'ended early')
HUNG = ('did not finish in time', 'ran past its time', 'which had hung',
        'an earlier test of this task timed out', 'would hang forever')
# What a failure says when the check that failed is not what went wrong:
# code that fails on the grading interpreter alone, a wait_n that gave up
# on its waits, a blocking sleep or a busy wait, code run at import, a
# result that is no list, more waits than n, one list for every call (the
# words of tests/conftest.py, tests/checks.py, grader/fakes.py and
# grader/solution.py; a unit test checks they are still theirs).
SAID = {"the exercise's interpreter, runs": ONLY_HERE,
        'waits had not finished when it returned': GIVES_UP,
        'blocks the event loop while it sleeps': BLOCKS,
        'ran an event loop when it was imported': AT_IMPORT,
        'a busy wait, which spins the event loop': BUSY,
        'should return a list, got': NOT_A_LIST,
        'should return float delays, got': NOT_A_LIST,
        '; start exactly n': TOO_MANY,
        'return a new list from each call': SHARED,
        'did not finish importing': AT_IMPORT}
RAISED = re.compile(r'^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|'
                    r'Interrupt))\b.*, raised in \S+ \(')  # an
# error the folder's code raised (conftest.py's words): its type says more
# than the check it happened in
NAMED = 5  # folders named per group; the rest are counted


def check_of(nodeid: str) -> str:
    """Return the test function of a node id, without its parameters."""
    return nodeid.split('::')[-1].split('[')[0]


def check_for(nodeid: str, message: str) -> str:
    """Return the check a failure is about: its test function; NOT_GRADED
    or HANGS when no check could judge the code; or one of SAID's groups,
    or RAISES and the error's type, when the message says what went wrong
    better than the check does."""
    if any(part in message for part in CANNOT_JUDGE):
        return NOT_GRADED
    if any(part in message for part in HUNG):
        return HANGS
    for part, check in SAID.items():
        if part in message:
            return check
    raised = RAISED.match(message)
    if raised:
        return RAISES + raised.group(1)
    return check_of(nodeid)


def label(check: str) -> str:
    """Return the sentence that names a check, for a mentor."""
    if check in SPECIAL_LABELS:
        return SPECIAL_LABELS[check]
    if check.startswith(RAISES):
        return 'the code raises {} (the first message says where)'.format(
            check[len(RAISES):])
    return LABELS.get(check) or check[len('test_'):].replace('_', ' ')


def first_failures(result: Any) -> Dict[int, Tuple[str, str]]:
    """Return, per failed task, the check that failed first and its message.

    A task whose module could not be used, or that hung, is put under
    NOT_GRADED or HANGS rather than under the test that happened to
    meet it first.
    """
    found: Dict[int, Tuple[str, str]] = {}
    for taskno, entries in sorted(result.schedule.items()):
        for entry in entries:
            outcome = result.results.get(entry['nodeid'], {})
            if entry['extra'] or outcome.get('outcome') != 'failed':
                continue
            message = str(outcome.get('message', ''))
            found[taskno] = (check_for(entry['nodeid'], message), message)
            break
    return found


def common_mistakes(results: Sequence[Any], verdicts: Verdicts) -> List[Group]:
    """Return the cohort's failures grouped by check, most frequent first.

    Each group has its check (a test function's name, or 'not graded' or
    'hangs'), its label, the number of folders, how many failed it in each
    task, the folders (as graded, in order) and the first one's message
    as an example. A folder counts once in a group however many of its
    tasks fail the same check. verdicts (one per result, as the command
    line computes them) decide which tasks failed.
    """
    groups: Dict[str, Group] = {}

    def add(check: str, folder: str, taskno: Optional[int],
            message: str) -> None:
        """Count one folder (and task) in the group of check."""
        group = groups.setdefault(check, {
            'check': check, 'label': label(check), 'count': 0,
            'tasks': {}, 'folders': [], 'example': message})
        if folder not in group['folders']:
            group['folders'].append(folder)
            group['count'] += 1
        if taskno is not None:
            group['tasks'][taskno] = group['tasks'].get(taskno, 0) + 1

    for result, (folder, tasks) in zip(results, verdicts):
        if result.problem:
            add(NOT_GRADED, folder, None, result.problem)
            continue
        failures = first_failures(result)
        for taskno, task in tasks.items():
            if task['status'] != 'failed':
                continue
            check, message = failures.get(
                taskno, (NOT_GRADED, (task['messages'] or [''])[0]))
            add(check, folder, taskno, message)
    for group in groups.values():
        group['tasks'] = dict(sorted(group['tasks'].items()))
    return sorted(groups.values(),
                  key=lambda group: (-group['count'], group['label']))


def named(folders: Sequence[str]) -> str:
    """Return the first few folders, and how many more there are."""
    shown = ', '.join(folders[:NAMED])
    if len(folders) > NAMED:
        shown += ' and {} more'.format(len(folders) - NAMED)
    return shown


def per_task(counts: Dict[int, int]) -> str:
    """Say in how many folders each task failed a check."""
    parts = []
    for index, (taskno, count) in enumerate(counts.items()):
        parts.append('task {} in {}{}'.format(
            taskno, count, '' if index else
            ' folder' + ('' if count == 1 else 's')))
    return ', '.join(parts)


def summary_lines(groups: List[Group], pairs: Optional[List[Pair]],
                  threshold: float, why_no_copies: str = '',
                  name: Any = None) -> List[str]:
    """Return the lines printed after a cohort's table.

    The common mistakes take two lines each: the folders and the label,
    then the tasks and the folders named. Then the copied pairs, at most
    ten, with their similarity per task; why_no_copies says why the copy
    check did not run. name turns a folder into what the table calls it.
    """
    def short(folder: str) -> str:
        """Return a folder as the table shows it."""
        return inert(name(folder) if name is not None else folder)

    if not groups:
        lines = ['common mistakes: none, every graded task passed']
    else:
        lines = ['common mistakes, by the check that failed first in each '
                 'task:']
        width = len(str(groups[0]['count']))
        for group in groups:
            count = '{:>{w}} folder{}'.format(
                group['count'], ' ' if group['count'] == 1 else 's',
                w=width)
            lines.append('  {}  {}'.format(count, group['label']))
            where = per_task(group['tasks'])
            lines.append('  {}  {}{}'.format(
                ' ' * len(count), where + ': ' if where else '',
                named([short(folder) for folder in group['folders']])))
    if why_no_copies:
        lines.append('copied code: not checked: ' + why_no_copies)
    elif pairs is not None and not pairs:
        lines.append('copied code: no pair of folders shares passages that '
                     'few others share (similarity {:.2f} or more)'.format(
                         threshold))
    elif pairs:
        lines.append('copied code: pairs of folders sharing passages that '
                     'few others share (similarity per task, {:.2f} or '
                     'more in one):'.format(threshold))
        for pair in pairs[:10]:
            lines.append('  {} and {}: {}'.format(
                short(pair['folders'][0]), short(pair['folders'][1]),
                ', '.join('task {} {:.2f}'.format(taskno, similarity)
                          for taskno, similarity in pair['tasks'].items())))
        if len(pairs) > 10:
            lines.append('  and {} more pairs (all of them in --report-json '
                         'and --report-html)'.format(len(pairs) - 10))
    return lines


# The copy check. Its constants follow copydetect's and MOSS's.
NOISE = 25  # copydetect's default noise threshold: shorter matches are noise
WINDOW = 1  # keep every k-gram's hash: the files are short
COMMON_SHARE = 0.1  # a passage in more than this share of folders ...
COMMON_AT_LEAST = 3  # ... or in more than this many is common ground
THRESHOLD = 0.7  # the default --copy-threshold; see the README
MIN_FOLDERS = 8  # in fewer, what the cohort writes in common is not known
READ_LIMIT = 32 * 1024  # a task file longer than this is read this far
# What the exercise gives every learner: the shebang, the imports, the
# __import__ lines and the prototypes. Like MOSS's base file (its -b),
# a passage found here is never a copy, even in a cohort of two.
GIVEN = '''#!/usr/bin/env python3
import asyncio
import random
import time
from typing import List
wait_random = __import__('0-basic_async_syntax').wait_random
wait_n = __import__('1-concurrent_coroutines').wait_n
task_wait_random = __import__('3-tasks').task_wait_random


async def wait_random(max_delay: int = 10) -> float:
async def wait_n(n: int, max_delay: int) -> List[float]:
def measure_time(n: int, max_delay: int) -> float:
def task_wait_random(max_delay: int) -> asyncio.Task:
async def task_wait_n(n: int, max_delay: int) -> List[float]:
'''


def copy_check_missing() -> str:
    """Say why the copy check cannot run here, or return ''."""
    try:
        import copydetect  # noqa: F401
    except ImportError as error:
        return why_missing(error)
    return ''


def why_missing(error: ImportError) -> str:
    """Say in one line that a library of the copy check is missing."""
    return ('{} is not installed here: pip install copydetect, or install '
            'requirements-test.txt'.format(error.name or error))


def too_few(count: int) -> str:
    """Say why a cohort of count folders is not checked for copies."""
    return ('{} folders are too few to tell what a cohort writes in common '
            'from a copy (it takes {})'.format(count, MIN_FOLDERS))


def task_texts(folder: str) -> Dict[int, str]:
    """Return the source of each task file a folder has, by task.

    A file counts under either naming (0-basic_async_syntax.py or
    0_basic_async_syntax.py) if it is a regular file; it is read as text
    up to READ_LIMIT characters, so a link to a device or a huge file
    costs nothing.
    """
    texts: Dict[int, str] = {}
    for taskno, module in TASK_MODULES.items():
        for name in (module.replace('_', '-', 1), module):
            path = os.path.join(folder, name + '.py')
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue
                with open(path, encoding='utf-8', errors='replace') as file:
                    texts[taskno] = file.read(READ_LIMIT)
            except OSError:
                continue
            break
    return texts


def without_docstrings(source: str) -> str:
    """Return source without its docstrings and other bare strings.

    A string that is a statement of its own (a docstring) is cut out, so
    writing, changing or removing one does not hide a copy. Source that
    does not tokenize is returned as it is.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    significant = [token for token in tokens if token.type not in (
        tokenize.NL, tokenize.COMMENT)]
    starts = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    cuts = []
    for index, token in enumerate(significant):
        if token.type != tokenize.STRING:
            continue
        before = significant[index - 1].type if index else tokenize.NEWLINE
        after = significant[index + 1].type \
            if index + 1 < len(significant) else tokenize.ENDMARKER
        if before in starts and after in (tokenize.NEWLINE,
                                          tokenize.ENDMARKER):
            cuts.append((token.start, token.end))
    if not cuts:
        return source
    lines = source.splitlines(True)
    offsets = list(itertools.accumulate([0] + [len(line) for line in lines]))
    text = source
    for (row, column), (end_row, end_column) in reversed(cuts):
        text = text[:offsets[row - 1] + column] + \
            text[offsets[end_row - 1] + end_column:]
    return text


def normalise(source: str) -> str:
    """Return source as copydetect compares it: docstrings, comments and
    layout gone, each name a single letter (V, F, O), each string S."""
    from copydetect.utils import filter_code
    code, _ = filter_code(without_docstrings(source), 'task.py', 'python')
    return str(code)


def fingerprint(code: str, boilerplate: Any = None) -> Any:
    """Return copydetect's fingerprint of normalised code: the hash of
    every passage of NOISE characters, less those in boilerplate."""
    from copydetect import CodeFingerprint
    return CodeFingerprint('task.py', NOISE, WINDOW, boilerplate=boilerplate,
                           filter=False, fp=io.StringIO(code))


def shares(first: Any, second: Any) -> Tuple[float, float]:
    """Return the share of each file that lies in passages both have."""
    from copydetect import compare_files
    overlap, _, slices = compare_files(first, second)
    if not overlap:
        return 0.0, 0.0
    found = [float((ends - starts).sum()) / max(1, len(data.filtered_code))
             for (starts, ends), data in zip(slices, (first, second))]
    return found[0], found[1]


class CopyCheck:
    """The copy check of a cohort, begun at once beside the grading.

    Reading and normalising the task files (and importing copydetect)
    is most of its cost, and needs nothing from the grading, so a thread
    does it while the folders are graded; pairs() waits for it and
    compares. Nothing of the folders' code runs: it is only read.
    """

    def __init__(self, folders: Sequence[str]) -> None:
        """Start reading and normalising the folders' task files."""
        self.folders = list(folders)
        self.codes: Dict[str, Dict[int, str]] = {}
        self.missing = ''
        self.thread = threading.Thread(target=self._normalise, daemon=True)
        self.thread.start()

    def _normalise(self) -> None:
        """Normalise every task file, or note that copydetect is missing."""
        try:
            import copydetect  # noqa: F401
        except ImportError as error:
            self.missing = why_missing(error)
            return
        for folder in self.folders:
            self.codes[folder] = {taskno: normalise(text) for taskno, text
                                  in task_texts(folder).items()}

    def pairs(self, threshold: float = THRESHOLD) -> List[Pair]:
        """Return the pairs of folders whose task files look copied.

        Each task file's normalised code is fingerprinted by copydetect.
        A fingerprint found in the exercise's given code, or in more than
        max(COMMON_AT_LEAST, COMMON_SHARE of the folders) folders, is
        common ground and dropped, as MOSS drops passages found in many
        programs. A pair's similarity in a task is the smaller of its two
        files' shares of code in passages both still have; a pair at
        threshold or more in some task is returned, most similar first,
        with its similarity in each task where it is above 0. Raises
        ImportError, saying what to install, without copydetect.
        """
        self.thread.join()
        if self.missing:
            raise ImportError(self.missing)
        import numpy
        seen: Dict[Any, int] = collections.Counter()
        for codes in self.codes.values():
            hashes: Set[Any] = set()
            for code in codes.values():
                hashes |= fingerprint(code).hashes
            seen.update(hashes)
        common = max(COMMON_AT_LEAST, int(COMMON_SHARE * len(self.folders)))
        boilerplate = numpy.array(sorted(
            fingerprint(normalise(GIVEN)).hashes |
            {value for value, count in seen.items() if count > common}))
        prints = {(folder, taskno): fingerprint(code, boilerplate)
                  for folder, codes in self.codes.items()
                  for taskno, code in codes.items()}
        candidates: Dict[Tuple[str, str], Set[int]] = {}
        for taskno in TASK_MODULES:
            having: Dict[Any, List[str]] = {}
            for folder in self.folders:
                if (folder, taskno) in prints:
                    for value in prints[folder, taskno].hashes:
                        having.setdefault(value, []).append(folder)
            for sharing in having.values():
                for pair in itertools.combinations(sharing, 2):
                    candidates.setdefault(pair, set()).add(taskno)
        pairs = []
        for (first, second), tasknos in candidates.items():
            similarity = {}
            for taskno in sorted(tasknos):
                share = min(shares(prints[first, taskno],
                                   prints[second, taskno]))
                if share > 0:
                    similarity[taskno] = round(share, 2)
            if similarity and max(similarity.values()) >= threshold:
                pairs.append({'folders': [first, second],
                              'similarity': max(similarity.values()),
                              'tasks': similarity})
        return sorted(pairs, key=lambda pair: (-pair['similarity'],
                                               pair['folders']))


def copied_pairs(folders: Sequence[str], threshold: float = THRESHOLD
                 ) -> List[Pair]:
    """Return the pairs of folders whose task files look copied (see
    CopyCheck.pairs); raises ImportError without copydetect."""
    return CopyCheck(folders).pairs(threshold)


def cohort_report(results: Sequence[Any], verdicts: Verdicts,
                  threshold: float = THRESHOLD,
                  check: Optional[CopyCheck] = None) -> Dict[str, Any]:
    """Return the common mistakes and the copied pairs, or why not.

    The keys are common_mistakes, copies (None when the copy check could
    not run; none is needed for one folder) and copy_check_skipped (why,
    or ''). check is the copy check begun while grading, if any.
    """
    report: Dict[str, Any] = {
        'common_mistakes': common_mistakes(results, verdicts),
        'copies': [], 'copy_check_skipped': ''}
    if 1 < len(results) < MIN_FOLDERS:
        report['copies'] = None
        report['copy_check_skipped'] = too_few(len(results))
    elif len(results) > 1:
        try:
            report['copies'] = (check or CopyCheck(
                [result.folder for result in results])).pairs(threshold)
        except ImportError as error:
            report['copies'] = None
            report['copy_check_skipped'] = str(error)
    return report


def as_json(summary: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Return the common mistakes and copied pairs for --report-json.

    Folders are named as in the report's folders (inert), with the
    example message of each group; copies is null, with
    copy_check_skipped saying why, when the check did not run.
    """
    if summary is None:
        return {}
    found: Dict[str, Any] = {
        'common_mistakes': [dict(group, folders=[
            inert(folder) for folder in group['folders']],
            example=inert(group['example']))
            for group in summary['common_mistakes']],
        'copies': None if summary['copies'] is None else [
            dict(pair, folders=[inert(folder) for folder in pair['folders']])
            for pair in summary['copies']]}
    if summary['copy_check_skipped']:
        found['copy_check_skipped'] = summary['copy_check_skipped']
    return found


def main(argv: Optional[Sequence[str]] = None) -> int:
    """python3 -m grader.cohort FOLDER ...: the copy check alone.

    It reads the folders' task files (it grades nothing and runs none of
    their code) and prints the copied pairs as python3 -m grader does
    after its table, or with --json the copies and copy_check_skipped
    keys of its --report-json. Exit status 0, or 4 when copydetect is
    missing.
    """
    import argparse
    import json
    import sys
    from grader.arguments import fraction
    parser = argparse.ArgumentParser(
        prog='python3 -m grader.cohort',
        description='Look for copied code among folders of task files, '
                    'without grading them.')
    parser.add_argument('folders', nargs='+', metavar='FOLDER')
    parser.add_argument('--copy-threshold', type=fraction, metavar='X',
                        default=THRESHOLD, help='as python3 -m grader\'s '
                                                '(default {})'.format(
                                                    THRESHOLD))
    parser.add_argument('--json', action='store_true',
                        help='print the pairs as JSON')
    args = parser.parse_args(argv)
    folders = [os.path.abspath(folder) for folder in args.folders]
    pairs: Optional[List[Pair]] = None
    why = too_few(len(folders)) if len(folders) < MIN_FOLDERS else ''
    try:
        if not why:
            pairs = copied_pairs(folders, args.copy_threshold)
    except ImportError as error:
        print('python3 -m grader.cohort: {}'.format(error), file=sys.stderr)
        return 4
    if args.json:
        print(json.dumps(as_json({'common_mistakes': [], 'copies': pairs,
                                  'copy_check_skipped': why})))
        return 0
    common = os.path.commonpath(folders)
    for line in summary_lines([], pairs, args.copy_threshold, why,
                              lambda folder: os.path.relpath(
                                  folder, common))[1:]:
        print(line)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
