"""Time git-model against GTO and against Git itself, on synthetic registries.

    python benchmarks/bench_registry.py                        # 1,000 tags, 5 runs each
    python benchmarks/bench_registry.py --tags 1000 10000 --markdown results.md

For each size it

1. builds a registry with one ``git fast-import`` stream: about 20 tags per model, some
   models namespaced (``team-a/churn-00003``), every version on its own commit, stage moves
   written the way git-model writes them (``NAME#STAGE!#N`` on the replaced holder,
   ``NAME#STAGE#N+1`` on the new one, the moving ``NAME#STAGE`` on the current holder),
   archived versions (``NAME@vX.Y.Z!#N``) and multi-line messages;
2. checks that ``git model show`` and ``gto show`` read it as it was written (a sanity
   check, not a test);
3. times every command several times, all commands interleaved round by round so that a
   noisy neighbour slows all of them alike, and prints the median and the min-max range
   with the ratios git-model/GTO and git-model/floor, where the floor is the one
   ``git for-each-ref`` that the command cannot do without.

Writes run on throw-away copies of the registry (one per tool), each run on a fresh commit
or a promotion that replaces the holder, so that runs never collide. Nothing here asserts
on time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = ROOT / "benchmarks" / ".work"

STAGES = ("dev", "staging", "prod")
TAGS_PER_MODEL = 20
EPOCH = 1_640_995_200  # 2022-01-01T00:00:00Z: every synthetic event lies in the past
PEOPLE = (
    ("Ada Byron", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
)
BASES = ("churn", "fraud", "ltv", "ranker", "forecast", "recsys", "spam", "ocr", "pricing")
TEAMS = ("team-a", "team-b", "risk", "growth")

# The fields git-model reads for every tag (src/git_model/gitcmd.py, _FIELDS): the floor
# of a read is one for-each-ref that prints them.
REF_FORMAT = (
    "%00".join(
        (
            "%(refname:strip=2)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objectname)",
            "%(*objecttype)",
            "%(taggername)",
            "%(taggeremail:trim)",
            "%(taggerdate:raw)",
            "%(contents)",
        )
    )
    + "%00"
)

FIELDS = "--format=FIELDS"  # how tables abbreviate REF_FORMAT

GIT_MODEL, GTO, FLOOR = "git-model", "GTO", "floor"
TOOLS = (GIT_MODEL, GTO, FLOOR)


# --- the synthetic registry -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SynthVersion:
    version: str  # "1.2.0"
    time: int  # when it was registered
    who: tuple[str, str]


@dataclass(frozen=True, slots=True)
class SynthTag:
    name: str
    version: int  # index into the model's versions: the tag's commit
    time: int
    who: tuple[str, str]
    message: str


@dataclass(slots=True)
class SynthModel:
    """One model's life, tag by tag, as git-model would have written it."""

    name: str
    clock: int
    rng: random.Random
    versions: list[SynthVersion] = field(default_factory=list)
    tags: list[SynthTag] = field(default_factory=list)
    holders: dict[str, SynthTag] = field(default_factory=dict)  # stage -> its assign event
    archived: set[int] = field(default_factory=set)
    counter: int = 0

    @property
    def size(self) -> int:
        """Tags written so far, counting the moving stage tags still to write."""
        return len(self.tags) + len(self.holders)

    @property
    def latest(self) -> str | None:
        live = [v for i, v in enumerate(self.versions) if i not in self.archived]
        return live[-1].version if live else None

    def stage_versions(self) -> dict[str, str]:
        return {s: self.versions[t.version].version for s, t in self.holders.items()}

    def live_versions(self) -> list[int]:
        return [i for i in range(len(self.versions)) if i not in self.archived]

    def _tag(self, name: str, version: int, message: str, counted: bool = True) -> SynthTag:
        # Each event one minute to two days after the previous one: strictly increasing.
        self.clock += self.rng.randint(60, 2 * 86_400)
        if counted:
            self.counter += 1
            name = f"{name}#{self.counter}"
        tag = SynthTag(name, version, self.clock, self.rng.choice(PEOPLE), message)
        self.tags.append(tag)
        return tag

    def register(self) -> None:
        version = _bump(self.versions[-1].version if self.versions else None, self.rng)
        month = f"2022-{self.rng.randint(1, 12):02d}"
        message = (
            f"Register {self.name} v{version}\n\n"
            f"Trained on {month} data; AUC {self.rng.uniform(0.7, 0.95):.3f} on the holdout.\n"
            f"Data: s3://ml-data/{self.name}/{month}.parquet"
        )
        if self.rng.random() < 0.5:
            message += "\n\nModel-Type: classifier"
        tag = self._tag(f"{self.name}@v{version}", len(self.versions), message, counted=False)
        self.versions.append(SynthVersion(version, tag.time, tag.who))

    def promote_cost(self, stage: str) -> int:
        newest = len(self.versions) - 1
        holder = self.holders.get(stage)
        if holder is None:
            return 2  # the event and a new moving tag
        return 1 if holder.version == newest else 2  # (+ the unassign event)

    def promote(self, stage: str) -> None:
        """Give ``stage`` to the newest version, replacing its holder."""
        newest = len(self.versions) - 1
        new = self.versions[newest].version
        holder = self.holders.get(stage)
        if holder is not None:
            old = self.versions[holder.version].version
            self._tag(
                f"{self.name}#{stage}!",
                holder.version,
                f"Replace {self.name} v{old} in {stage} by v{new}",
            )
        why = f"Promote {self.name} v{new} to {stage}"
        if self.rng.random() < 0.5:
            why += f"\n\nApproved in review #{self.rng.randint(100, 9999)}: beats the holder."
        self.holders[stage] = self._tag(f"{self.name}#{stage}", newest, why)

    def archivable(self) -> int | None:
        """The oldest live version that holds no stage and is not the latest."""
        held = {t.version for t in self.holders.values()}
        live = self.live_versions()
        return next((i for i in live[:-1] if i not in held), None)

    def archive(self, index: int) -> None:
        version = self.versions[index].version
        self._tag(
            f"{self.name}@v{version}!",
            index,
            f"Archive {self.name} v{version}\n\nSuperseded; kept for the audit trail.",
        )
        self.archived.add(index)

    def moving_tags(self) -> list[SynthTag]:
        """``NAME#STAGE`` on each holder, stamped like its assign event."""
        return [
            SynthTag(
                f"{self.name}#{stage}",
                event.version,
                event.time,
                event.who,
                f"{self.name} v{self.versions[event.version].version} is in {stage}",
            )
            for stage, event in self.holders.items()
        ]


