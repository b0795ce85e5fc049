"""The real GTO (iterative/gto 1.10.1) as a test oracle, and one vocabulary for comparing it.

GTO runs in subprocesses only: its clock must be fixed before it is imported, per command.

**Time.** GTO stamps its tags with the wall clock, at one-second resolution, and orders
events of the same second wrongly. Tests must not sleep, so every GTO write runs at a
fixed second of its own: the launcher below replaces ``time.time`` (what dulwich's
``tag_create`` reads) before GTO is imported, and sets ``GIT_COMMITTER_DATE`` to the same
second. The second matters too: scmrepo first tries its pygit2 backend, which stamps with
libgit2's own clock and cannot be patched from Python, but that backend refuses to run when
``GIT_COMMITTER_DATE`` is set, so scmrepo falls back to dulwich and the patched clock.

**Vocabulary.** GTO and git-model print different JSON. Everything here reduces both to
the same plain values: versions without their leading ``v``, GTO's event names mapped to
git-model's (``registration`` -> ``registered`` and so on), times as aware datetimes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

# GTO's console script (.venv/bin/gto) is `from gto.cli import app; sys.exit(app())`.
_LAUNCHER = (
    "import os, sys, time\n"
    "now = float(os.environ['GTO_FAKE_TIME'])\n"
    "time.time = lambda: now\n"
    "from gto.cli import app\n"
    "sys.argv[0] = 'gto'\n"
    "sys.exit(app())\n"
)
# Several gto commands share one process (one import of gto, which costs about half of a
# short command): [seconds or null, argv] pairs on stdin, [exit code, stdout] pairs on
# stdout. A modifying command runs at its own second (GIT_COMMITTER_DATE is set before
# each, for the reason given above), and the first that fails ends the batch; reading
# commands (null) change nothing and all run.
_BATCH = (
    "import contextlib, io, json, os, sys, time\n"
    "from gto.cli import app\n"
    "results = []\n"
    "for when, argv in json.load(sys.stdin):\n"
    "    if when is not None:\n"
    "        time.time = lambda: float(when)\n"
    "        os.environ['GIT_COMMITTER_DATE'] = os.environ['GIT_AUTHOR_DATE'] = f'@{when} +0000'\n"
    "    out, code = io.StringIO(), 0\n"
    "    with contextlib.redirect_stdout(out):\n"
    "        try:\n"
    "            app.main(args=argv, prog_name='gto')\n"
    "        except SystemExit as exc:\n"
    "            code = exc.code\n"
    "    results.append([code, out.getvalue()])\n"
    "    if code and when is not None:\n"
    "        break\n"
    "json.dump(results, sys.stdout)\n"
)

# Seconds between two commands of a test (either tool): a git-model command stamps its
# events one second apart, so this keeps every event of a registry in a second of its own
# and both tools can order them, across models too, by time alone.
STEP = 10

# GTO's event names (the class names of gto.base events) -> git-model's EventKind values.
EVENT_KIND = {
    "registration": "registered",
    "deregistration": "archived",
    "assignment": "promoted",
    "unassignment": "demoted",
    "deprecation": "deprecated",
}


class Ticker(Protocol):
    """What GTO writes need from the tests' clock (conftest's ``Clock``)."""

    @property
    def now(self) -> int: ...

    def tick(self, seconds: int = 1) -> int: ...


class Gto:
    """The GTO CLI in one repository; each write happens STEP seconds after the clock."""

    def __init__(self, path: Path, clock: Ticker) -> None:
        self.path = path
        self.clock = clock

    def run(self, *args: str, at: int | None = None) -> subprocess.CompletedProcess[str]:
        when = self.clock.now if at is None else at
        env = dict(os.environ)
        env["GTO_FAKE_TIME"] = str(when)
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = f"@{when} +0000"
        return subprocess.run(
            [sys.executable, "-c", _LAUNCHER, *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def write(self, *args: str) -> str:
        """Run a modifying GTO command STEP seconds later; return what it printed."""
        proc = self.run(*args, at=self.clock.tick(STEP))
        assert proc.returncode == 0, f"gto {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
        return proc.stdout

    def write_all(self, commands: Sequence[Sequence[str]]) -> None:
        """Run modifying GTO commands in one process, each STEP seconds after the one
        before, as ``write`` would one by one."""
        timed = [(self.clock.tick(STEP), list(argv)) for argv in commands]
        for (_, argv), (code, out) in zip(timed, self._batch(timed), strict=False):
            assert code == 0, f"gto {' '.join(argv)} failed ({code}):\n{out}"

    def read(self, *names: str, registry: bool = True) -> GtoReading:
        """``show``, ``show --deprecated`` and ``history`` (unless not ``registry``), and the
        same three for each model of ``names``, all with ``--json``, in one process."""
        commands = [
            *([["show"], ["show", "--deprecated"], ["history"]] if registry else []),
            *([cmd, name, *flag] for name in names for cmd, *flag in _PER_MODEL),
        ]
        results = self._batch([(None, [*argv, "--json"]) for argv in commands])
        outputs = {}
        for argv, (code, out) in zip(commands, results, strict=True):
            assert code == 0, f"gto {' '.join(argv)} failed ({code}):\n{out}"
            outputs[tuple(argv)] = json.loads(out)
        return GtoReading(outputs)

    def _batch(self, commands: Sequence[tuple[int | None, list[str]]]) -> list[tuple[int, str]]:
        """Run gto commands in one process (see _BATCH); all of them, or up to the first
        modifying one that failed."""
        proc = subprocess.run(
            [sys.executable, "-c", _BATCH],
            cwd=self.path,
            input=json.dumps(commands),
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"gto failed:\n{proc.stderr}"
        results = [(code, out) for code, out in json.loads(proc.stdout)]
        assert len(results) == len(commands) or results[-1][0] != 0, proc.stderr
        return results


_PER_MODEL = (("show",), ("show", "--deprecated"), ("history",))


@dataclass(frozen=True, slots=True)
class GtoReading:
    """What gto's reading commands printed, parsed, by their arguments."""

    outputs: dict[tuple[str, ...], Any]

    def __call__(self, *argv: str) -> Any:
        return self.outputs[argv]


