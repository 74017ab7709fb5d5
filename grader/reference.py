"""Plain versions of tasks 0, 1 and 3 that stand in for a folder's own.

While task N is tested, every earlier task's function of the folder is
replaced by the one here (wherever a name binds it), so that each task is
judged on its own code: a measure_time is timed over a wait_n that works,
a task_wait_n builds on a task_wait_random that works. They are the
simplest correct forms, and they reach asyncio.sleep and random through
their modules, so the fakes patched in apply to them too.
"""
import asyncio
import bisect
import random
from typing import Any, List


async def wait_random(max_delay: float = 10) -> float:
    """Sleep a random delay in [0, max_delay] and return it."""
    delay = random.uniform(0, max_delay)
    await asyncio.sleep(delay)
    return delay


async def wait_n(n: int, max_delay: float) -> List[float]:
    """Run n wait_random at once; return their delays in ascending order."""
    delays: List[float] = []

    async def one() -> None:
        """Wait once and put the delay in its place."""
        bisect.insort(delays, await wait_random(max_delay))

    await asyncio.gather(*(one() for _ in range(n)))
    return delays


def task_wait_random(max_delay: float) -> 'asyncio.Task[Any]':
    """Return a task that runs wait_random(max_delay)."""
    return asyncio.ensure_future(wait_random(max_delay))
