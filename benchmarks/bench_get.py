"""Time `git model get` against `dvc get` and `dvc artifacts get` on one large artifact.

    python benchmarks/bench_get.py                         # 200 MB, 3 runs each
    python benchmarks/bench_get.py --mb 50 --runs 5 --markdown results.md

It

1. builds a scratch setup in the work directory: a bare Git repository as the server, a
   local-directory DVC remote, and a writer's clone in which a random file of ``--mb`` MB is
   registered (``git model register churn --path models/churn.pkl --push``) and promoted to
   prod (``git model promote churn@0.1.0 --to prod --push``); the writer's branch is pushed
   too, so that a clone checks out the registered commit;
2. times the three commands that fetch that artifact, in three situations: from a fresh
   clone whose DVC cache is emptied before every run; from the server, with nothing cloned
   by the user; from the writer's clone, whose DVC cache holds the file. The output is
   removed after every run and, in the first situation, the DVC cache and DVC's site cache
   before every run, outside the timing. A warm-up round, whose outputs are checked against
   the artifact's MD5, then ``--runs`` rounds, each running every command once, the order of
   the tools rotating from round to round; every round also times an MD5 of the file,
   in-process with git-model's own ``md5_of`` and with ``md5sum``: the cost of git-model's
   verification;
3. in every round, runs each command once more inside Python with timers around its phases
   (imports, resolving the version, DVC opening the repository, DVC finding and copying the
   bytes, git-model's MD5 verification) to show where the time goes.

Nothing here asserts on time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    ROOT,
    Renderer,
    checkout,
    closing,
    hardware,
    load_average,
    publish,
    seconds,
    spread,
    version_of,
)
from git_model.artifacts import md5_of

DEFAULT_WORKDIR = ROOT / "benchmarks" / ".work" / "get"
BIN = Path(sys.executable).parent

MODEL = "churn"
ARTIFACT = "models/churn.pkl"
STAGE_REF = f"{MODEL}#prod"
MB = 1_000_000

GIT_MODEL, DVC_GET, DVC_ARTIFACTS = "git model get", "dvc get", "dvc artifacts get"
TOOLS = (GIT_MODEL, DVC_GET, DVC_ARTIFACTS)

CLONE, SERVER, WRITER = "clone", "server", "writer"
SITUATIONS = {
    CLONE: "from a fresh clone, empty DVC cache",
    SERVER: "from the server, nothing cloned",
    WRITER: "from the writer's clone, DVC cache holds it",
}
WHERE = {
    CLONE: "each tool in a clone of its own",
    SERVER: "in a directory outside any repository",
    WRITER: "in the writer's clone",
}


# --- running things -------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def environment(workdir: Path) -> dict[str, str]:
    """What every command runs with: our venv first; no user or system Git or DVC
    configuration; Git does not look above the work directory for a repository (so that a
    command "outside any repository" is outside this one too); temporary files in the work
    directory, where leftovers can be seen; no DVC analytics and no Studio token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        GIT_CONFIG_GLOBAL=str(workdir / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_CEILING_DIRECTORIES=str(workdir),
        LC_ALL="C.UTF-8",
        TMPDIR=str(workdir / "tmp"),
        DVC_NO_ANALYTICS="1",
        DVC_GLOBAL_CONFIG_DIR=str(workdir / "dvc-config" / "global"),
        DVC_SYSTEM_CONFIG_DIR=str(workdir / "dvc-config" / "system"),
        DVC_SITE_CACHE_DIR=str(workdir / "dvc-site" / "setup"),
    )
    return env


GITCONFIG = """\
[user]
\tname = Bench Runner
\temail = bench@example.com
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
[tag]
\tgpgSign = false
[commit]
\tgpgSign = false
"""


