"""Time git-model's pre-receive hook on a server that holds a large registry, receiving one
promotion.

    python benchmarks/bench_hooks.py                         # 50,000 tags, 7 runs
    python benchmarks/bench_hooks.py --tags 1000 50000 --runs 11 --markdown results.md

For each size it builds the registry as ``bench_registry.py`` does (one ``git fast-import``
stream: about 20 tags per model, version tags carrying 4 KB metadata documents), commits a
policy to its main branch (gates on ``staging``: an ``auc`` threshold and a required
``owner``, which the hook evaluates on the version's document), and makes two bare clones:
the server, with the hook installed (``git model hooks install --server``), and a copy
without any hook. A clone of the server promotes a version of one model to ``staging``
(``git model promote``, without ``--push``): the replaced holder's unassignment, the
assignment, the moved stage tag and the model's head are the push. Then, in rounds, each
case once in turn:

- **the hook**: ``git-model hooks run pre-receive`` in the server, given the push's lines
  on standard input and the clone's objects as alternates, as receive-pack's quarantine
  gives a hook the objects it received: the hook's own time, start-up included;
- **a refused push, the hook**: the same, given a line that deletes a version tag;
- **the push, with the hook** and **without it**: ``git push --atomic`` of the promotion
  to the server and to the copy (each put back as it was after every run, with
  ``update-ref``, which runs no hook): what the hook adds to a push;
- **the floors**: the one ``for-each-ref`` of the model's tags (with the fields git-model
  reads) that the hook cannot do without, and ``python -c "import typer"``, the start-up of
  any Python command line.

It also counts the Git processes the hook starts (``GIT_TRACE``): the same at every size.
Nothing here asserts on time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_registry import (
    BIN,
    DEFAULT_WORKDIR,
    ENV,
    TRACE_RE,
    build_registry,
    byte_compile,
    git,
    log,
    machine,
)
from common import Renderer, closing, publish, seconds, spread
from git_model.gitcmd import TAG_FORMAT
from git_model.names import head_ref, model_ref_patterns

POLICY = """\
stages: [dev, staging, prod]
gates:
  staging:
    metrics:
      auc: ">= 0"
    required: [owner]
