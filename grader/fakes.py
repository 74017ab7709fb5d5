"""Fakes that let the tests drive time instead of waiting for it.

VirtualClockLoop is a real event loop whose clock is virtual: when every
task waits for a timer, the clock jumps to the next one instead of
blocking. virtual_clock() makes every new loop one, so the main files run
with the real asyncio.sleep in a few milliseconds (run_main_forked() runs
one of them that way), and the tests' loops run on it too.

FakeTime replaces asyncio.sleep: every sleeper is recorded and woken by a
timer of that loop at its deadline, on the test's virtual clock, which is
also the loop's time and what the patched time functions report. Nothing
depends on the wall clock, so the tests give the same answer on a busy
machine as on an idle one.

FakeRandom replaces random.uniform with values the test chooses.
"""
import _random
import asyncio
import datetime
import itertools
import os
import random
import runpy
import selectors
import signal
import sys
import tempfile
import threading
import time
import timeit
import traceback
import types
import warnings
from typing import (Any, Callable, Dict, Iterable, Iterator, List,
                    Optional, Sequence, Set, Tuple)

from grader import exit_code

real_sleep = asyncio.sleep
real_blocking_sleep = time.sleep
OWN_CODE = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
            os.path.join(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__))), 'tests') + os.sep)
WALL_CLOCKS = {getattr(time, name) for name in (
    'CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_MONOTONIC_RAW',
    'CLOCK_BOOTTIME') if hasattr(time, name)}
PRIVATE_FDS: List[int] = []  # closed in a main file's fork
ASYNCIO = os.path.dirname(asyncio.__file__) + os.sep
LOOPS_AT_IMPORT: Set[str] = set()  # the files whose top level ran a loop
real_uniform = random.uniform
real_random = random.random
real_seed = random.seed


class Sleeper:
    """One call of the fake sleep that has not been woken yet."""

    def __init__(self, index: int, delay: float, deadline: float,
                 future: 'asyncio.Future[None]') -> None:
        """Remember which call this was, its delay and its wake-up time."""
        self.index = index
        self.delay = delay
        self.deadline = deadline
        self.future = future


class NothingToWaitFor(RuntimeError):
    """Raised by a VirtualClockLoop that nothing could ever wake."""


class NeverWakes(RuntimeError):
    """Raised by the fake sleep for an infinite delay, which would hang."""


class BlocksTheLoop(RuntimeError):
    """Raised by time.sleep called while an event loop runs, in a test."""


class BusyWait(RuntimeError):
    """Raised by the fake sleep when yields go on while no time passes."""


SPINS = 5000  # yields in a row, the clock standing still, that make a
# busy wait: code yields once or twice a wait, and n is 1,000 at most
SPIN_TIME = 0.001  # seconds a turn of a busy-waiting loop takes, past that


class Stillness:
    """Counts turns in a row at one reading of a clock: a yield of the
    fake sleep, or a turn of the loop with work ready."""

    def __init__(self) -> None:
        """Start with no turn counted."""
        self.at = 0.0
        self.turns = 0

    def turn(self, now: float) -> int:
        """Count a turn at time now; return how many in a row were at it."""
        if now != self.at:
            self.at, self.turns = now, 0
        self.turns += 1
        return self.turns


