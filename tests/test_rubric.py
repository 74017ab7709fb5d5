"""The exercise's rubric, checked on each task module file."""
import ast
import contextlib
import io
import os
import re
import sys
import tokenize
from pathlib import Path
from typing import List, Tuple, Union

import pycodestyle
import pytest

from checks import (literal, newer_syntax, parse, py37_problems,
                    retry_on_system_error)
from conftest import Solution
from grader import TASK_MODULES
from grader.report import plural

TASKS = [pytest.param(taskno, marks=pytest.mark.task(taskno=taskno),
                      id='task{}'.format(taskno)) for taskno in TASK_MODULES]
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
# One check now, when the module is imported: a grading child imports it
# once, then forks a process per task of each folder, which would otherwise
# compile tokenize's and pycodestyle's patterns again (5 ms) on its check.
with contextlib.redirect_stdout(io.StringIO()):
    pycodestyle.Checker(lines=['"""Warm up."""\n']).check_all()


def functions(tree: ast.Module) -> List[Function]:
    """Return every function defined anywhere in a module, nested too."""
    return [node for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def read(solution: Solution, taskno: int) -> str:
    """Return a task file's text as Python reads it (a UTF-8 byte order
    mark at the start is not part of it)."""
    return solution.check_file(taskno).read_text(encoding='utf-8-sig')


def is_sentence(doc: str) -> bool:
    """Tell whether a docstring says something: three words or more (a
    word has a letter: 'Python - Async' is two)."""
    return sum(1 for word in doc.split()
               if any(char.isalpha() for char in word)) >= 3


@pytest.mark.parametrize('taskno', TASKS)
def test_uses_unix_line_endings(solution: Solution, taskno: int) -> None:
    read(solution, taskno)
    lines = solution.path(taskno).read_bytes().split(b'\n')
    crlf = [number for number, line in enumerate(lines, 1)
            if line.endswith(b'\r')]
    assert not crlf, (
        '{} has Windows line endings (CRLF{}); save it with LF endings{}'
        .format(solution.path(taskno).name,
                '' if len(crlf) > 1 else ' on line {}'.format(crlf[0]),
                ', or #!/usr/bin/env python3 cannot run it' if crlf[0] == 1
                else ''))


@pytest.mark.parametrize('taskno', TASKS)
def test_first_line_is_the_shebang(solution: Solution, taskno: int) -> None:
    """Read as the kernel reads it: a byte order mark before #! is not a
    shebang."""
    first = solution.check_file(taskno).read_bytes().split(b'\n', 1)[
        0].decode('utf-8', 'replace')
    assert first == '#!/usr/bin/env python3', (
        '{} should start with #!/usr/bin/env python3, starts with {!r}'
        .format(solution.path(taskno).name, first))


@pytest.mark.parametrize('taskno', TASKS)
def test_is_executable(solution: Solution, taskno: int) -> None:
    assert os.access(str(solution.check_file(taskno)), os.X_OK), (
        '{} is not executable; run chmod +x on it'.format(
            solution.path(taskno).name))


@pytest.mark.parametrize('taskno', TASKS)
def test_ends_with_a_newline(solution: Solution, taskno: int) -> None:
    assert read(solution, taskno).endswith('\n'), (
        '{} should end with a newline'.format(solution.path(taskno).name))


@pytest.mark.parametrize('taskno', TASKS)
def test_module_has_a_docstring(solution: Solution, taskno: int) -> None:
    doc = ast.get_docstring(parse(read(solution, taskno)))
    assert doc is not None, (
        '{} needs a module docstring: a sentence in quotes as the first '
        'statement of the file, before the imports'.format(
            solution.path(taskno).name))
    assert is_sentence(doc), (
        '{} needs a module docstring that is a real sentence (three words '
        'or more), has {!r}'.format(
            solution.path(taskno).name, doc))


def main_guard(test: ast.expr) -> bool:
    """Tell whether an if's test is __name__ == '__main__'."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or \
            not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left] + test.comparators
    names = [side.id for side in sides if isinstance(side, ast.Name)]
    texts = [literal(side) for side in sides
             if not isinstance(side, ast.Name)]
    return names == ['__name__'] and texts == ['__main__']


def top_level(tree: ast.Module) -> List[ast.stmt]:
    """Return the statements importing a module runs at its top level:
    those in an if, try, with or loop there too, but not what `if
    __name__ == '__main__':` holds, which an import never runs."""
    found: List[ast.stmt] = []
    waiting: List[ast.stmt] = list(tree.body)
    while waiting:
        node = waiting.pop(0)
        if isinstance(node, ast.If) and main_guard(node.test):
            waiting += node.orelse
            continue
        found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.ClassDef)):
            continue
        for field in ('body', 'orelse', 'finalbody'):  # a compound one's
            block = getattr(node, field, None)
            if isinstance(block, list):
                waiting += block
        for handler in getattr(node, 'handlers', ()):
            waiting += handler.body
    return found


def checked(tree: ast.Module) -> List[Union[Function, ast.ClassDef]]:
    """Return what the exercise's checker wants a docstring on: the
    classes and functions a module defines at its top level (see
    top_level), once it is imported, and its classes' methods and
    classes, however deep; a helper nested in a function is not."""
    found: List[Union[Function, ast.ClassDef]] = []
    classes: List[ast.ClassDef] = []
    for node in top_level(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(node)
        elif isinstance(node, ast.ClassDef):
            classes.append(node)
    while classes:
        cls = classes.pop(0)
        found.append(cls)
        for member in cls.body:
            if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append(member)
            elif isinstance(member, ast.ClassDef):
                classes.append(member)
    return found


def lambdas(tree: ast.Module) -> List[str]:
    """Return the names a module binds to a lambda at its top level: a
    function the checker reads, with no docstring to read."""
    names: List[str] = []
    for node in top_level(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(
                node.value, ast.Lambda):
            targets = node.targets if isinstance(node, ast.Assign) else [
                node.target]
            names += [target.id for target in targets
                      if isinstance(target, ast.Name)]
    return names


@pytest.mark.parametrize('taskno', TASKS)
def test_functions_have_docstrings(solution: Solution, taskno: int) -> None:
    tree = parse(read(solution, taskno))
    missing = [node.name for node in checked(tree)
               if not is_sentence(ast.get_docstring(node) or '')]
    assert not missing, (
        '{}: give {} a docstring that is a real sentence (three words or '
        'more)'.format(
            solution.path(taskno).name, ', '.join(dict.fromkeys(missing))))
    bound = lambdas(tree)
    assert not bound, (
        '{}: {} is a lambda, which has no docstring; define it with def, '
        'with a docstring'.format(solution.path(taskno).name,
                                  ', '.join(bound)))


@pytest.mark.extra
@pytest.mark.parametrize('taskno', TASKS)
def test_nested_helpers_have_docstrings(solution: Solution,
                                        taskno: int) -> None:
    """A helper nested in a function is not read by the exercise's
    checker, but a docstring helps its reader all the same."""
    tree = parse(read(solution, taskno))
    top = {id(node) for node in checked(tree)}
    missing = [node.name for node in functions(tree) if id(node) not in top
               and not is_sentence(ast.get_docstring(node) or '')]
    assert not missing, (
        '{}: the nested helper {} has no docstring (the exercise does not '
        'ask for one; a sentence would help its reader)'.format(
            solution.path(taskno).name, ', '.join(missing)))


@pytest.mark.parametrize('taskno', TASKS)
def test_functions_are_annotated(solution: Solution, taskno: int) -> None:
    tree = parse(read(solution, taskno))
    methods = {id(node) for cls in ast.walk(tree)
               if isinstance(cls, ast.ClassDef) for node in cls.body
               if not any(isinstance(decorator, ast.Name) and
                          decorator.id == 'staticmethod'
                          for decorator in getattr(node, 'decorator_list',
                                                   ()))}
    missing = []
    for node in functions(tree):
        args = node.args
        params = args.posonlyargs if hasattr(args, 'posonlyargs') else []
        params = params + args.args
        if id(node) in methods and params:  # a method's self or cls
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
    """pycodestyle 2.5.0's verdict (the exercise's checker), on any Python.

    The checker runs on Python 3.7, where code with newer syntax does not
    parse (E999); pycodestyle run elsewhere would misread it instead. The
    syntax is found by parsing as 3.7 would (which Python 3.8 and 3.9 do
    only in part) or by the syntax error a real Python 3.7 raised
    importing the module, when grading found one."""
    said = solution.said_by_python37(taskno)
    newer = newer_syntax(read(solution, taskno)) or (
        said.error if said and said.error and said.error.startswith(
            'SyntaxError') else None)
    path = solution.path(taskno)
    assert newer is None, (
        "{}: E999 pycodestyle 2.5.0 on Python 3.7, the exercise's checker, "
        'cannot parse it: {}'.format(path.name, newer))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        retry_on_system_error(pycodestyle.Checker(str(path)).check_all)
    spans = fstring_spans(path)
    findings = [line for line in out.getvalue().splitlines()
                if not inside_any(position(line), spans)]
    assert not findings, '{} ({} in all)'.format(
        first_finding(findings[0]), plural(len(findings), 'finding'))


Position = Tuple[int, int]


def fstring_spans(path: Path) -> List[Tuple[Position, Position]]:
    """Return where the f-strings of a file are, on Python 3.12 and newer.

    From 3.12 the tokenizer splits an f-string into parts, and
    pycodestyle 2.5.0 then checks the code inside it (E231 after the
    colon of a format spec, say); Python 3.7, the exercise's, gives it as
    one string, which pycodestyle never looks into. Findings inside these
    spans are left out, so the verdict is the same on every Python.
    """
    if sys.version_info < (3, 12):
        return []
    spans = []
    starts: List[Position] = []
    with tokenize.open(str(path)) as source:
        for token in tokenize.generate_tokens(source.readline):
            if token.type == getattr(tokenize, 'FSTRING_START', None):
                starts.append(token.start)
            elif token.type == getattr(tokenize, 'FSTRING_END', None) and \
                    starts:
                start = starts.pop()
                if not starts:
                    spans.append((start, token.end))
    return spans


FINDING = re.compile(r'^(.*):(\d+):(\d+): (.*)$')


def position(line: str) -> Position:
    """Return the (row, column from 0) of a pycodestyle finding."""
    found = FINDING.match(line)
    return (int(found.group(2)), int(found.group(3)) - 1) if found \
        else (0, 0)


def inside_any(where: Position, spans: List[Tuple[Position, Position]]
               ) -> bool:
    """Tell whether a position lies inside one of the spans."""
    return any(start <= where < end for start, end in spans)


def first_finding(line: str) -> str:
    """Turn pycodestyle's 'path:row:col: code text' into 'file:row: ...'."""
    found = FINDING.match(line)
    if not found:
        return line
    return '{}:{}: {}'.format(os.path.basename(found.group(1)),
                              found.group(2), found.group(4))


@pytest.mark.parametrize('taskno', TASKS)
def test_would_run_on_python_3_7(solution: Solution, taskno: int) -> None:
    """What a real Python 3.7 raised importing the module (when grading
    found one, see grader.python37) comes first, then what vermin and the
    syntax tree find."""
    said = solution.said_by_python37(taskno)
    problems = ['importing it with Python 3.7 raises ' + said.error] \
        if said and said.error else []
    problems += py37_problems(read(solution, taskno))
    assert not problems, (
        "{} would fail on Python 3.7, the exercise's interpreter: {}".format(
            solution.path(taskno).name, '; '.join(problems[:3])))
