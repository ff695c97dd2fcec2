"""A real-looking year of one project, for trying the importers and for the README's screenshots:
a git history as GitHub writes it (squash merges titled "Title (#N)", weekly release tags, a quiet
August and a slow December) and a PagerDuty incidents export with a dozen incidents.

    python examples/realistic_history.py DIRECTORY     # writes DIRECTORY/shop (git) and DIRECTORY/pagerduty.json
    python -m metrics import --from git DIRECTORY/shop --name shop --tag-pattern 'v*'
    python -m metrics import --from pagerduty DIRECTORY/pagerduty.json --name shop --service shop

Deterministic (seeded); built with ``git fast-import`` in about a second.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
PEOPLE = ["ana", "bo", "chen", "dara", "eli", "fatima", "gus", "hana"]


def _stamp(when: datetime) -> str:
    return f"{int(when.timestamp())} +0000"


def build_git_history(directory: Path, days: int = 365, seed: int = 3) -> Path:
    """A repository ``directory/shop`` with about 700 squash-merged PRs and weekly ``v*`` tags over ``days``."""
    rng = np.random.default_rng(seed)
    repo = Path(directory) / "shop"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    lines, mark, number, tags = [], 0, 0, []
    for day in range(days):
        date = START + timedelta(days=day)
        if date.weekday() >= 5 or (date.month == 8 and date.day < 22):      # weekends, and a quiet August
            continue
        merges = rng.poisson(1.2 if date.month == 12 else 3.0)
        for _ in range(merges):
            number += 1
            merged = date + timedelta(hours=float(rng.uniform(9, 18)))
            first_commit = merged - timedelta(hours=float(min(rng.lognormal(2.8, 0.9), 24 * 20)))
            mark += 1
            author = PEOPLE[int(rng.integers(len(PEOPLE)))]
            message = f"Change {number} (#{number})\n"
            lines += ["commit refs/heads/main", f"mark :{mark}",
                      f"author {author} <{author}@example.com> {_stamp(first_commit)}",
                      f"committer GitHub <noreply@github.com> {_stamp(merged)}",
                      f"data {len(message.encode())}", message]
            if mark > 1:
                lines.append(f"from :{mark - 1}")
            lines += [f"M 644 inline src/file{number % 50}.py", "data 2", "x", ""]
        # a release every Tuesday afternoon (none in August, one skipped in the autumn)
        if date.weekday() == 1 and mark and date.month != 8 and not (date.month == 10 and date.day < 8):
            tags.append((f"v1.{len(tags)}.0", mark, date + timedelta(hours=16)))
    for name, at_mark, when in tags:
        lines += [f"tag {name}", f"from :{at_mark}", f"tagger Release bot <bot@example.com> {_stamp(when)}",
                  "data 8", "release", ""]
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input="\n".join(lines).encode(), check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-f", "main"], check=True)
    return repo


def pagerduty_incidents(directory: Path, days: int = 365, seed: int = 3) -> Path:
    """``directory/pagerduty.json``: a dozen incidents (PagerDuty REST API shape), most of them
    within hours of a Tuesday release, resolved in 20 minutes to 6 hours."""
    rng = np.random.default_rng(seed + 1)
    incidents = []
    for i in range(12):
        day = int(rng.integers(0, days))
        start = START + timedelta(days=day - (START + timedelta(days=day)).weekday() + 1, hours=float(rng.uniform(16.5, 20)))
        if start.month == 8:
            start += timedelta(days=28)
        end = start + timedelta(minutes=float(rng.uniform(20, 360)))
        incidents.append({"id": f"P{i:05d}", "incident_number": i + 1, "title": f"Checkout errors {i + 1}",
                          "status": "resolved", "urgency": "high", "created_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "resolved_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "service": {"id": "PSHOP01", "summary": "shop", "type": "service_reference"}})
    path = Path(directory) / "pagerduty.json"
    path.write_text(json.dumps({"incidents": incidents, "limit": 100, "offset": 0, "more": False}, indent=1))
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    print(build_git_history(target), pagerduty_incidents(target))