class FakeTime:
    """A stand-in for asyncio.sleep (and the clock) that the test steers.

    Each sleep is recorded, then parked on a timer of the event loop at its
    deadline, on the virtual clock this object holds (see VirtualClockLoop:
    the loop's time is this clock, and it jumps to the next timer whenever
    nothing is ready). So the sleepers wake in deadline order, as on a real
    loop, and everything else the code times on the loop (a wait_for or
    asyncio.wait timeout, a call_later) runs on the same clock.

    order says when a sleeper wakes: 'deadline' (as real time would), or
    'hold' (never: the test cancels them). fail_on names call indexes
    whose sleep raises RuntimeError instead of returning, to test
    failures. tick is virtual time every sleep takes
    beyond its delay (as a real sleep overshoots), so that a run's time is
    not just its delays; skew is how much virtual time starting each wait
    takes (on a real loop the n-th of 20,000 waits starts milliseconds
    after the first), so that a shorter wait that starts later can finish
    after a longer one, and a timeout set before the waits started comes
    sooner for the later ones; reads counts the clock readings.
    """

    def __init__(self, order: str = 'deadline',
                 fail_on: Iterable[int] = ()) -> None:
        """Start the virtual clock at 0 with no sleeper recorded."""
        self.order = order
        self.fail_on = set(fail_on)
        self.now = 0.0
        self.slept: List[float] = []
        self.tasks: List[Optional['asyncio.Task[Any]']] = []
        self.in_flight = 0  # sleepers parked now
        self.max_in_flight = 0
        self.reads = 0
        self.cpu_reads = 0  # readings of a CPU clock (process_time)
        self.tick = 0.0
        self.skew = 0.0
        self.woke: List[float] = []  # the waits' delays, in the order they
        # finished
        self.thread_sleeps: List[float] = []  # time.sleep in other threads
        self._yields = Stillness()
        self._due: Dict[Tuple[Any, float],
                        Tuple[asyncio.Handle, List[Sleeper]]] = {}

    async def sleep(self, delay: float, result: Any = None) -> Any:
        """Wait until the clock reaches the deadline, then return result.

        A sleep of 0 or less is a yield, as with asyncio: recorded, never
        parked, so it is not a wait in flight. Yields that go on while
        the clock stands still (SPINS of them) are a busy wait, which on
        a virtual clock never ends: BusyWait says so at once. A sleep of
        float('inf') raises NeverWakes at once: for real it would hang
        forever, and the test should say so rather than run out of time.
        """
        index = len(self.slept)
        self.slept.append(delay)
        self.tasks.append(asyncio.current_task())
        if not delay > 0:
            if self._yields.turn(self.now) > SPINS:
                raise BusyWait(
                    'asyncio.sleep(0) was called {} times in a row while no '
                    'time passed: a busy wait, which spins the event loop '
                    '(a real one burns a CPU for the whole delay) and here, '
                    'where time passes only while every task waits, never '
                    'ends; wait with await asyncio.sleep(delay), or await '
                    'the tasks'.format(SPINS))
            await real_sleep(0)
            return self._result(index, result)
        if delay == float('inf'):  # the loop would never wake it
            raise NeverWakes('asyncio.sleep(inf) would never return: it '
                             'waits forever')
        if self.order not in ('deadline', 'hold'):
            raise ValueError('unknown order {!r}'.format(self.order))
        loop = asyncio.get_event_loop()
        self.now += self.skew  # the work of starting it, as on a busy loop
        deadline = self.now + delay + self.tick
        sleeper = Sleeper(index, delay, deadline, loop.create_future())
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
        if self.order != 'hold':
            self._wake_at(loop, sleeper)
        try:
            await sleeper.future
        finally:
            self._forget(loop, sleeper)
        self.woke.append(delay)
        return self._result(index, result)

    def _wake_at(self, loop: asyncio.AbstractEventLoop,
                 sleeper: Sleeper) -> None:
        """Schedule a sleeper's wake-up at its deadline.

        Sleepers due at the same time share one timer, which wakes them
        in the order they slept: a thousand waits of ten delays cost ten
        timers. On a loop of another kind (one the code built itself,
        whose time is not this clock) the sleeper wakes at once, the
        clock moved to its deadline.
        """
        key = (loop, sleeper.deadline)
        due = self._due.get(key)
        if due is not None:
            due[1].append(sleeper)
            return
        timer: asyncio.Handle = loop.call_at(
            sleeper.deadline, self._wake, key) if isinstance(
                loop, VirtualClockLoop) else loop.call_soon(self._wake, key)
        self._due[key] = (timer, [sleeper])

    def _wake(self, key: Tuple[Any, float]) -> None:
        """Move the clock to a deadline, and wake the sleepers due then."""
        _, sleepers = self._due.pop(key)
        self.now = max(self.now, key[1])
        for sleeper in sleepers:
            if not sleeper.future.done():
                sleeper.future.set_result(None)

    def _forget(self, loop: asyncio.AbstractEventLoop,
                sleeper: Sleeper) -> None:
        """Drop a sleeper that woke or was cancelled (and its timer, if
        no other sleeper shares it): one that woke left with its timer."""
        self.in_flight -= 1
        due = self._due.get((loop, sleeper.deadline))
        if due is not None and sleeper in due[1]:
            due[1].remove(sleeper)
            if not due[1]:
                due[0].cancel()
                del self._due[(loop, sleeper.deadline)]

    def _result(self, index: int, result: Any) -> Any:
        """Return what sleep number index returns, or raise if the test
        asked it to fail (fail_on)."""
        if index in self.fail_on:
            raise RuntimeError('sleep number {} failed'.format(index))
        return result

    @property
    def waits(self) -> List[float]:
        """Return the delays of the sleeps that waited: a sleep of 0 (or
        less) is a yield, not a wait."""
        return [delay for delay in self.slept if delay > 0]

    def clock(self) -> float:
        """Return the virtual time in seconds, as perf_counter would."""
        self._count_read()
        return self.now

    def clock_ns(self) -> int:
        """Return the virtual time in nanoseconds, as perf_counter_ns would."""
        self._count_read()
        return int(self.now * 1e9)

    def _count_read(self) -> None:
        """Count a reading, unless the event loop itself took it."""
        if self._by_code():
            self.reads += 1

    def count_cpu_read(self) -> None:
        """Count a reading of a CPU clock by the code (it stays real)."""
        if self._by_code():
            self.cpu_reads += 1

    @staticmethod
    def _by_code() -> bool:
        """Tell whether the clock read now was read by the code, not by
        the event loop's machinery.

        A loop reads its clock (time.monotonic) in its own time() method;
        that method called by the folder's code (loop.time()) is a
        reading, called by the loop's own machinery it is not.
        """
        frame = sys._getframe(2)
        while frame.f_back is not None and frame.f_code.co_filename == \
                __file__:  # the clock dispatchers here
            frame = frame.f_back
        if frame.f_code.co_name == 'time' and frame.f_back is not None and \
                frame.f_code.co_filename.startswith(ASYNCIO):
            frame = frame.f_back
        return not frame.f_code.co_filename.startswith(ASYNCIO)


