"""Grade folders, each on its own plan (test_grader runs this).

`python3 grade_plans.py JOB REPORT`: JOB is a JSON file, {"jobs": N,
"timeout": S, "folders": {PATH: {"tasks": [N, ...], "advice": BOOL,
"exitfirst": BOOL}}, "in_turn": [PATH, ...]} (see grader.Plan, and
engine.grade for in_turn);
REPORT gets {"folders": [...]} in the shape of `python3 -m grader
--report-json`, in JOB's order, and each folder's "ended" (time.time()
when its grading ended). `python3 -m grader` grades every folder alike;
the suite grades each fixture folder only on the tasks its verdict is
about (see fixture_folders), which keeps the suite quick.
"""
import json
import os
import sys
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from grader import Plan, engine, report  # noqa: E402
from grader.__main__ import tasks_of  # noqa: E402


def main(argv: List[str]) -> int:
    """Grade the folders of the job file; write the report file."""
    job = json.loads(Path(argv[0]).read_text(encoding='utf-8'))
    if job.get('home'):  # a home of the suite's, with a secret to hide
        os.environ['HOME'] = job['home']
    plans = {folder: Plan(plan['tasks'], plan['advice'], plan['exitfirst'])
             for folder, plan in job['folders'].items()}
    options = engine.Options(timeout=float(job['timeout']))
    ended: Dict[str, float] = {}

    def done(result: engine.FolderResult) -> None:
        """Note when a folder's grading ended."""
        ended[result.folder] = time.time()
    results = engine.grade(list(plans), options, int(job['jobs']), done,
                           plans, job.get('in_turn', []))
    folders = []
    for result in results:
        entry = report.folder_json(result.folder, tasks_of(result),
                                   result.problem, options.bwrap is not None,
                                   result.seconds)
        entry['ended'] = ended[result.folder]
        folders.append(entry)
    report.write_json(argv[1], {'folders': folders})
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
