"""The fixture folders the grader is tested on, and how to make them.

STYLES are correct folders written in different ways (tests/fixtures);
MISTAKES are the correct folder with one typical mistake made in it;
ATTACKS are hostile folders (tests/fixtures/hostile, see its README). Each
comes with the verdict it must get, task by task, on the tasks it is
graded on. build() copies one into a cohort folder; the fixtures
themselves are never graded in place.

Which tasks: a task process loads only its task's module, the modules
that one imports, and its main file, so a task none of whose files differ
from the correct folder's can only get the correct folder's verdict. A
style is graded on the tasks whose files it writes its own way; a mistake
on the tasks it must fail, and a few on the tasks that import its file
as well, which must pass (the earlier tasks' functions are replaced by
the reference's while a later task is tested); missing_file on all five
(a file that cannot be imported fails only the tasks that import it).
"""
import shutil
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

FIXTURES = Path(__file__).resolve().parent / 'fixtures'
CORRECT = FIXTURES / 'correct_hyphen'
HOSTILE = FIXTURES / 'hostile'
Verdict = Dict[int, Union[None, str, Tuple[str, ...]]]
ALL_PASS: Verdict = {n: None for n in range(5)}


def verdict(**tasks: Union[None, str, Tuple[str, ...]]) -> Verdict:
    """Return a verdict on the tasks named (t1='...'), graded alone.

    Each failing task names a piece of its first message ('' for any),
    or a tuple of pieces, one of which must be in it; None passes.
    """
    return {int(name[1:]): part for name, part in tasks.items()}


class Mistake(NamedTuple):
    """One broken folder: edits to a correct one, and its verdict.

    edits are (file, old, new) replacements; new None deletes the file,
    old None writes a new one.
    """

    edits: List[Tuple[str, Optional[str], Optional[str]]]
    verdict: Verdict
    base: Path = CORRECT


TASKS = ('    tasks = [asyncio.create_task(wait_random(max_delay)) '
         'for _ in range(n)]\n')
AS_COMPLETED = ('    for finished in asyncio.as_completed(tasks):\n'
                '        bisect.insort(delays, await finished)\n')
CREATION_ORDER = 'in the order their waits were created'
MEASURE_BODY = ('    start = time.perf_counter()\n'
                '    asyncio.run(wait_n(n, max_delay))\n'
                '    return (time.perf_counter() - start) / n\n')
