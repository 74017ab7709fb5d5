"""Task 1: wait_n runs n waits at once and returns the delays in order."""
from typing import Tuple

import pytest

from checks import WaitN, WaitNContract
from conftest import Solution


@pytest.mark.task(taskno=1)
class TestWaitN(WaitNContract):
    taskno = 1

    @pytest.fixture
    def subject(self, solution: Solution) -> Tuple[str, WaitN]:
        return 'wait_n', solution.module(1).wait_n
