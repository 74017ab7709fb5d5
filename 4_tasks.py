#!/usr/bin/env python3
"""Task 4: wait_n again, built on the tasks that task_wait_random returns.

The tasks come from task_wait_random instead of being created here, and
the same ordered collection as wait_n turns them into an ascending list.
"""
import asyncio
from typing import Awaitable, Callable, List, Sequence

_concurrent = __import__('1_concurrent_coroutines')
_tasks = __import__('3_tasks')
task_wait_random: Callable[[float], 'asyncio.Task[float]'] = \
    _tasks.task_wait_random
collect_ascending: Callable[[Sequence['asyncio.Task[float]']],
                            Awaitable[List[float]]] = \
    _concurrent.collect_ascending
check_n: Callable[[object], None] = _concurrent.check_n
check_max_delay: Callable[[object], None] = _concurrent.check_max_delay


async def task_wait_n(n: int, max_delay: float) -> List[float]:
    """Run task_wait_random(max_delay) n times; return ascending delays.

    Every task is created (and so scheduled) before any is awaited, so the
    waits overlap exactly as in wait_n, and a failure or cancellation
    cancels and awaits every task still running.
    """
    check_n(n)
    check_max_delay(max_delay)
    return await collect_ascending(
        [task_wait_random(max_delay) for _ in range(n)])