TAMPERED = "the folder's code tampered with the grader"
NO_CLOCK = 'should time the run with a wall clock'
MISTAKES = {
    'blocking_sleep': Mistake(  # time.sleep stops every other task
        [('0-basic_async_syntax.py', 'import random\n',
          'import random\nimport time\n'),
         ('0-basic_async_syntax.py', '    await asyncio.sleep(delay)\n',
          '    time.sleep(delay)\n')],
        verdict(t0='blocks the event loop while it sleeps')),
    'uniform_swapped': Mistake(  # correct: the same distribution
        [('0-basic_async_syntax.py', 'random.uniform(0, max_delay)',
          'random.uniform(max_delay, 0)')],
        verdict(t0=None)),
    'busy_wait': Mistake(  # yields until the time comes: never waits
        [('0-basic_async_syntax.py', '    await asyncio.sleep(delay)\n',
          '    loop = asyncio.get_event_loop()\n'
          '    end = loop.time() + delay\n'
          '    while loop.time() < end:\n'
          '        await asyncio.sleep(0)\n')],
        verdict(t0='a busy wait, which spins the event loop')),
    'rounded_delay': Mistake(  # the draws have full precision: caught
        [('0-basic_async_syntax.py', '    return delay\n',
          '    return round(delay, 2)\n')],
        verdict(t0='not a delay drawn from the random module')),
    'measure_one_at_a_time': Mistake(  # n runs of wait_n(1, ...) in turn
        [('2-measure_runtime.py', 'asyncio.run(wait_n(n, max_delay))',
          'asyncio.run(wait_one_at_a_time(n, max_delay))'),
         ('2-measure_runtime.py', '\n\ndef measure_time',
          '\n\nasync def wait_one_at_a_time(n: int, max_delay: int) -> None:'
          '\n    """Run wait_n(1, max_delay) n times, one after another."""'
          '\n    for _ in range(n):\n        await wait_n(1, max_delay)\n'
          '\n\ndef measure_time')],
        verdict(t2='its waits one after another')),
    'measure_never_awaits': Mistake(  # a coroutine made, never run
        [('2-measure_runtime.py', 'asyncio.run(wait_n(n, max_delay))',
          'wait_n(n, max_delay)')],
        verdict(t2='never ran wait_n')),
    'leftover_print': Mistake(  # runs measure_time when imported
        [('2-measure_runtime.py', '    return (time.perf_counter() - start)'
          ' / n\n', '    return (time.perf_counter() - start) / n\n\n\n'
          'print(measure_time(2, 1))\n')],
        verdict(t2='ran an event loop when it was imported')),
    'leftover_plain_print': Mistake(  # ./2-main.py prints a second line
        [('2-measure_runtime.py', '    return (time.perf_counter() - start)'
          ' / n\n', '    return (time.perf_counter() - start) / n\n\n\n'
          "print('measured')\n")],
        verdict(t2="should print one time in [0, 9], printed ['measured'")),
    'conditional_def': Mistake(  # defined in an if: still the module's
        [('3-tasks.py', '''\
def task_wait_random(max_delay: int) -> asyncio.Task:
    """Return a Task that runs wait_random with max_delay."""
    return asyncio.create_task(wait_random(max_delay))
''', '''if hasattr(asyncio, 'create_task'):
    def task_wait_random(max_delay: int) -> asyncio.Task:
        return asyncio.create_task(wait_random(max_delay))
else:
    def task_wait_random(max_delay: int) -> asyncio.Task:
        return asyncio.ensure_future(wait_random(max_delay))
''')],
        verdict(t3='give task_wait_random a docstring')),
    'main_guard_helper': Mistake(  # correct: an import never defines it
        [('3-tasks.py', '(wait_random(max_delay))\n',
          "(wait_random(max_delay))\n\n\nif __name__ == '__main__':\n"
          '    def show() -> None:\n'
          '        print(task_wait_random)\n\n    show()\n')],
        verdict(t3=None)),
    'version_guarded_keyword': Mistake(  # correct: 3.7 never runs it
        [('3-tasks.py', 'import asyncio\n', 'import asyncio\nimport sys\n'),
         ('3-tasks.py', '    return asyncio.create_task(wait_random('
          'max_delay))\n', "    if sys.version_info >= (3, 8):\n"
          '        return asyncio.create_task(wait_random(max_delay),\n'
          "                                   name='wait_random')\n"
          '    return asyncio.create_task(wait_random(max_delay))\n')],
        verdict(t3=None)),
    'partial_task_wait_random': Mistake(  # no function of its own; task 4,
        # tested with the reference's, passes
        [('3-tasks.py', 'import asyncio\n',
          'import asyncio\nimport functools\n'),
         ('3-tasks.py', 'def task_wait_random(max_delay: int)',
          'def start_task(max_delay: int)'),
         ('3-tasks.py', '(wait_random(max_delay))\n',
          '(wait_random(max_delay))\n\n\ntask_wait_random = '
          'functools.partial(start_task)\n')],
        verdict(t3='is a functools.partial, not a function', t4=None)),
    'lambda_task_wait_random': Mistake(  # a lambda has no docstring (an
        # annotated one, which pycodestyle 2.5.0 does not flag)
        [('3-tasks.py', 'import asyncio\n',
          'import asyncio\nfrom typing import Callable\n'),
         ('3-tasks.py', '''\
def task_wait_random(max_delay: int) -> asyncio.Task:
    """Return a Task that runs wait_random with max_delay."""
    return asyncio.create_task(wait_random(max_delay))
''', 'task_wait_random: Callable[[int], asyncio.Task] = \\\n'
          '    lambda max_delay: asyncio.create_task(wait_random(max_delay))\n'
          )],
        verdict(t3='is a lambda, which has no docstring')),
    'task_in_wait_for': Mistake(  # correct: a Task, started a turn later
        [('3-tasks.py', 'asyncio.create_task(wait_random(max_delay))',
          'asyncio.ensure_future(asyncio.wait_for(\n'
          '        wait_random(max_delay), timeout=max_delay + 1))')],
        verdict(t3=None)),
    'default_arg_spawn': Mistake(  # correct: task_wait_random bound as a
        # default argument is still the one called
        [('4-tasks.py', 'from typing import List\n',
          'from typing import Callable, List\n'),
         ('4-tasks.py', 'async def task_wait_n(n: int, max_delay: int) -> '
          'List[float]:', 'async def task_wait_n(\n        n: int, max_delay: '
          'int,\n        spawn: Callable[[int], asyncio.Task] = '
          'task_wait_random\n) -> List[float]:'),
         ('4-tasks.py', '[task_wait_random(max_delay) for',
          '[spawn(max_delay) for')],
        verdict(t4=None)),
    'edited_main': Mistake(  # correct: the exercise's main file is run,
        # not the folder's copy, which the learner changed
        [('3-main.py', '    print(task.__class__)\n',
          '    print(task.__class__)\n    print(task.result())\n')],
        verdict(t3=None)),
    'nested_helper_undocumented': Mistake(  # correct: the checker reads
        # the docstrings of modules, classes, functions and methods only
        [('1-concurrent_coroutines.py', '    delays: List[float] = []\n',
          '    def half(value: float) -> float:\n        return value / 2\n'
          '\n    delays: List[float] = []\n')],
        verdict(t1=None)),
    'staticmethod_unannotated': Mistake(  # no self to leave out
        [('1-concurrent_coroutines.py', '    return delays\n',
          '    return delays\n\n\nclass Twice:\n    """Doubles a '
          'value, for no reason."""\n\n    @staticmethod\n    def '
          'double(value) -> float:\n        """Return the value twice '
          'over."""\n        return 2 * value\n')],
        verdict(t1='annotate double(value)')),
    'loop_never_closed': Mistake(  # correct: its ResourceWarning is advice
        [('2-measure_runtime.py', '    try:\n        loop.run_until_complete('
          'wait_n(n, max_delay))\n    finally:\n        loop.close()\n',
          '    loop.run_until_complete(wait_n(n, max_delay))\n')],
        verdict(t2=None), base=FIXTURES / 'style_new_loop'),
    'sorted_partial': Mistake(  # sorted reached from C: no profile event
        [('1-concurrent_coroutines.py', 'import bisect\n',
          'import bisect\nimport functools\n'),
         ('1-concurrent_coroutines.py', 'import List\n',
          'import List\n\nARRANGE = functools.partial(sorted)\n'),
         ('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = ARRANGE(await asyncio.gather(*tasks))\n')],
        verdict(t1='sorts at run time')),
    'sorted_in_executor': Mistake(  # sorted in another thread
        [('1-concurrent_coroutines.py', 'import List\n',
          'import List\n\nARRANGE = sorted\n'),
         ('1-concurrent_coroutines.py', AS_COMPLETED,
          '    results = await asyncio.gather(*tasks)\n'
          '    loop = asyncio.get_event_loop()\n'
          '    delays = await loop.run_in_executor(None, ARRANGE, '
          'results)\n')],
        verdict(t1='sorts at run time')),
    'nsmallest_past_100': Mistake(  # sorts only for large n
        [('1-concurrent_coroutines.py', 'import bisect\n',
          'import bisect\nimport heapq\n'),
         ('1-concurrent_coroutines.py', AS_COMPLETED,
          '    results = await asyncio.gather(*tasks)\n    if n > 100:\n'
          '        delays = heapq.nsmallest(n, results)\n    else:\n'
          '        for value in results:\n'
          '            bisect.insort(delays, value)\n')],
        verdict(t1='sorts at run time')),
    'extra_yield': Mistake(  # correct: a sleep(0) is a yield, not a wait
        [('1-concurrent_coroutines.py', '    delays: List[float] = []\n',
          '    await asyncio.sleep(0)\n    delays: List[float] = []\n')],
        verdict(t1=None)),
    'shared_result_list': Mistake(  # one list, every call's
        [('1-concurrent_coroutines.py', 'from typing import List\n',
          'from typing import List\n\nDELAYS: List[float] = []\n'),
         ('1-concurrent_coroutines.py', '    delays: List[float] = []\n',
          '    delays = DELAYS\n    delays.clear()\n')],
        verdict(t1='return a new list from each call')),
    'one_wait_too_many': Mistake(
        [('1-concurrent_coroutines.py', 'for _ in range(n)]',
          'for _ in range(n + 1)]')],
        verdict(t1='started 6 waits for n = 5')),
    'runs_at_import': Mistake(  # no __main__ guard: real time at import
        [('1-concurrent_coroutines.py', '    return delays\n',
          '    return delays\n\n\nprint(asyncio.run(wait_n(5, 5)))\n')],
        verdict(t1="guard it with if __name__ == '__main__':")),
    'never_sleeps': Mistake(
        [('0-basic_async_syntax.py', '    await asyncio.sleep(delay)\n', '')],
        verdict(t0='never waited')),
    'randrange_delay': Mistake(  # an error says where the code raised it
        [('0-basic_async_syntax.py', 'random.uniform(0, max_delay)',
          'random.randrange(0, max_delay) + random.random()')],
        verdict(t0=('raised in wait_random (0-basic_async_syntax.py:',
                    'not a delay drawn'))),
    'measure_loop_time': Mistake(  # correct: the loop's own clock
        [('2-measure_runtime.py', MEASURE_BODY,
          '    loop = asyncio.new_event_loop()\n    try:\n'
          '        start = loop.time()\n'
          '        loop.run_until_complete(wait_n(n, max_delay))\n'
          '        return (loop.time() - start) / n\n    finally:\n'
          '        loop.close()\n')],
        verdict(t2=None)),
    'measure_timeit': Mistake(  # correct: timeit's default timer
        [('2-measure_runtime.py', 'import time\n', 'import timeit\n'),
         ('2-measure_runtime.py', MEASURE_BODY,
          '    return timeit.timeit(lambda: asyncio.run(wait_n(n, max_delay)),'
          '\n                         number=1) / n\n')],
        verdict(t2=None)),
    'measure_datetime': Mistake(  # correct: datetime's clock is a wall clock
        [('2-measure_runtime.py', 'import time\n',
          'from datetime import datetime\n'),
         ('2-measure_runtime.py', MEASURE_BODY,
          '    start = datetime.now()\n'
          '    asyncio.run(wait_n(n, max_delay))\n'
          '    return (datetime.now() - start).total_seconds() / n\n')],
        verdict(t2=None)),
    'measure_os_times': Mistake(  # correct: os.times().elapsed is a wall
        # clock
        [('2-measure_runtime.py', 'import time\n', 'import os\n'),
         ('2-measure_runtime.py', MEASURE_BODY,
          '    start = os.times().elapsed\n'
          '    asyncio.run(wait_n(n, max_delay))\n'
          '    return (os.times().elapsed - start) / n\n')],
        verdict(t2=None)),
    'measure_default_policy': Mistake(  # correct: the policy's loops are
        # virtual too
        [('2-measure_runtime.py', '    start = time.perf_counter()\n',
          '    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())'
          '\n    start = time.perf_counter()\n')],
        verdict(t2=None)),
    'nested_class_undocumented': Mistake(  # a class in a class is a class
        [('2-measure_runtime.py', '\n\ndef measure_time', '''

class Stopwatch:
    """A place for the clock that measure_time reads."""

    class Clock:
        def read(self) -> float:
            return time.perf_counter()


def measure_time'''),
         ('2-measure_runtime.py', '    start = time.perf_counter()\n',
          '    start = Stopwatch.Clock().read()\n')],
        verdict(t2='give Clock, read a docstring')),
    'byte_order_mark': Mistake(  # before #!, the kernel sees no shebang
        [('2-measure_runtime.py', '#!/usr/bin/env python3\n',
          '\ufeff#!/usr/bin/env python3\n')],
        verdict(t2="starts with '\\ufeff#!/usr/bin/env python3'")),
    'measure_helper_clock': Mistake(  # correct: a clock bound elsewhere
        [('stopwatch.py', None, '#!/usr/bin/env python3\n"""A stopwatch on '
          'the performance counter."""\nfrom time import perf_counter\n\n'
          '\ndef now() -> float:\n    """Return the performance '
          'counter, in seconds."""\n    return perf_counter()\n'),
         ('2-measure_runtime.py', 'import time\n',
          'from stopwatch import now\n'),
         ('2-measure_runtime.py', MEASURE_BODY,
          '    start = now()\n    asyncio.run(wait_n(n, max_delay))\n'
          '    return (now() - start) / n\n')],
        verdict(t2=None)),
    'sequential_awaits': Mistake(
        [('1-concurrent_coroutines.py', TASKS + AS_COMPLETED,
          '    for _ in range(n):\n'
          '        bisect.insort(delays, await wait_random(max_delay))\n')],
        verdict(t1='had at most 1 of its 5 waits in flight at once', t2=None)),
    'sorted_call': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = sorted(await asyncio.gather(*tasks))\n')],
        verdict(t1='sorts at run time (sorted() at '
                   '1-concurrent_coroutines.py:18)')),
    'wait_bare_coroutines': Mistake(  # fine on 3.7 and 3.8; a warning
        # (an error in the tests) on 3.9 and 3.10, an error from 3.11
        [('1-concurrent_coroutines.py', TASKS + AS_COMPLETED,
          '    if n > 0:\n        done, _ = await asyncio.wait(\n'
          '            [wait_random(max_delay) for _ in range(n)])\n'
          '        for finished in done:\n'
          '            bisect.insort(delays, finished.result())\n')],
        verdict(t1=None if sys.version_info < (3, 9) else
                "Python 3.7, the exercise's interpreter, runs wait_n(3, 1) "
                'without error')),
    'wait_timeout': Mistake(  # the waits that start late are dropped
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    done, _ = await asyncio.wait(tasks, timeout=max_delay)\n'
          '    for finished in done:\n'
          '        bisect.insort(delays, finished.result())\n')],
        verdict(t1='waits had not finished when it returned')),
    'timeout_per_wait': Mistake(  # a wait_for of max_delay: late ones fail
        [('1-concurrent_coroutines.py', TASKS,
          '    tasks = [asyncio.ensure_future(asyncio.wait_for(\n'
          '        wait_random(max_delay), timeout=max_delay))\n'
          '        for _ in range(n)]\n')],
        verdict(t1='(a timeout the code set ran out before what it waited '
                   'for had ended), raised in wait_n')),
    'wait_for_margin': Mistake(  # correct: a timeout a second past
        # max_delay; the lag between starts is a real loop's, far less
        [('1-concurrent_coroutines.py', TASKS,
          '    tasks = [asyncio.ensure_future(asyncio.wait_for(\n'
          '        wait_random(max_delay), timeout=max_delay + 1))\n'
          '        for _ in range(n)]\n')],
        verdict(t1=None)),
    'draw_in_thread': Mistake(  # correct: a thread's work takes real
        # time, so the wait_for around it must not time out at once
        [('0-basic_async_syntax.py', '    delay = random.uniform(0, max_delay)'
          '\n', '    loop = asyncio.get_event_loop()\n'
          '    delay = await asyncio.wait_for(loop.run_in_executor(\n'
          '        None, random.uniform, 0, max_delay), timeout=5)\n')],
        verdict(t0=None)),
    'sleep_by_timer': Mistake(  # correct: a timer of the loop, no sleep
        [('0-basic_async_syntax.py', '    await asyncio.sleep(delay)\n'
          '    return delay\n',
          '    loop = asyncio.get_event_loop()\n'
          '    woken: "asyncio.Future[float]" = loop.create_future()\n'
          '    loop.call_later(delay, woken.set_result, delay)\n'
          '    return await woken\n')],
        verdict(t0=None)),
    'completion_order_only': Mistake(
        [('1-concurrent_coroutines.py', 'bisect.insort(delays, ',
          'delays.append(')],
        verdict(t1='completion order alone is not enough')),
    'gather_creation_order': Mistake(  # gather's order, never sorted
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = await asyncio.gather(*tasks)\n')],
        verdict(t1=CREATION_ORDER)),
    'measure_total': Mistake(
        [('2-measure_runtime.py', 'return (time.perf_counter() - start) / n',
          'return time.perf_counter() - start')],
        verdict(t2='returned the total time')),
    'async_task_wait_random': Mistake(
        [('3-tasks.py', 'def task_wait_random', 'async def task_wait_random')],
        verdict(t3='must be a regular function')),
    'integer_delays': Mistake(
        [('0-basic_async_syntax.py', 'random.uniform(0, max_delay)',
          'random.randint(0, max_delay)')],
        verdict(t0='should return the float it drew with random.uniform',
                t1=None, t3=None)),
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
        verdict(t1='would hang forever')),
    'syntax_error': Mistake(
        [('2-measure_runtime.py', 'def measure_time(n: int, max_delay: int)',
          'def measure_time(n: int, max_delay: int')],
        verdict(t2='2-measure_runtime.py has a syntax error at line')),
    'missing_file': Mistake(
        [('3-tasks.py', '', None)],
        verdict(t0=None, t1=None, t2=None,
                t3='3-tasks.py: file not found',
                t4='3-tasks.py: file not found (imported by 4-tasks.py)')),
    'missing_file_underscore': Mistake(
        [('3_tasks.py', '', None)],
        verdict(t3='3_tasks.py: file not found',
                t4='3_tasks.py: file not found (imported by 4_tasks.py)'),
        FIXTURES / 'variant_callbacks'),
    'os_exit': Mistake(
        [('3-tasks.py', '    return asyncio.create_task',
          '    import os\n    os._exit(0)\n    return asyncio.create_task')],
        verdict(t3='ended early (exit status 0)')),
    'seeded_each_call': Mistake(
        [('0-basic_async_syntax.py', '    delay = random.uniform',
          '    random.seed(0)\n    delay = random.uniform')],
        verdict(t0='seeds the random generator (with 0)')),
    'cached_delay': Mistake(
        [('0-basic_async_syntax.py', 'import random\n',
          'import random\nfrom typing import Dict\n\nCACHE: Dict[float, '
          'float] = {}\n'),
         ('0-basic_async_syntax.py', 'delay = random.uniform(0, max_delay)',
          'delay = CACHE.setdefault(max_delay, random.uniform(0, '
          'max_delay))')],
        verdict(t0='draw a new delay on every call')),
    'batches_of_ten': Mistake(
        [('1-concurrent_coroutines.py', TASKS + AS_COMPLETED,
          '    for start in range(0, n, 10):\n'
          '        tasks = [asyncio.create_task(wait_random(max_delay))\n'
          '                 for _ in range(min(10, n - start))]\n' +
          AS_COMPLETED.replace('    ', '        ', 1).replace(
              '        bisect', '            bisect'))],
        verdict(t1='had at most 10 of its 1000 waits in flight at once')),
    'capped_n': Mistake(
        [('1-concurrent_coroutines.py', TASKS,
          '    n = min(n, 500)\n' + TASKS)],
        verdict(t1='had at most 500 of its 1000 waits in flight')),
    'set_drops_ties': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    for finished in asyncio.as_completed(tasks):\n'
          '        delay = await finished\n'
          '        if delay not in delays:\n'
          '            bisect.insort(delays, delay)\n')],
        verdict(t1='keep every delay, equal ones too')),
    'sorted_alias': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    arrange = sorted\n'
          '    delays = arrange(await asyncio.gather(*tasks))\n')],
        verdict(t1='sorts at run time (sorted() at '
                   '1-concurrent_coroutines.py:')),
    'sort_in_helper': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = ordering.arrange(await asyncio.gather(*tasks))\n'),
         ('1-concurrent_coroutines.py', 'import bisect\n',
          'import bisect\nimport ordering\n'),
         ('ordering.py', None, '"""Put values in order."""\n\n\n'
          'def arrange(values):\n    """Return values, smallest '
          'first."""\n    return sorted(values)\n')],
        verdict(t1='sorts at run time (sorted() at ordering.py:')),
    'getattr_sort': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = list(await asyncio.gather(*tasks))\n'
          "    getattr(delays, 'so' + 'rt')()\n")],
        verdict(t1='sorts at run time (sort() at')),
    'heapq_nsmallest': Mistake(
        [('1-concurrent_coroutines.py', AS_COMPLETED,
          '    delays = heapq.nsmallest(n, await asyncio.gather(*tasks))\n'),
         ('1-concurrent_coroutines.py', 'import bisect\n',
          'import bisect\nimport heapq\n')],
        verdict(t1='sorts at run time (sorted() at heapq.py:')),
    'generator_result': Mistake(
        [('1-concurrent_coroutines.py', '    return delays\n',
          '    return (delay for delay in delays)  # type: ignore\n')],
        verdict(t1='wait_n should return a list, got generator')),
    'measure_from_delays': Mistake(
        [('2-measure_runtime.py', '    start = time.perf_counter()\n'
          '    asyncio.run(wait_n(n, max_delay))\n'
          '    return (time.perf_counter() - start) / n',
          '    return max(asyncio.run(wait_n(n, max_delay))) / n')],
        verdict(t2=NO_CLOCK)),
    'cpu_clock': Mistake(  # CPU time: a sleep takes almost none
        [('2-measure_runtime.py', 'time.perf_counter()', 'time.process_time()'
          ), ('2-measure_runtime.py', 'time.perf_counter()',
              'time.process_time()')],
        verdict(t2='the CPU clock it read (time.process_time or the like)')),
    'walrus_operator': Mistake(  # Python 3.8 syntax, whatever pycodestyle
        # makes of it on a newer Python
        [('2-measure_runtime.py', '    return (time.perf_counter() - start)'
          ' / n\n', '    return (time.perf_counter() - start) / (runs := n)'
          '\n')],
        verdict(t2=('E999 pycodestyle 2.5.0 on Python 3.7',
                    'has a syntax error', 'could not be imported'))),
    'async_measure_time': Mistake(
        [('2-measure_runtime.py', 'def measure_time',
          'async def measure_time'),
         ('2-measure_runtime.py', '    asyncio.run(wait_n(n, max_delay))',
          '    await wait_n(n, max_delay)')],
        verdict(t2='measure_time should be a plain function (def, not async '
                   'def) that runs the event loop itself')),
    'plain_task_wait_n': Mistake(
        [('4-tasks.py', 'async def task_wait_n', 'async def collect'),
         ('4-tasks.py', '    return delays\n',
          '    return delays\n\n\ndef task_wait_n(n: int, max_delay: int) '
          '-> List[float]:\n    """Run collect to the end and return its '
          'delays."""\n    return asyncio.run(collect(n, max_delay))\n')],
        verdict(t4='task_wait_n should be a coroutine (async def)')),
    'union_annotation': Mistake(
        [('2-measure_runtime.py', 'max_delay: int)', 'max_delay: int | float)'
          )],
        verdict(t2=('would fail on Python 3.7', 'could not be imported'))),
    'builtin_generic': Mistake(
        [('4-tasks.py', '-> List[float]:', '-> list[float]:')],
        verdict(t4=('would fail on Python 3.7', 'could not be imported'))),
    'asyncio_generic': Mistake(
        [('3-tasks.py', '-> asyncio.Task:', '-> asyncio.Task[float]:')],
        verdict(t3=('asyncio.Task[...] at line 8 (needs Python 3.9)',
                    'could not be imported'),
                t4=None if sys.version_info >= (3, 9) else '')),
    'aliased_generic': Mistake(  # only an import by Python 3.7 sees it
        [('3-tasks.py', 'wait_random = ',
          'Job = asyncio.Task\nwait_random = '),
         ('3-tasks.py', '-> asyncio.Task:', '-> Job[float]:')],
        verdict(t3=('importing it with Python 3.7 raises TypeError',
                    'could not be imported'),
                t4=None if sys.version_info >= (3, 9) else '')),
    'task_generic_imported': Mistake(  # from asyncio import Task: 3.9
        [('3-tasks.py', 'import asyncio\n',
          'import asyncio\nfrom asyncio import Task\n'),
         ('3-tasks.py', '-> asyncio.Task:', '-> Task[float]:')],
        verdict(t3=('asyncio.Task[...] at line 9 (needs Python 3.9)',
                    'could not be imported'))),
    'create_task_name': Mistake(  # a keyword argument of Python 3.8
        [('3-tasks.py', 'asyncio.create_task(wait_random(max_delay))',
          "asyncio.create_task(wait_random(max_delay), name='wait')")],
        verdict(t3=('asyncio.create_task(name) at line 10 (needs Python '
                    '3.8)', "unexpected keyword argument 'name'"))),
    'aliased_task_group': Mistake(  # asyncio.TaskGroup by another name
        [('1-concurrent_coroutines.py', 'import bisect\n',
          'import asyncio as aio\nimport bisect\n'),
         ('1-concurrent_coroutines.py', TASKS,
          '    async with aio.TaskGroup() as group:\n'
          '        tasks = [group.create_task(wait_random(max_delay))\n'
          '                 for _ in range(n)]\n')],
        verdict(t1=('asyncio.TaskGroup member at line', 'TaskGroup'))),
    'module_level_generic': Mistake(  # evaluated at import on 3.7
        [('1-concurrent_coroutines.py', 'from typing import List\n',
          'from typing import List\n\nDelays = list[float]\n')],
        verdict(t1=('list[...] at line 7 (needs Python 3.9)',
                    'could not be imported'))),
    'docstring_after_imports': Mistake(
        [('2-measure_runtime.py', '"""Measure the average time of one wait '
          'in wait_n."""\nimport asyncio\nimport time\n',
          'import asyncio\nimport time\n"""Measure the average time of '
          'one wait in wait_n."""\n')],
        verdict(t2='as the first statement of the file, before the imports')),
    'crlf_endings': Mistake(
        [('2-measure_runtime.py', '\n', '\r\n', )],
        verdict(t2='has Windows line endings (CRLF)')),
    'advice_hangs': Mistake(  # correct, but hangs when a wait fails
        [('1-concurrent_coroutines.py', TASKS + AS_COMPLETED,
          '    done = asyncio.Event()\n\n'
          "    def finished(task: 'asyncio.Task[float]') -> None:\n"
          '        """Keep a delay that came; wake wait_n at the end."""\n'
          '        if not task.cancelled() and task.exception() is None:\n'
          '            bisect.insort(delays, task.result())\n'
          '        if len(delays) == n:\n'
          '            done.set()\n\n'
          '    for _ in range(n):\n'
          '        task = asyncio.ensure_future(wait_random(max_delay))\n'
          '        task.add_done_callback(finished)\n'
          '    if n:\n'
          '        await done.wait()\n')],
        verdict(t1=None)),
    'blocks_the_timer': Mistake(  # a blocking wait, not a busy loop
        # (ignore_sigalrm has one): the same hang, no CPU burned waiting
        [('1-concurrent_coroutines.py', '    delays: List[float] = []\n',
          '    delays: List[float] = []\n'
          '    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n'
          '    select.select([], [], [], 60)\n'),
         ('1-concurrent_coroutines.py', 'import bisect\n',
          'import bisect\nimport select\nimport signal\n')],
        verdict(t1='ignored the timer, so the grader stopped it')),
    'sys_exit': Mistake(
        [('2-measure_runtime.py', '    start = time.perf_counter()',
          '    import sys\n    sys.exit(0)\n    start = time.perf_counter()')],
        verdict(t2='SystemExit')),
}


