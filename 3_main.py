#!/usr/bin/env python3
"""Show that task_wait_random returns an asyncio.Task."""
import asyncio

task_wait_random = __import__('3_tasks').task_wait_random


async def test(max_delay: int) -> None:
    """Create the task, print its class, then let it finish."""
    task = task_wait_random(max_delay)
    await task
    print(task.__class__)

asyncio.run(test(5))
