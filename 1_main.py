#!/usr/bin/env python3
"""Show wait_n returning its delays in ascending order."""
import asyncio

wait_n = __import__('1_concurrent_coroutines').wait_n

print(asyncio.run(wait_n(5, 5)))
print(asyncio.run(wait_n(10, 7)))
print(asyncio.run(wait_n(10, 0)))