async def settle(rounds: int = 20) -> None:
    """Let the running loop go round a few times with the real sleep(0)."""
    for _ in range(rounds):
        await real_sleep(0)


FRACTIONS = (  # full precision: no rounding or cut of a delay gives them
    0.7071067811865476, 0.1357913579135791, 0.9486832980505138,
    0.3090169943749474, 0.5528730305397846, 0.0523598775598299,
    0.8090169943749475, 0.4472135954999579, 0.2236067977499790,
    0.6472135954999579)


class FakeRandom:
    """A stand-in for every draw of the random module.

    It is patched in as the generator's random() (see patch), which
    uniform() and the rest call too, so a delay drawn as uniform(0, m),
    random() * m, m * random() or with a Random() instance of its own is
    exactly f * m for the fraction f it drew. Each fraction is recorded in
    draws, and every seed given (seed(0), Random(0)) in seeds. Fractions
    repeat when they run out; after reseed(seed) they come from a seeded
    generator instead, for tests that need many distinct values.
    """

    def __init__(self, fractions: Sequence[float] = FRACTIONS) -> None:
        """Start with no draw recorded."""
        self.draws: List[float] = []
        self.seeds: List[Any] = []
        self._fractions: Iterator[float] = itertools.cycle(fractions)

    def use(self, fractions: Sequence[float]) -> None:
        """Draw the given fractions from now on, in turn."""
        self._fractions = itertools.cycle(fractions)

    def reseed(self, seed: int) -> None:
        """Draw the following fractions from a generator seeded with seed."""
        rng = _random.Random(seed)  # the C generator: never patched
        self._fractions = iter(rng.random, None)

    def random(self, *_: Any) -> float:
        """Record and return the next fraction, in [0, 1)."""
        value = next(self._fractions)
        self.draws.append(value)
        return value

    def seed(self, *args: Any, **kwargs: Any) -> None:
        """Record a seed given explicitly; Random() seeds with None."""
        value = args[0] if args else kwargs.get('a')
        if value is not None:
            self.seeds.append(value)

    def uniform(self, a: float, b: float) -> float:
        """Return a value in [a, b] as random.uniform does."""
        return a + (b - a) * self.random()

    def drawn(self, high: float) -> List[float]:
        """Return what each draw so far gives as a delay in [0, high]."""
        return [fraction * high for fraction in self.draws]

    def gives(self, delay: float, high: float) -> bool:
        """Tell whether delay is one a draw so far gives in [0, high].

        That is uniform(0, high), random() * high, or uniform(high, 0)
        (the same distribution, computed as uniform computes it, from the
        other end); uniform(0, 0) is 0.0, drawn or not.
        """
        return high == 0 and delay == 0 or any(
            delay == value for fraction in self.draws
            for value in (fraction * high, high + (0 - high) * fraction))