# --- one vocabulary -------------------------------------------------------------------------


def bare(version: str | None) -> str | None:
    """A GTO version without its leading ``v`` (git-model's JSON has none)."""
    if version is None:
        return None
    assert version.startswith("v"), f"GTO version without a leading v: {version!r}"
    return version[1:]


def model_in_tag(model: str) -> str:
    return model.replace(":", "=")


@dataclass(frozen=True, slots=True)
class Ev:
    """One registry event, as either tool reports it."""

    model: str
    kind: str
    version: str | None
    stage: str | None
    tag: str
    commit: str
    when: datetime
    author: tuple[str, str]  # (name, email) of the tagger
    message: str


# git-model ends the messages it writes with a trailer block marking them as its own
# (`Written-By: git-model`, maybe more `Key: value` lines); with `Document: json` the
# paragraph before it is a JSON document. It shows the text before both.
def text_of(message: str) -> str:
    """A tag message as git-model shows it: without git-model's document and trailers."""
    paragraphs = message.strip().split("\n\n")
    trailers = paragraphs[-1].splitlines()
    if len(paragraphs) < 2 or "Written-By: git-model" not in trailers:
        return message.strip()
    kept = paragraphs[:-1]
    if "Document: json" in trailers:
        kept = kept[:-1]
    return "\n\n".join(kept).strip()


def gto_events(history: Sequence[dict[str, Any]]) -> list[Ev]:
    """``gto history --json``, in GTO's order."""
    return [
        Ev(
            model=e["artifact"],
            kind=EVENT_KIND[e["event"]],
            version=bare(e["version"]),
            stage=e["stage"],
            tag=e["ref"],
            commit=e["commit"],
            when=datetime.fromisoformat(e["timestamp"]),
            author=(e["author"], e["author_email"]),
            message=text_of(e["message"]),
        )
        for e in history
    ]


