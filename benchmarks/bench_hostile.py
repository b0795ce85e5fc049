"""Time what hostile tags cost git-model, next to Git reading every tag's message once.

    python benchmarks/bench_hostile.py                     # 500 tags, 5 runs each
    python benchmarks/bench_hostile.py --runs 7 --markdown results.md

git-model bounds what a tag may hold: a tag whose message is over 1 MiB
(``git_model.gitcmd.MAX_MESSAGE``), or whose tagger date cannot be shown, is skipped with a
reason that ``git model doctor`` lists; a version's or an annotation's JSON document nested
deeper than 32 levels is read without it. The claim measured here: a hostile tag costs
git-model no more than reading its bytes once. The script

1. builds, in a temporary directory, a registry with bench_registry's builder (about 20
   tags per model, version tags carrying 3-5 KB metadata documents), and a copy of it to
   which it adds, on one model (NAME), tags made as anyone can make them: a tag object
   written with ``git hash-object -t tag -w`` (``--literally`` where Git refuses it) and
   named with ``git update-ref``:

   - an event ``NAME#prod#N`` whose message is 50 MB,
   - an annotation ``NAME@vX.Y.Z#note#N`` and a version ``NAME@v90.0.0`` whose document
     is JSON nested 100,000 deep,
   - an event dated in zone ``+9999`` and a version dated 253402300800 (year 10000);

2. times, on both registries and interleaved round by round (a warm-up round, then
   ``--runs`` rounds), ``git model show``, ``show NAME``, ``history NAME``, ``describe``
   of the deep version (of NAME's latest version where there is none), ``doctor``, and the
   floor ``git for-each-ref --format=%(contents) refs/tags``: Git reading every message
   once. ``show`` and ``doctor`` run with their cache (``.git/git-model/state.cache``)
   deleted before every run;
3. runs every command once more to check it: its exit code, the size of its output, its
   standard error (no traceback), its peak memory; and that ``doctor`` names every
   hostile tag with its reason.

Nothing here asserts on time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench_registry import (
    CACHE,
    ENV,
    Case,
    Registry,
    build_registry,
    byte_compile,
    copy_registry,
    git,
    log,
    machine,
    measure,
    python_cmd,
    typer_case,
)
from common import Renderer, closing, publish, seconds, spread

MB = 1_000_000
HOSTILE_TAGGER = "Hostile <hostile@example.com>"
DEEP_VERSION, DATED_VERSION = "90.0.0", "91.0.0"  # new versions on spare commits
DATE = "1767225600 +0000"  # 2026-01-01: an ordinary date for the tags that are not about dates


# --- the hostile tags -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str  # the tag's name
    what: str  # what is wrong with it, for the report
    target: str  # a revision naming the commit it tags
    date: str  # the tagger's raw date: seconds and zone
    message: bytes
    literally: bool = False  # written with --literally (Git refused it otherwise)


def deep_document(depth: int) -> str:
    return "[" * depth + "]" * depth


def plan_hostile(registry: Registry, message_mb: int, depth: int) -> list[Hostile]:
    """The hostile tags to add to the target model: past its highest counter, on commits
    that its versions (or the spare commits, for new versions) are on."""
    model = registry.target
    name, counter = model.name, model.counter
    live = [model.versions[i].version for i in model.live_versions()]
    on = f"refs/tags/{name}@v{live[-1]}^{{commit}}"
    deep = (
        f"Hand-made\n\n{deep_document(depth)}\n\nWritten-By: git-model\nDocument: json\n"
    ).encode()
    return [
        Hostile(
            f"{name}#prod#{counter + 1}",
            f"a {message_mb} MB message",
            on,
            DATE,
            b"Promote\n\n" + b"x" * (message_mb * MB) + b"\n",
        ),
        Hostile(
            f"{name}@v{live[-1]}#note#{counter + 2}",
            f"a document nested {depth:,} deep",
            on,
            DATE,
            deep,
        ),
        Hostile(
            f"{name}@v{DEEP_VERSION}",
            f"a document nested {depth:,} deep",
            registry.spare[0],
            DATE,
            deep,
        ),
        Hostile(
            f"{name}#prod#{counter + 3}",
            "tagger date in zone +9999",
            on,
            "1767225600 +9999",
            b"Promote\n",
        ),
        Hostile(
            f"{name}@v{DATED_VERSION}",
            "tagger date 253402300800 (year 10000)",
            registry.spare[1],
            "253402300800 +0000",
            b"Register\n",
        ),
    ]


def write_tag(repo: Path, tag: Hostile) -> Hostile:
    """Write ``tag`` as a tag object and name it; ``literally`` says whether Git refused it
    without ``--literally``."""
    commit = git(repo, "rev-parse", "--verify", tag.target).strip()
    raw = (
        f"object {commit}\ntype commit\ntag {tag.name}\ntagger {HOSTILE_TAGGER} {tag.date}\n\n"
    ).encode() + tag.message
    for literally in (False, True):
        flags = ["--literally"] if literally else []
        proc = subprocess.run(
            ["git", "hash-object", "-t", "tag", "-w", *flags, "--stdin"],
            cwd=repo,
            input=raw,
            capture_output=True,
            check=False,
            env=ENV,
        )
        if proc.returncode == 0:
            git(repo, "update-ref", f"refs/tags/{tag.name}", proc.stdout.decode().strip())
            return replace(tag, message=b"", literally=literally)  # (drop the bytes)
    sys.exit(f"git hash-object --literally refused {tag.name}:\n{proc.stderr.decode()}")


# --- the commands ---------------------------------------------------------------------------

FLOOR = ("git", "for-each-ref", "--format=%(contents)", "refs/tags")


@dataclass(frozen=True, slots=True)
class Command:
    label: str
    argv: tuple[str, ...]  # on the registry without hostile tags
    hostile_argv: tuple[str, ...]  # on the registry with them
    cold: bool = False  # delete the state cache before every run


def commands(registry: Registry) -> list[Command]:
    model = registry.target
    name = model.name
    latest = model.versions[model.live_versions()[-1]].version
    model_floor = (*FLOOR[:3], f"refs/tags/{name}@*", f"refs/tags/{name}#*")

    def same(label: str, *argv: str, cold: bool = False) -> Command:
        return Command(label, ("git", "model", *argv), ("git", "model", *argv), cold)

    return [
        Command("floor: every tag's message", FLOOR, FLOOR),
        Command("floor: NAME's messages", model_floor, model_floor),
        same("show (cold cache)", "show", cold=True),
        same("show NAME", "show", name),
        same("history NAME", "history", name),
        Command(
            "describe NAME@VERSION",
            ("git", "model", "describe", f"{name}@{latest}"),
            ("git", "model", "describe", f"{name}@{DEEP_VERSION}"),
        ),
        same("doctor (cold cache)", "doctor", cold=True),
    ]


def _cold(repo: Path) -> Callable[[], None]:
    return lambda: (repo / CACHE).unlink(missing_ok=True)


def case(command: Command, repo: Path, hostile: bool) -> Case:
    argv = list(command.hostile_argv if hostile else command.argv)
    return Case(lambda _i: argv, repo, prepare=_cold(repo) if command.cold else None)


# --- checking each command once -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    exit: int
    stdout: int  # bytes
    stderr: str
    max_rss: int  # bytes: the largest of the command's processes (git-model's, Git's)

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.stderr


# Runs a command and writes the peak memory of the processes it waited for (in KiB) to a
# file. Measured from a small process of its own: a process forked from this one would
# report this script's memory, which exec does not reset.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


def check(argv: Sequence[str], repo: Path, cold: bool) -> Check:
    """Run ``argv`` once: its exit code, output size, standard error and peak memory."""
    if cold:
        _cold(repo)()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        out, err, peak = (Path(tmp, f) for f in ("out", "err", "peak"))
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.run(
                [python_cmd(), "-c", PEAK, str(peak), *argv],
                cwd=repo,
                env=ENV,
                stdout=stdout,
                stderr=stderr,
                check=False,
            )
        kib = int(peak.read_text()) if peak.exists() else 0
        return Check(
            proc.returncode, out.stat().st_size, err.read_text(errors="replace"), kib * 1024
        )


def doctor_reasons(repo: Path) -> dict[str, str]:
    proc = subprocess.run(
        ["git", "model", "doctor", "--json"], cwd=repo, env=ENV, capture_output=True, check=False
    )
    try:
        skipped = json.loads(proc.stdout)["skipped"]
    except (ValueError, KeyError, TypeError):
        return {}
    return {s["tag"]: s["reason"] for s in skipped}


# --- reporting ------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    command: Command
    clean: Case
    hostile: Case
    checks: tuple[Check, Check] | None = None  # (without, with hostile tags)


def added(row: Row) -> float | None:
    if row.clean.median is None or row.hostile.median is None:
        return None
    return row.hostile.median - row.clean.median


def signed(value: float | None) -> str:
    if value is None:
        return "—"
    return ("+" if value >= 0 else "-") + seconds(abs(value))


def timing_lines(rows: Sequence[Row], runs: int) -> list[list[str]]:
    floor = added(rows[0])  # Git reading every message once: what the hostile bytes cost it
    lines = []
    for row in rows:
        extra = added(row)
        both = row.clean.median, row.hostile.median
        over = f"{both[1] / both[0]:.2f}" if both[0] and both[1] else "—"
        versus = f"{extra / floor:.2f}" if extra is not None and floor else "—"
        lines.append(
            [
                row.command.label,
                spread(row.clean.samples, runs) if row.clean.error is None else "failed",
                spread(row.hostile.samples, runs) if row.hostile.error is None else "failed",
                signed(extra),
                over,
                versus,
            ]
        )
    return lines


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def check_lines(rows: Sequence[Row]) -> list[list[str]]:
    lines = []
    for row in rows:
        if row.checks is None:
            continue
        clean, hostile = row.checks
        stderr = hostile.stderr.strip().splitlines()
        lines.append(
            [
                row.command.label,
                f"{clean.exit} / {hostile.exit}",
                f"{clean.stdout:,} / {hostile.stdout:,}",
                "yes" if clean.traceback or hostile.traceback else "no",
                f"{len(stderr)}" + (f": {stderr[0][:80]}" if stderr else ""),
                f"{mib(clean.max_rss)} / {mib(hostile.max_rss)}",
            ]
        )
    return lines


def command_lines(rows: Sequence[Row], name: str) -> list[list[str]]:
    def shown(argv: Sequence[str]) -> str:
        return shlex.join(argv).replace(name, "NAME")

    return [
        [row.command.label, shown(row.command.argv), shown(row.command.hostile_argv)]
        for row in rows
    ]


@dataclass(slots=True)
class Results:
    about: dict[str, str]
    registry: Registry
    tags: list[Hostile]
    reasons: dict[str, str]
    rows: list[Row]
    typer: Case
    history_bytes: int


def report(results: Results, args: argparse.Namespace, render: Renderer) -> str:
    runs, size = args.runs, args.message_mb
    about, registry, rows = results.about, results.registry, results.rows
    name = registry.target.name
    blocks = ["Machine:\n" + "\n".join(f"- {key}: {value}" for key, value in about.items())]
    blocks.append(
        f"Registry: {registry.about()}. NAME = {name}. With hostile tags: the same registry "
        f"and {len(results.tags)} more tags on NAME."
    )
    hostile_lines = [
        [
            t.name.replace(name, "NAME"),
            t.what,
            "yes" if t.literally else "no",
            results.reasons.get(t.name, "NOT LISTED"),
        ]
        for t in results.tags
    ]
    blocks.append(
        render(("tag", "hostile by", "--literally", "doctor's reason"), hostile_lines, False)
    )
    blocks.append(
        f"{runs} run{'s' if runs > 1 else ''} per command after a warm-up round, median "
        f'(min-max); python -c "import typer" in the same rounds: '
        f'{spread(results.typer.samples, runs)}. "added": with minus without; the last '
        "column divides it by what the hostile tags add to the floor (Git reading every "
        "message once)."
    )
    header = (
        "command",
        "without hostile tags",
        "with hostile tags",
        "added",
        "with/without",
        "added/floor's added",
    )
    blocks.append(render(header, timing_lines(rows, runs), False))
    blocks += [
        f"failed: {c.error}" for r in rows for c in (r.clean, r.hostile) if c.error is not None
    ]
    blocks.append("Each command once more (without / with hostile tags):")
    header = (
        "command",
        "exit",
        "stdout bytes",
        "traceback",
        "stderr lines (with)",
        "peak memory (its largest process)",
    )
    blocks.append(render(header, check_lines(rows), False))
    blocks.append(
        f"history NAME printed {results.history_bytes:,} bytes with the hostile tags: "
        + (
            f"it does not print the {size} MB message."
            if results.history_bytes < MB
            else f"it may print the {size} MB message."
        )
    )
    blocks.append("Commands (without / with hostile tags):")
    blocks.append(render(("command", "without", "with"), command_lines(rows, name), True))
    return "\n\n".join(blocks) + "\n"


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tags", type=int, default=500, help="the registry's size")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--message-mb", type=int, default=50, help="the large message, in MB")
    parser.add_argument("--depth", type=int, default=100_000, help="the deep documents' nesting")
    parser.add_argument(
        "--workdir", type=Path, help="build here and keep it (default: a temporary directory)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic registry")
    args = parser.parse_args(argv)
    if args.tags < 100 or args.runs < 1 or args.message_mb < 2 or args.depth < 33:
        parser.error("--tags >= 100, --runs >= 1, --message-mb >= 2, --depth >= 33")
    return args


def run(args: argparse.Namespace, workdir: Path, about: dict[str, str]) -> Results:
    registry = build_registry(workdir / "registry", args.tags, args.seed, spare=2)
    log(f"built {registry.tags:,} tags in {registry.build_seconds:.1f} s at {registry.path}")
    hostile = copy_registry(registry, "hostile")
    began = time.perf_counter()
    tags = [write_tag(hostile, t) for t in plan_hostile(registry, args.message_mb, args.depth)]
    log(f"wrote {len(tags)} hostile tags in {time.perf_counter() - began:.1f} s at {hostile}")
    rows = [
        Row(c, case(c, registry.path, False), case(c, hostile, True)) for c in commands(registry)
    ]
    typer = typer_case(registry.path)
    measure([*(c for r in rows for c in (r.clean, r.hostile)), typer], args.runs, 1e9, log)
    for row in rows:
        cold = row.command.cold
        row.checks = (
            check(row.command.argv, registry.path, cold),
            check(row.command.hostile_argv, hostile, cold),
        )
    history = next(r for r in rows if r.command.label == "history NAME")
    assert history.checks is not None
    return Results(
        about,
        registry,
        tags,
        doctor_reasons(hostile),
        rows,
        typer,
        history.checks[1].stdout,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    about = machine()
    about.pop("GTO", None)
    for key, value in about.items():
        log(f"{key}: {value}")
    byte_compile()
    if args.workdir is not None:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        results = run(args, workdir, about)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
            results = run(args, Path(tmp), about)
    closing(about, ENV, began)
    publish(lambda render: report(results, args, render), args.markdown)


if __name__ == "__main__":
    main()
