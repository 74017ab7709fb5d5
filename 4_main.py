#!/usr/bin/env python3
"""Show task_wait_n returning its delays in ascending order."""
import asyncio

task_wait_n = __import__('4_tasks').task_wait_n

n = 5
max_delay = 6
print(asyncio.run(task_wait_n(n, max_delay)))