def _bump(previous: str | None, rng: random.Random) -> str:
    if previous is None:
        return "0.1.0"
    major, minor, patch = (int(p) for p in previous.split("."))
    draw = rng.random()
    if draw < 0.1:
        return f"{major + 1}.0.0"
    if draw < 0.3:
        return f"{major}.{minor}.{patch + 1}"
    return f"{major}.{minor + 1}.0"


def _lifecycle(rng: random.Random) -> Iterator[tuple[str, str]]:
    """What happens to a model: versions registered, promoted on, now and then archived."""
    while True:
        yield "register", ""
        yield "promote", "dev"
        if rng.random() < 0.6:
            yield "promote", "staging"
            if rng.random() < 0.6:
                yield "promote", "prod"
        if rng.random() < 0.3:
            yield "archive", ""


def _model_name(index: int) -> str:
    base = f"{BASES[index % len(BASES)]}-{index:05d}"
    if index % 3 == 1:
        return f"{TEAMS[index % len(TEAMS)]}/{base}"
    return base


def plan_model(name: str, budget: int, rng: random.Random) -> SynthModel:
    """A model with exactly ``budget`` tags."""
    model = SynthModel(name, EPOCH + rng.randint(0, 365 * 86_400), rng)
    for action, stage in _lifecycle(rng):
        victim = model.archivable() if action == "archive" else None
        if action == "archive" and victim is None:
            continue  # nothing to archive yet
        cost = model.promote_cost(stage) if action == "promote" else 1
        if model.size + cost > budget:
            break
        if action == "register":
            model.register()
        elif action == "promote":
            model.promote(stage)
        elif victim is not None:
            model.archive(victim)
    while model.size < budget:  # fill up with fresh, unpromoted versions
        model.register()
    return model


