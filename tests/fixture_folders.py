"""The fixture folders the grader is tested on, and how to make them.

STYLES are correct folders written in different ways (tests/fixtures);
MISTAKES are the correct folder with one typical mistake made in it;
ATTACKS are hostile folders (tests/fixtures/hostile, see its README). Each
comes with the verdict it must get. build() copies one into a cohort
folder; the fixtures themselves are never graded in place.
"""
import shutil
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

FIXTURES = Path(__file__).resolve().parent / 'fixtures'
CORRECT = FIXTURES / 'correct_hyphen'
HOSTILE = FIXTURES / 'hostile'
Verdict = Dict[int, Optional[str]]
ALL_PASS: Verdict = {n: None for n in range(5)}


def verdict(**failing: str) -> Verdict:
    """Return a verdict: the tasks named (t1='...') fail, the rest pass.

    Each failing task names a piece of its first message ('' for any).
    """
    result = dict(ALL_PASS)
    result.update({int(name[1:]): part for name, part in failing.items()})
    return result


class Mistake(NamedTuple):
    """One broken folder: edits to a correct one, and its verdict.

    edits are (file, old, new) replacements; new None deletes the file.
    """

    edits: List[Tuple[str, str, Optional[str]]]
    verdict: Verdict
    base: Path = CORRECT


TASKS = ('    tasks = [asyncio.create_task(wait_random(max_delay)) '
         'for _ in range(n)]\n')
AS_COMPLETED = ('    for finished in asyncio.as_completed(tasks):\n'
                '        bisect.insort(delays, await finished)\n')
HANG = 'the test did not finish in time'
TAMPERED = "the folder's code tampered with the grader"
MISTAKES = {
    'sequential_awaits': Mistake(
        [('1-concurrent_coroutines.py', TASKS + AS_COMPLETED,
          '    for _ in range(n):\n'
          '        bisect.insort(delays, await wait_random(max_delay))\n')],
        verdict(t1='awaited each wait_random in turn: 1 of 5 sleepers',
                t2='should return the run time of wait_n over 5')),
    'sorted_call': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = sorted(await asyncio.gather(*tasks))\n')],
        verdict(t1='calls sort() or sorted() (line 1')),
    'completion_order_only': Mistake(
        [('1-concurrent_coroutines.py', 'bisect.insort(delays, ',
          'delays.append(')],
        verdict(t1='values out of order when the sleepers woke in reverse')),
    'measure_total': Mistake(
        [('2-measure_runtime.py', 'return (time.perf_counter() - start) / n',
          'return time.perf_counter() - start')],
        verdict(t2='returned the total time')),
    'async_task_wait_random': Mistake(
        [('3-tasks.py', 'def task_wait_random', 'async def task_wait_random')],
        verdict(t3='must be a regular function', t4='')),
    'integer_delays': Mistake(
        [('0-basic_async_syntax.py', 'random.uniform(0, max_delay)',
          'random.randint(0, max_delay)')],
        verdict(t0='should return the float from random.uniform, got',
                t1='', t3='', t4='')),
    'missing_docstring': Mistake(
        [('0-basic_async_syntax.py',
          '    """Wait a random number of seconds up to max_delay and return '
          'it."""\n', '')],
        verdict(t0='give wait_random a docstring')),
    'missing_shebang': Mistake(
        [('3-tasks.py', '#!/usr/bin/env python3\n', '')],
        verdict(t3='should start with #!/usr/bin/env python3')),
    'hanging_coroutine': Mistake(
        [('1-concurrent_coroutines.py', '    return delays\n',
          '    await asyncio.Event().wait()\n    return delays\n')],
        verdict(t1=HANG, t2=HANG)),
    'syntax_error': Mistake(
        [('2-measure_runtime.py', 'def measure_time(n: int, max_delay: int)',
          'def measure_time(n: int, max_delay: int')],
        verdict(t2='2-measure_runtime.py has a syntax error at line')),
    'missing_file': Mistake(
        [('3-tasks.py', '', None)],
        verdict(t3='3-tasks.py: file not found',
                t4='3-tasks.py: file not found (imported by 4-tasks.py)')),
    'missing_file_underscore': Mistake(
        [('3_tasks.py', '', None)],
        verdict(t3='3_tasks.py: file not found',
                t4='3_tasks.py: file not found (imported by 4_tasks.py)'),
        FIXTURES / 'variant_callbacks'),
    'os_exit': Mistake(
        [('3-tasks.py', '    return asyncio.create_task',
          '    import os\n    os._exit(0)\n    return asyncio.create_task')],
        verdict(t3='ended early (exit status 0)', t4='ended early')),
    'sys_exit': Mistake(
        [('2-measure_runtime.py', '    start = time.perf_counter()',
          '    import sys\n    sys.exit(0)\n    start = time.perf_counter()')],
        verdict(t2='SystemExit')),
}
STYLES = {'correct_hyphen': ALL_PASS, 'variant_callbacks': ALL_PASS,
          'variant_wait': ALL_PASS}
ATTACKS: Dict[str, Verdict] = {
    'ini_plugin_takeover': verdict(t1='awaited each', t2='', t4=''),
    'repo_cov_settings': ALL_PASS,
    'reference_standin': {n: 'is not defined in the folder (it comes from '
                          for n in range(5)},
    'rebind_grader_function': verdict(t1=TAMPERED, t2=TAMPERED),
    'hook_forge': verdict(t1=TAMPERED, t2=TAMPERED),
    'replace_sort_check': verdict(t1=TAMPERED, t2=TAMPERED),
    'forged_records': verdict(t1=TAMPERED, t2=TAMPERED),
    'detached_rewriter': verdict(t1='awaited each', t2=''),
    'pipe_holder': ALL_PASS,
    'ignore_sigalrm': verdict(t1='', t2=''),
    'write_outside': ALL_PASS,
    'lying_floats': verdict(t1='values out of order', t4='values out of '
                                                         'order'),
}


def build(name: str, cohort: Path) -> Path:
    """Copy folder name into cohort, making a broken one from its edits."""
    folder = cohort / name
    source = HOSTILE / name if name in ATTACKS else FIXTURES / name
    if name in MISTAKES:
        source = MISTAKES[name].base
    shutil.copytree(str(source), str(folder), symlinks=True)
    for file, old, new in (MISTAKES[name].edits if name in MISTAKES
                           else []):
        path = folder / file
        if new is None:
            path.unlink()
            continue
        text = path.read_text(encoding='utf-8')
        assert old in text, 'the {} edit no longer applies'.format(name)
        path.write_text(text.replace(old, new, 1), encoding='utf-8')
    return folder
