"""The benchmark scripts still run and report what the README says.

They run for real, so they are kept tiny (n = 50, delays of at most 1 ms,
one round; one folder to grade), in the background (see background.py);
nothing here depends on how long anything took.
"""
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from background import Command, Finished, command
from conftest import ROOT

pytestmark = pytest.mark.benchmark
BENCHMARKS = ROOT / 'benchmarks'


@command
def bench_wait_n(scratch: Path) -> Command:
    """The wait_n benchmark, tiny."""
    return ([str(BENCHMARKS / 'bench_wait_n.py'), '--sizes', '50',
             '--rounds', '1', '--max-delay', '0.001', '--json',
             str(scratch / 'bench.json')], scratch)


def test_benchmark_reports_every_contender(bench_wait_n: Finished) -> None:
    done = bench_wait_n
    assert done.status == 0, done.output
    results = json.loads((done.scratch / 'bench.json').read_text(
        encoding='utf-8'))['results']
    rows = {row['contender']: row for row in results}
    assert sorted(rows) == ['as_completed', 'floor', 'task_wait_n', 'wait_n']
    assert rows['wait_n']['descents'] == rows['task_wait_n']['descents'] == 0
    assert rows['floor']['ratio'] == 1.0
    for row in results:
        assert row['median_s'] > 0 and row['peak_rss_mib'] >= 0, row
        assert '{:>7}  {:<12}'.format(50, row['contender']) in done.output


@command
def bench_grader(scratch: Path) -> Command:
    """The grader benchmark on one folder, one job, task 0, without the
    advice."""
    return ([str(BENCHMARKS / 'bench_grader.py'), '--folders', '1',
             '--jobs', '1', '--task', '0', '--no-advice', '--json',
             str(scratch / 'bench.json')], scratch)


def test_grader_benchmark_reports_each_job_count(
        bench_grader: Finished) -> None:
    done = bench_grader
    assert done.status == 0, done.output
    rows = json.loads((done.scratch / 'bench.json').read_text(
        encoding='utf-8'))['results']
    assert [(row['jobs'], row['folders'], row['advice'], row['tasks'])
            for row in rows] == [(1, 1, False, [0])]
    for row in rows:
        assert row['wall_s'] > 0 and row['folders_per_s'] > 0, row


def load(name: str) -> ModuleType:
    """Import a benchmark script as a module, here."""
    spec = importlib.util.spec_from_file_location(
        name, str(BENCHMARKS / (name + '.py')))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('option', ['--rounds 0', '--sizes -5', '--sizes 0',
                                    '--max-delay 0'])
def test_benchmark_rejects_a_bad_option(
        option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        load('bench_wait_n').main(option.split())
    assert exit.value.code == 2
    assert 'error: argument {}:'.format(option.split()[0]) in \
        capsys.readouterr().err