class _SkipAheadSelector(selectors.DefaultSelector):
    """A selector that moves a virtual clock instead of waiting."""

    def __init__(self, loop: 'VirtualClockLoop') -> None:
        """Serve loop."""
        super().__init__()
        self._loop = loop
        self._busy = Stillness()  # turns with work ready, the clock still

    def _spin(self) -> None:
        """Count a turn of the loop with work ready, outside a test (a
        main file's run): a loop that keeps busy SPINS turns while its
        clock stands still is busy-waiting (a loop of sleep(0) until a
        time); real time would pass meanwhile, so from then on each turn
        moves the clock on by SPIN_TIME. A test's busy wait is told by
        the fake sleep instead (BusyWait), its clock kept exact."""
        if Clocks.fake is not None:
            return
        now = self._loop.time_now()
        if self._busy.turn(now) > SPINS:
            self._loop.set_time(now + SPIN_TIME)
            self._busy.at, self._busy.turns = now + SPIN_TIME, SPINS

    def select(self, timeout: Optional[float] = None) -> Any:
        """Poll without blocking; if nothing is ready, jump the clock to
        the loop's next timer, which the loop then runs.

        With no I/O of the code's own, no other thread (an executor's)
        and no signal handler of the loop's, nothing can be ready: there
        is nothing to poll. Then with no timer at all (timeout None)
        nothing will ever wake the loop: it raises NothingToWaitFor at
        once, where a real loop would hang. Otherwise, with no timer, it
        waits for real.
        """
        if timeout is not None and timeout <= 0:
            self._spin()
        alone = len(self.get_map()) <= 1 and \
            threading.active_count() == 1 and \
            not getattr(self._loop, '_signal_handlers', None)  # only the
        # loop's own wake-up pipe, which only a thread or signal writes to
        if alone:
            if timeout is None:
                raise NothingToWaitFor(
                    'the event loop has nothing left to wait for (no '
                    'timer, no I/O, no other thread) while a task still '
                    'waits, for a future or an event that nothing will '
                    'set: for real it would hang forever')
            if timeout > 0:
                self._loop.jump(timeout)
            return []
        if timeout is None or timeout <= 0 or self._loop.threads_working:
            return super().select(timeout)  # work in another thread takes
            # real time: the loop waits for it, and its timers with it
        ready = super().select(0)
        if not ready:
            self._loop.jump(timeout)
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock is virtual and jumps to the next timer.

    Its time() is the running test's FakeTime clock when a test patched
    one in (see patch), so the fake sleeps, a wait_for or asyncio.wait
    timeout, call_later and the time module's clocks all read one clock;
    otherwise (a main file's run) it is a clock of its own. Work takes no
    virtual time; time passes only when every task waits for a timer, as
    CPython's test_asyncio TestLoop and the looptime plugin do it.
    """

    def __init__(self) -> None:
        """Start the loop's own virtual clock at 0."""
        self.virtual_now = 0.0
        self.pid = os.getpid()  # a fork's copy of a running loop is not
        # running there
        self.threads_working = 0  # calls run in another thread, not done
        super().__init__(_SkipAheadSelector(self))

    def run_in_executor(  # type: ignore[override]
            self, executor: Any, func: Callable[..., Any],
            *args: Any) -> 'asyncio.Future[Any]':
        """Run func in a thread, as asyncio does; while it runs, the clock
        waits for it (a wait_for around it must not time out at once)."""
        future = super().run_in_executor(executor, func, *args)
        self.threads_working += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, future: 'asyncio.Future[Any]') -> None:
        """Note that a call run in another thread has ended."""
        self.threads_working -= 1

    async def shutdown_default_executor(self, *args: Any,
                                        **kwargs: Any) -> None:
        """Join the executor's threads, as asyncio.run does at the end
        (Python 3.9+), the clock waiting for them: from 3.12 on, a timer
        of 300 s guards the join, which must not fire at once."""
        self.threads_working += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self.threads_working -= 1

    def run_forever(self) -> None:
        """Run the loop, noting the module whose top level runs it, if
        any: a task module should run nothing when it is imported."""
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != '<module>':
            frame = frame.f_back  # type: ignore
        if frame is not None:
            LOOPS_AT_IMPORT.add(frame.f_code.co_filename)
        super().run_forever()

    def time(self) -> float:
        """Return the virtual time, counting a reading by the code under
        test (loop.time() called from outside asyncio)."""
        fake = Clocks.fake
        if fake is not None and not sys._getframe(
                1).f_code.co_filename.startswith(ASYNCIO):
            fake.reads += 1
        return self.time_now()

    def jump(self, timeout: float) -> None:
        """Move the clock on to the next timer, which the loop waits for.

        That is its own time exactly (not a sum of differences, so a
        sleeper's deadline is reached exactly), even past the day the loop
        caps a wait at. With no timer known it moves on by timeout.
        """
        now = self.time_now()
        scheduled = getattr(self, '_scheduled', None)  # CPython's heap,
        # whose head _run_once has cleared of cancelled timers
        target = scheduled[0].when() if scheduled else now + timeout
        self.set_time(max(now, target))

    def time_now(self) -> float:
        """Return the virtual time without counting a reading."""
        fake = Clocks.fake
        return self.virtual_now if fake is None else fake.now

    def set_time(self, value: float) -> None:
        """Set the virtual time (the test's clock, if it has one)."""
        fake = Clocks.fake
        if fake is None:
            self.virtual_now = value
        else:
            fake.now = value


