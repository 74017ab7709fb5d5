#!/usr/bin/env python3
"""Say where the CPU time of one `python3 -m pytest` goes, command by command.

The suite starts its grading commands in the background, each a tree of
processes (a grading child in its cage, task processes, a Python 3.7, a
browser) that the pytest process does not wait for one by one, so
`time` does not see their CPU. This script runs the whole suite once
with each background command in a cgroup of its own (tests/background.py
puts it there when SUITE_CPU_CGROUP names a folder of cgroups) and the
pytest process itself in another, then prints each one's CPU seconds, the
total, the wall time, and the least wall time that total needs on this
machine's CPUs. It needs a cgroup it may make groups in: cgroup v1's
cpuacct hierarchy, or a v2 tree, as root (or in a delegated v2 subtree).

Run from the project folder, in the environment the README sets up:

    python3 benchmarks/bench_suite.py [--json FILE] [PYTEST ARGS...]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
MAIN = 'pytest itself'  # what the pytest process (and what it forks) used
MAIN_GROUP = 'pytest-itself'  # its cgroup
sys.path.insert(0, str(ROOT / 'tests'))
from background import counted  # noqa: E402 - the suite's own way in


def cpu_hierarchy() -> Optional[Tuple[Path, str]]:
    """Return where this process may make cgroups that count CPU time,
    and the file to read it from (v1 cpuacct's, or v2's cpu.stat)."""
    try:
        lines = Path('/proc/self/cgroup').read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(':', 2)
        if 'cpuacct' in controllers.split(','):
            for name in ('cpu,cpuacct', 'cpuacct,cpu', 'cpuacct'):
                base = Path('/sys/fs/cgroup', name)
                if base.is_dir():
                    return base / path.lstrip('/'), 'cpuacct.usage'
        if controllers == '' and Path('/sys/fs/cgroup/cgroup.procs').exists():
            return Path('/sys/fs/cgroup') / path.lstrip('/'), 'cpu.stat'
    return None


def seconds(group: Path, counter: str) -> float:
    """Return the CPU seconds a cgroup has used."""
    text = (group / counter).read_text()
    if counter == 'cpuacct.usage':
        return int(text) / 1e9
    fields = dict(line.split() for line in text.splitlines())
    return int(fields['usage_usec']) / 1e6


def run(pytest_args: Sequence[str]) -> Dict[str, object]:
    """Run the suite once, each command in a cgroup; return the times."""
    found = cpu_hierarchy()
    if found is None:
        raise SystemExit('no cgroup here counts CPU time (cgroup v1 cpuacct '
                         'or v2 needed)')
    where, counter = found
    suite = where / 'suite-cpu-{}'.format(os.getpid())
    try:
        suite.mkdir(parents=True)
    except OSError as error:
        raise SystemExit('cannot make a cgroup in {}: {} (run as root, or '
                         'in a delegated cgroup v2 subtree)'.format(
                             where, error.strerror))
    os.environ['SUITE_CPU_CGROUP'] = str(suite)  # read by counted, and by
    # the suite's own background commands
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, '-m', 'pytest', '-q'] + list(pytest_args),
            cwd=str(ROOT), preexec_fn=counted(MAIN_GROUP),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True)
        wall = time.perf_counter() - started
        groups = {MAIN if group.name == MAIN_GROUP else group.name: seconds(
            group, counter) for group in sorted(suite.iterdir())
            if group.is_dir()}
    finally:
        for group in sorted(suite.glob('*/')) + [suite]:
            try:
                group.rmdir()
            except OSError:
                pass
    summary = done.stdout.strip().splitlines()[-1:]
    return {'status': done.returncode, 'summary': summary[0] if summary
            else '', 'wall_s': wall, 'cpu_s': groups,
            'total_cpu_s': sum(groups.values()), 'cpus': os.cpu_count()}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the suite, print where its CPU time went."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--json', metavar='FILE',
                        help='also write the results to FILE as JSON')
    args, pytest_args = parser.parse_known_args(argv)
    result = run(pytest_args)
    cpu: Dict[str, float] = result['cpu_s']  # type: ignore[assignment]
    total = float(result['total_cpu_s'])  # type: ignore[arg-type]
    cpus = int(result['cpus'] or 1)  # type: ignore[call-overload]
    lines: List[str] = ['{:>8}  {}'.format('CPU s', 'what')]
    for name, used in sorted(cpu.items(), key=lambda item: -item[1]):
        lines.append('{:>8.2f}  {}'.format(used, name))
    lines += ['{:>8.2f}  in all; wall {:.2f} s; on {} CPUs at least {:.2f} '
              's'.format(total, float(result['wall_s']),  # type: ignore
                         cpus, total / cpus),
              'pytest: {} (exit status {})'.format(result['summary'],
                                                   result['status'])]
    print('\n'.join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + '\n',
                                   encoding='utf-8')
    return 0 if result['status'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
