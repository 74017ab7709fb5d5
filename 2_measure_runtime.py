#!/usr/bin/env python3
"""Task 2: measure how long wait_n takes, per wait.

Because the n waits overlap, the total is close to the longest delay and
the time per wait shrinks as n grows; that ratio is what this shows.
"""
import asyncio
import concurrent.futures
import time
from typing import Any, Callable, Coroutine, List

_concurrent = __import__('1_concurrent_coroutines')
wait_n: Callable[[int, float], Coroutine[Any, Any, List[float]]] = \
    _concurrent.wait_n
check_n: Callable[[object], None] = _concurrent.check_n
check_max_delay: Callable[[object], None] = _concurrent.check_max_delay


def _timed_run(n: int, max_delay: float) -> float:
    """Run wait_n once on a new event loop and return the seconds it took."""
    start = time.perf_counter()
    asyncio.run(wait_n(n, max_delay))
    return time.perf_counter() - start


def measure_time(n: int, max_delay: float) -> float:
    """Return the wall time of one wait_n(n, max_delay) divided by n.

    It is a plain function that runs its own event loop. If a loop is
    already running in this thread (a Jupyter cell, say), asyncio.run
    cannot nest, so the run happens on a helper thread with a loop of its
    own instead, and this thread waits for it.
    """
    check_n(n)
    check_max_delay(max_delay)
    if n == 0:
        raise ValueError('n must be > 0 to average over n waits, got 0')
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        total = _timed_run(n, max_delay)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            total = pool.submit(_timed_run, n, max_delay).result()
    return total / n
