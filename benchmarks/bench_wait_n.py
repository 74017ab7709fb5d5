#!/usr/bin/env python3
"""Benchmark wait_n and task_wait_n against asyncio's own floor.

For each n, in one process and one event loop, the contenders run in
turns, round after round, so that whatever else the machine is doing
weighs on all of them alike:

- floor: a bare asyncio.gather of n coroutines that each draw
  random.uniform(0, max_delay) and sleep it (its results are unordered);
- as_completed: the usual solution, asyncio.as_completed + append
  (ascending only by luck);
- wait_n and task_wait_n from this project.

Every contender draws the same delays in a given round (the generator is
reseeded before each run), and the garbage collector is off while a run
is timed, as timeit does (--gc keeps it on). The table gives the median
wall time over the rounds (5, or 3 from n = 10**5 up), its ratio to the
floor's median, the most descents in any list returned (places where a
value is smaller than the one before it), and the peak memory of one
extra run, made after all the timing in a new process of its own: how far
it raised the process's resident set (RSS) at its peak. That reading
needs Linux.

Run from the project folder:

    python3 benchmarks/bench_wait_n.py [--json FILE] [--loop uvloop]
"""
import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import (Any, Awaitable, Callable, Dict, List, Optional,
                    Sequence)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
wait_n = __import__('1_concurrent_coroutines').wait_n
collect_ascending = __import__('1_concurrent_coroutines').collect_ascending
task_wait_n = __import__('4_tasks').task_wait_n
from grader.arguments import count, positive  # noqa: E402

Contender = Callable[[int, float], Awaitable[List[float]]]


async def floor(n: int, max_delay: float) -> List[float]:
    """The least asyncio can do: n random sleeps under one gather."""
    async def one() -> float:
        """Draw a delay, sleep it, return it."""
        delay = random.uniform(0, max_delay)
        await asyncio.sleep(delay)
        return delay
    return list(await asyncio.gather(*(one() for _ in range(n))))


async def as_completed_append(n: int, max_delay: float) -> List[float]:
    """The usual solution: append results in the order tasks finish."""
    wait_random = __import__('0_basic_async_syntax').wait_random
    delays = []
    for next_done in asyncio.as_completed(
            [wait_random(max_delay) for _ in range(n)]):
        delays.append(await next_done)
    return delays


async def unchecked(n: int, max_delay: float) -> List[float]:
    """wait_n's collection over the floor's coroutines, which check nothing.

    Against wait_n, this shows what wait_random's argument check costs;
    against the floor, what keeping the order costs.
    """
    async def one() -> float:
        """Draw a delay, sleep it, return it."""
        delay = random.uniform(0, max_delay)
        await asyncio.sleep(delay)
        return delay
    loop = asyncio.get_running_loop()
    return list(await collect_ascending(
        [loop.create_task(one()) for _ in range(n)]))


CONTENDERS: Dict[str, Contender] = {
    'floor': floor, 'as_completed': as_completed_append,
    'wait_n': wait_n, 'task_wait_n': task_wait_n,
    'unchecked': unchecked}
DEFAULT = ['floor', 'as_completed', 'wait_n', 'task_wait_n']


def descents(values: Sequence[float]) -> int:
    """Count the places where a value is smaller than the one before it."""
    return sum(1 for a, b in zip(values, values[1:]) if b < a)


def run_once(loop: asyncio.AbstractEventLoop, contender: Contender, n: int,
             max_delay: float, seed: int) -> List[float]:
    """Run one contender once on loop, with the delays of seed."""
    random.seed(seed)
    return loop.run_until_complete(contender(n, max_delay))


def measure(loop: asyncio.AbstractEventLoop, names: List[str], n: int,
            max_delay: float, rounds: int,
            keep_gc: bool) -> Dict[str, Dict[str, Any]]:
    """Time every contender rounds times, in turns; return their rows.

    The garbage collector is off during each timed run unless keep_gc,
    as timeit does: at n = 10**5 a full collection takes a large part of
    a second, and where it lands is luck, not the contender's doing.
    """
    times: Dict[str, List[float]] = {name: [] for name in names}
    worst: Dict[str, int] = {name: 0 for name in names}
    for round_no in range(rounds):
        order = names[round_no % len(names):] + names[:round_no % len(names)]
        for name in order:
            gc.collect()
            if not keep_gc:
                gc.disable()
            try:
                started = time.perf_counter()
                result = run_once(loop, CONTENDERS[name], n, max_delay,
                                  round_no)
                times[name].append(time.perf_counter() - started)
            finally:
                gc.enable()
            assert len(result) == n
            worst[name] = max(worst[name], descents(result))
    floor_median = statistics.median(times['floor'])
    return {name: {'median_s': statistics.median(times[name]),
                   'ratio': statistics.median(times[name]) / floor_median,
                   'descents': worst[name]} for name in names}


