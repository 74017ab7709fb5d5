"""Finding the folders to grade below the paths a mentor gives."""
import os
from pathlib import Path
from typing import List, Optional

DEPTH = 4
TASK_ZERO = '0-basic_async_syntax.py or 0_basic_async_syntax.py'
SKIP = {'.git', 'node_modules', '__pycache__', '.venv', 'venv', '.tox'}


def task_zero_names(directory: Path) -> List[Path]:
    """Return task 0's file in directory under either naming, if there."""
    return [path for path in (directory / '0-basic_async_syntax.py',
                              directory / '0_basic_async_syntax.py')
            if path.is_file()]


def not_a_folder(path: str) -> Optional[str]:
    """Say why path is not a folder to grade or search, or return None."""
    if os.path.isdir(path):
        return None
    return 'not a folder' if os.path.exists(path) else 'no such folder'


def folders(paths: List[str], depth: int = DEPTH) -> List[str]:
    """Return every folder to grade, each once, in a stable order.

    A path that holds task 0's file (either naming) is graded itself; any
    other folder is searched for such folders, up to depth levels below
    it (cohort/learner/repo/project), not inside one that is found.
    """
    found: List[str] = []
    for path in paths:
        root = Path(path).expanduser().resolve()
        if task_zero_names(root):
            found.append(str(root))
            continue
        level = len(root.parts)
        for here, dirs, _ in os.walk(str(root)):
            dirs[:] = sorted(d for d in dirs if d not in SKIP)
            if here != str(root) and task_zero_names(Path(here)):
                found.append(here)
                dirs[:] = []
            elif len(Path(here).parts) - level >= depth:
                dirs[:] = []
    unique: List[str] = []
    for folder in found:
        if folder not in unique:
            unique.append(folder)
    return unique
