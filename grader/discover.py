"""Finding the folders to grade below the paths a mentor gives."""
import os
from pathlib import Path
from typing import Dict, List, Optional

from grader import inert

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


def inside_project(path: str) -> bool:
    """Tell whether path resolves to this grader's project or inside it."""
    from grader import ROOT
    resolved = Path(path).expanduser().resolve()
    return resolved == ROOT or ROOT in resolved.parents


def folders(paths: List[str], depth: int = DEPTH,
            warnings: Optional[List[str]] = None) -> List[str]:
    """Return every folder to grade, each once, in a stable order.

    A path that holds task 0's file (either naming) is graded itself; any
    other folder is searched for such folders, up to depth levels below
    it (cohort/learner/repo/project), not inside one that is found. A
    link to a folder is graded where it stands if it holds task 0's file;
    one that leads into this project, or to a folder already found, is
    named in warnings instead (never dropped without a word).
    """
    found: List[str] = []
    linked: List[str] = []  # after the rest: a folder found itself wins
    notes = [] if warnings is None else warnings
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
            for name in dirs:
                link = os.path.join(here, name)
                if not os.path.islink(link):
                    continue
                if inside_project(link):
                    notes.append('{}: not graded, a link into the grader\'s '
                                 'own project'.format(inert(link)))
                elif task_zero_names(Path(link)):
                    linked.append(link)
                else:
                    notes.append('{}: not searched, a link to a folder'
                                 .format(inert(link)))
    unique: List[str] = []
    seen: Dict[str, str] = {}
    for folder in found + linked:
        real = os.path.realpath(folder)
        if real in seen:
            if seen[real] != folder:
                notes.append('{}: graded once, as {}'.format(
                    inert(folder), inert(seen[real])))
            continue
        seen[real] = folder
        unique.append(folder)
    return unique