def call(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a setup command; its standard output. Stops the benchmark if it fails."""
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed in {cwd}:\n{proc.stderr}{proc.stdout}")
    return proc.stdout


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def bytes_in(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


# --- the setup ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setup:
    workdir: Path
    server: Path  # the bare repository
    storage: Path  # the DVC remote
    writer: Path  # the clone that registered the artifact
    outside: Path  # a directory in no repository: where the server-side commands run
    size: int
    md5: str
    commit: str
    lines: tuple[str, ...]  # what the setup did, for the report


def write_random(path: Path, size: int) -> str:
    """A file of ``size`` random bytes (incompressible, like trained weights); its MD5."""
    digest = hashlib.md5(usedforsecurity=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            digest.update(chunk)
            handle.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def in_cache(root: Path, md5: str) -> bool:
    """Whether the DVC cache (or remote) at ``root`` holds the object ``md5`` (DVC 3 layout)."""
    return (root / "files" / "md5" / md5[:2] / md5[2:]).is_file()


def build(workdir: Path, size: int, env: dict[str, str]) -> Setup:
    began = time.perf_counter()
    if workdir.exists():
        shutil.rmtree(workdir)
    for sub in ("tmp", "dvc-config/global", "dvc-config/system", "dvc-site", "outside", "out"):
        (workdir / sub).mkdir(parents=True)
    (workdir / "gitconfig").write_text(GITCONFIG)
    server, storage, writer = workdir / "server.git", workdir / "dvc-storage", workdir / "writer"
    storage.mkdir()
    call(["git", "init", "-q", "--bare", "-b", "main", str(server)], workdir, env)
    call(["git", "clone", "-q", str(server), str(writer)], workdir, env)
    call(["git", "symbolic-ref", "HEAD", "refs/heads/main"], writer, env)
    call(["dvc", "init", "-q"], writer, env)
    call(["dvc", "remote", "add", "-d", "storage", str(storage)], writer, env)
    call(["git", "add", ".dvc", ".dvcignore"], writer, env)
    call(["git", "commit", "-q", "-m", "Use DVC"], writer, env)
    call(["git", "push", "-q", "origin", "main"], writer, env)

    start = time.perf_counter()
    md5 = write_random(writer / ARTIFACT, size)
    wrote = time.perf_counter() - start
    start = time.perf_counter()
    register = ["git", "model", "register", MODEL, "--path", ARTIFACT, "--push"]
    call([*register, "-m", "Benchmark artifact"], writer, env)
    registered = time.perf_counter() - start
    start = time.perf_counter()
    call(["git", "model", "promote", f"{MODEL}@0.1.0", "--to", "prod", "--push"], writer, env)
    promoted = time.perf_counter() - start
    call(["git", "push", "-q", "origin", "main"], writer, env)

    commit = call(["git", "rev-parse", f"{STAGE_REF}^{{commit}}"], writer, env).strip()
    described = json.loads(call(["git", "model", "describe", STAGE_REF, "--json"], writer, env))
    recorded = described["version"]["artifact"]["md5"]
    lines = [
        f"artifact {ARTIFACT}: {size:,} bytes ({size / 2**20:.1f} MiB) of random data,"
        f" md5 {md5}; written in {wrote:.1f} s",
        f"`git model register {MODEL} --path {ARTIFACT} --push` (DVC tracks it: hashes it,"
        f" copies it into the cache, pushes it to the remote; then the tag) took"
        f" {registered:.1f} s; `git model promote {MODEL}@0.1.0 --to prod --push`"
        f" {promoted:.1f} s",
        f"the version (on commit {commit[:7]}) records md5 {recorded}"
        + ("" if recorded == md5 else f": NOT the file's md5 {md5}"),
        "the DVC remote holds the file: " + ("yes" if in_cache(storage, md5) else "NO"),
        "the writer's DVC cache holds the file: "
        + ("yes" if in_cache(writer / ".dvc" / "cache", md5) else "NO"),
    ]
    lines.append(f"setup took {time.perf_counter() - began:.1f} s")
    return Setup(
        workdir, server, storage, writer, workdir / "outside", size, md5, commit, tuple(lines)
    )


# --- the commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """One run with timers around the phases (see PROBE)."""

    wall: float
    phases: dict[str, float]
    gto: bool  # whether the command imported GTO


@dataclass(slots=True)
class Case:
    """One command in one situation, timed several times."""

    situation: str
    tool: str
    argv: list[str]
    cwd: Path
    out: Path
    site: Path  # its own DVC site cache
    emptied: tuple[Path, ...]  # removed before every run: the DVC cache, when it must be empty
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    left_behind: int = 0  # most bytes one run left in TMPDIR
    probes: list[Probe] = field(default_factory=list)
    probe_error: str | None = None

    def prepare(self, tmp: Path) -> None:
        remove(self.out)
        for path in self.emptied:
            remove(path)
        remove(tmp)
        tmp.mkdir()

    def environment(self, env: dict[str, str]) -> dict[str, str]:
        return {**env, "DVC_SITE_CACHE_DIR": str(self.site)}

    def run(self, env: dict[str, str], tmp: Path, keep: bool = False) -> float:
        """One timed run; its output is removed afterwards unless ``keep``."""
        self.prepare(tmp)
        start = time.perf_counter()
        proc = subprocess.run(
            self.argv,
            cwd=self.cwd,
            env=self.environment(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if not keep:
            remove(self.out)  # one artifact-sized output at a time on disk
        self.left_behind = max(self.left_behind, bytes_in(tmp))
        if proc.returncode != 0 and self.error is None:
            stderr = " ".join(proc.stderr.decode(errors="replace").split()) or "(no output)"
            self.error = f"exit {proc.returncode}: {stderr[-600:]}"
        return elapsed

    def shown(self, setup: Setup) -> str:
        text = shlex.join(self.argv)
        return text.replace(str(self.out), "OUT").replace(str(setup.server), "SERVER")


def argv_of(tool: str, source: str, out: Path, remote: bool) -> list[str]:
    """The command of ``tool`` for the prod version of the model from ``source``."""
    if tool == GIT_MODEL:
        where = ["--repo", source] if remote else []
        return ["git", "model", "get", STAGE_REF, *where, "-o", str(out), "--force"]
    if tool == DVC_GET:  # --rev: the prod version's tag, as a DVC user names it
        return ["dvc", "get", source, ARTIFACT, "--rev", STAGE_REF, "-o", str(out), "--force"]
    return ["dvc", "artifacts", "get", source, MODEL, "--stage", "prod", "-o", str(out), "--force"]


def make_cases(setup: Setup, env: dict[str, str]) -> list[list[Case]]:
    """One group of cases per situation, one case per tool."""
    groups: list[list[Case]] = []
    for situation in SITUATIONS:
        group = []
        for tool in TOOLS:
            slug = f"{situation}-{tool.replace(' ', '-')}"
            out = setup.workdir / "out" / slug / "churn.pkl"
            out.parent.mkdir(parents=True)
            site = setup.workdir / "dvc-site" / slug
            if situation == CLONE:  # one fresh clone per tool
                clone = setup.workdir / "clones" / tool.replace(" ", "-")
                call(["git", "clone", "-q", str(setup.server), str(clone)], setup.workdir, env)
                dvc_dir = clone / ".dvc"
                emptied: tuple[Path, ...] = (dvc_dir / "cache", dvc_dir / "tmp", site)
                case = Case(
                    situation, tool, argv_of(tool, ".", out, False), clone, out, site, emptied
                )
            elif situation == SERVER:
                argv = argv_of(tool, str(setup.server), out, True)
                case = Case(situation, tool, argv, setup.outside, out, site, (site,))
            else:
                argv = argv_of(tool, ".", out, False)
                case = Case(situation, tool, argv, setup.writer, out, site, ())
            group.append(case)
        groups.append(group)
    return groups


# --- timing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Reference:
    """MD5 over the artifact, timed alongside the commands."""

    label: str
    measure: Callable[[], float]
    samples: list[float] = field(default_factory=list)


def md5_references(path: Path, env: dict[str, str]) -> list[Reference]:
    def in_process() -> float:
        start = time.perf_counter()
        md5_of(path)
        return time.perf_counter() - start

    def md5sum() -> float:
        start = time.perf_counter()
        subprocess.run(["md5sum", str(path)], env=env, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start

    references = [Reference("MD5 in-process (git_model.artifacts.md5_of)", in_process)]
    if shutil.which("md5sum", path=env["PATH"]):
        references.append(Reference("`md5sum` (a process)", md5sum))
    return references


def measure(
    groups: Sequence[Sequence[Case]],
    references: Sequence[Reference],
    setup: Setup,
    env: dict[str, str],
    *,
    runs: int,
    breakdown: bool,
) -> None:
    """A warm-up round (outputs checked), then ``runs`` rounds; each round runs every case
    once, situation by situation, the tools of a situation in an order rotated each round,
    then (``breakdown``) each of them once more through PROBE."""
    tmp = setup.workdir / "tmp"
    began = time.perf_counter()
    for case in (c for g in groups for c in g):
        case.run(env, tmp, keep=True)
        if case.error is None and not case.out.is_file():
            case.error = f"wrote nothing at {case.out}"
        elif case.error is None and md5_of(case.out) != setup.md5:
            case.error = f"wrote a file whose MD5 is not {setup.md5}"
        if case.error is not None:
            log(f"  {case.tool} ({SITUATIONS[case.situation]}) failed: {case.error}")
        remove(case.out)
    for reference in references:
        reference.measure()
    log(f"  warm-up round took {time.perf_counter() - began:.0f} s")
    for index in range(runs):
        began = time.perf_counter()
        for group in groups:
            shift = index % len(group)
            order = [c for c in [*group[shift:], *group[:shift]] if c.error is None]
            for case in order:
                case.samples.append(case.run(env, tmp))
            for case in order if breakdown else ():
                probe(case, setup, env)
        for reference in references:
            reference.samples.append(reference.measure())
        log(f"  round {index + 1}/{runs} took {time.perf_counter() - began:.0f} s")


# --- where the time goes --------------------------------------------------------------------

# Runs one command inside Python with timers around the functions that do its work; writes
# what it measured as JSON. DVC's and git-model's imports are done first, timed; the timers
# count the outermost call of each function only.
PROBE = r"""
import json, sys, time

began = time.perf_counter()
tool, result, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
spent = {}


def timed(owner, name, label):
    raw = owner.__dict__.get(name)
    if raw is None:
        return
    static = isinstance(raw, staticmethod)
    function = raw.__func__ if static else raw
    depth = [0]

    def wrapper(*args, **kwargs):
        depth[0] += 1
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

    setattr(owner, name, staticmethod(wrapper) if static else wrapper)


start = time.perf_counter()
if tool == "git-model":
    import git_model.api
    import git_model.artifacts
    import git_model.cli
if tool != "git-model":
    import dvc.cli
import dvc.fs
import dvc.repo
import dvc.repo.artifacts
spent["imports"] = time.perf_counter() - start

timed(dvc.repo.Repo, "open", "open")
timed(dvc.fs, "download", "copy")
timed(dvc.repo.artifacts.Artifacts, "get_rev", "resolve")
timed(dvc.repo.artifacts.Artifacts, "_download_studio", "studio")
if tool == "git-model":
    timed(git_model.api, "_locate", "resolve")
    timed(git_model.artifacts, "_info", "lookup")
    timed(git_model.artifacts, "_verify", "verify")

code = 0
try:
    if tool == "git-model":
        sys.argv = ["git-model", *argv]
        git_model.cli.main()
    else:
        code = dvc.cli.main(argv)
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    inside = time.perf_counter() - began
    with open(result, "w") as handle:
        json.dump(
            {"phases": spent, "inside": inside, "code": code, "gto": "gto" in sys.modules},
            handle,
        )
"""

PHASES = (
    ("start", "Python start and exit"),
    ("imports", "imports (up front)"),
    ("resolve", "resolve the version"),
    ("studio", "ask Studio (no token)"),
    ("open", "DVC opens the repo"),
    ("lookup", "DVC looks up the file"),
    ("copy", "DVC copies the bytes"),
    ("verify", "MD5 verification"),
    ("rest", "the rest"),
)


def probe(case: Case, setup: Setup, env: dict[str, str]) -> None:
    """``case`` once more, run through PROBE; what it measured goes to ``case.probes``."""
    tmp = setup.workdir / "tmp"
    case.prepare(tmp)
    result = setup.workdir / "probe.json"
    remove(result)
    if case.tool == GIT_MODEL:
        tool, argv = "git-model", case.argv[2:]  # git-model directly, not through git
    else:
        tool, argv = "dvc", case.argv[1:]
    command = [sys.executable, "-c", PROBE, tool, str(result), *argv]
    start = time.perf_counter()
    proc = subprocess.run(
        command,
        cwd=case.cwd,
        env=case.environment(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - start
    remove(case.out)
    if not result.is_file():
        stderr = " ".join(proc.stderr.decode(errors="replace").split())
        case.probe_error = case.probe_error or f"no result: {stderr[-300:]}"
        return
    data = json.loads(result.read_text())
    if data["code"] != 0:
        case.probe_error = case.probe_error or f"exit {data['code']}"
        return
    inside = float(data["inside"])
    phases = {str(k): float(v) for k, v in data["phases"].items()}
    phases["rest"] = inside - sum(phases.values())
    phases["start"] = wall - inside
    case.probes.append(Probe(wall, phases, bool(data["gto"])))


# --- reporting ------------------------------------------------------------------------------


def cell(case: Case) -> str:
    return "failed" if case.error is not None else spread(case.samples)


def ratio(ours: Case, other: Case) -> str:
    if ours.error or other.error or not ours.samples or not other.samples:
        return "—"
    return f"{statistics.median(ours.samples) / statistics.median(other.samples):.2f}"


def _by_tool(group: Sequence[Case]) -> dict[str, Case]:
    return {c.tool: c for c in group}


def results_table(groups: Sequence[Sequence[Case]], render: Renderer) -> str:
    header = ("situation", *TOOLS, "git-model/dvc get", "git-model/dvc artifacts get")
    lines = []
    for group in groups:
        tools = _by_tool(group)
        ours = tools[GIT_MODEL]
        lines.append(
            [
                SITUATIONS[ours.situation],
                *(cell(tools[t]) for t in TOOLS),
                ratio(ours, tools[DVC_GET]),
                ratio(ours, tools[DVC_ARTIFACTS]),
            ]
        )
    return render(header, lines, False)


def commands_table(groups: Sequence[Sequence[Case]], setup: Setup, render: Renderer) -> str:
    lines = []
    for group in groups:
        tools = _by_tool(group)
        situation = group[0].situation
        lines.append(
            [f"{SITUATIONS[situation]} ({WHERE[situation]})"]
            + [tools[t].shown(setup) for t in TOOLS]
        )
    return render(("situation", *TOOLS), lines, True)


def md5_lines(references: Sequence[Reference], groups: Sequence[Sequence[Case]]) -> list[str]:
    if not references or not references[0].samples:
        return []
    reference = statistics.median(references[0].samples)
    lines = [f"{r.label}: {spread(r.samples)}" for r in references]
    for group in groups:
        ours = _by_tool(group)[GIT_MODEL]
        if ours.samples and ours.error is None:
            share = reference / statistics.median(ours.samples)
            lines.append(
                f"in-process MD5 / git model get {SITUATIONS[ours.situation]}: {share:.0%}"
            )
    return lines


def breakdown_table(groups: Sequence[Sequence[Case]], render: Renderer) -> str:
    """Per command, the median of each phase over its probe runs, and of their wall time."""
    cases = [c for g in groups for c in g if c.probes or c.probe_error]
    probes = [p for c in cases for p in c.probes]
    shown = [(k, label) for k, label in PHASES if any(p.phases.get(k, 0) >= 5e-4 for p in probes)]
    header = ("command", *(label for _, label in shown), "imports GTO", "total")
    lines = []
    for case in cases:
        name = f"{case.tool}, {SITUATIONS[case.situation]}"
        if case.probe_error is not None:
            name += f" (a run failed: {case.probe_error})"
        values = [
            seconds(statistics.median(p.phases.get(k, 0.0) for p in case.probes))
            if any(k in p.phases for p in case.probes)
            else "—"
            for k, _ in shown
        ]
        walls = [p.wall for p in case.probes]
        gto = "yes" if any(p.gto for p in case.probes) else "no"
        lines.append([name, *values, gto, seconds(statistics.median(walls)) if walls else "—"])
    return render(header, lines, False)


def leftovers(groups: Sequence[Sequence[Case]]) -> list[str]:
    return [
        f"{c.tool} ({SITUATIONS[c.situation]}) left up to {c.left_behind / MB:.1f} MB in TMPDIR"
        for g in groups
        for c in g
        if c.left_behind
    ]


# --- the machine ----------------------------------------------------------------------------


def _filesystem(path: Path) -> str:
    """The type of the file system holding ``path`` (Linux), from /proc/mounts."""
    mounts = Path("/proc/mounts")
    if not mounts.exists():
        return "unknown"
    best, kind = "", "unknown"
    for line in mounts.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
            best, kind = parts[1], parts[2]
    return kind


def machine(workdir: Path, env: dict[str, str]) -> dict[str, str]:
    return {
        **hardware(),
        "work directory": f"{workdir} ({_filesystem(workdir)})",
        "git": version_of(["git", "--version"], env),
        "dvc": version_of(["dvc", "--version"], env),
        "git-model": f"{version_of(['git-model', '--version'], env)} at {checkout(env)}",
        "load average at start": load_average(),
    }


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=200, help="artifact size in MB (10^6 bytes)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip the runs with timers around phases"
    )
    args = parser.parse_args(argv)
    if args.mb < 1 or args.runs < 1:
        parser.error("--mb and --runs must be at least 1")
    return args


@dataclass(slots=True)
class Results:
    about: dict[str, str]
    setup: Setup
    groups: list[list[Case]]
    references: list[Reference]


def report(results: Results, args: argparse.Namespace, render: Renderer) -> str:
    about, setup, groups = results.about, results.setup, results.groups
    blocks = ["Machine:\n" + "\n".join(f"- {key}: {value}" for key, value in about.items())]
    blocks.append("Setup:\n" + "\n".join(f"- {line}" for line in setup.lines))
    blocks.append(
        f"Fetching the artifact of {STAGE_REF} ({setup.size / MB:,.0f} MB): {args.runs}"
        f" run{'s' if args.runs > 1 else ''} per command after a warm-up, median (min-max)."
    )
    blocks.append(results_table(groups, render))
    blocks += [
        f"failed: {c.tool} ({SITUATIONS[c.situation]}): {c.error}"
        for g in groups
        for c in g
        if c.error
    ]
    md5 = md5_lines(results.references, groups)
    if md5:
        blocks.append(
            "MD5 of the file, the cost of git-model's verification:\n"
            + "\n".join(f"- {x}" for x in md5)
        )
    left = leftovers(groups)
    if left:
        blocks.append("Temporary files:\n" + "\n".join(f"- {x}" for x in left))
    if any(c.probes for g in groups for c in g):
        blocks.append(
            "Where the time goes (every round runs each command once more, inside Python with"
            " timers around its phases; medians):"
        )
        blocks.append(breakdown_table(groups, render))
    blocks.append("Commands (OUT: the output file; SERVER: the bare repository):")
    blocks.append(commands_table(groups, setup, render))
    return "\n\n".join(blocks) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    workdir: Path = args.workdir.resolve()
    env = environment(workdir)
    about = machine(workdir, env)
    for key, value in about.items():
        log(f"{key}: {value}")
    log(f"\n== setup: {args.mb} MB artifact in {workdir} ==")
    setup = build(workdir, args.mb * MB, env)
    for line in setup.lines:
        log(f"setup: {line}")
    groups = make_cases(setup, env)
    references = md5_references(setup.writer / ARTIFACT, env)
    log("\n== timing ==")
    measure(groups, references, setup, env, runs=args.runs, breakdown=not args.no_breakdown)
    remove(workdir / "tmp")
    (workdir / "tmp").mkdir()
    closing(about, env, began)
    results = Results(about, setup, groups, references)
    publish(lambda render: report(results, args, render), args.markdown)


if __name__ == "__main__":
    main()