class _VirtualClockPolicy(asyncio.DefaultEventLoopPolicy):
    """The default policy, but every new event loop's clock is virtual."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """Return a new VirtualClockLoop."""
        return VirtualClockLoop()


def virtual_clock() -> None:
    """Make every new event loop of this process run on a virtual clock:
    pytest-asyncio's (every version asks the policy for its loop),
    asyncio.run's, asyncio.new_event_loop's, and a loop the code makes
    itself: asyncio.SelectorEventLoop() names this class, and a default
    policy the code sets anew makes its loops."""
    if not isinstance(asyncio.get_event_loop_policy(), _VirtualClockPolicy):
        asyncio.set_event_loop_policy(_VirtualClockPolicy())
    setattr(asyncio, 'SelectorEventLoop', VirtualClockLoop)
    setattr(asyncio.DefaultEventLoopPolicy, '_loop_factory',
            VirtualClockLoop)


Run = Tuple[Optional[int], str, str]


def script_warnings() -> None:
    """Put back the warning filters a new Python starts with.

    The test run turns warnings into errors; a script run by hand only
    shows a DeprecationWarning of its own __main__ code.
    """
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning,
                     PendingDeprecationWarning, DeprecationWarning):
        warnings.simplefilter('ignore', category)
    warnings.filterwarnings('default', category=DeprecationWarning,
                            module='__main__')


def run_as_main(source: str, path: str) -> None:
    """Run source as Python runs the script at path: as __main__."""
    main = types.ModuleType('__main__')
    main.__file__ = path
    sys.modules['__main__'] = main
    exec(compile(source, path, 'exec'), vars(main))


def run_main_forked(path: str, timeout: float,
                    prepare: Callable[[], None] = lambda: None,
                    source: Optional[str] = None) -> Run:
    """Run a main file in a forked copy of this process, on a virtual clock.

    Forking costs a few milliseconds where a new interpreter costs tens
    (importing asyncio alone takes most of that), and the copy starts
    with nothing patched, as a script would; prepare runs in the copy
    first, on the virtual clock already. Given source, the copy runs that
    text as the script at path (which need not exist) instead of the
    file's. Return the exit status (None if it ran out of time and was
    killed), what it printed, and its error output.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the copy never returns
            status = 1
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                for fd in PRIVATE_FDS:  # the grader's own pipe, say
                    os.close(fd)
                sys.stdout = open(1, 'w', closefd=False)
                sys.stderr = open(2, 'w', closefd=False)
                os.chdir(os.path.dirname(path))
                sys.argv = [path]
                script_warnings()
                virtual_clock()  # before prepare, which may import modules
                prepare()
                if source is None:
                    runpy.run_path(path, run_name='__main__')
                else:
                    run_as_main(source, path)
                status = 0
            except SystemExit as error:
                if isinstance(error.code, int) or error.code is None:
                    status = error.code or 0
                else:
                    print(error.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        deadline = time.monotonic() + timeout
        code: Optional[int] = None
        try:
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    code = exit_code(status)
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.002)
        finally:
            if code is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return (code, out.read().decode('utf-8', 'replace'),
                err.read().decode('utf-8', 'replace'))


