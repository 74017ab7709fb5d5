"""What runs inside the sandbox: pytest over folders, a process per task.

Each worker of the engine starts this module (through engine.bootstrap)
once, in a sandbox when it can. The first line of standard input is the
job: the tasks, the time limit, the scratch folder; each later line is a
folder to grade and its plan (which of those tasks, advice or not: see
grader.Plan). This process, the supervisor, runs pytest once to collect
the suite's tests, announces the schedule (every test of every task, in
the order they will run), then for each folder forks one process per
task of its plan. Only the task processes import the folder's code; the
supervisor never does. It relays what each task process writes, tagged
with the task (so no task can speak for another), kills a task process
whose test outlives its time even if it ignores its timer, and, between
folders, ends every process the folder left and empties the scratch.

A task process runs its tests one by one through pytest's own protocol,
with a timer on every phase, and reports each result as soon as it is
known. Its graded tests run before its advice, so a hang in advice cannot
cost a grade. After importing the folder's modules and after every test
it checks that the grader's own code, pytest's and the plugins are as
they were before the folder's code ran (a `Watch`), and says so if not.

Lines to the engine, on a copy of standard output: `S <json>` the
schedule, once; then for each folder `F <json folder>`, `T <task> <json>`
for each record of a task process, `X <task> <exit status | killed>` when
a task process ended, and `E` when the folder is done.
"""
import contextlib
import gc
import json
import operator
import os
import re
import resource
import select
import selectors
import shutil
import signal
from signal import ITIMER_REAL, SIGALRM, setitimer
from signal import signal as handle_signal
import sys
import time
from pathlib import Path
from types import FrameType, ModuleType
from typing import (IO, Any, Dict, Generator, Iterator, List, Optional,
                    Sequence, Set, Tuple)

import pytest
from _pytest.reports import TestReport

from grader import (ROOT, STOPPED, Plan, cut, exit_code, fakes, limits,
                    one_line, python37, reap, undumpable)
from grader.restart import NOT_FOR_SOLUTIONS
from grader.solution import SOLUTION, Solution

HANGS_BEFORE_GIVING_UP = 1  # a hang fails the task; more would only cost time
ACTIVE = False  # True in a supervisor: conftest then grades nothing itself
LIMITS = {  # per process: address space, CPU seconds, file size, processes
    'RLIMIT_AS': 4 << 30, 'RLIMIT_CPU': 120, 'RLIMIT_FSIZE': 64 << 20,
    'RLIMIT_NPROC': 512, 'RLIMIT_CORE': 0}
OWN = ('grader', 'conftest', 'checks', 'test_', 'fixture_folders')
# The grader's own tests (restart.NOT_FOR_SOLUTIONS) are not collected in a
# child, which then starts sooner; nor are its asserts rewritten
# (--assert=plain), since every assert of a graded test says what is wrong
WATCHED = OWN + ('pytest', '_pytest', 'pluggy', 'pytest_asyncio', 'json',
                 'builtins')  # json writes the records; builtins, everything


def taskno_of(item: pytest.Item) -> Optional[int]:
    """Return the task number an item is marked with, or None."""
    marker = item.get_closest_marker('task')
    return None if marker is None else int(marker.kwargs['taskno'])


def is_extra(item: pytest.Item) -> bool:
    """Tell whether an item checks something beyond the exercise."""
    return item.get_closest_marker('extra') is not None


def budget(item: pytest.Item, timeout: float) -> float:
    """Return how long one phase of an item may run, in seconds.

    A test that runs a main file (marked subprocess) gets five
    times as long.
    """
    return timeout * (5 if item.get_closest_marker('subprocess') else 1)


def brief(excinfo: Any, style: Optional[str] = None) -> str:
    """Return a failure's one-line reason, in place of its traceback.

    Formatting a traceback costs milliseconds, and only the pytest way in
    shows one (with -v or --tb), never for advice; so the supervisor puts
    this in place of each test's repr_failure, once, unless the job asks
    for traces and the test is graded.
    """
    return one_line(excinfo.value)


class GradingTimeout(BaseException):
    """Raised in a task process when a test runs out of time.

    It derives from BaseException, like KeyboardInterrupt, so that a
    learner's `except Exception` cannot swallow it and keep hanging.
    """


