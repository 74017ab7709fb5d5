"""The grader's first word: runs when Python starts, before pytest.

The .pth file beside it imports this module at every start of the Python
it is installed in. When the command is `python3 -m pytest` (or `pytest`)
with `--solution-dir`, grader/restart.py starts it again from the
grader's own folder with its settings named, before pytest has read any
settings, plugin or conftest from the folder graded or the folders above
it; any other command goes on at once. restart.py is loaded from its
file, not as grader.restart: importing the grader package before pytest
would keep pytest from rewriting its asserts.
"""
import sys


def main() -> None:
    """Hand a grading pytest command to grader/restart.py."""
    if not any(arg.startswith('--solution-dir') for arg in sys.argv):
        return
    import importlib.util
    import os
    package = importlib.util.find_spec('grader')
    if package is None or not package.origin:
        return  # the grader is not installed here: nothing to protect
    path = os.path.join(os.path.dirname(package.origin), 'restart.py')
    spec = importlib.util.spec_from_file_location('async_grader_restart',
                                                  path)
    if spec is None or spec.loader is None:
        return
    restart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(restart)
    restart.first()


main()