class Fakes:
    """The FakeTime and FakeRandom patched in for one test."""

    def __init__(self) -> None:
        """Make a FakeTime and a FakeRandom with their defaults."""
        self.time = FakeTime()
        self.random = FakeRandom()


CLOCKS = tuple(name for name in (
    'perf_counter', 'time', 'monotonic', 'perf_counter_ns', 'time_ns',
    'monotonic_ns', 'clock_gettime', 'clock_gettime_ns')
    if hasattr(time, name))  # clock_gettime is POSIX's
REAL_CLOCKS = {name: getattr(time, name) for name in CLOCKS}
CPU_CLOCKS = tuple(name for name in (
    'process_time', 'process_time_ns', 'thread_time', 'thread_time_ns')
    if hasattr(time, name))  # left real, but their readings are counted
CPU_CLOCK_IDS = {getattr(time, name) for name in (
    'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID')
    if hasattr(time, name)}


class Clocks:
    """Which FakeTime, if any, the time module's clocks read now.

    The clocks of the time module are replaced once, when this module is
    imported, before any folder's code is, by functions that read the
    real clock, or the FakeTime a test patched in (see patch). So a clock
    the folder's code bound in any way (from time import perf_counter in
    a helper module, a default argument, timeit's default timer) reads
    the virtual clock during a test. Only asyncio's own reading of the
    monotonic clock stays real: a VirtualClockLoop never reads it, so the
    loop that does is one the code built of another kind, whose timers
    would never fire on a clock that stands still.
    """

    fake: Optional[FakeTime] = None


def _dispatcher(name: str) -> Callable[..., Any]:
    """Return the stand-in for the time module's clock called name."""
    real = REAL_CLOCKS[name]
    nanoseconds = name.endswith('_ns')
    monotonic = 'monotonic' in name or 'gettime' in name

    def clock(*args: Any) -> Any:
        """Read the fake clock during a test that patched it in, else the
        real one."""
        fake = Clocks.fake
        if fake is None or args and args[0] not in WALL_CLOCKS or \
                monotonic and sys._getframe(1).f_code.co_filename.startswith(
                    ASYNCIO):
            if fake is not None and args and args[0] in CPU_CLOCK_IDS:
                fake.count_cpu_read()
            return real(*args)
        return fake.clock_ns() if nanoseconds else fake.clock()
    clock.__name__ = clock.__qualname__ = name
    return clock


