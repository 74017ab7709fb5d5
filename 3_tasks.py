#!/usr/bin/env python3
"""Task 3: wrap a coroutine in an asyncio.Task from a regular function.

Creating a task schedules the coroutine on the running loop at once, so
the caller gets a handle it can await, cancel or inspect later, without
having to be a coroutine itself.
"""
import asyncio
from typing import Any, Callable, Coroutine

_basic = __import__('0_basic_async_syntax')
wait_random: Callable[[float], Coroutine[Any, Any, float]] = _basic.wait_random
check_max_delay: Callable[[object], None] = _basic.check_max_delay


def task_wait_random(max_delay: float) -> 'asyncio.Task[float]':
    """Return a Task, already scheduled, that runs wait_random(max_delay).

    A task belongs to an event loop, so this must be called while one is
    running (from a coroutine or a loop callback). The arguments are
    checked here, so a mistake is raised to the caller at once rather than
    from inside the task whenever it is awaited.
    """
    check_max_delay(max_delay)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            'task_wait_random() needs a running event loop: call it from a '
            'coroutine, for example one started with asyncio.run()') from None
    return loop.create_task(wait_random(max_delay))
