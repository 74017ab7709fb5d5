"""The command-line options of the Python - Async suite.

They live in a plugin of their own, installed with the test tools, because
pytest must know them before it parses the command line: told nothing, it
reads the PATH in `--solution-dir PATH` as a test path and roots itself
there, away from this project's setup.cfg and conftest.
"""
import pytest

TASKS = [0, 1, 2, 3, 4]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the options that grade another folder, once per run.

    The suite's conftest calls this too, so that the options exist even
    where the plugin is not installed; the second call finds them there.
    """
    group = parser.getgroup('grading', 'grading a folder of task files')
    try:
        group.addoption('--solution-dir', metavar='PATH',
                        help='grade the task files in PATH instead of ours; '
                             "the learner's code runs on this machine, in "
                             'one child process per task')
    except ValueError:
        return
    group.addoption('--task', metavar='N', type=int, action='append',
                    choices=TASKS,
                    help='run only the tests of task N (repeatable)')
    group.addoption('--report-json', metavar='FILE',
                    help='also write the verdict per task to FILE as JSON')
    group.addoption('--test-timeout', metavar='SECONDS', type=float,
                    default=2.0,
                    help='when grading, fail a test that runs longer '
                         '(default 2)')