"""
STAGE = "staging"


@dataclass(slots=True)
class Case:
    """One command, timed several times; ``reset`` runs after each run, outside the timing."""

    label: str
    argv: list[str]
    cwd: Path
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=lambda: dict(ENV))
    reset: list[str] | None = None  # update-ref --stdin input, run in ``reset_in``
    reset_in: Path | None = None
    expect: int = 0  # the exit code every run must give
    samples: list[float] = field(default_factory=list)

    def run(self) -> float:
        start = time.perf_counter()
        proc = subprocess.run(
            self.argv, cwd=self.cwd, input=self.stdin, env=self.env, capture_output=True,
            check=False,
        )  # fmt: skip
        took = time.perf_counter() - start
        if proc.returncode != self.expect:
            said = proc.stderr.decode(errors="replace").strip()
            sys.exit(f"{self.label}: exit {proc.returncode}, not {self.expect}: {said}")
        if self.reset is not None and self.reset_in is not None:
            git(self.reset_in, "update-ref", "--stdin", stdin="".join(self.reset).encode())
        return took

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass(slots=True)
class SizeResult:
    tags: int
    about: str
    pushed: list[str]
    cases: dict[str, Case]
    processes: Counter[str]


def prepare(tags: int, args: argparse.Namespace) -> tuple[Path, Path, Path, list[str], str]:
    """The server (hook installed), its copy without a hook, a clone that promoted a
    version; the refs that promotion pushes, and a description of the registry."""
    work = args.workdir / f"hooks-{tags}"
    if work.exists():
        shutil.rmtree(work)
    registry = build_registry(work / "registry", tags, args.seed, spare=0)
    log(f"{tags:,} tags: {registry.about()}")
    (registry.path / "git-model.yaml").write_text(POLICY)
    git(registry.path, "add", "git-model.yaml")
    git(registry.path, "commit", "-q", "-m", "Gates for staging")
    server, plain, clone = work / "server.git", work / "plain.git", work / "clone"
    for bare in (server, plain):
        git(work, "clone", "-q", "--bare", str(registry.path), str(bare))
        git(bare, "pack-refs", "--all")
    git(server, "model", "hooks", "install", "--server")
    git(work, "clone", "-q", str(server), str(clone))
    git(clone, "config", "user.name", "Bench Runner")
    git(clone, "config", "user.email", "bench@example.com")
    model = registry.target
    held = model.stage_versions().get(STAGE)
    version = next(
        model.versions[i].version
        for i in reversed(model.live_versions())
        if model.versions[i].version != held
    )
    log(f"promoting {model.name}@{version} to {STAGE} (held by {held or 'nobody'})")
    before = set(git(clone, "for-each-ref", "--format=%(refname) %(objectname)").splitlines())
    git(clone, "model", "promote", f"{model.name}@{version}", "--to", STAGE)
    after = git(clone, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
    pushed = [line.split()[0] for line in after if line not in before]
    assert head_ref(model.name) in pushed, pushed
    return server, plain, clone, pushed, f"{registry.about()}; the model: {model.name}"


def bench_size(tags: int, args: argparse.Namespace) -> SizeResult:
    server, plain, clone, pushed, about = prepare(tags, args)
    new, old = refs_of(clone, pushed), refs_of(server, pushed)
    zero = "0" * 40
    lines = "".join(f"{old.get(ref, zero)} {new[ref]} {ref}\n" for ref in pushed).encode()
    reset = [
        f"update {ref} {old[ref]} {new[ref]}\n" if ref in old else f"delete {ref} {new[ref]}\n"
        for ref in pushed
    ]
    alternates = {**ENV, "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(clone / ".git" / "objects")}
    hook = [str(BIN / "git-model"), "hooks", "run", "pre-receive"]
    version_tag = next(
        ref
        for ref in git(server, "for-each-ref", "--format=%(refname)", "refs/tags").split()
        if "@v" in ref and "!" not in ref and "#" not in ref
    )
    version_oid = git(server, "rev-parse", version_tag).strip()
    refspecs = [f"+{ref}:{ref}" for ref in pushed]
    model = next(ref for ref in pushed if ref.startswith("refs/tags/")).split("/", 2)[2]
    name = model.split("#", 1)[0].split("@", 1)[0].replace("=", ":")
    cases = {
        "hook": Case("the hook", hook, server, lines, alternates),
        "refused": Case(
            "a refused push, the hook", hook, server,
            f"{version_oid} {zero} {version_tag}\n".encode(), alternates, expect=19,
        ),
        "push": Case(
            "the push, with the hook", ["git", "push", "-q", "--atomic", str(server), *refspecs],
            clone, reset=reset, reset_in=server,
        ),
        "plain": Case(
            "the push, without a hook", ["git", "push", "-q", "--atomic", str(plain), *refspecs],
            clone, reset=reset, reset_in=plain,
        ),
        "floor": Case(
            "floor: for-each-ref of the model's tags",
            ["git", "for-each-ref", f"--format={TAG_FORMAT}", *model_ref_patterns(name)], server,
        ),
        "typer": Case(
            'floor: python -c "import typer"', [sys.executable, "-c", "import typer"], server
        ),
    }  # fmt: skip
    for case in cases.values():  # the warm-up round
        case.run()
    for index in range(1, args.runs + 1):
        began = time.perf_counter()
        for case in cases.values():
            case.samples.append(case.run())
        log(f"  round {index}/{args.runs} took {time.perf_counter() - began:.1f} s")
    return SizeResult(tags, about, pushed, cases, processes(cases["hook"]))


def refs_of(repo: Path, refs: Sequence[str]) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", *refs)
    return dict(line.split(" ", 1) for line in out.splitlines())


def processes(case: Case) -> Counter[str]:
    """The Git processes one run of ``case`` starts, by command."""
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        trace = Path(tmp) / "trace"
        subprocess.run(
            case.argv, cwd=case.cwd, input=case.stdin, env={**case.env, "GIT_TRACE": str(trace)},
            capture_output=True, check=False,
        )  # fmt: skip
        lines = trace.read_text(errors="replace").splitlines() if trace.exists() else []
    found: Counter[str] = Counter()
    for line in lines:
        match = TRACE_RE.search(line)
        if match is not None:
            found[match["command"]] += 1
    return found


def report(
    results: Sequence[SizeResult], about: dict[str, str], runs: int, render: Renderer
) -> str:
    parts = ["# The push hook", ""]
    for result in results:
        cases = result.cases
        hook, push, plain = cases["hook"].median, cases["push"].median, cases["plain"].median
        parts += [
            f"## {result.tags:,} tags",
            "",
            result.about,
            "",
            "Pushed: " + ", ".join(ref.split("/", 2)[2] for ref in result.pushed),
            "",
        ]
        rows = [[c.label, spread(c.samples, runs)] for c in cases.values()]
        parts += [render(["case", f"median (min-max), {runs} runs"], rows, False), ""]
        ratios = [
            ["the hook / the push without a hook", f"{hook / plain:.2f}"],
            ["the push with the hook / without", f"{push / plain:.2f}"],
            ["what the hook adds to a push", seconds(push - plain)],
            ["the hook / (floor + import typer)",
             f"{hook / (cases['floor'].median + cases['typer'].median):.2f}"],
        ]  # fmt: skip
        parts += [render(["ratio", "value"], ratios, False), ""]
        shown = ", ".join(f"{command} {n}" for command, n in sorted(result.processes.items()))
        parts += [f"Git processes the hook starts: {shown}", ""]
    parts += [render(["machine", ""], [[k, v] for k, v in about.items()], False)]
    return "\n".join(parts) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tags", type=int, nargs="+", default=[50_000], help="registry sizes")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic registry")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    args.workdir = args.workdir.resolve()
    about = machine()
    for key, value in about.items():
        log(f"{key}: {value}")
    byte_compile()
    results = [bench_size(tags, args) for tags in args.tags]
    closing(about, ENV, began)
    publish(lambda render: report(results, about, args.runs, render), args.markdown)


if __name__ == "__main__":
    main()
