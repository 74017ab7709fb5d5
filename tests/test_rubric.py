"""The exercise's rubric, checked on each task module file."""
import ast
import contextlib
import io
import os
from typing import List, Union

import pycodestyle
import pytest

from checks import parse, plural, py37_problems, retry_on_system_error
from conftest import Solution
from grader import TASK_MODULES

TASKS = [pytest.param(taskno, marks=pytest.mark.task(taskno=taskno),
                      id='task{}'.format(taskno)) for taskno in TASK_MODULES]
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


def functions(tree: ast.Module) -> List[Function]:
    """Return every function defined anywhere in a module, nested too."""
    return [node for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def read(solution: Solution, taskno: int) -> str:
    path = solution.path(taskno)
    assert path.exists(), '{}: file not found'.format(path.name)
    return path.read_text(encoding='utf-8')


def is_sentence(doc: str) -> bool:
    """Tell whether a docstring says something: three words or more."""
    return len(doc.split()) >= 3


@pytest.mark.parametrize('taskno', TASKS)
def test_uses_unix_line_endings(solution: Solution, taskno: int) -> None:
    read(solution, taskno)
    assert b'\r' not in solution.path(taskno).read_bytes(), (
        '{} has Windows line endings (CRLF); save it with LF endings, or '
        '#!/usr/bin/env python3 cannot run it'.format(
            solution.path(taskno).name))


@pytest.mark.parametrize('taskno', TASKS)
def test_first_line_is_the_shebang(solution: Solution, taskno: int) -> None:
    first = read(solution, taskno).split('\n', 1)[0]
    assert first == '#!/usr/bin/env python3', (
        '{} should start with #!/usr/bin/env python3, starts with {!r}'
        .format(solution.path(taskno).name, first))


@pytest.mark.parametrize('taskno', TASKS)
def test_is_executable(solution: Solution, taskno: int) -> None:
    assert os.access(str(solution.path(taskno)), os.X_OK), (
        '{} is not executable; run chmod +x on it'.format(
            solution.path(taskno).name))


@pytest.mark.parametrize('taskno', TASKS)
def test_ends_with_a_newline(solution: Solution, taskno: int) -> None:
    assert read(solution, taskno).endswith('\n'), (
        '{} should end with a newline'.format(solution.path(taskno).name))


@pytest.mark.parametrize('taskno', TASKS)
def test_module_has_a_docstring(solution: Solution, taskno: int) -> None:
    doc = ast.get_docstring(parse(read(solution, taskno)))
    assert doc and is_sentence(doc), (
        '{} needs a module docstring that is a real sentence, has {!r}'
        .format(solution.path(taskno).name, doc))


@pytest.mark.parametrize('taskno', TASKS)
def test_functions_have_docstrings(solution: Solution, taskno: int) -> None:
    tree = parse(read(solution, taskno))
    missing = [node.name for node in functions(tree)
               if not is_sentence(ast.get_docstring(node) or '')]
    assert not missing, (
        '{}: give {} a docstring that is a real sentence'.format(
            solution.path(taskno).name, ', '.join(missing)))


@pytest.mark.parametrize('taskno', TASKS)
def test_functions_are_annotated(solution: Solution, taskno: int) -> None:
    tree = parse(read(solution, taskno))
    methods = {id(node) for cls in ast.walk(tree)
               if isinstance(cls, ast.ClassDef) for node in cls.body}
    missing = []
    for node in functions(tree):
        args = node.args
        params = args.posonlyargs if hasattr(args, 'posonlyargs') else []
        params = params + args.args
        if id(node) in methods and params:  # self or cls goes unannotated
            params = params[1:]
        params = params + args.kwonlyargs + [
            arg for arg in (args.vararg, args.kwarg) if arg is not None]
        missing += ['{}({})'.format(node.name, param.arg)
                    for param in params if param.annotation is None]
        if node.returns is None:
            missing.append('{} -> return'.format(node.name))
    assert not missing, '{}: annotate {}'.format(
        solution.path(taskno).name, ', '.join(missing))


@pytest.mark.parametrize('taskno', TASKS)
def test_is_pycodestyle_clean(solution: Solution, taskno: int) -> None:
    """pycodestyle 2.5.0's verdict (the exercise's checker), on any Python."""
    read(solution, taskno)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        errors = retry_on_system_error(
            pycodestyle.Checker(str(solution.path(taskno))).check_all)
    findings = out.getvalue().splitlines()
    assert errors == 0, '{} ({} in all)'.format(
        first_finding(findings[0]) if findings else 'pycodestyle failed',
        plural(errors, 'finding'))


def first_finding(line: str) -> str:
    """Turn pycodestyle's 'path:row:col: code text' into 'file:row: ...'."""
    path, row, _, text = line.rsplit(':', 3) if line.count(':') >= 3 \
        else (line, '', '', '')
    return '{}:{}:{}'.format(os.path.basename(path), row, text)


@pytest.mark.parametrize('taskno', TASKS)
def test_would_run_on_python_3_7(solution: Solution, taskno: int) -> None:
    problems = py37_problems(read(solution, taskno))
    assert not problems, (
        "{} would fail on Python 3.7, the exercise's interpreter: {}".format(
            solution.path(taskno).name, '; '.join(problems[:3])))