def own_ways(name: str) -> Verdict:
    """Return a pass on each task whose module or main file a correct
    folder writes its own way (every task, for the correct one itself)."""
    def files(folder: Path, taskno: int) -> List[bytes]:
        """Return the contents of task taskno's module and main file."""
        return [path.read_bytes() for path in sorted(folder.iterdir())
                if path.name.startswith(('{}-'.format(taskno),
                                         '{}_'.format(taskno)))]
    return {taskno: None for taskno in range(5)
            if name == CORRECT.name or
            files(FIXTURES / name, taskno) != files(CORRECT, taskno)}


STYLES = {name: own_ways(name) for name in (
    'correct_hyphen', 'variant_callbacks', 'variant_wait', 'style_draws',
    'style_instance', 'style_py37', 'style_new_loop')}
ATTACKS: Dict[str, Verdict] = {  # the tasks that load the attacked module
    'ini_plugin_takeover': verdict(t0=None,
                                   t1='had at most 0 of its 5 waits'),
    'repo_cov_settings': verdict(t0=None),
    'reference_standin': {n: '' for n in range(5)},  # the cage holds no
    # reference to stand in: its stubs fail
    'rebind_grader_function': verdict(t1=TAMPERED, t2=TAMPERED),
    'hook_forge': verdict(t1=TAMPERED, t2=TAMPERED),
    'replace_sort_check': verdict(t1=TAMPERED, t2=TAMPERED),
    'forged_records': verdict(t1=TAMPERED, t2=TAMPERED),
    'detached_rewriter': verdict(t1='had at most 0 of its 5 waits'),
    'pipe_holder': verdict(t0=None, t3=None),
    'ignore_sigalrm': verdict(t1=''),
    'write_outside': verdict(t0=None),
    'lying_floats': verdict(t1=CREATION_ORDER, t4=CREATION_ORDER),
    'snoop_host_files': verdict(t0=None),
    'connect_host_sockets': verdict(t0=None),
    'read_peer_folders': verdict(t0=None),
    'exec_foreign_code': {n: "is not compiled from the folder's own file"
                          for n in range(5)},
    'forge_clean_records': verdict(t1=TAMPERED, t2=TAMPERED),
    'leave_traces': verdict(t0=None),
    'find_traces': verdict(t0=None),
    'memory_hog': verdict(t1='used more than 512 MiB of memory'),
    'many_processes': verdict(t1='started more than 256 processes'),
    'stop_supervisor': verdict(t1='the grading child stopped answering'),
    'huge_message': verdict(t0='more characters'),
    'escape_sequences': verdict(t0='\\x1b[2J'),
    'privileges': verdict(t0=None),
    'special_task_files': verdict(t3='3-tasks.py is not a regular file',
                                  t4='3-tasks.py is not a regular file'),
}
ADVICE = ('advice_hangs',)  # graded with the advice too
HANGS = ('blocks_the_timer', 'ignore_sigalrm', 'stop_supervisor')  # each
# costs a test's whole time limit, and fails at its second test: they are
# graded with a shorter limit (hanging_coroutine and advice_hangs wait for
# what nothing will set, which the virtual clock's loop notices at once)
IN_TURN = ('leave_traces', 'find_traces')  # one worker, one after the other,
# first: what the first leaves, the second must not find


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
        elif old is None:
            path.write_text(new, encoding='utf-8')
        else:
            text = path.read_text(encoding='utf-8')
            assert old in text, 'the {} edit no longer applies'.format(name)
            count = -1 if old == '\n' else 1  # line endings: all of them
            path.write_bytes(text.replace(old, new, count).encode('utf-8'))
    return folder
