"""Time ``git model report`` and weigh the page it writes, on a registry of 10 models with
50 versions each.

    python benchmarks/bench_report.py                       # 10 models x 50 versions, 7 runs
    python benchmarks/bench_report.py --models 20 --versions 100 --markdown results.md

The registry is written as ``bench_registry.py`` writes its own (one ``git fast-import``
stream; every version tag carrying the metadata document git-model writes: 3 to 8
metrics, params, lineage, the environment; promotions to dev, staging and prod,
annotations, archives), with a policy committed on main that gates ``prod`` on ``auc``
(a threshold line on every auc chart). Then, in rounds, each case once in turn:

- ``git model report -o report.html``: the whole command, start-up included;
- ``git model show``: the command that lists every model, for comparison;
- the floors: the one ``for-each-ref`` of every tag with the fields git-model reads
  (messages and their documents included), which the report reads, and the cheaper one of
  names and objects that ``show`` starts with.

It prints the page's size, the medians and ranges, checks that two runs wrote the same
bytes, and counts the Git processes ``report`` starts (``GIT_TRACE``). Nothing here
asserts on time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_registry import BIN, ENV, git, plan_model, write_registry
from common import ROOT, Renderer, checkout, closing, hardware, load_average, publish, spread
from git_model.gitcmd import NAMES_FORMAT, TAG_FORMAT

POLICY = """\
stages: [dev, staging, prod]
gates:
  prod:
    metrics:
      auc: ">= 0.8"
"""
TEAMS = ("growth", "risk", "search", "ads", "ops")


@dataclass(slots=True)
class Case:
    label: str
    argv: list[str]
    cwd: Path
    samples: list[float] = field(default_factory=list)

    def run(self) -> None:
        start = time.perf_counter()
        proc = subprocess.run(self.argv, cwd=self.cwd, env=ENV, capture_output=True, check=False)
        self.samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{self.label}: exit {proc.returncode}: {proc.stderr.decode().strip()}")


def build(path: Path, models: int, versions: int, seed: int) -> tuple[int, float]:
    """The registry at ``path``; its tag count and how long it took to write."""
    began = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
    planned = [
        plan_model(f"{TEAMS[i % len(TEAMS)]}/model-{i:02d}", rng, versions=versions, step=6 * 3_600)
        for i in range(models)
    ]
    write_registry(path, planned, planned[0], 0, began)
    (path / "git-model.yaml").write_text(POLICY)
    git(path, "add", "git-model.yaml")
    git(path, "commit", "-q", "-m", "Gates on prod")
    tags = len(git(path, "for-each-ref", "--format=x", "refs/tags").splitlines())
    return tags, time.perf_counter() - began


def git_processes(repo: Path, argv: Sequence[str]) -> Counter[str]:
    trace = repo.parent / "trace.log"
    trace.unlink(missing_ok=True)
    subprocess.run(argv, cwd=repo, env={**ENV, "GIT_TRACE": str(trace)}, check=True,
                   capture_output=True)  # fmt: skip
    calls: Counter[str] = Counter()
    for line in trace.read_text().splitlines():
        if "trace: built-in: git " in line:
            words = line.split("trace: built-in: git ", 1)[1].split()
            calls[next(w for w in words if not w.startswith("-"))] += 1
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--versions", type=int, default=50, help="versions per model")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / ".work")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    about = {**hardware(), "git-model": checkout(ENV), "load average at start": load_average()}

    repo = args.workdir / f"report-{args.models}x{args.versions}" / "registry"
    if repo.parent.exists():
        shutil.rmtree(repo.parent)
    tags, took = build(repo, args.models, args.versions, args.seed)
    model = str(BIN / "git-model")
    cases = [
        Case("git model report", [model, "report", "-o", "report.html"], repo),
        Case("git model show", [model, "show"], repo),
        Case("floor: for-each-ref, every tag read (report)",
             ["git", "for-each-ref", f"--format={TAG_FORMAT}", "refs/tags"], repo),
        Case("floor: for-each-ref, names and objects (show)",
             ["git", "for-each-ref", f"--format={NAMES_FORMAT}", "refs/tags"], repo),
    ]  # fmt: skip
    for case in cases:  # a warm-up run each, not counted
        case.run()
        case.samples.clear()
    first = hashlib.sha256((repo / "report.html").read_bytes()).hexdigest()
    for _ in range(args.runs):
        for case in cases:
            case.run()
    page = repo / "report.html"
    same = hashlib.sha256(page.read_bytes()).hexdigest() == first
    size = page.stat().st_size
    processes = git_processes(repo, [model, "report", "-o", "report.html"])
    closing(about, ENV, began)

    def report(render: Renderer) -> str:
        lines = [
            [c.label, spread(c.samples, args.runs), f"{statistics.median(c.samples):.3f}"]
            for c in cases
        ]
        facts = [
            f"registry: {args.models} models x {args.versions} versions, {tags:,} tags, "
            f"written in {took:.1f} s",
            f"page: {size:,} bytes ({size / 1024 / 1024:.2f} MiB); the same bytes at every "
            f"run: {'yes' if same else 'NO'}",
            "Git processes of `git model report`: "
            + ", ".join(f"{name} {count}" for name, count in sorted(processes.items())),
            *(f"{key}: {value}" for key, value in about.items()),
        ]
        table = render(["command", f"median (min-max), {args.runs} runs", "median s"], lines, False)
        return "\n".join([table, "", *facts])

    publish(report, args.markdown)


if __name__ == "__main__":
    main()
