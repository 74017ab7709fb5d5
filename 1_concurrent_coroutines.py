#!/usr/bin/env python3
"""Task 1: run n waits at once and return their delays in ascending order.

The n waits overlap, so wait_n takes about as long as the longest delay,
not the sum of all of them. Their completion order is almost their delay
order, but not quite: the tasks start one after another, so a task that
started later with a slightly shorter delay can still finish later. The
results are therefore kept in order as they arrive, each one inserted
where it belongs (bisect), which repairs those inversions and never calls
sort() or sorted().
"""
import asyncio
import bisect
from typing import Any, Callable, Coroutine, List, Sequence

_basic = __import__('0_basic_async_syntax')
wait_random: Callable[[float], Coroutine[Any, Any, float]] = _basic.wait_random
check_max_delay: Callable[[object], None] = _basic.check_max_delay


def check_n(n: object) -> None:
    """Raise TypeError or ValueError unless n is a usable count of waits.

    n must be a plain int (a bool is rejected, since True is almost never
    meant as 1) and must not be negative; n == 0 is valid and means none.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError('n must be an int, got {!r} ({})'
                        .format(n, type(n).__name__))
    if n < 0:
        raise ValueError('n must be >= 0, got {!r}'.format(n))


class Ascending:
    """Values kept in ascending order as they arrive, one insertion each.

    A single list with bisect.insort would do, but every insertion shifts
    all the larger values one place. With a few waits they are few; at
    n = 10**5 start skew puts arrivals all over the list, and the shifting
    cost more than the waits' own bookkeeping. So the values live in
    ascending blocks, every block wholly below the next, and an insertion
    shifts the values of one block only.
    """

    BLOCK = 256

    def __init__(self) -> None:
        """Start with no value and no block."""
        self.blocks: List[List[float]] = []
        self.lasts: List[float] = []  # the largest value of each block

    def add(self, value: float) -> None:
        """Insert value in its place: in the first block that can hold it."""
        index = bisect.bisect_left(self.lasts, value)
        if index == len(self.blocks):  # above everything: at the very end
            if index and len(self.blocks[-1]) < self.BLOCK:
                self.blocks[-1].append(value)
                self.lasts[-1] = value
            else:
                self.blocks.append([value])
                self.lasts.append(value)
            return
        block = self.blocks[index]
        bisect.insort(block, value)
        if len(block) > 2 * self.BLOCK:  # split it, to keep blocks short
            self.blocks[index:index + 1] = [block[:self.BLOCK],
                                            block[self.BLOCK:]]
            self.lasts[index:index + 1] = [block[self.BLOCK - 1], block[-1]]

    def as_list(self) -> List[float]:
        """Return all the values, in ascending order, as one list."""
        return [value for block in self.blocks for value in block]


async def collect_ascending(tasks: 'Sequence[asyncio.Task[float]]'
                            ) -> List[float]:
    """Wait for every task and return their results in ascending order.

    Each result is inserted in place as its task finishes, so the values
    are ordered at every step even if the tasks finish in reverse. If any
    task fails, or this call is cancelled, every task still running is
    cancelled and awaited before the error propagates, so no task outlives
    the call.
    """
    delays = Ascending()
    add = delays.add
    if not tasks:
        return []
    finished = asyncio.get_running_loop().create_future()
    remaining = len(tasks)

    def on_done(task: 'asyncio.Task[float]') -> None:
        """Insert the task's result, or end the wait if it failed."""
        nonlocal remaining
        remaining -= 1
        try:
            add(task.result())
        except asyncio.CancelledError:
            if not finished.done():
                finished.cancel()
        except BaseException as error:
            if not finished.done():
                finished.set_exception(error)
        else:
            if not remaining and not finished.done():
                finished.set_result(None)

    for task in tasks:
        task.add_done_callback(on_done)
    try:
        await finished
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise
    return delays.as_list()


async def wait_n(n: int, max_delay: float) -> List[float]:
    """Run wait_random(max_delay) n times concurrently; return the delays.

    All n coroutines are scheduled as tasks before any of them is awaited,
    so their sleeps overlap; the list comes back in ascending order.
    """
    check_n(n)
    check_max_delay(max_delay)
    loop = asyncio.get_running_loop()
    return await collect_ascending(
        [loop.create_task(wait_random(max_delay)) for _ in range(n)])