real_os_times = os.times


def os_times() -> Any:
    """Stand in for os.times: its elapsed field, a wall clock, reads the
    fake clock during a test, as time.time does then."""
    times = real_os_times()
    fake = Clocks.fake
    if fake is None:
        return times
    return os.times_result(tuple(times[:4]) + (fake.clock(),))


def _cpu_dispatcher(name: str) -> Callable[..., Any]:
    """Return the stand-in for the time module's CPU clock called name:
    the real clock, its readings during a test counted (see cpu_reads)."""
    real = getattr(time, name)

    def clock() -> Any:
        """Read the real CPU clock, counting the reading in a test."""
        fake = Clocks.fake
        if fake is not None:
            fake.count_cpu_read()
        return real()
    clock.__name__ = clock.__qualname__ = name
    return clock


class VirtualDatetime(datetime.datetime):
    """datetime.datetime, whose now(), today() and utcnow() read the fake
    clock during a test that patched one in, as time.time() does then
    (seconds since the epoch), and the real clock otherwise.

    datetime is a type of C, whose methods cannot be replaced, so the
    datetime module gets this subclass in its place (see install_clocks),
    before any folder's module is imported: `from datetime import
    datetime` binds it too. Its instances are real datetimes.
    """

    @classmethod
    def now(cls, tz: Optional[datetime.tzinfo] = None) -> 'VirtualDatetime':
        """Return the current local time, or tz's."""
        fake = Clocks.fake
        if fake is None:
            return super().now(tz)
        return cls.fromtimestamp(fake.clock(), tz)

    @classmethod
    def today(cls) -> 'VirtualDatetime':
        """Return the current local time."""
        return cls.now()

    @classmethod
    def utcnow(cls) -> 'VirtualDatetime':
        """Return the current UTC time, without a time zone."""
        fake = Clocks.fake
        if fake is None:
            return super().utcnow()
        return cls.fromtimestamp(fake.clock(), datetime.timezone.utc
                                 ).replace(tzinfo=None)

    def __repr__(self) -> str:
        """Show it as the real class shows its instances."""
        return 'datetime.' + super().__repr__()


VirtualDatetime.__module__ = 'datetime'  # named as the class it stands in
VirtualDatetime.__name__ = VirtualDatetime.__qualname__ = 'datetime'


def blocking_sleep(seconds: float) -> None:
    """Stand in for time.sleep: sleep, unless it would block a virtual
    clock's event loop that is running in this thread.

    A blocking sleep in a coroutine stops every other task for its time.
    In a test (a FakeTime patched in) that is the code's mistake, and it
    raises BlocksTheLoop at once, naming the sleep; in a main file's run
    the loop's clock moves on by the time, as real time would, and no
    task runs meanwhile. Another thread (an executor's), a process forked
    from the loop's, no running loop, or the grader's own code: a real
    sleep (another thread's, in a test, noted in its thread_sleeps).
    """
    loop = asyncio.events._get_running_loop()
    if not isinstance(loop, VirtualClockLoop) or loop.pid != os.getpid() \
            or isinstance(seconds, bool) or \
            not isinstance(seconds, (int, float)) or not seconds > 0 or \
            sys._getframe(1).f_code.co_filename.startswith(OWN_CODE):
        fake = Clocks.fake
        if fake is not None and loop is None and \
                threading.current_thread() is not threading.main_thread():
            fake.thread_sleeps.append(seconds)
        return real_blocking_sleep(seconds)
    if Clocks.fake is not None:
        raise BlocksTheLoop(
            'time.sleep({}) blocks the event loop while it sleeps: no '
            'other task runs meanwhile; await asyncio.sleep({}) '
            'instead'.format(seconds, seconds))
    loop.set_time(loop.time_now() + seconds)
    return None


