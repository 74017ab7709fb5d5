"""Commands the tests run in the background, all started at collection.

Grading a folder takes a process of its own, mostly waiting or working
on the other core, so the tests that grade do not run their commands one
after another: each such command is registered here (`command`), which
makes a fixture of the same name; conftest starts every command whose
fixture a selected test takes as soon as the tests are collected, and the
test then waits for what its command left. The module tests run
meanwhile.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import (Any, Callable, Dict, Iterable, List, NamedTuple,
                    Optional, Tuple)

import pytest

Command = Tuple[List[str], Path]  # the arguments after python3, the cwd
Starter = Callable[[Path], Command]


class Finished(NamedTuple):
    """What a command left: its output, exit status and scratch folder."""

    output: str
    status: int
    scratch: Path


def counted(name: str) -> Optional[Callable[[], None]]:
    """Return what puts a command's process in a cgroup of its own, named
    name, below SUITE_CPU_CGROUP, when that is set (benchmarks/
    bench_suite.py sets it, to count each command's CPU time); else None."""
    parent = os.environ.get('SUITE_CPU_CGROUP')
    if not parent:
        return None

    def join() -> None:
        """Join the command's cgroup (run in the new process)."""
        group = os.path.join(parent, name)
        os.makedirs(group, exist_ok=True)
        with open(os.path.join(group, 'cgroup.procs'), 'w') as procs:
            procs.write(str(os.getpid()))
    return join


class Run:
    """One command, started in a scratch folder of its own."""

    def __init__(self, starter: Starter) -> None:
        """Prepare the scratch folder with starter, and start the command."""
        self.scratch = Path(tempfile.mkdtemp(prefix='suite-'))
        try:
            args, cwd = starter(self.scratch)
        except BaseException:
            shutil.rmtree(str(self.scratch), ignore_errors=True)
            raise
        self.process = subprocess.Popen(
            [sys.executable] + args, cwd=str(cwd), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, universal_newlines=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'),
            preexec_fn=counted(starter.__name__))
        self.done: Optional[Finished] = None

    def finished(self) -> Finished:
        """Wait for the command to end; return what it left."""
        if self.done is None:
            output, _ = self.process.communicate(timeout=300)
            self.done = Finished(output, self.process.wait(), self.scratch)
        return self.done

    def close(self) -> None:
        """Stop the command if it still runs, and remove its scratch."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        shutil.rmtree(str(self.scratch), ignore_errors=True)


STARTERS: Dict[str, Starter] = {}
RUNS: Dict[str, Run] = {}
BROKEN: Dict[str, Exception] = {}


def command(starter: Starter) -> Any:
    """Register a command, and return a fixture of the same name.

    The starter makes what the command needs in the scratch folder it is
    given and returns the command; a test that takes the fixture gets
    what the command left, waiting for it if need be.
    """
    name = starter.__name__
    STARTERS[name] = starter

    @pytest.fixture(scope='session', name=name)
    def fixture() -> Finished:
        """Return what the command left."""
        start([name])
        if name in BROKEN:
            raise BROKEN[name]
        return RUNS[name].finished()
    return fixture


def start(names: Iterable[str]) -> None:
    """Start the commands named (conftest calls this once collected).

    A command that cannot be started fails the tests that take its
    fixture, not the whole session.
    """
    for name in names:
        if name in STARTERS and name not in RUNS and name not in BROKEN:
            try:
                RUNS[name] = Run(STARTERS[name])
            except Exception as error:
                BROKEN[name] = error


def stop() -> None:
    """Stop and clean up every command (conftest calls this at the end)."""
    while RUNS:
        RUNS.popitem()[1].close()
