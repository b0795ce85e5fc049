"""The desired state: which version each stage of a model should hold, as a file that a
pull request changes and a review approves.

One file per model, ``.git-model/stages/NAME.yaml`` (``fraud/tx`` is
``.git-model/stages/fraud/tx.yaml``), so that two pull requests promoting different
models change different files and merge cleanly. Per stage, it asks for a version, and
says which version held the stage when the request was made (``replaces``; null when
the stage was empty)::

    prod:
      version: 1.1.0
      replaces: 1.0.0

A stage the file does not name is not managed by it. Pure: no processes; the files are
read from commits by ``reading.desired_at``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from git_model.errors import GitModelError, InvalidFile
from git_model.names import is_model_name, is_stage_name
from git_model.semver import SemVer

STAGES_DIR = ".git-model/stages"
_SUFFIX = ".yaml"
_KEYS = ("version", "replaces")
_HINT = (
    "write each stage as `prod: {version: 1.1.0, replaces: 1.0.0}` "
    "(see docs/workflows/pull-requests.md)"
)


def state_path(model: str) -> str:
    """The desired-state file of ``model``, relative to the repository's top."""
    return f"{STAGES_DIR}/{model}{_SUFFIX}"


def model_of(path: str) -> str | None:
    """The model a desired-state file is about (None: not one, by its name)."""
    prefix = f"{STAGES_DIR}/"
    if not path.startswith(prefix) or not path.endswith(_SUFFIX):
        return None
    name = path[len(prefix) : -len(_SUFFIX)]
    return name if is_model_name(name) else None


@dataclass(frozen=True, slots=True)
class Request:
    """One stage of a model asked to hold a version: what the desired state says."""

    model: str
    stage: str
    version: SemVer
    replaces: SemVer | None  # the stage's holder when the request was made
    where: str  # file and line, for messages
    made: int | None = None  # when the file last changed (the commit's date), if known


def _line(node: Any, key: Any) -> str:
    lc = getattr(node, "lc", None)
    try:
        return f":{int(lc.key(key)[0]) + 1}" if lc is not None else ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _version(raw: object, where: str, key: str, stage: str) -> SemVer:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidFile(where, f"`{stage}.{key}` must be a version such as 1.1.0", _HINT)
    try:
        return SemVer.parse(str(raw))
    except GitModelError:
        detail = f"`{stage}.{key}`: {str(raw)!r} is not a semantic version (write it as 1.1.0)"
        raise InvalidFile(where, detail, _HINT) from None


def parse_state(label: str, model: str, data: Any, stages: Sequence[str]) -> tuple[Request, ...]:
    """The requests of a parsed desired-state file (``data``: YAML with line numbers);
    InvalidFile, with the file and line, for anything else."""
    if data is None:
        return ()
    if not isinstance(data, Mapping):
        raise InvalidFile(label, "must be a mapping of stages", _HINT)
    requests = []
    for stage, spec in data.items():
        where = f"{label}{_line(data, stage)}"
        if not isinstance(stage, str) or not is_stage_name(stage) or stage not in stages:
            known = ", ".join(stages)
            raise InvalidFile(where, f"{stage!r} is not a stage of the registry ({known})", _HINT)
        if not isinstance(spec, Mapping) or "version" not in spec or set(spec) - set(_KEYS):
            raise InvalidFile(where, f"`{stage}` must be a mapping of version and replaces", _HINT)
        version = _version(spec["version"], f"{label}{_line(spec, 'version')}", "version", stage)
        raw = spec.get("replaces")
        at = f"{label}{_line(spec, 'replaces')}"
        replaces = None if raw is None else _version(raw, at, "replaces", stage)
        requests.append(Request(model, stage, version, replaces, where))
    return tuple(requests)


def render_state(model: str, requests: Sequence[Request], stages: Sequence[str]) -> str:
    """The desired-state file of ``model`` for ``requests``, stages in the registry's order."""
    order = {stage: i for i, stage in enumerate(stages)}
    lines = [f"# The versions the stages of {model} should hold (git model plan, apply)."]
    for r in sorted(requests, key=lambda r: order.get(r.stage, len(order))):
        replaces = "null" if r.replaces is None else str(r.replaces)
        lines += [f"{r.stage}:", f"  version: {r.version}", f"  replaces: {replaces}"]
    return "\n".join(lines) + "\n"
