"""Task 1: wait_n runs n waits at once and returns the delays in order."""
import random
from typing import Callable, List, Tuple

import pytest

from checks import WaitN, WaitNContract
from conftest import Solution


@pytest.mark.task(taskno=1)
class TestWaitN(WaitNContract):
    taskno = 1

    @pytest.fixture
    def subject(self, solution: Solution) -> Tuple[str, WaitN]:
        return 'wait_n', solution.module(1).wait_n


ORDERS = {
    'ascending': lambda values: sorted(values),
    'descending': lambda values: sorted(values, reverse=True),
    'shuffled': lambda values: random.Random(1).sample(values, len(values)),
    'sawtooth': lambda values: [v for start in range(0, len(values), 700)
                                for v in sorted(values[start:start + 700],
                                                reverse=True)],
}


@pytest.mark.task(taskno=1)
@pytest.mark.own
@pytest.mark.parametrize('order', sorted(ORDERS))
def test_ascending_keeps_any_arrival_order_exact(
        solution: Solution, order: str) -> None:
    """Our Ascending, fed 5,000 values (with repeats), gives them in order.

    It is this project's own helper, not part of the exercise, so it is
    marked own, and left out when grading another folder.
    """
    rng = random.Random(0)
    values = [rng.choice([0.0, 0.2]) if i % 97 == 0 else rng.random()
              for i in range(5000)]
    arrange: Callable[[List[float]], List[float]] = ORDERS[order]
    ascending = solution.module(1).Ascending()
    for value in arrange(values):
        ascending.add(value)
    assert ascending.as_list() == sorted(values)
    assert all(len(block) <= 2 * ascending.BLOCK
               for block in ascending.blocks)
