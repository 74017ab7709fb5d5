"""The suite's command-line options, as a pytest plugin of their own.

It is installed with the test tools (a pytest11 entry point), because
pytest must know the options before it parses the command line: told
nothing, it reads the PATH in `--solution-dir PATH` as a test path.

pytest also picks its settings file from that PATH before any plugin
runs, so a folder that carries pytest settings (a pytest.ini, or a
setup.cfg, tox.ini or pyproject.toml with a pytest section, in it or a
folder above it) would set up the user's own process. When that happened,
this plugin starts the same command again with this project's settings
named (`-c`, `--rootdir`) and the folder given as `--solution-dir=PATH`,
which pytest never takes for a path, and exits with its status. Whatever
pytest loaded from those settings before this plugin ran (a `-p` plugin
they name) has run by then: `python3 -m grader PATH` never reads them.
"""
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from grader import restart

TASKS = [0, 1, 2, 3, 4]
ROOT = restart.ROOT
SETTINGS = restart.SETTINGS


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the options that grade another folder, once per run.

    The suite's conftest calls this too, so that the options exist even
    where the plugin is not installed; the second call finds them there.
    """
    group = parser.getgroup('grading', 'grading a folder of task files')
    try:
        group.addoption('--solution-dir', metavar='PATH',
                        help='grade the task files in PATH instead of ours, '
                             'in a sandboxed child process')
    except ValueError:
        return
    group.addoption('--task', metavar='N', type=int, action='append',
                    choices=TASKS,
                    help='run only the tests of task N (repeatable)')
    group.addoption('--report-json', metavar='FILE',
                    help='also write the verdict per task to FILE as JSON')
    group.addoption('--results-json', metavar='FILE',
                    help="when grading, also write Exercism's results.json "
                         '(version 3) for the folder to FILE')
    group.addoption('--test-timeout', metavar='SECONDS', type=float,
                    default=2.0,
                    help='when grading, fail a test phase that runs longer '
                         '(default 2)')
    group.addoption('--no-sandbox', action='store_true',
                    help='grade without the bubblewrap sandbox')


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start again with our settings if pytest took another folder's.

    See the module docstring. Only a run that grades a folder is started
    again, from this project's folder: one whose settings are not ours, or
    that gave the folder as a word of its own, which pytest took for a
    path to collect tests from.
    """
    args = [str(arg) for arg in early_config.invocation_params.args]
    inipath = getattr(early_config, 'inipath', None)
    ours = inipath is not None and Path(inipath).resolve() == SETTINGS
    if '--solution-dir' not in args and (ours or not any(
            arg.startswith('--solution-dir=') for arg in args)):
        return
    command = restart.command(args, Path(early_config.invocation_params.dir))
    capture = early_config.pluginmanager.getplugin('capturemanager')
    if capture is not None:  # it captures the standard streams by now
        capture.suspend_global_capture(in_=True)
    status = subprocess.call(command, cwd=str(ROOT))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # no atexit handler of a plugin loaded here may run
