#!/usr/bin/env python3
"""Show wait_random with its default max_delay, then with 5 and 15."""
import asyncio

wait_random = __import__('0_basic_async_syntax').wait_random

print(asyncio.run(wait_random()))
print(asyncio.run(wait_random(5)))
print(asyncio.run(wait_random(15)))
