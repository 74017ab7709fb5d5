"""Caps on what one folder may use: a cgroup around each worker's cage.

A worker grades one folder at a time, so a cgroup around its whole cage
caps the folder's total memory (tmpfs files included) and the number of
its processes, which per-process rlimits cannot do (two processes of 3
GiB each pass a 4 GiB address-space limit, and the kernel does not hold
root to RLIMIT_NPROC). The kernel's counters tell afterwards whether a
cap was hit: the engine reads memory.oom_control or memory.events for
the tasks the OOM killer ended, and the task processes read pids.events
and the OOM counter (both bound read-only into the cage) to tell which of
their tests hit a cap.

cgroup v1 (a memory and a pids hierarchy) and v2 are both used where this
process may make a cgroup below its own: as root, or in a delegated v2
subtree. Elsewhere `Caps.make` returns None and `why_not` says why.
"""
import os
import time
from typing import Dict, List, Optional, Tuple

MEMORY = 512 << 20  # bytes a folder may use in all
PROCESSES = 256  # processes (and threads, and zombies not yet reaped) a
# folder may have at once; leave_traces makes 100 zombies, legitimately
PIDS_EVENTS = '/.grader-caps/pids.events'  # where the cage sees them
MEMORY_EVENTS = '/.grader-caps/memory.events'
V1 = '/sys/fs/cgroup'
OVER_MEMORY = 'the code used more than {} MiB of memory (the cap for a ' \
    'folder), and the kernel stopped a process of it'.format(MEMORY >> 20)
OVER_PROCESSES = 'the code started more than {} processes at once (the ' \
    'cap for a folder), and the kernel refused one'.format(PROCESSES)


def own_cgroups() -> Dict[str, str]:
    """Return this process's cgroup per controller ('' for v2)."""
    found: Dict[str, str] = {}
    try:
        with open('/proc/self/cgroup') as lines:
            for line in lines:
                _, controllers, path = line.rstrip('\n').split(':', 2)
                for name in controllers.split(',') if controllers else ['']:
                    found[name] = path
    except (OSError, ValueError):
        pass
    return found


def _read_counter(path: str, name: str) -> int:
    """Return counter name of a flat-keyed cgroup file, or 0."""
    try:
        with open(path) as lines:
            for line in lines:
                key, _, value = line.partition(' ')
                if key == name:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


class Caps:
    """One worker's cgroup(s): the caps, the counters, the clean-up."""

    why_not = ''

    def __init__(self, memory_dir: str, pids_dir: str) -> None:
        """Use the cgroup folders made for memory and pids."""
        self.memory_dir = memory_dir
        self.pids_dir = pids_dir
        self.v2 = memory_dir == pids_dir

    @classmethod
    def make(cls, name: str) -> Optional['Caps']:
        """Make a cgroup called name below this process's; None if none can
        be made here (why_not says why)."""
        own = own_cgroups()
        unified = os.path.exists(os.path.join(V1, 'cgroup.controllers'))
        if unified:
            dirs = [os.path.join(V1, own.get('', '/').lstrip('/'), name)] * 2
        elif 'memory' in own and 'pids' in own:
            dirs = [os.path.join(V1, controller,
                                 own[controller].lstrip('/'), name)
                    for controller in ('memory', 'pids')]
        else:
            cls.why_not = 'no memory or pids cgroup controller here'
            return None
        try:
            for folder in dict.fromkeys(dirs):
                os.mkdir(folder)
            caps = cls(dirs[0], dirs[1])
            caps._write('memory.max' if unified else
                        'memory.limit_in_bytes', MEMORY, caps.memory_dir)
            caps._write('pids.max', PROCESSES, caps.pids_dir)
            if unified:
                caps._write('memory.swap.max', 0, caps.memory_dir,
                            required=False)
        except OSError as error:
            for folder in dirs:
                try:
                    os.rmdir(folder)
                except OSError:
                    pass
            cls.why_not = 'no cgroup may be made here ({}): grade as ' \
                'root, or in a delegated cgroup v2 subtree'.format(
                    error.strerror or error)
            return None
        return caps

    @staticmethod
    def _write(name: str, value: int, folder: str,
               required: bool = True) -> None:
        """Write one value into a cgroup file."""
        try:
            with open(os.path.join(folder, name), 'w') as out:
                out.write(str(value))
        except OSError:
            if required:
                raise

    def prefix(self) -> List[str]:
        """Return a command prefix that joins the cgroup, then runs the rest.

        The shell writes its own pid into cgroup.procs and then becomes
        the command, so everything the cage starts is inside from the
        first instruction on.
        """
        procs = list(dict.fromkeys(
            os.path.join(folder, 'cgroup.procs')
            for folder in (self.memory_dir, self.pids_dir)))
        return ['/bin/sh', '-c', 'n=$1; shift; while [ "$n" -gt 0 ]; do '
                'echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; '
                'exec "$@"', 'sh', str(len(procs))] + procs

    def _events(self) -> str:
        """Return the file that counts the OOM killer's kills."""
        return os.path.join(self.memory_dir, 'memory.events' if self.v2
                            else 'memory.oom_control')

    def bind(self) -> List[str]:
        """Return the bwrap options that show the cage its counters."""
        return ['--ro-bind', self._events(), MEMORY_EVENTS, '--ro-bind',
                os.path.join(self.pids_dir, 'pids.events'), PIDS_EVENTS]

    def oom_kills(self) -> int:
        """Return how many processes the OOM killer ended in the cgroup."""
        return _read_counter(self._events(), 'oom_kill')

    def remove(self) -> None:
        """Remove the cgroup (its processes must have ended)."""
        for folder in dict.fromkeys((self.memory_dir, self.pids_dir)):
            for _ in range(50):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def hits() -> Tuple[int, int]:
    """Return, in the cage, how many processes the OOM killer ended and
    how many forks the pids cap refused so far (0, 0 without caps)."""
    return (_read_counter(MEMORY_EVENTS, 'oom_kill'),
            _read_counter(PIDS_EVENTS, 'max'))
