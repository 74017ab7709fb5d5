"""The benchmark script still runs and reports what the README says.

It runs for real, so it is kept tiny (n = 50, delays of at most 1 ms, one
round); nothing here depends on how long anything took.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.benchmark


def test_benchmark_reports_every_contender(tmp_path: Path) -> None:
    report = tmp_path / 'bench.json'
    done = subprocess.run(
        [sys.executable, str(ROOT / 'benchmarks' / 'bench_wait_n.py'),
         '--sizes', '50', '--rounds', '1', '--max-delay', '0.001',
         '--json', str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=120)
    assert done.returncode == 0, done.stdout
    results = json.loads(report.read_text(encoding='utf-8'))['results']
    rows = {row['contender']: row for row in results}
    assert sorted(rows) == ['as_completed', 'floor', 'task_wait_n', 'wait_n']
    assert rows['wait_n']['descents'] == rows['task_wait_n']['descents'] == 0
    assert rows['floor']['ratio'] == 1.0
    for row in results:
        assert row['median_s'] > 0 and row['peak_rss_mib'] >= 0, row
        assert '{:>7}  {:<12}'.format(50, row['contender']) in done.stdout


def test_grader_benchmark_reports_each_job_count(tmp_path: Path) -> None:
    report = tmp_path / 'bench.json'
    done = subprocess.run(
        [sys.executable, str(ROOT / 'benchmarks' / 'bench_grader.py'),
         '--folders', '1', '--jobs', '1', '--json', str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=120)
    assert done.returncode == 0, done.stdout
    rows = json.loads(report.read_text(encoding='utf-8'))['results']
    assert [(row['jobs'], row['folders']) for row in rows] == [(1, 1)]
    for row in rows:
        assert row['wall_s'] > 0 and row['folders_per_s'] > 0, row


@pytest.mark.parametrize('option', ['--rounds 0', '--sizes -5', '--sizes 0',
                                    '--max-delay 0'])
def test_benchmark_rejects_a_bad_option(option: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / 'benchmarks' / 'bench_wait_n.py')] +
        option.split(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=60)
    assert done.returncode == 2 and 'error: argument {}:'.format(
        option.split()[0]) in done.stdout, done.stdout