class Watch:
    """Notices when code replaces a function of the grader, pytest or a plugin.

    It keeps every function and class that the grader's modules, the
    suite's modules, pytest, pluggy, pytest-asyncio, json (which writes
    the records) and builtins define (and every attribute of those
    classes, but the built-in types, which cannot be changed), the
    registered plugins and the functions that implement each hook;
    changed() tells what is no longer the same object. After each test
    only the grader's and the suite's own modules and the hooks are
    compared (cheap); everything is compared after the folder's modules
    are imported and after the last test, and a change found then fails
    the whole task, so nothing is missed, only noticed later. Code in the
    same process could still undo its changes before a check, or change
    what is not watched: this catches the usual ways, not all of them.
    """

    def __init__(self, config: pytest.Config) -> None:
        """Take the record now, before the folder's code runs."""
        self.config = config
        self.slots: List[Tuple[str, Dict[str, Any], str, Any]] = []
        for name, module in sorted(sys.modules.items()):
            if isinstance(module, ModuleType) and name.startswith(WATCHED):
                self._watch_namespace(name, vars(module), module)
        self.every = self._grouped(self.slots)
        self.own = self._grouped([slot for slot in self.slots
                                  if slot[0].startswith(OWN)])
        self.rebase(config)

    @staticmethod
    def _grouped(slots: List[Tuple[str, Dict[str, Any], str, Any]]
                 ) -> Tuple[List[Tuple[str, Dict[str, Any], str, Any]],
                            Tuple[Any, ...], Tuple[Tuple[Any, ...], ...]]:
        """Return slots with what changed() compares in one pass of C
        code: the namespaces that are dicts (a module's) and those that
        are mapping proxies (a class's), each with its keys and values."""
        kinds: Dict[type, Tuple[List[Any], List[str], List[Any]]] = {}
        for _, namespace, key, value in slots:
            kind = kinds.setdefault(type(namespace), ([], [], []))
            kind[0].append(namespace)
            kind[1].append(key)
            kind[2].append(value)
        return slots, tuple(kinds), tuple(
            (tuple(spaces), tuple(keys), tuple(values))
            for spaces, keys, values in kinds.values())

    def _watch_namespace(self, label: str, namespace: Dict[str, Any],
                         module: ModuleType) -> None:
        """Watch the functions and classes in a module's namespace."""
        self.slots.append(('sys.modules', sys.modules, label, module))
        for key, value in list(namespace.items()):
            if not (callable(value) or isinstance(value, type)):
                continue
            self.slots.append((label, namespace, key, value))
            if isinstance(value, type) and label != 'builtins' and \
                    value.__module__ == module.__name__:
                for attr, member in list(vars(value).items()):
                    self.slots.append(('{}.{}'.format(label, key),
                                       vars(value), attr,  # type: ignore
                                       member))

    def _hooks(self) -> Dict[str, List[Any]]:
        """Return the plugins registered, and each hook's functions."""
        manager = self.config.pluginmanager
        hooks = {'the registered pytest plugins': [
            plugin for _, plugin in manager.list_name_plugin()]}
        for hook_name, caller in self.callers:
            hooks[hook_name] = [impl.function
                                for impl in caller.get_hookimpls()]
        return hooks

    def rebase(self, config: pytest.Config) -> None:
        """Take the hooks again (a task process registers its own plugin)."""
        self.config = config
        hook = config.pluginmanager.hook
        self.callers = [('the {} hook'.format(name), getattr(hook, name))
                        for name in dir(hook)
                        if hasattr(getattr(hook, name), 'get_hookimpls')]
        self.hooks = self._hooks()
        self.hook_ids = self._ids(self.hooks)

    @staticmethod
    def _ids(hooks: Dict[str, List[Any]]) -> Tuple[Tuple[int, ...], ...]:
        """Return the plugins and hook functions as ids, compared in C.

        self.hooks keeps the objects alive, so no other object can have
        an id of theirs; an id, unlike ==, cannot be fooled by a plugin's
        own __eq__.
        """
        return tuple(tuple(map(id, objects)) for objects in hooks.values())

    def changed(self, full: bool = True) -> List[str]:
        """Return the names of what is no longer the same object."""
        slots, kinds, columns = self.every if full else self.own
        changes: List[str] = []
        if any(any(map(operator.is_not, map(kind.get, spaces, keys), values))
               for kind, (spaces, keys, values) in zip(kinds, columns)):
            changes = ['{}.{}'.format(label, key) if label != 'sys.modules'
                       else 'sys.modules[{!r}]'.format(key)
                       for label, namespace, key, value in slots
                       if namespace.get(key) is not value]
        now = self._hooks()
        if self._ids(now) != self.hook_ids:
            changes += [name for name, functions in self.hooks.items()
                        if len(now.get(name, ())) != len(functions) or any(
                            old is not new for old, new in
                            zip(functions, now[name]))]
        return sorted(changes)


