"""Every crash point of every write leaves a state the tools recover from.

For each write (``register``, ``register --path``, ``promote``, ``demote``, ``archive``,
``deprecate``, ``annotate``, and a promotion that first adopts a GTO ``--simple`` stage
tag), with loose refs and with packed refs (a clone's layout), a
fault is injected at every call of the Git processes that write (tests/crashing.py), and
the process group is also killed at seeded random moments. After each:

- every ref is at its value before the command or after a clean run of it;
- ``git fsck`` finds nothing wrong;
- a refused command printed one line and a documented exit code;
- ``git model doctor`` names what is left to repair (lagging stage tags, files Git left
  behind), and ``doctor --fix`` repairs it;
- running the command again succeeds, and leaves the state a clean run leaves.

The counts of crash points visited are printed (``-s``) and recorded in docs/guarantees.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_TIME, BIN, CliResult, Repo
from tests.crashing import DATE, Fault, Injector, fsck, prefix_of, snapshot
from tests.helpers import churn_in_prod, ok, tag
from tests.remotes import save_model

FAULTS = (
    Fault("rename", "signal=SIGKILL"),
    Fault("unlink", "signal=SIGKILL"),
    Fault("link", "signal=SIGKILL"),
    Fault("write", "error=EIO"),
    Fault("write", "error=ENOSPC"),
    Fault("fsync", "error=EIO"),
    Fault("rename", "error=EIO"),
)
REFUSED = {8, 10, 13}  # busy or raced, Git failed before writing, Git stopped part-way
RANDOM_KILLS = 6

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


def _churn(repo: Repo) -> None:
    """churn v1.0.0 in prod, v1.1.0 in dev, and a new commit to register."""
    churn_in_prod(repo, dev=True).commit("retrain again")


SCENARIOS: dict[str, tuple[str, ...]] = {
    "register": ("register", "churn", "--version", "1.2.0"),
    "promote": ("promote", "churn@1.1.0", "--to", "prod"),
    "demote": ("demote", "churn#prod"),
    "archive": ("archive", "churn@1.0.0", "--demote"),
    "deprecate": ("deprecate", "churn"),
    "annotate": ("annotate", "churn@1.1.0", "uat=passed"),
}
TARGETS = ("update-ref", "hash-object")


def _two_models(repo: Repo) -> None:
    """churn: v1.0.0 held prod, then v1.1.0 replaced it; fraud v1.0.0 just registered."""
    churn_in_prod(repo, dev=True)
    ok(repo, "promote", "churn@1.1.0", "--to", "prod")
    repo.commit("fraud", files={"fraud.txt": "1"})
    ok(repo, "register", "fraud", "--version", "1.0.0")


# The policy issue's writes: a rollback, and a release of two models in one transaction.
POLICY_SCENARIOS: dict[str, tuple[str, ...]] = {
    "rollback": ("rollback", "churn#prod"),
    "release": ("promote", "churn@1.0.0", "fraud@1.0.0", "--to", "staging"),
}


def _ref_store(repo: Path) -> bytes:
    """A digest of everything a command reads besides reachable objects and the work tree:
    every ref file, packed or loose, what Git left in its way, and git-model's cache. Two
    crash points that leave the same digest leave states no command can tell apart (fixed
    time, fsck clean), so what recovers one recovers the other."""
    git_dir = repo / ".git"
    digest = hashlib.sha256()
    files = [git_dir / "packed-refs", git_dir / "HEAD", git_dir / "git-model" / "state.cache"]
    files += sorted(p for p in (git_dir / "refs").rglob("*") if p.is_file())
    files += [repo / p for p in _leftovers(repo)]
    for path in files:
        digest.update(str(path.relative_to(repo)).encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"-")
        digest.update(b"\0")
    return digest.digest()


def _json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False


def _leftovers(repo: Path) -> list[str]:
    """What Git (and DVC, in register --path) left in the way, relative to the work tree."""
    git_dir = repo / ".git"
    found = [*git_dir.rglob("*.lock"), *git_dir.glob("packed-refs.new")]
    table = repo / ".dvc" / "tmp" / "rwlock"  # DVC's lock table, rewritten in place
    if table.is_file() and not _json_object(table.read_bytes()):
        found.append(table)
    return sorted(str(p.relative_to(repo)) for p in found)


class Scenario:
    """One command on one pre-state: its clean outcome, and checks of a faulted run.
    Commands run in this process (see tests/crashing.py), at a fixed time."""

    def __init__(
        self,
        template: Path,
        args: tuple[str, ...],
        workdir: Path,
        monkeypatch: pytest.MonkeyPatch,
        memo: bool = True,
    ) -> None:
        self.template = template
        self.args = args
        self.workdir = workdir
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("GIT_COMMITTER_DATE", DATE)
        monkeypatch.setenv("GIT_AUTHOR_DATE", DATE)
        self.before = snapshot(template)
        clean = self.fresh("clean")
        run = self.cli(clean, *args)
        assert run.exit_code == 0, run.stderr
        self.after = snapshot(clean)
        self.final = self.state(clean)
        self.counts: dict[str, int] = {}
        # Only where the command touches nothing but refs (not the index or work tree).
        self.memo: set[bytes] | None = set() if memo else None

    def fresh(self, name: str) -> Path:
        copy = self.workdir / name
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.template, copy, symlinks=True)
        return copy

    def cli(self, repo: Path, *args: str, env: dict[str, str] | None = None) -> CliResult:
        with self.monkeypatch.context() as patch:
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            return Repo(repo).cli(*args)

    def state(self, repo: Path) -> tuple[Any, Any]:
        """What the registry says: every model's versions and stages, and every event."""
        show = self.cli(repo, "show", "--all", "--json")
        history = self.cli(repo, "history", "--oldest-first", "--json")
        assert show.exit_code == 0 and history.exit_code == 0, show.stderr + history.stderr
        events = [
            (e["kind"], e["version"], e["stage"], e["counter"], e["tag"])
            for e in json.loads(history.stdout)["events"]
        ]
        return json.loads(show.stdout), events

    def check(self, repo: Path, run: CliResult, what: str, killed: bool) -> None:
        """What a faulted run must leave, and that the tools recover from it."""
        assert "Traceback" not in run.stderr, (what, run.stderr)
        if run.exit_code not in (0, -9):
            assert run.exit_code in REFUSED, (what, run.exit_code, run.stderr)
            assert run.stderr.startswith("git-model: error: "), (what, run.stderr)
            assert run.stderr.count("\n") == 1, (what, run.stderr)
        now = snapshot(repo)
        assert prefix_of(now, self.before, self.after) == [], (what, run.stderr)
        if not killed and run.exit_code in (8, 10):  # "nothing was written"...
            kept = self.before
            if "the declaration commit" in run.stderr:  # ...but register --path's commit
                kept = {**self.before, **{r: v for r, v in now.items() if "/heads/" in r}}
            assert now == kept, (what, "says nothing was written", run.stderr)
        assert fsck(repo) == "", what
        if self.memo is not None:
            # Many crash points leave one of a few states (often the pre- or post-state);
            # the recovery of a state already recovered from is the same (see _ref_store).
            store = _ref_store(repo)
            if store in self.memo:
                self.counts["recoveries seen before"] = (
                    self.counts.get("recoveries seen before", 0) + 1
                )
                return
        doctor = self.cli(repo, "doctor", "--json")
        report = json.loads(doctor.stdout)
        left = _leftovers(repo)
        if left or report["lags"]:
            assert doctor.exit_code == 1, (what, left, report)
        for path in left:
            assert any(path in json.dumps(v) for v in report.values()), (what, path, report)
        fixed = self.cli(repo, "doctor", "--fix")
        assert fixed.exit_code == 0, (what, fixed.stdout, fixed.stderr)
        assert _leftovers(repo) == [], what
        again = self.cli(repo, *self.args)
        assert again.exit_code == 0, (what, again.stderr)
        assert self.state(repo) == self.final, what
        if self.memo is not None:
            self.memo.add(store)

    def every_fault(self, targets: tuple[str, ...], faults: tuple[Fault, ...]) -> None:
        injector = Injector(self.workdir / "inject")
        for target in targets:
            for fault in faults:
                n = 1
                while True:
                    repo = self.fresh("faulted")
                    env = injector.environment(target, fault, n)
                    run = self.cli(repo, *self.args, env=env)
                    if not injector.fired:
                        assert run.exit_code == 0, (target, fault, n, run.stderr)
                        break
                    self.check(repo, run, f"{target} {fault} #{n}", killed=fault.kills)
                    key = f"{target} {fault}"
                    self.counts[key] = self.counts.get(key, 0) + 1
                    n += 1

    def random_kills(self, seed: int, rounds: int) -> None:
        """Kill the whole process group of a real git-model process at seeded random
        moments of its run."""
        rng = random.Random(seed)  # noqa: S311  (a reproducible schedule, not a secret)
        env = {**os.environ, "GIT_COMMITTER_DATE": DATE, "GIT_AUTHOR_DATE": DATE}
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "git-model"), *self.args], cwd=self.fresh("timing"), env=env, check=True,
            capture_output=True,
        )  # fmt: skip
        duration = time.monotonic() - started
        for i in range(rounds):
            repo = self.fresh("killed")
            proc = subprocess.Popen(
                [str(BIN / "git-model"), *self.args],
                cwd=repo,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=rng.uniform(0, duration * 1.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            run = CliResult(proc.returncode, out, err)
            self.check(repo, run, f"random kill {i}", killed=proc.returncode < 0)
        self.counts["random kills"] = rounds


def _template(repo: Repo, layout: str, build: Callable[[Repo], None]) -> Path:
    build(repo)
    if layout == "packed":
        repo.git("pack-refs", "--all")
    return repo.path


def _report(name: str, layout: str, counts: dict[str, int]) -> None:
    total = sum(n for what, n in counts.items() if what != "recoveries seen before")
    print(f"\n{name} ({layout} refs): {total} crash points: {counts}")


LAYOUTS = ("loose", "packed")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_promotion_killed_at_any_rename_of_its_transaction(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """The quick variant: the one fault the campaign found most often."""
    template = _template(repo, layout, _churn)
    scenario = Scenario(template, SCENARIOS["promote"], tmp_path / "w", monkeypatch)
    scenario.every_fault(("update-ref",), (Fault("rename", "signal=SIGKILL"),))
    assert scenario.counts["update-ref rename:signal=SIGKILL"] >= 4  # 2 events, stage, head
    _report("promote", layout, scenario.counts)


def _gto_simple(repo: Repo) -> None:
    """Tags as GTO writes them: churn v1.0.0 put in prod by a --simple stage tag (no
    counter event), then v1.1.0 registered. A promotion first adopts churn#prod: its copy
    is one more event at the head of the transaction."""
    first = repo.git("rev-parse", "HEAD")
    tag(repo, "churn@v1.0.0", first, BASE_TIME, "Registering artifact churn version v1.0.0")
    tag(repo, "churn#prod", first, BASE_TIME + 60, "Assigning stage prod to artifact churn")
    second = repo.commit("retrain")
    tag(repo, "churn@v1.1.0", second, BASE_TIME + 120, "Registering artifact churn version v1.1.0")


# Every write, on the pre-state it needs: the build of its template and its arguments.
WRITES: dict[str, tuple[Callable[[Repo], None], tuple[str, ...]]] = {
    **{name: (_churn, args) for name, args in SCENARIOS.items()},
    **{name: (_two_models, args) for name, args in POLICY_SCENARIOS.items()},
    "adopt": (_gto_simple, ("promote", "churn@1.1.0", "--to", "prod")),
}


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(WRITES))
def test_every_crash_point_of_a_write(
    repo: Repo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    layout: str,
) -> None:
    build, args = WRITES[name]
    template = _template(repo, layout, build)
    scenario = Scenario(template, args, tmp_path / "w", monkeypatch)
    scenario.every_fault(TARGETS, FAULTS)
    scenario.random_kills(seed=zlib.crc32(f"{name} {layout}".encode()), rounds=RANDOM_KILLS)
    _report(name, layout, scenario.counts)


def _declared_model(repo: Repo) -> None:
    """churn v0.1.0 registered with --path, then retrained (the file differs on disk)."""
    save_model(repo, size=2_000)
    ok(repo, "register", "churn", "--path", "models/churn.pkl")
    (repo.path / "models" / "churn.pkl").write_bytes(b"retrained weights\n" * 100)


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_crash_point_of_register_path(
    dvc_repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    template = _template(dvc_repo, layout, _declared_model)
    args = ("register", "churn", "--path", "models/churn.pkl", "--version", "0.2.0")
    scenario = Scenario(template, args, tmp_path / "w", monkeypatch, memo=False)
    scenario.every_fault(("add", "commit", "update-ref", "hash-object"), FAULTS[:4])
    scenario.random_kills(seed=11, rounds=RANDOM_KILLS)
    _report("register --path", layout, scenario.counts)