def proc_status(key: str) -> int:
    """Return a KiB figure (VmRSS, VmHWM) of this process, from Linux."""
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise KeyError(key)


def peak_memory(name: str, n: int, max_delay: float, kind: str) -> float:
    """Return how many MiB one run raised this process's RSS, at its peak.

    It runs in a new process of its own (spawned, so that no memory freed
    by earlier runs is there to reuse), after all the timing. Linux
    keeps a high-water mark of the RSS (VmHWM); writing 5 to clear_refs
    resets it to the current RSS, so the mark after the run, less the RSS
    before it, is what the run needed at most.
    """
    loop = new_loop(kind)
    gc.collect()
    with open('/proc/self/clear_refs', 'w') as clear:
        clear.write('5')
    before = proc_status('VmRSS')
    run_once(loop, CONTENDERS[name], n, max_delay, 0)
    peak = proc_status('VmHWM')
    loop.close()
    return (peak - before) / 1024


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    """Return a new event loop of the kind asked for."""
    if kind == 'uvloop':
        import uvloop  # type: ignore[import-not-found, unused-ignore]
        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop
    return asyncio.new_event_loop()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark, print the table, write JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=count, nargs='+', metavar='N',
                        default=[10 ** 2, 10 ** 3, 10 ** 4, 10 ** 5],
                        help='the numbers of waits to time (default 100 '
                             '1000 10000 100000)')
    parser.add_argument('--max-delay', type=positive, default=0.2,
                        metavar='S', help='the longest delay in seconds '
                                          '(default 0.2)')
    parser.add_argument('--rounds', type=count, metavar='R',
                        help='rounds per size (default 5; 3 from 10**5 up)')
    parser.add_argument('--gc', action='store_true',
                        help='keep the garbage collector on in timed runs')
    parser.add_argument('--loop', choices=['asyncio', 'uvloop'],
                        default='asyncio',
                        help='the event loop to time on (default asyncio)')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the results to FILE as JSON')
    parser.add_argument('--unchecked', action='store_true',
                        help="also time wait_n's ordering without its "
                             'argument checks')
    args = parser.parse_args(argv)
    names = DEFAULT + (['unchecked'] if args.unchecked else [])
    loop = new_loop(args.loop)
    asyncio.set_event_loop(loop)
    header = {'python': platform.python_version(),
              'implementation': platform.python_implementation(),
              'machine': platform.machine(), 'system': platform.system(),
              'cpus': os.cpu_count(), 'loop': args.loop,
              'max_delay': args.max_delay,
              'gc': 'on' if args.gc else 'off'}
    print('Python {python} ({implementation}) on {system} {machine} with '
          '{cpus} CPUs, {loop} loop, max_delay {max_delay} s, gc {gc} in '
          'timed runs'.format(**header))
    print('{:>7}  {:<12} {:>9} {:>7} {:>9} {:>9}'.format(
        'n', 'contender', 'median s', 'ratio', 'descents', '+RSS MiB'))
    results = []
    started = time.perf_counter()
    for n in args.sizes:
        rounds = args.rounds or (3 if n >= 10 ** 5 else 5)
        for name, row in measure(loop, names, n, args.max_delay, rounds,
                                 args.gc).items():
            results.append(dict(row, n=n, contender=name, rounds=rounds))
        print('timed n = {} ({} rounds)'.format(n, rounds), file=sys.stderr)
    loop.close()
    context = multiprocessing.get_context('spawn')
    with context.Pool(2, maxtasksperchild=1) as pool:
        peaks = pool.starmap(peak_memory, [
            (row['contender'], row['n'], args.max_delay, args.loop)
            for row in results], chunksize=1)
    for row, peak in zip(results, peaks):
        row['peak_rss_mib'] = peak
    for row in results:
        print('{n:>7}  {contender:<12} {median_s:>9.4f} {ratio:>6.2f}x '
              '{descents:>9} {peak_rss_mib:>9.1f}'.format(**row))
    print('({:.0f} s in all)'.format(time.perf_counter() - started))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as out:
            json.dump(dict(header, results=results), out, indent=2)
            out.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
