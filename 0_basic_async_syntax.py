#!/usr/bin/env python3
"""Task 0: the smallest useful coroutine, one random wait.

wait_random is the building block every later task spawns many times, so
it also owns the check of max_delay that all of them share.
"""
import asyncio
import math
import random
import sys


PLAIN_NUMBERS = (int, float)
LARGEST_FLOAT = sys.float_info.max


def check_max_delay(max_delay: object) -> None:
    """Raise TypeError or ValueError unless max_delay is a usable delay.

    A delay must be a real number (int or float, but not bool, which is an
    int by accident of history) that is finite and not negative; anything
    else would make random.uniform or asyncio.sleep fail later, far from
    the caller's mistake, or sleep forever. This runs once per wait, so
    the usual case costs one type test and one comparison (which NaN, inf
    and negatives all fail); only the rest goes on to find the error.
    """
    if type(max_delay) in PLAIN_NUMBERS and \
            0 <= max_delay <= LARGEST_FLOAT:  # type: ignore[operator]
        return
    if isinstance(max_delay, bool) or not isinstance(max_delay, (int, float)):
        raise TypeError('max_delay must be an int or a float, got {!r} ({})'
                        .format(max_delay, type(max_delay).__name__))
    if not math.isfinite(max_delay) or max_delay < 0:
        raise ValueError('max_delay must be a finite number >= 0, got {!r}'
                         .format(max_delay))


async def wait_random(max_delay: float = 10) -> float:
    """Sleep for a random delay between 0 and max_delay seconds, return it.

    The delay comes from random.uniform, so it is a float even when
    max_delay is an int, and the value returned is exactly the one slept.
    """
    check_max_delay(max_delay)
    delay = random.uniform(0, max_delay)
    await asyncio.sleep(delay)
    return delay