class TaskRun:
    """Runs one task's tests in a task process; it never returns."""

    def __init__(self, out: IO[str], tokens: int, timeout: float,
                 exitfirst: bool) -> None:
        """Report on out, each record with the token read from the
        tokens pipe; give every test phase timeout seconds; run no more
        tests after the first graded one that fails if exitfirst."""
        self.out = out
        self.tokens = tokens
        self.token = ''
        fakes.PRIVATE_FDS.extend([out.fileno(), tokens])
        self.timeout = timeout
        self.exitfirst = exitfirst
        self.hangs = 0
        self.reports: List[TestReport] = []

    def _write(self, record: Dict[str, Any]) -> None:
        """Write one record, with its token, and flush it, in case the
        process dies next. Texts are cut to what a person reads."""
        for key in ('message', 'details', 'output'):
            if isinstance(record.get(key), str):
                record[key] = cut(record[key])
        if self.token:
            record['token'] = self.token
        self.out.write(json.dumps(record) + '\n')
        self.out.flush()

    def _next_token(self) -> None:
        """Read the token of the records from the supervisor, which sends
        it only once this process said its module is imported."""
        line = b''
        while not line.endswith(b'\n'):
            if not select.select([self.tokens], [], [], 30)[0]:
                os._exit(5)  # the supervisor is gone
            chunk = os.read(self.tokens, 64)
            if not chunk:
                os._exit(5)
            line += chunk
        self.token = line.decode('ascii').strip()

    def _expire(self, signum: int, frame: Optional[FrameType]) -> None:
        """Interrupt whatever the test is doing: its time is up."""
        self.hangs += 1
        raise GradingTimeout(
            'the test did not finish in time: the solution hangs (an '
            'endless loop, a blocking time.sleep, or a sleep that bypasses '
            'asyncio.sleep)')

    @contextlib.contextmanager
    def _armed(self, seconds: float) -> Iterator[None]:
        """Run the block with the timer armed for seconds.

        The timer repeats, so a hang in the clean-up after a hang is cut
        short too.
        """
        handle_signal(SIGALRM, self._expire)
        setitimer(ITIMER_REAL, seconds, seconds)
        try:
            yield
        finally:
            setitimer(ITIMER_REAL, 0)

    def _timed(self, item: pytest.Item) -> Generator[None, None, None]:
        """Run one test phase with the timer armed for its budget."""
        with self._armed(budget(item, self.timeout)):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        """Time the set-up."""
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """Time the test, unless this task has hung too often already.

        Only the tests that run the solution's code are given up on; the
        rubric reads its files, which cannot hang.
        """
        runs_code = 'fake' in getattr(item, 'fixturenames', ()) or \
            item.get_closest_marker('subprocess') is not None
        if runs_code and self.hangs >= HANGS_BEFORE_GIVING_UP:
            pytest.fail('not run: an earlier test of this task timed out',
                        pytrace=False)
        yield from self._timed(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        """Time the tear-down."""
        yield from self._timed(item)

    def pytest_runtest_logreport(self, report: TestReport) -> None:
        """Keep each phase's report of the test that is running."""
        self.reports.append(report)

    def run(self, taskno: int, items: Sequence[pytest.Item],
            watch: Watch) -> None:
        """Import the task's module, run the items in order, and exit."""
        status = 0
        try:
            with open('/proc/self/oom_score_adj', 'w') as adjust:
                adjust.write('1000')  # over a cap, the OOM killer takes this
        except OSError:
            pass
        try:
            config = items[0].config
            config.pluginmanager.register(self, 'task-run')
            watch.rebase(config)
            solution = config.stash[SOLUTION]
            try:
                with self._armed(self.timeout):
                    self._checked(watch, lambda: solution.module(taskno))
            except GradingTimeout:  # code ran at import: each test says so
                self.hangs = 0
            self._write({'ready': True})
            self._next_token()
            stopped = False
            for index, item in enumerate(items):
                self._write({'started': item.nodeid})
                if stopped:
                    self._write({'nodeid': item.nodeid, 'outcome': 'skipped',
                                 'message': STOPPED, 'duration': 0.0})
                    continue
                following = items[index + 1] if index + 1 < len(items) \
                    else None
                started = time.perf_counter()
                self.reports = []
                before = limits.hits()
                try:
                    item.ihook.pytest_runtest_protocol(item=item,
                                                       nextitem=following)
                    record = worst(self.reports, str(solution.directory))
                except BaseException as error:
                    record = {'outcome': 'failed',
                              'message': one_line(error)}
                record.update(over_cap(before, record['outcome']))
                record.update(nodeid=item.nodeid,
                              duration=time.perf_counter() - started)
                self._checked(watch, lambda: None, full=False)
                self._write(record)
                stopped = self.exitfirst and not is_extra(item) and \
                    record['outcome'] == 'failed'
            self._checked(watch, lambda: None)
            self._write({'finished': True})
        except BaseException as error:
            sys.stderr.write('grading child failed: {}\n'.format(
                one_line(error)))
            status = 3
        finally:
            os._exit(status)

    def _checked(self, watch: Watch, action: Any, full: bool = True) -> None:
        """Run action (errors are the tests' business), then check watch."""
        try:
            action()
        except GradingTimeout:
            raise
        except BaseException:
            pass
        changed = watch.changed(full)
        if changed:
            self._write({'tamper': ', '.join(changed[:3])})
            os._exit(4)


def over_cap(before: Tuple[int, int], outcome: str) -> Dict[str, str]:
    """Return how a test's record changes if its code hit a cap.

    The counters are the whole folder's, and the tasks run at once, so a
    cap counts against a test only if the test failed (its process or
    one it started was stopped, or a fork was refused) or, for the
    process cap, if processes it started are still there.
    """
    after = limits.hits()
    if after[0] > before[0] and outcome == 'failed':
        return {'outcome': 'failed', 'message': limits.OVER_MEMORY}
    if after[1] > before[1] and (outcome == 'failed' or
                                 own_processes() > 1):
        return {'outcome': 'failed', 'message': limits.OVER_PROCESSES}
    return {}


def own_processes() -> int:
    """Return how many live processes are in this process's group."""
    group = os.getpgid(0)
    count = 0
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/{}/stat'.format(name)) as stat:
                    fields = stat.read().rsplit(')', 1)[1].split()
            except (OSError, IndexError):
                continue
            count += fields[0] != 'Z' and int(fields[2]) == group
    return count


HIDDEN_FRAMES = ('/_pytest/', '/pluggy/', '/grader/')


def learner_traceback(text: str, folder: str) -> str:
    """Return a native traceback without pytest's, pluggy's and our frames.

    It starts at the first frame of the folder's code, or else at the
    first of the suite's tests: the frames before are the runners'
    (pytest-asyncio's, asyncio's), which say nothing about the failure.
    """
    lines = text.splitlines()
    head = [line for line in lines[:1] if line.startswith('Traceback')]
    frames: List[List[str]] = []
    tail: List[str] = []
    for line in lines[len(head):]:
        if line.startswith('  File "'):
            frames.append([line])
        elif frames and line.startswith('    ') and not tail:
            frames[-1].append(line)
        else:
            tail.append(line)
    kept = [frame for frame in frames
            if not any(part in frame[0] for part in HIDDEN_FRAMES)]
    starts = [[index for index, frame in enumerate(kept)
               if '"{}/'.format(where) in frame[0]]
              for where in (folder, ROOT / 'tests')]
    kept = kept[(starts[0] or starts[1] or [0])[0]:]
    return '\n'.join(head + [line for frame in kept for line in frame] +
                     tail)


def worst(reports: Sequence[TestReport], folder: str) -> Dict[str, Any]:
    """Return a test's outcome over its phases, with the reason and trace."""
    for report in reports:
        if not report.passed:
            message = str(dict(report.user_properties).get('message', ''))
            return {'outcome': report.outcome, 'message': message,
                    'details': learner_traceback(report.longreprtext,
                                                 folder),
                    'output': report.capstdout}
    return {'outcome': 'passed', 'message': '',
            'output': reports[-1].capstdout if reports else ''}


class QuietReporter:
    """Stands in for the terminal reporter: it reports nothing."""

    def __init__(self, writer: Any) -> None:
        """Keep the terminal writer, which pytest looks up by this name."""
        self._tw = writer


class Supervisor:
    """The pytest plugin of the supervisor: it runs the tasks, never a test.

    Once pytest has collected, it announces the schedule and forks one
    task process per task, then relays their records until all have ended.
    """

    def __init__(self, inp: IO[bytes], out: int,
                 job: Dict[str, Any]) -> None:
        """Read folders from inp and report to out, as job says."""
        self.inp = inp
        self.out = out
        self.timeout = float(job['timeout'])
        self.traces = bool(job.get('traces'))
        self.sandboxed = bool(job['sandboxed'])
        self.scratch = str(job.get('scratch', ''))
        self.importer = python37.Importer(str(job['python37']), str(ROOT)) \
            if job.get('python37') else None
        self.gates: Dict[int, Gate] = {}
        self.said = time.monotonic()

    def _send(self, line: str) -> None:
        """Write one line to the engine."""
        data = (line + '\n').encode('utf-8')
        while data:
            data = data[os.write(self.out, data):]
        self.said = time.monotonic()

    def _alive(self) -> None:
        """Tell the engine this process still runs, twice a second.

        A supervisor the folder's code stopped (SIGSTOP) or froze says
        nothing, and the engine ends it within a test's time.
        """
        if time.monotonic() - self.said > 0.5:
            self._send('H')

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """Silence the terminal: the engine reports for this process."""
        manager = config.pluginmanager
        reporter = manager.get_plugin('terminalreporter')
        if reporter is not None:
            manager.unregister(reporter)
            manager.register(QuietReporter(reporter._tw), 'terminalreporter')

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Announce the schedule, then grade each folder the engine sends."""
        groups: Dict[int, List[pytest.Item]] = {}
        for item in session.items:
            taskno = taskno_of(item)
            if taskno is not None:
                groups.setdefault(taskno, []).append(item)
        for items in groups.values():  # graded tests first, then advice
            items.sort(key=is_extra)
        self._send('S ' + json.dumps({str(taskno): [
            {'nodeid': item.nodeid, 'extra': is_extra(item),
             'budget': budget(item, self.timeout),
             'file': item.location[0], 'line': item.location[1] or 0}
            for item in items]
            for taskno, items in sorted(groups.items())}))
        for item in session.items:  # a trace only where one is shown
            if is_extra(item) or not self.traces:
                setattr(item, 'repr_failure', brief)
        watch = Watch(session.config)
        for line in self.inp:  # a folder a line, until the engine stops
            folder, plan = Plan.read(line.decode('utf-8'))
            solution = Solution(Path(folder))
            session.config.stash[SOLUTION] = solution
            self._send('F ' + json.dumps(folder))
            if self.importer is not None:  # before the task processes fork
                solution.python37 = self.importer.check(folder, {
                    taskno: solution.name(taskno) for taskno in groups
                    if plan.tasks is None or taskno in plan.tasks},
                    min(self.timeout, 0.5))  # ample on a virtual clock;
                # out of time (a busy loop), 3.7 says nothing of the folder
                self._end_strays()  # what the folder's code started there
            children = self._start_tasks(plan.apply(groups, is_extra), watch,
                                         plan.exitfirst)
            self._relay(children)
            self._clean_up([pid for pid, _, _ in children.values()])
            self._send('E')
        return True

    def _start_tasks(self, groups: Dict[int, List[pytest.Item]],
                     watch: Watch, exitfirst: bool
                     ) -> Dict[int, Tuple[int, int, List[pytest.Item]]]:
        """Fork one task process per task; return their pids and pipes."""
        children: Dict[int, Tuple[int, int, List[pytest.Item]]] = {}
        # A collection in a task process then skips the objects here,
        # rather than copying every page that holds one. What the last
        # folder left in cycles is collected first (the frozen objects are
        # not walked again), so a long cohort freezes no garbage.
        gc.collect()
        gc.freeze()
        self.gates = {}
        for taskno, items in sorted(groups.items()):
            read, write = os.pipe()
            tokens, token_out = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os.setpgid(0, 0)
                for fd in [read, token_out, self.out, self.inp.fileno()] + [
                        other for _, other, _ in children.values()] + [
                        gate.fd for gate in self.gates.values()]:
                    os.close(fd)
                TaskRun(os.fdopen(write, 'w', encoding='utf-8'), tokens,
                        self.timeout, exitfirst).run(taskno, items, watch)
            os.close(write)
            os.close(tokens)
            children[taskno] = (pid, read, items)
            self.gates[taskno] = Gate(token_out)
        return children

    def _end_strays(self) -> bool:
        """In the cage, kill every process but bwrap's init, this one and
        the Python 3.7 importer, again and again (so that what one forked
        meanwhile dies too), and reap the ones that became this one's
        children (a process made with CLONE_PARENT is), until none is left
        or two seconds have passed. Tell whether this runs in the cage."""
        if not (self.sandboxed and os.getpid() == 2):
            return False
        keep = {1, os.getpid()} | (
            {self.importer.pid} if self.importer and self.importer.pid
            else set())
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and (reap() or kill_all(keep)):
            self._alive()
            time.sleep(0.002)
        return True

    def _clean_up(self, pids: List[int]) -> None:
        """End every process the folder's code left; empty what it could
        write.

        In the sandbox (a PID namespace of its own, where bwrap's init is
        process 1 and this one process 2) it ends every other process
        there but the Python 3.7 importer (see _end_strays); then it
        empties /tmp (HOME and TMPDIR), /dev/shm and the scratch folder,
        and removes the System V IPC objects of its IPC namespace, so the
        next folder starts clean. Anywhere else signalling every process
        would reach the user's own, so it kills each task process's group
        instead, which a process that made a session of its own has left,
        and it empties only the engine's scratch folder.
        """
        if self._end_strays():  # in bwrap's PID namespace
            for folder in ('/tmp', '/dev/shm'):
                empty(folder)
            remove_ipc()
        else:
            for pid in pids:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
        if not self.scratch or os.path.realpath('.') != self.scratch or \
                not os.path.basename(self.scratch).startswith('grader-'):
            return  # only ever empty the engine's own scratch folder
        empty(self.scratch)

    def _relay(self, children: Dict[int, Tuple[int, int, List[pytest.Item]]]
               ) -> None:
        """Pass on each task process's lines until all have ended.

        A task process whose current test (or the import of its module)
        runs past three times its budget (set-up, call and tear-down each
        have one) plus a second has ignored its timer; it is killed. So is
        one that runs past its budget with SIGALRM blocked or ignored: its
        timer can never reach it (see deaf_to_timer). A task process has
        ended when it exits, even if a process it started still holds its
        pipe open.
        """
        selector = selectors.DefaultSelector()
        buffers = {taskno: b'' for taskno in children}
        clocks: Dict[int, Optional[Tuple[float, float]]] = {
            taskno: (time.monotonic(), self.timeout) for taskno in children}
        budgets = {taskno: {item.nodeid: budget(item, self.timeout)
                            for item in items}
                   for taskno, (_, _, items) in children.items()}
        statuses: Dict[int, int] = {}
        killed: Set[int] = set()
        for taskno, (_, read, _) in children.items():
            selector.register(read, selectors.EVENT_READ, taskno)

        def forward(taskno: int, chunk: bytes) -> None:
            """Pass on the whole lines of a chunk a task process wrote."""
            buffers[taskno] += chunk
            *lines, buffers[taskno] = buffers[taskno].split(b'\n')
            if len(buffers[taskno]) > LINE_LIMIT:  # no record is that long
                lines.append(buffers[taskno][:LINE_LIMIT])
                buffers[taskno] = b''
            for raw in lines:
                line = self.gates[taskno].check(raw.decode('utf-8', 'replace'))
                if line is not None:
                    self._send('T {} {}'.format(taskno, line))
                    clocks[taskno] = self._clock(line, budgets[taskno],
                                                 clocks[taskno])

        while selector.get_map():
            self._alive()
            for key, _ in selector.select(timeout=0.05):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    forward(key.data, chunk)
                else:
                    self._ended(selector, key.fd, key.data, children,
                                statuses, killed)
            for key in list(selector.get_map().values()):
                pid = children[key.data][0]
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
                statuses[key.data] = status
                while select.select([key.fd], [], [], 0)[0]:
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        break
                    forward(key.data, chunk)
                self._ended(selector, key.fd, key.data, children, statuses,
                            killed)
            now = time.monotonic()
            for taskno, clock in clocks.items():
                if clock is None or taskno in killed or taskno in statuses:
                    continue
                ran, allowed = now - clock[0], clock[1]
                if ran > 3 * allowed + 1 or ran > allowed + 0.25 and \
                        deaf_to_timer(children[taskno][0]):
                    killed.add(taskno)
                    try:
                        os.kill(children[taskno][0], signal.SIGKILL)
                    except OSError:
                        pass

    @staticmethod
    def _clock(line: str, budgets: Dict[str, float],
               current: Optional[Tuple[float, float]]
               ) -> Optional[Tuple[float, float]]:
        """Return when the running test started and its budget, after a
        line of its task process (None between tests)."""
        try:
            record = json.loads(line)
        except ValueError:
            return current
        if isinstance(record, dict) and record.get('started') in budgets:
            return time.monotonic(), budgets[record['started']]
        return None

    def _ended(self, selector: selectors.BaseSelector, fd: int, taskno: int,
               children: Dict[int, Tuple[int, int, List[pytest.Item]]],
               statuses: Dict[int, int], killed: Set[int]) -> None:
        """Stop reading a task process, reap it, and tell how it ended."""
        selector.unregister(fd)
        os.close(fd)
        self.gates[taskno].close()
        if taskno not in statuses:
            statuses[taskno] = os.waitpid(children[taskno][0], 0)[1]
        self._send('X {} {}'.format(taskno, 'killed' if taskno in killed
                                    else exit_code(statuses[taskno])))


LINE_LIMIT = 1 << 16  # bytes: a longer line is cut, and is no record


class Gate:
    """Lets through only the records a task process was asked for.

    The supervisor sends a task process a fresh random token once it has
    said its module is imported, and every later record must carry it. A
    record written any other way (by the folder's code at import, into a
    pipe it found in /proc/self/fd, say) has none, and the task is
    reported as tampered with; nothing after it is passed on. Code that
    runs during a test could read the token from its own process's
    memory: this stops blind forgery, not code that studies the grader.
    """

    def __init__(self, fd: int) -> None:
        """Send tokens on fd."""
        self.fd = fd
        self.token = ''
        self.ready = False
        self.shut = False

    def _renew(self) -> None:
        """Send the task process the token of its records."""
        self.token = os.urandom(16).hex()
        try:
            os.write(self.fd, (self.token + '\n').encode('ascii'))
        except OSError:
            pass

    def check(self, line: str) -> Optional[str]:
        """Return the line to pass on (its token taken out), or None."""
        if self.shut:
            return None
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            self.shut = True
            return line  # the engine says what it is: not a record
        if 'tamper' in record:
            self.shut = True
            return json.dumps({'tamper': str(record['tamper'])})
        if record == {'ready': True} and not self.ready:
            self.ready = True
            self._renew()
            return None
        if not self.ready or record.pop('token', None) != self.token:
            self.shut = True
            return json.dumps({'tamper': 'a record the grader did not ask '
                                         'for: {}'.format(line[:60])})
        return json.dumps(record)

    def close(self) -> None:
        """Send no more tokens."""
        try:
            os.close(self.fd)
        except OSError:
            pass


def kill_all(keep: Set[int]) -> bool:
    """Kill every process this one can see but those in keep (in the
    cage: all of the folder's, each time round until none is left); tell
    whether there was any."""
    found = False
    for name in os.listdir('/proc'):
        if name.isdigit() and int(name) not in keep:
            found = True
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
    return found


def mount_points() -> Set[str]:
    """Return where something is mounted, as this process sees it."""
    points: Set[str] = set()
    try:
        with open('/proc/self/mountinfo') as table:
            for row in table:
                where = row.split()[4]
                points.add(re.sub(r'\\(\d{3})',
                                  lambda code: chr(int(code.group(1), 8)),
                                  where))
    except (OSError, IndexError):
        pass
    return points


def empty(folder: str, keep: Optional[Set[str]] = None) -> None:
    """Remove everything in folder, even what its modes would protect.

    A folder the code made mode 000 is given its owner's rights back
    first (the same uid made it), so nothing it left can block this.
    What is mounted below folder (in the cage, the Python or this
    project, when they live in the host's /tmp) is left, and so are the
    folders that lead to it: walking a read-only tree would only fail,
    slowly.
    """
    mounts = mount_points() if keep is None else keep

    def unlock(function: Any, path: str, excinfo: Any) -> None:
        """Give the parent and path back their rights, then try again."""
        for where in (os.path.dirname(path), path):
            try:
                os.chmod(where, 0o700)
            except OSError:
                pass
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        if path in mounts:
            continue
        if any(point.startswith(path + '/') for point in mounts):
            empty(path, mounts)
        elif os.path.isdir(path) and not os.path.islink(path):
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass
            shutil.rmtree(path, onerror=unlock)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def remove_ipc() -> None:
    """Remove the System V shared memory, semaphores and message queues.

    In the sandbox's own IPC namespace every one is the folder's.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, AttributeError):
        return
    removers: Dict[str, Any] = {
        'shm': lambda ident: libc.shmctl(ident, 0, None),
        'sem': lambda ident: libc.semctl(ident, 0, 0),
        'msg': lambda ident: libc.msgctl(ident, 0, None)}
    for kind, remove in removers.items():
        try:
            with open('/proc/sysvipc/' + kind) as table:
                rows = table.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            try:
                remove(int(row.split()[1]))
            except (ValueError, IndexError):
                pass


def deaf_to_timer(pid: int) -> bool:
    """Tell whether a process has SIGALRM blocked or ignored (Linux).

    Such a process cannot see its test's timer, so waiting for the last
    resort (three budgets and a second) would only waste that time, and
    a busy loop would burn it on a CPU.
    """
    try:
        with open('/proc/{}/status'.format(pid)) as status:
            masks = [int(line.split()[1], 16) for line in status
                     if line.startswith(('SigBlk:', 'SigIgn:'))]
    except (OSError, ValueError, IndexError):
        return False
    return any(mask >> (signal.SIGALRM - 1) & 1 for mask in masks)


def limit_resources() -> None:
    """Cap what this process and its descendants may use (see LIMITS)."""
    for name, value in LIMITS.items():
        which = getattr(resource, name, None)
        if which is None:
            continue
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def main() -> None:
    """Grade the folders the engine sends; see the module docstring.

    The first line of standard input is the job (the tasks, the time
    limit, whether this runs in a sandbox); each later line is a folder
    and its plan.
    The channels to the engine are copies of standard input and output
    made before pytest starts; the standard streams themselves then point
    at nothing, so whatever the folder's code prints cannot be mistaken
    for a record. This process also makes itself undumpable, so that no
    task process can attach to it (ptrace) or read its memory.
    """
    global ACTIVE
    inp, out = os.fdopen(os.dup(0), 'rb'), os.dup(1)
    header = inp.readline()
    if not header:
        return
    job = json.loads(header.decode('utf-8'))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    limit_resources()
    undumpable()  # its task processes run the folder's code
    sys.dont_write_bytecode = True
    ACTIVE = True
    args = ['-c', str(ROOT / 'setup.cfg'), '--rootdir', str(ROOT), '-q',
            '-p', 'no:cacheprovider', '--solution-dir=' + os.getcwd(),
            '--tb=native', '--assert=plain', str(ROOT / 'tests'),
            # each task process captures its own prints: at the file
            # descriptor, they would all share one capture file
            '--capture=sys',
            # what the folder's code leaves to the garbage collector (an
            # unclosed loop, a coroutine never awaited) would otherwise
            # fail whichever later test is running: advice checks it
            '-W', 'ignore::ResourceWarning',
            '-W', 'ignore::pytest.PytestUnraisableExceptionWarning',
            # nor is an error in a thread of the folder's (an executor's)
            # a warning that fails a test; and pytest's plugins that only
            # turn those into warnings, or capture log records, do not run
            # (the unraisable one collects the garbage at every test: a
            # fifth of the cost of a correct folder's tests)
            '-p', 'no:unraisableexception', '-p', 'no:threadexception',
            '-p', 'no:logging'] + [
                '--ignore=' + str(ROOT / 'tests' / name)
                for name in NOT_FOR_SOLUTIONS]
    for taskno in job['tasks']:
        args += ['--task', str(taskno)]
    supervisor = Supervisor(inp, out, job)
    code = pytest.main(args, plugins=[supervisor])
    sys.stdout.flush()
    os._exit(0 if code in (0, 1) else int(code))