def install_clocks() -> None:
    """Put the dispatching clocks and blocking_sleep in the time module,
    timeit's clock, VirtualDatetime in the datetime module and os_times
    in os, once.

    timeit captured the real perf_counter as its default timer, and as a
    default argument of timeit(), repeat() and Timer(): each is replaced.
    """
    if getattr(time.perf_counter, '__module__', '') == __name__:
        return
    for name in CLOCKS:
        setattr(time, name, _dispatcher(name))
    for name in CPU_CLOCKS:
        setattr(time, name, _cpu_dispatcher(name))
    os.times = os_times
    time.sleep = blocking_sleep  # type: ignore[assignment]
    datetime.datetime = VirtualDatetime  # type: ignore[misc]
    real, fake = REAL_CLOCKS['perf_counter'], time.perf_counter
    timeit.default_timer = fake
    for function in (timeit.timeit, timeit.repeat, timeit.Timer.__init__):
        defaults = function.__defaults__ or ()
        function.__defaults__ = tuple(fake if value is real else value
                                      for value in defaults)


install_clocks()


def patch(setattr: Callable[[Any, str, Any], None], fakes: Fakes,
          modules: Iterable[Any]) -> None:
    """Patch the fakes into asyncio, random, time and the given modules.

    setattr is a monkeypatch's, so everything is undone after the test.
    asyncio.sleep becomes the fake sleep; the random generator's random()
    and seed() (the class's, and the module's own functions) become the
    fake's, so every way of drawing goes through it; the clocks of the
    time module read the virtual clock (see Clocks). The given modules
    are patched through any name they bound directly (from asyncio import
    sleep), so the fakes take effect however the code spells its calls.
    The test's event loop is a VirtualClockLoop (see virtual_clock), whose
    time is the same virtual clock.
    """
    draw = fakes.random.random
    setattr(asyncio, 'sleep', fakes.time.sleep)
    for cls in (random.Random, random.SystemRandom):
        setattr(cls, 'random', lambda rng: draw())
    setattr(random.Random, 'seed',
            lambda rng, *args, **kwargs: fakes.random.seed(*args, **kwargs))
    setattr(random, 'random', draw)
    setattr(random, 'seed', fakes.random.seed)
    setattr(Clocks, 'fake', fakes.time)
    replacements = [(real_sleep, fakes.time.sleep),
                    (real_random, draw), (real_seed, fakes.random.seed)] + [
        (real, getattr(time, name)) for name, real in REAL_CLOCKS.items()]
    rebind(setattr, modules, replacements)


def rebind(setattr: Callable[[Any, str, Any], None], modules: Iterable[Any],
           replacements: Sequence[Tuple[Any, Any]]) -> None:
    """In modules, set every name bound to an old object to its new one,
    and every default argument of their own functions that is one.

    Objects are found by identity, so an alias (from asyncio import
    sleep, wait_random = task_wait_random) is replaced too, and so is a
    default that captured one (def task_wait_n(n, max_delay,
    spawn=task_wait_random)).
    """
    def swap(value: Any) -> Any:
        """Return value's replacement, or value."""
        for old, new in replacements:
            if value is old:
                return new
        return value

    for module in modules:
        for name, value in list(vars(module).items()):
            new = swap(value)
            if new is not value:
                setattr(module, name, new)
        for function in own_functions(module):
            defaults = function.__defaults__ or ()
            if any(swap(value) is not value for value in defaults):
                setattr(function, '__defaults__',
                        tuple(swap(value) for value in defaults))
            keywords = function.__kwdefaults__ or {}
            if any(swap(value) is not value for value in keywords.values()):
                setattr(function, '__kwdefaults__', {
                    key: swap(value) for key, value in keywords.items()})


def own_functions(module: Any) -> List[types.FunctionType]:
    """Return the functions a module defines, and its classes' methods."""
    found: List[types.FunctionType] = []
    for value in list(vars(module).values()):
        if getattr(value, '__module__', None) != module.__name__:
            continue
        members = list(vars(value).values()) if isinstance(value, type) \
            else [value]
        for member in members:
            member = getattr(member, '__func__', member)  # a static or
            # class method's function
            if isinstance(member, types.FunctionType):
                found.append(member)
    return found