def gm_events(history: dict[str, Any]) -> list[Ev]:
    """``git model history --json``, in git-model's order."""
    return [
        Ev(
            model=e["model"],
            kind=e["kind"],
            version=e["version"],
            stage=e["stage"],
            tag=e["tag"],
            commit=e["commit"],
            when=datetime.fromisoformat(e["date"]),
            author=(e["author"]["name"], e["author"]["email"]),
            message=e["message"],
        )
        for e in history["events"]
    ]


def is_moving_stage_tag(event: Ev) -> bool:
    return (
        event.kind == "promoted"
        and event.stage is not None
        and event.tag == f"{model_in_tag(event.model)}#{event.stage}"
    )


def split_stage_tag_echoes(events: Sequence[Ev]) -> tuple[list[Ev], list[Ev]]:
    """Split GTO's history into (events, echoes of moving stage tags).

    GTO reads every ``NAME#STAGE`` tag as one more assignment. Where the stage also has
    event tags (``NAME#STAGE#N``, as git-model writes them), the moving tag points at the
    current holder and is stamped with the second of the event that made it the holder:
    it repeats that event. An echo is exactly such a tag: a ``NAME#STAGE`` assignment with
    an ``NAME#STAGE#N`` assignment of the same version, commit and second beside it. A
    ``NAME#STAGE`` tag without one (a GTO ``--simple`` registry) is a real event and stays.
    """
    kept: list[Ev] = []
    echoes: list[Ev] = []
    for event in events:
        counted = re.compile(re.escape(event.tag) + r"#[0-9]+")
        twin = is_moving_stage_tag(event) and any(
            other.kind == "promoted"
            and counted.fullmatch(other.tag)
            and (other.model, other.version, other.commit, other.when)
            == (event.model, event.version, event.commit, event.when)
            for other in events
        )
        (echoes if twin else kept).append(event)
    return kept, echoes


@dataclass(frozen=True, slots=True)
class Row:
    """One model in ``show``: its latest version, who holds each stage, deprecated or not."""

    latest: str | None
    stages: tuple[tuple[str, str], ...]  # (stage, version) for the stages that are held
    deprecated: bool


def gto_registry(show: dict[str, Any]) -> dict[str, Row]:
    """``gto show --json``."""
    rows = {}
    for name, model in show.items():
        held = {s: v for s, v in model["stage"].items() if v is not None}
        for stage, versions in held.items():
            assert ", " not in versions, f"GTO shows several holders of {name}#{stage}"
        rows[name] = Row(
            latest=bare(model["version"]),
            stages=tuple(sorted((s, str(bare(v))) for s, v in held.items())),
            deprecated=not model["active"],
        )
    return rows


def gm_registry(show: dict[str, Any]) -> dict[str, Row]:
    """``git model show --json``."""
    return {
        m["name"]: Row(
            latest=m["latest"]["version"] if m["latest"] is not None else None,
            stages=tuple(
                sorted(
                    (cell["stage"], cell["holder"]["version"])
                    for cell in m["stages"]
                    if cell["holder"] is not None
                )
            ),
            deprecated=m["deprecated"],
        )
        for m in show["models"]
    }


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version in ``show NAME``: its commit, whether it is in use, its stages."""

    version: str
    commit: str
    active: bool  # registered and not deregistered (archived)
    stages: tuple[str, ...]


def gto_versions(show: Sequence[dict[str, Any]]) -> list[VersionRow]:
    """``gto show NAME --json``, in GTO's order (highest version first)."""
    return [
        VersionRow(
            version=str(bare(v["version"])),
            commit=v["commit_hexsha"],
            active=v["is_active"],
            stages=tuple(sorted(s["stage"] for s in v["stages"])),
        )
        for v in show
    ]


def gm_versions(show: dict[str, Any]) -> list[VersionRow]:
    """``git model show NAME --json``, in git-model's order (highest version first)."""
    return [
        VersionRow(
            version=v["version"],
            commit=v["commit"],
            active=not v["archived"],
            stages=tuple(sorted(v["stages"])),
        )
        for v in show["versions"]
    ]


def holders(show: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(model, stage, version) for every held stage in ``git model show --all --json``."""
    return {(m, s, v) for m, row in gm_registry(show).items() for s, v in row.stages}