def plan_registry(tags: int, seed: int) -> list[SynthModel]:
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
    count = max(1, tags // TAGS_PER_MODEL)
    budgets = [tags // count + (1 if i < tags % count else 0) for i in range(count)]
    return [plan_model(_model_name(i), b, rng) for i, b in enumerate(budgets)]


def choose_target(models: Sequence[SynthModel]) -> SynthModel:
    """The model per-model commands use: namespaced, in prod, two live versions to swap."""

    def fit(m: SynthModel) -> tuple[bool, bool, bool]:
        return "prod" in m.holders, len(m.live_versions()) >= 2, "/" in m.name

    ordered = sorted(models, key=lambda m: m.name)
    middle = ordered[len(ordered) // 2 :] + ordered[: len(ordered) // 2]
    return max(middle, key=fit)  # max keeps the first best: the one nearest the middle


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _pointer(name: str, version: str) -> str:
    digest = hashlib.md5(f"{name}@{version}".encode()).hexdigest()  # noqa: S324  (fake DVC md5)
    return f"outs:\n- md5: {digest}\n  size: {len(name) * 1_000_003}\n  path: model.pkl\n"


def fast_import_stream(models: Sequence[SynthModel], target: SynthModel, spare: int) -> bytes:
    """Commits on ``main`` in registration order, ``spare`` more on ``bench/spare``, tags."""
    out = bytearray()
    order = sorted(
        ((v.time, m, i) for m in models for i, v in enumerate(m.versions)),
        key=lambda item: item[0],
    )
    marks: dict[tuple[str, int], int] = {}
    for mark, (when, model, index) in enumerate(order, start=1):
        version = model.versions[index]
        marks[model.name, index] = mark
        who = f"{version.who[0]} <{version.who[1]}> {when - 300} +0000"
        out += f"commit refs/heads/main\nmark :{mark}\ncommitter {who}\n".encode()
        out += _data(f"Train {model.name} {version.version}")
        out += f"M 100644 inline models/{model.name}/model.dvc\n".encode()
        out += _data(_pointer(model.name, version.version))
    last = len(order)
    for i in range(spare):
        out += b"commit refs/heads/bench/spare\n"
        out += f"committer Ada Byron <ada@example.com> {EPOCH + 400 * 86_400 + i} +0000\n".encode()
        out += _data(f"Retrain {target.name} (spare commit {i})")
        if i == 0:
            out += f"from :{last}\n".encode()
        out += f"M 100644 inline models/{target.name}/model.dvc\n".encode()
        out += _data(_pointer(target.name, f"spare-{i}"))
    tags = [(t, m) for m in models for t in (*m.tags, *m.moving_tags())]
    for tag, model in sorted(tags, key=lambda item: item[0].time):
        out += f"tag {tag.name}\nfrom :{marks[model.name, tag.version]}\n".encode()
        out += f"tagger {tag.who[0]} <{tag.who[1]}> {tag.time} +0000\n".encode()
        out += _data(tag.message)
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Registry:
    path: Path
    models: tuple[SynthModel, ...]
    target: SynthModel
    tags: int
    commits: int
    spare: tuple[str, ...]  # commits no version is registered at, for register runs
    build_seconds: float


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, input=stdin, capture_output=True, check=False, env=ENV
    )
    if proc.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed in {repo}:\n{proc.stderr.decode()}")
    return proc.stdout.decode()


def build_registry(path: Path, tags: int, seed: int, spare: int) -> Registry:
    start = time.perf_counter()
    models = plan_registry(tags, seed)
    target = choose_target(models)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Bench Runner")
    git(path, "config", "user.email", "bench@example.com")
    git(path, "fast-import", "--quiet", stdin=fast_import_stream(models, target, spare))
    git(path, "pack-refs", "--all")  # as a clone has them
    git(path, "reset", "-q", "--hard", "main")
    commits = git(path, "rev-list", "--reverse", "main..bench/spare").split()
    written = len(git(path, "for-each-ref", "--format=x", "refs/tags").splitlines())
    return Registry(
        path=path,
        models=tuple(models),
        target=target,
        tags=written,
        commits=sum(len(m.versions) for m in models),
        spare=tuple(commits),
        build_seconds=time.perf_counter() - start,
    )


def copy_registry(registry: Registry, suffix: str) -> Path:
    dest = registry.path.with_name(f"{registry.path.name}-{suffix}")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(registry.path, dest, symlinks=True)
    return dest


# --- the sanity check -----------------------------------------------------------------------

View = dict[str, tuple[str | None, dict[str, str]]]  # model -> (latest, {stage: version})


def _json_of(argv: Sequence[str], repo: Path) -> object:
    proc = subprocess.run(argv, cwd=repo, capture_output=True, check=False, env=ENV)
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed:\n{proc.stderr.decode()}")
    return json.loads(proc.stdout)


def git_model_view(repo: Path) -> View:
    data = _json_of(["git", "model", "show", "--json"], repo)
    assert isinstance(data, dict)
    return {
        m["name"]: (
            m["latest"]["version"] if m["latest"] else None,
            {c["stage"]: c["holder"]["version"] for c in m["stages"] if c["holder"]},
        )
        for m in data["models"]
    }


def gto_view(repo: Path) -> View:
    data = _json_of(["gto", "show", "--json"], repo)
    assert isinstance(data, dict)
    return {
        name: (
            row["version"].removeprefix("v") if row["version"] else None,
            {s: v.removeprefix("v") for s, v in row["stage"].items() if v},
        )
        for name, row in data.items()
    }


def sanity_check(registry: Registry, with_gto: bool) -> list[str]:
    """Do git-model (and GTO) read the registry as it was written? Lines to print."""
    written: View = {m.name: (m.latest, m.stage_versions()) for m in registry.models}
    views = [("git-model", git_model_view(registry.path))]
    if with_gto:
        views.append(("GTO", gto_view(registry.path)))
    lines = []
    for tool, view in views:
        wrong = [n for n in written if view.get(n) != written[n]]
        lines.append(
            f"{tool} reads {len(written) - len(wrong)} of {len(written)} models as written"
            " (latest version and stage holders)"
        )
        lines += [
            f"{tool} differs on {n}: wrote {written[n]}, read {view.get(n)}" for n in wrong[:5]
        ]
    for name in sorted({*sorted(written)[:2], registry.target.name}):
        latest, stages = written[name]
        held = ", ".join(f"{s} v{v}" for s, v in sorted(stages.items())) or "no stage"
        lines.append(f"for example {name}: latest v{latest}; {held}")
    return lines


# --- timing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Case:
    """One command, timed several times. ``argv(i)`` is the command of run ``i``."""

    argv: Callable[[int], list[str]]
    cwd: Path
    gap: float = 0.0  # seconds to leave after the previous run (GTO stamps by the second)
    samples: list[float] = field(default_factory=list)
    runs: int = 0
    error: str | None = None
    _done_at: float = 0.0

    @property
    def shown(self) -> str:
        """The first run's command line, abbreviated: FIELDS for the format, COMMIT for ids."""
        text = shlex.join(self.argv(0)).replace(shlex.quote(f"--format={REF_FORMAT}"), FIELDS)
        return re.sub(r"\b[0-9a-f]{40}\b", "COMMIT", text)

    def run(self, index: int) -> float:
        if self.gap:
            time.sleep(max(0.0, self._done_at + self.gap - time.monotonic()))
        start = time.perf_counter()
        proc = subprocess.run(
            self.argv(index),
            cwd=self.cwd,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - start
        self._done_at = time.monotonic()
        if proc.returncode != 0 and self.error is None:
            stderr = " ".join(proc.stderr.decode(errors="replace").split()) or "(no output)"
            self.error = f"{shlex.join(self.argv(index))}: exit {proc.returncode}: {stderr}"
        return elapsed


@dataclass(slots=True)
class Row:
    operation: str
    cases: dict[str, Case]


def measure(cases: Sequence[Case], runs: int, slow: float, log: Callable[[str], None]) -> None:
    """A warm-up round, then ``runs`` rounds, each running every case once in turn.

    A case whose warm-up takes ``slow`` seconds or more keeps that run as a sample and gets
    3 runs in all (1 if the warm-up took 3 * ``slow``): GTO needs minutes at 10,000 tags.
    """
    began = time.perf_counter()
    for case in cases:
        first = case.run(0)
        if first < slow:
            case.runs = runs
        else:
            case.samples.append(first)
            case.runs = min(runs, 1 if first >= 3 * slow else 3)
            log(f"  {case.shown}: {first:.1f} s, {case.runs} run(s) in all")
    log(f"  warm-up round took {time.perf_counter() - began:.0f} s")
    for index in range(1, runs + 1):
        began = time.perf_counter()
        for case in cases:
            if len(case.samples) < case.runs:
                case.samples.append(case.run(index))
        log(f"  round {index}/{runs} took {time.perf_counter() - began:.0f} s")


# --- the commands ---------------------------------------------------------------------------


def _fixed(*argv: str) -> Callable[[int], list[str]]:
    return lambda _index: list(argv)


def read_rows(registry: Registry, with_gto: bool) -> list[Row]:
    repo, name = registry.path, registry.target.name
    listing = ("git", "for-each-ref", f"--format={REF_FORMAT}")
    every_tag = (*listing, "refs/tags")
    one_model = (*listing, f"refs/tags/{name}@*", f"refs/tags/{name}#*")
    # operation, `git model` arguments, `gto` arguments (GTO's nearest command), the floor
    table = [
        ("show", ["show"], ["show"], every_tag),
        ("show NAME", ["show", name], ["show", name], one_model),
        ("history NAME", ["history", name], ["history", name], one_model),
        ("describe NAME#prod", ["describe", f"{name}#prod"], ["show", f"{name}#prod"], one_model),
        ("history (every model)", ["history"], ["history"], every_tag),
    ]
    rows = []
    for operation, ours, theirs, floor in table:
        cases = {
            GIT_MODEL: Case(_fixed("git", "model", *ours), repo),
            FLOOR: Case(_fixed(*floor), repo),
        }
        if with_gto:
            cases[GTO] = Case(_fixed("gto", *theirs), repo)
        rows.append(Row(operation, cases))
    return rows


def _promotions(target: SynthModel) -> tuple[str, str]:
    """Two live versions to promote to prod in turn: every run replaces the holder."""
    holder = target.holders.get("prod")
    live = target.live_versions()
    held = holder.version if holder is not None else None
    first = next(i for i in reversed(live) if i != held)
    second = next(i for i in reversed(live) if i != first)
    return target.versions[first].version, target.versions[second].version


def write_rows(registry: Registry, with_gto: bool) -> list[Row]:
    name, spare = registry.target.name, registry.spare
    ours, floor = copy_registry(registry, "write-git-model"), copy_registry(registry, "write-floor")
    pair = _promotions(registry.target)

    def promote(index: int) -> list[str]:
        return ["git", "model", "promote", f"{name}@{pair[index % 2]}", "--to", "prod"]

    def assign(index: int) -> list[str]:
        # GTO keeps a replaced holder in the stage too, so giving prod back needs --force.
        version = f"v{pair[index % 2]}"
        return ["gto", "assign", name, "--version", version, "--stage", "prod", "--force"]

    register = {
        GIT_MODEL: Case(lambda i: ["git", "model", "register", name, "--rev", spare[i]], ours),
        FLOOR: Case(lambda i: ["git", "tag", "-a", "-m", "floor", f"floor-{i}", spare[i]], floor),
    }
    promotion = {GIT_MODEL: Case(promote, ours)}
    if with_gto:
        theirs = copy_registry(registry, "write-gto")
        register[GTO] = Case(lambda i: ["gto", "register", name, spare[i]], theirs, gap=1.1)
        promotion[GTO] = Case(assign, theirs, gap=1.1)
    return [
        Row("register NAME (a fresh commit)", register),
        Row("promote NAME@VERSION --to prod (replacing)", promotion),
    ]


def startup_cases(repo: Path) -> list[tuple[str, Case]]:
    python = str(BIN / "python") if (BIN / "python").exists() else sys.executable
    return [
        ("python -c pass", Case(_fixed(python, "-c", "pass"), repo)),
        ('python -c "import typer"', Case(_fixed(python, "-c", "import typer"), repo)),
        ("git-model --help", Case(_fixed("git-model", "--help"), repo)),
        ("git model -h (through git)", Case(_fixed("git", "model", "-h"), repo)),
        (
            "git model --help (git opens the manual page)",
            Case(_fixed("git", "model", "--help"), repo),
        ),
        ("gto --help", Case(_fixed("gto", "--help"), repo)),
    ]


# --- reporting ------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def cell(case: Case | None, runs: int) -> str:
    """``median (min-max)``, with the number of runs when it is not ``runs``."""
    if case is None or not case.samples:
        return "—"
    if case.error is not None:
        return "failed"
    median = _seconds(statistics.median(case.samples))
    if len(case.samples) == 1:
        return f"{median} (1 run)"
    low, high = _seconds(min(case.samples)), _seconds(max(case.samples))
    if low.split()[1] == high.split()[1]:  # one unit for both ends: "306-380 ms"
        low = low.split()[0]
    count = f", {len(case.samples)} runs" if len(case.samples) != runs else ""
    return f"{median} ({low}-{high}{count})"


def ratio(ours: Case | None, other: Case | None) -> str:
    if ours is None or other is None or not ours.samples or not other.samples:
        return "—"
    if ours.error or other.error:
        return "—"
    value = statistics.median(ours.samples) / statistics.median(other.samples)
    return f"{value:.3g} (1/{1 / value:.0f})" if value < 0.5 else f"{value:.3g}"


@dataclass(slots=True)
class SizeResult:
    registry: Registry
    sanity: list[str]
    rows: list[Row]
    gto_skipped: bool


Renderer = Callable[[Sequence[str], Sequence[Sequence[str]], bool], str]
HEADER = ("operation", "git-model", "GTO", "floor", "git-model/GTO", "git-model/floor")


def table_lines(rows: Sequence[Row], runs: int) -> list[list[str]]:
    return [
        [
            row.operation,
            cell(row.cases.get(GIT_MODEL), runs),
            cell(row.cases.get(GTO), runs),
            cell(row.cases.get(FLOOR), runs),
            ratio(row.cases.get(GIT_MODEL), row.cases.get(GTO)),
            ratio(row.cases.get(GIT_MODEL), row.cases.get(FLOOR)),
        ]
        for row in rows
    ]


def render_text(header: Sequence[str], lines: Sequence[Sequence[str]], code: bool = False) -> str:
    widths = [max(len(r[i]) for r in (header, *lines)) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in lines]
    return "\n".join(out)


def render_markdown(
    header: Sequence[str], lines: Sequence[Sequence[str]], code: bool = False
) -> str:
    """A Markdown table: times right-aligned, or (``code``) command lines as code."""

    def md(row: Sequence[str], quote: bool = False) -> str:
        cells = [row[0], *(f"`{c}`" if quote and c != "—" else c for c in row[1:])]
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    rule = ["---"] + ["---" if code else "--:"] * (len(header) - 1)
    return "\n".join([md(header), md(rule), *(md(r, quote=code) for r in lines)])


def commands(rows: Sequence[Row], name: str) -> list[list[str]]:
    def shown(row: Row, tool: str) -> str:
        case = row.cases.get(tool)
        return case.shown.replace(name, "NAME") if case is not None else "—"

    return [[row.operation, *(shown(row, t) for t in TOOLS)] for row in rows]


def describe_size(result: SizeResult, runs: int) -> str:
    reg = result.registry
    text = (
        f"{reg.tags:,} tags: {len(reg.models):,} models, {reg.commits:,} version commits; "
        f"built in {reg.build_seconds:.1f} s; {runs} run{'s' if runs > 1 else ''} per command "
        "(median, min-max)"
    )
    if result.gto_skipped:
        text += "; GTO skipped (above --gto-max-tags)"
    return f"{text}.\nNAME = {reg.target.name} ({len(reg.target.tags)} tags of its own)."


def failures(rows: Sequence[Row]) -> list[str]:
    return [c.error for r in rows for c in r.cases.values() if c.error is not None]


# --- the machine ----------------------------------------------------------------------------


def _output(*argv: str, cwd: Path | None = None) -> str:
    """What a command prints (stdout and stderr), or "" when it fails."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=ENV, text=True)
    return proc.stdout + proc.stderr if proc.returncode == 0 else ""


def _version_of(*argv: str) -> str:
    match = re.search(r"\d+\.\d+[\w.]*", _output(*argv))
    return match.group(0) if match else "unknown"


def _checkout() -> str:
    """The commit of the git-model checkout that runs, and whether src/ has local changes."""
    head = _output("git", "rev-parse", "--short", "HEAD", cwd=ROOT).strip() or "unknown"
    dirty = _output("git", "status", "--porcelain", "--", "src", cwd=ROOT).strip()
    return head + (" with local changes in src/" if dirty else "")


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = names[0] if names else cpu
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        memory = f"{int(found.group(1)) / 1024**2:.1f} GiB" if found else memory
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "git": _version_of("git", "--version"),
        "git-model": f"{_version_of('git-model', '--version')} at {_checkout()}",
        "GTO": _version_of("gto", "--version"),
        "load average at start": _load(),
    }


# --- main -----------------------------------------------------------------------------------


def _environment(bin_dir: Path) -> dict[str, str]:
    """The environment every command runs in: our venv first, no user or system git config."""
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C.UTF-8",
    }


BIN = Path(sys.executable).parent
ENV = _environment(BIN)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tags", type=int, nargs="+", default=[1000], help="registry sizes")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument(
        "--gto-max-tags",
        type=int,
        default=10_000,
        help="skip GTO above this many tags (it needs minutes per command there)",
    )
    parser.add_argument(
        "--slow",
        type=float,
        default=10.0,
        help="a command whose first run takes this long gets 3 runs (1 beyond 3x)",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic registry")
    parser.add_argument("--no-writes", action="store_true", help="time the reads only")
    args = parser.parse_args(argv)
    if min(args.tags) < TAGS_PER_MODEL or args.runs < 1:
        parser.error(f"--tags must be at least {TAGS_PER_MODEL} and --runs at least 1")
    return args


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bench_size(
    tags: int, args: argparse.Namespace, first: bool
) -> tuple[SizeResult, list[tuple[str, Case]]]:
    log(f"\n== {tags:,} tags ==")
    spare = args.runs + 1  # one fresh commit per register run, the warm-up included
    registry = build_registry(args.workdir / f"registry-{tags}", tags, args.seed, spare)
    log(f"built {registry.tags:,} tags in {registry.build_seconds:.1f} s at {registry.path}")
    with_gto = tags <= args.gto_max_tags
    sanity = sanity_check(registry, with_gto)
    for line in sanity:
        log(f"sanity: {line}")
    rows = read_rows(registry, with_gto)
    if not args.no_writes:
        rows += write_rows(registry, with_gto)
    startup = startup_cases(registry.path) if first else []
    cases = [c for r in rows for c in r.cases.values()] + [c for _, c in startup]
    measure(cases, args.runs, args.slow, log)
    return SizeResult(registry, sanity, rows, not with_gto), startup


def report(
    results: Sequence[SizeResult],
    startup: Sequence[tuple[str, Case]],
    about: dict[str, str],
    args: argparse.Namespace,
    render: Renderer,
) -> str:
    blocks = ["Machine:\n" + "\n".join(f"- {key}: {value}" for key, value in about.items())]
    for result in results:
        blocks.append(describe_size(result, args.runs))
        blocks.append("Sanity check:\n" + "\n".join(f"- {line}" for line in result.sanity))
        blocks.append(render(HEADER, table_lines(result.rows, args.runs), False))
        blocks += [f"failed: {e}" for e in failures(result.rows)]
    if startup:
        lines = [[label, cell(case, args.runs)] for label, case in startup]
        blocks.append("Start-up (no registry read):")
        blocks.append(render(("command", "wall time"), lines, False))
    if results:
        # The legend of the size that ran the most commands (GTO may have been skipped).
        fullest = max(results, key=lambda r: sum(len(row.cases) for row in r.rows))
        blocks.append("Commands (write runs vary the version or the commit from run to run):")
        legend = commands(fullest.rows, fullest.registry.target.name)
        blocks.append(render(("operation", *TOOLS), legend, True))
    return "\n\n".join(blocks) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    args.workdir = args.workdir.resolve()
    about = machine()
    for key, value in about.items():
        log(f"{key}: {value}")
    results: list[SizeResult] = []
    startup: list[tuple[str, Case]] = []
    for i, tags in enumerate(args.tags):
        result, started = bench_size(tags, args, first=i == 0)
        results.append(result)
        startup += started
    about["load average at end"] = _load()
    about["benchmark took"] = f"{time.perf_counter() - began:.0f} s"
    print(report(results, startup, about, args, render_text), flush=True)
    if args.markdown is not None:
        args.markdown.write_text(report(results, startup, about, args, render_markdown))
        log(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
