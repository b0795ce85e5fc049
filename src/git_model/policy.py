"""Promotion policy as code: the gates a version must pass to enter a stage, and the one
evaluation of them that `check`, `promote`, the hooks and CI all share.

The gates are declared in ``git-model.yaml``, per stage the version enters::

    gates:
      staging:
        after: dev                 # must hold, or have held, this stage
      prod:
        after: staging
        soak: 24h                  # ... for at least this long, in one stay (s, m, h, d)
        metrics:                   # thresholds on what the version recorded
          auc: ">= 0.85"
        not_worse:                 # against the stage's current holder: metric -> tolerance
          auc: 0.005
          latency_ms: {tolerance: 2, lower_is_better: true}
        signature: compatible      # unless the major version grew
        required: [owner, intended_use]   # model-YAML keys or model-card sections
    overrides:                     # per model, by name pattern, in order
      - models: "fraud/*"
        gates:
          prod:
            metrics:
              auc: ">= 0.95"

Everything here is pure: parsing (with the file and line of every mistake) and
evaluating, from the registry's state, the version's recorded metadata and a clock.
Which file is read, and from which commit, is the caller's business (``reading``): never
the working tree's, never the candidate's.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from git_model.errors import ConfigError
from git_model.metadata import CARD_EXTRAS, CARD_SECTIONS, SPEC_KEYS, Metadata, Scalar
from git_model.semver import SemVer
from git_model.state import EventKind, Model, Version

GATES = (
    "after", "soak", "metrics", "not_worse", "signature", "required", "signers", "check_rollbacks"
)  # fmt: skip
SIGNING_KEYS = ("allowed_signers", "revocation", "groups", "force")
OPERATORS = (">=", "<=", "==", "!=", ">", "<")
_THRESHOLD_RE = re.compile(r"\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")
_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_REQUIRABLE = frozenset(k for k in SPEC_KEYS if k not in ("path", "metrics")) | frozenset(
    CARD_SECTIONS + CARD_EXTRAS
)


@dataclass(frozen=True, slots=True)
class Threshold:
    """``auc: ">= 0.85"``: what a recorded metric must satisfy."""

    metric: str
    op: str
    value: float

    def holds(self, actual: float) -> bool:
        return {
            ">=": actual >= self.value,
            "<=": actual <= self.value,
            ">": actual > self.value,
            "<": actual < self.value,
            "==": actual == self.value,
            "!=": actual != self.value,
        }[self.op]

    @property
    def higher_is_better(self) -> bool | None:
        return True if self.op in (">=", ">") else False if self.op in ("<=", "<") else None

    def __str__(self) -> str:
        return f"{self.op} {_number(self.value)}"


@dataclass(frozen=True, slots=True)
class Tolerance:
    """``not_worse: {auc: 0.005}``: how much worse than the current holder a metric may be."""

    metric: str
    tolerance: float
    higher_is_better: bool


@dataclass(frozen=True, slots=True)
class StageGates:
    """The gates of one stage (for one model, once overrides are applied)."""

    stage: str
    after: str | None = None
    soak: int | None = None  # seconds
    metrics: tuple[Threshold, ...] = ()
    not_worse: tuple[Tolerance, ...] = ()
    signature: bool = False  # compatible with the current holder's, unless major grew
    required: tuple[str, ...] = ()
    signers: tuple[str, ...] = ()  # principals, or groups of them, who may sign the move
    check_rollbacks: bool = False  # whether a rollback to a former holder is gated too

    @property
    def empty(self) -> bool:
        return self == StageGates(self.stage, check_rollbacks=self.check_rollbacks)


@dataclass(frozen=True, slots=True)
class Override:
    """Gates that replace the base ones for the models whose names match ``pattern``."""

    pattern: str
    gates: tuple[StageGates, ...]
    keys: tuple[tuple[str, tuple[str, ...]], ...]  # per stage, the gates it sets


@dataclass(frozen=True, slots=True)
class Signing:
    """``signing:``: where the keys allowed to sign are (files of the policy commit), and
    named groups of principals that ``signers`` gates may name."""

    allowed_signers: str | None = None  # an SSH allowed-signers file
    revocation: str | None = None  # keys revoked; configured and missing: nothing verifies
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Principals (or groups) whose signed --force promotions the push hooks accept; none
    # by default: a promotion that fails its gates is refused by a hook however recorded.
    force: tuple[str, ...] = ()

    def principals(self, names: Sequence[str]) -> frozenset[str]:
        """``names`` with every group replaced by its members."""
        groups = dict(self.groups)
        return frozenset(p for name in names for p in groups.get(name, (name,)))


def cite(source: str, commit: str | None) -> str:
    """A policy's file and branch, and the commit it was read at, if any."""
    return f"{source} ({commit[:7]})" if commit else source


@dataclass(frozen=True, slots=True)
class Policy:
    """The gates in force, and where they were read from."""

    gates: tuple[StageGates, ...] = ()
    overrides: tuple[Override, ...] = ()
    source: str = "no policy"  # "git-model.yaml at refs/heads/main"
    commit: str | None = None  # the commit the file was read at
    signing: Signing = field(default_factory=Signing)

    @property
    def cited(self) -> str:
        """Where it was read, for people: ``git-model.yaml at refs/heads/main (a67e5e4)``."""
        return cite(self.source, self.commit)

    def for_stage(self, model: str, stage: str) -> StageGates:
        """The gates ``model`` must pass to enter ``stage``: the base ones, then every
        matching override in order (a gate it sets replaces the base's; ``metrics`` and
        ``not_worse`` replace per metric)."""
        gates = next((g for g in self.gates if g.stage == stage), StageGates(stage))
        for override in self.overrides:
            if not fnmatch.fnmatchcase(model, override.pattern):
                continue
            mine = next((g for g in override.gates if g.stage == stage), None)
            keys = dict(override.keys).get(stage, ())
            if mine is not None:
                gates = _merged(gates, mine, keys)
        return gates


def _merged(base: StageGates, top: StageGates, keys: Sequence[str]) -> StageGates:
    changes: dict[str, Any] = {}
    for key in keys:
        if key == "metrics":
            kept = tuple(t for t in base.metrics if t.metric not in {m.metric for m in top.metrics})
            changes[key] = kept + top.metrics
        elif key == "not_worse":
            names = {t.metric for t in top.not_worse}
            changes[key] = tuple(t for t in base.not_worse if t.metric not in names) + top.not_worse
        else:
            changes[key] = getattr(top, key)
    return replace(base, **changes)


# --- reading the configuration ------------------------------------------------------------


class _Where:
    """Names the file, the line and the key of a mistake."""

    def __init__(self, label: str) -> None:
        self.label = label

    def error(self, node: Any, key: Any, path: str, detail: str) -> ConfigError:
        line = _line(node, key)
        where = f"{self.label}:{line}" if line else self.label
        return ConfigError(where, f"`{path}`: {detail}")


def _line(node: Any, key: Any) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        return int(lc.key(key)[0]) + 1 if key is not None else int(lc.line) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1 if getattr(lc, "line", None) is not None else None


def parse_policy(
    data: Mapping[str, Any], stages: Sequence[str], label: str, source: str, commit: str | None
) -> Policy:
    """The ``gates:`` and ``overrides:`` of a parsed configuration file; ConfigError (file,
    line, key) for anything that cannot be evaluated."""
    where = _Where(label)
    gates = _stage_gates(data.get("gates"), stages, where, "gates", partial=False)
    overrides = []
    raw = data.get("overrides")
    if raw is not None:
        if not isinstance(raw, list):
            raise where.error(data, "overrides", "overrides", "must be a list of {models, gates}")
        for i, item in enumerate(raw):
            path = f"overrides[{i}]"
            if not isinstance(item, dict) or set(item) != {"models", "gates"}:
                raise where.error(raw, i, path, "must be a mapping with `models:` and `gates:`")
            pattern = item["models"]
            if not isinstance(pattern, str) or not pattern.strip():
                raise where.error(item, "models", f"{path}.models", "must be a name or pattern")
            parsed = _stage_gates(item["gates"], stages, where, f"{path}.gates", partial=True)
            keys = tuple(
                (str(stage), tuple(str(k) for k in spec))
                for stage, spec in item["gates"].items()
                if isinstance(spec, dict)
            )
            overrides.append(Override(pattern.strip(), tuple(parsed), keys))
    signing = _signing(data.get("signing"), data, where)
    return Policy(tuple(gates), tuple(overrides), source, commit, signing)


def _signing(raw: Any, data: Mapping[str, Any], where: _Where) -> Signing:
    if raw is None:
        return Signing()
    if not isinstance(raw, dict):
        raise where.error(data, "signing", "signing", "must be a mapping (allowed_signers, ...)")
    unknown = [k for k in raw if k not in SIGNING_KEYS]
    if unknown:
        known = ", ".join(SIGNING_KEYS)
        raise where.error(raw, unknown[0], f"signing.{unknown[0]}", f"unknown key (known: {known})")
    files = {}
    for key in ("allowed_signers", "revocation"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise where.error(raw, key, f"signing.{key}", "must be a path in the repository")
        files[key] = value.strip() if isinstance(value, str) else None
    groups = raw.get("groups") or {}
    if not isinstance(groups, dict):
        raise where.error(raw, "groups", "signing.groups", "must map a group to its principals")
    found = []
    for name, members in groups.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            detail = "must be a list of principals (as the allowed-signers file names them)"
            raise where.error(groups, name, f"signing.groups.{name}", detail)
        found.append((str(name), tuple(members)))
    force = raw.get("force") or []
    if isinstance(force, str):
        force = [force]
    if not isinstance(force, list) or not all(isinstance(p, str) and p for p in force):
        detail = "must list the principals or groups who may push a forced promotion"
        raise where.error(raw, "force", "signing.force", detail)
    return Signing(files["allowed_signers"], files["revocation"], tuple(found), tuple(force))


def _stage_gates(
    raw: Any, stages: Sequence[str], where: _Where, path: str, partial: bool
) -> list[StageGates]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise where.error(raw, None, path, "must be a mapping from stage to its gates")
    found = []
    for stage, spec in raw.items():
        here = f"{path}.{stage}"
        if stage not in stages:
            known = ", ".join(stages)
            raise where.error(raw, stage, here, f"{stage!r} is not one of the stages ({known})")
        if not isinstance(spec, dict):
            raise where.error(raw, stage, here, "must be a mapping of gates, e.g. `after: dev`")
        found.append(_gates(str(stage), spec, stages, where, here, partial=partial))
    return found


def _gates(
    stage: str,
    spec: dict[str, Any],
    stages: Sequence[str],
    where: _Where,
    path: str,
    *,
    partial: bool,
) -> StageGates:
    unknown = [k for k in spec if k not in GATES]
    if unknown:
        known = ", ".join(GATES)
        raise where.error(
            spec, unknown[0], f"{path}.{unknown[0]}", f"unknown gate (known: {known})"
        )
    after = spec.get("after")
    if after is not None and (not isinstance(after, str) or after not in stages or after == stage):
        raise where.error(spec, "after", f"{path}.after", f"must name another stage, not {after!r}")
    soak = _duration(spec, where, path) if "soak" in spec else None
    if soak is not None and after is None and not partial:
        raise where.error(spec, "soak", f"{path}.soak", "needs `after:`, the stage to soak in")
    metrics = _thresholds(spec.get("metrics"), spec, where, path)
    directions = {t.metric: t.higher_is_better for t in metrics}
    not_worse = _tolerances(spec.get("not_worse"), spec, where, path, directions)
    signature = spec.get("signature")
    if signature not in (None, "compatible"):
        raise where.error(spec, "signature", f"{path}.signature", "the only value is `compatible`")
    required = spec.get("required") or []
    if not isinstance(required, list) or any(r not in _REQUIRABLE for r in required):
        bad = next((r for r in required if r not in _REQUIRABLE), required)
        known = ", ".join(sorted(_REQUIRABLE))
        raise where.error(spec, "required", f"{path}.required", f"{bad!r} is not one of {known}")
    signers = spec.get("signers") or []
    if isinstance(signers, str):
        signers = [signers]
    if not isinstance(signers, list) or not all(isinstance(p, str) and p for p in signers):
        raise where.error(
            spec, "signers", f"{path}.signers", "must list principals or signing groups"
        )
    check = spec.get("check_rollbacks", False)
    if not isinstance(check, bool):
        raise where.error(spec, "check_rollbacks", f"{path}.check_rollbacks", "true or false")
    return StageGates(
        stage=stage,
        after=after,
        soak=soak,
        metrics=metrics,
        not_worse=not_worse,
        signature=signature == "compatible",
        required=tuple(required),
        signers=tuple(signers),
        check_rollbacks=check,
    )


def _duration(spec: dict[str, Any], where: _Where, path: str) -> int:
    value = spec["soak"]
    match = _DURATION_RE.fullmatch(str(value)) if isinstance(value, str | int) else None
    if match is None:
        detail = f"{value!r} is not a duration: a number and s, m, h or d, e.g. 24h"
        raise where.error(spec, "soak", f"{path}.soak", detail)
    return int(float(match[1]) * _SECONDS[match[2]])


def parse_duration(text: str) -> int | None:
    """Seconds in ``7d``, ``24h``, ``30m``, ``90s``; None if it is not one."""
    match = _DURATION_RE.fullmatch(text)
    return int(float(match[1]) * _SECONDS[match[2]]) if match else None


def _thresholds(raw: Any, spec: dict[str, Any], where: _Where, path: str) -> tuple[Threshold, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise where.error(spec, "metrics", f"{path}.metrics", 'a mapping, e.g. auc: ">= 0.85"')
    found = []
    for metric, text in raw.items():
        match = _THRESHOLD_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            detail = (
                f"{text!r} is not a threshold: an operator ({' '.join(OPERATORS)}) and a number"
            )
            raise where.error(raw, metric, f"{path}.metrics.{metric}", detail)
        found.append(Threshold(str(metric), match[1], float(match[2])))
    return tuple(found)


def _tolerances(
    raw: Any,
    spec: dict[str, Any],
    where: _Where,
    path: str,
    directions: Mapping[str, bool | None],
) -> tuple[Tolerance, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise where.error(spec, "not_worse", f"{path}.not_worse", "a mapping, e.g. auc: 0.005")
    found = []
    for metric, given in raw.items():
        here = f"{path}.not_worse.{metric}"
        lower: Any = None
        value = given
        if isinstance(given, dict):
            if not set(given) <= {"tolerance", "lower_is_better"}:
                raise where.error(raw, metric, here, "keys: tolerance, lower_is_better")
            lower = given.get("lower_is_better")
            value = given.get("tolerance", 0)
        if not _is_number(value) or value < 0:
            raise where.error(raw, metric, here, f"{value!r} is not a tolerance (a number >= 0)")
        higher = directions.get(str(metric)) if lower is None else not lower
        if higher is None:
            detail = (
                "says nothing of whether higher is better: give a `metrics:` threshold for "
                f"it, or write {{tolerance: {value}, lower_is_better: true}}"
            )
            raise where.error(raw, metric, here, detail)
        found.append(Tolerance(str(metric), float(value), bool(higher)))
    return tuple(found)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: float) -> str:
    return f"{value:g}"


# --- evaluating -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate, checked: what it asks, what the version has, and whether that passes."""

    gate: str  # "after", "soak", "metrics.auc", "not_worse.auc", "signature", "required.owner"
    expected: str
    actual: str
    passed: bool
    holder: str | None = None  # not_worse, signature: the current holder's side

    def __str__(self) -> str:
        return f"{self.gate}: expected {self.expected}, got {self.actual}"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every gate of a stage, checked for one version."""

    model: str
    version: SemVer
    stage: str
    source: str  # where the policy was read
    commit: str | None  # the commit it was read at
    results: tuple[GateResult, ...] = field(default=())

    @property
    def cited(self) -> str:
        """Where the policy was read, for people (as ``Policy.cited``)."""
        return cite(self.source, self.commit)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.results if not r.passed)


def evaluate(
    policy: Policy,
    model: Model,
    version: Version,
    stage: str,
    now: int,
    *,
    rollback: bool = False,
    signer: Signer | None = None,
) -> Evaluation:
    """Check every gate of ``stage`` for ``version`` of ``model`` at time ``now`` (seconds).
    A rollback to a former holder is checked only where the stage says so. ``signer``:
    who will sign the move (None: it will not be signed)."""
    gates = policy.for_stage(model.name, stage)
    results: list[GateResult] = []
    if not (rollback and not gates.check_rollbacks):
        holder = model.holder(stage)
        current = model.find(holder.version) if holder is not None else None
        if current is not None and current.commit == version.commit:
            current = None
        mine, theirs = version.metadata(), current.metadata() if current else None
        results += _after(gates, model, version, now)
        results += [_threshold(t, mine) for t in gates.metrics]
        results += [_not_worse(t, mine, theirs, current) for t in gates.not_worse]
        if gates.signature:
            results.append(_signature(version, mine, current, theirs))
        results += [_required(key, mine) for key in gates.required]
    if gates.signers:  # who may move the stage: rollbacks included
        results.append(_signers(gates.signers, policy.signing, signer))
    return Evaluation(
        model.name, version.version, stage, policy.source, policy.commit, tuple(results)
    )


@dataclass(frozen=True, slots=True)
class Signer:
    """Who will sign a move: the principals the allowed-signers file gives the signing key
    (after signing: the one Git verified), or why none is known."""

    principals: tuple[str, ...] = ()
    unknown: str | None = None  # "no signing key is set (user.signingkey)", ...


def _signers(names: Sequence[str], signing: Signing, signer: Signer | None) -> GateResult:
    allowed = signing.principals(names)
    expected = f"signed by {' or '.join(names)}"
    if signer is None:
        return GateResult("signers", expected, "not signed (pass --sign)", False)
    if not signer.principals:
        return GateResult("signers", expected, signer.unknown or "an unknown key", False)
    ok = sorted(set(signer.principals) & allowed)
    shown = ", ".join(ok or signer.principals)
    return GateResult("signers", expected, f"signed by {shown}", bool(ok))


def _stays(model: Model, version: Version, stage: str, now: int) -> list[tuple[int, int]]:
    """(start, end) of each stay of ``version`` in ``stage``, from the events."""
    stays: list[tuple[int, int]] = []
    start: int | None = None
    for event in model.events:
        when = int(event.date.timestamp()) if event.date else 0
        if event.stage == stage and event.kind.assigns:
            if event.commit == version.commit:
                start = when if start is None else start
            elif start is not None:
                stays.append((start, when))
                start = None
        elif start is not None and (
            (
                event.kind is EventKind.DEMOTED
                and event.stage == stage
                and event.commit == version.commit
            )
            or (event.kind is EventKind.ARCHIVED and event.version == version.version)
        ):
            stays.append((start, when))
            start = None
    if start is not None:
        stays.append((start, now))
    return stays


def _after(gates: StageGates, model: Model, version: Version, now: int) -> list[GateResult]:
    if gates.after is None:
        return []
    stays = _stays(model, version, gates.after, now)
    held = f"held {gates.after}" if stays else f"never held {gates.after}"
    results = [GateResult("after", f"holds or held {gates.after}", held, bool(stays))]
    if gates.soak is not None:
        longest = max((end - start for start, end in stays), default=0)
        actual = f"{_span(longest)} in {gates.after}" if stays else f"never in {gates.after}"
        expected = f"{_span(gates.soak)} in {gates.after}"
        results.append(GateResult("soak", expected, actual, longest >= gates.soak))
    return results


def _span(seconds: int) -> str:
    """``90000`` as ``1d 1h``: the two largest units."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2]) or "0s"


def _value(metadata: Metadata | None, metric: str) -> Scalar:
    return metadata.metric(metric) if metadata is not None else None


def _threshold(threshold: Threshold, mine: Metadata | None) -> GateResult:
    gate = f"metrics.{threshold.metric}"
    value = _value(mine, threshold.metric)
    if not _is_number(value):
        actual = "not recorded" if value is None else f"{value!r}, not a number"
        return GateResult(gate, str(threshold), actual, False)
    assert isinstance(value, int | float)  # noqa: S101  (for mypy: _is_number said so)
    return GateResult(gate, str(threshold), _number(value), threshold.holds(float(value)))


def _not_worse(
    tolerance: Tolerance, mine: Metadata | None, theirs: Metadata | None, holder: Version | None
) -> GateResult:
    gate = f"not_worse.{tolerance.metric}"
    sign = "-" if tolerance.higher_is_better else "+"
    expected = f"holder {sign} {_number(tolerance.tolerance)} or better"
    value, held = _value(mine, tolerance.metric), _value(theirs, tolerance.metric)
    if holder is None:
        return GateResult(gate, expected, _shown(value), True, "no holder")
    who = f"{holder.version.tag}: {_shown(held)}"
    if not _is_number(value):
        return GateResult(gate, expected, _shown(value), False, who)
    if not _is_number(held):
        return GateResult(
            gate, expected, _shown(value), True, f"{holder.version.tag}: not recorded"
        )
    assert isinstance(value, int | float) and isinstance(held, int | float)  # noqa: S101
    if tolerance.higher_is_better:
        passed = value >= held - tolerance.tolerance
    else:
        passed = value <= held + tolerance.tolerance
    return GateResult(gate, expected, _number(value), passed, who)


def _shown(value: Scalar) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, int | float) and _is_number(value):
        return _number(value)
    return repr(value)


def _signature(
    version: Version, mine: Metadata | None, holder: Version | None, theirs: Metadata | None
) -> GateResult:
    expected = "compatible with the holder's (or a new major version)"
    new, old = mine.spec.signature if mine else None, theirs.spec.signature if theirs else None
    if holder is None:
        return GateResult("signature", expected, "no holder to compare with", True, "no holder")
    who = holder.version.tag
    if version.version.major > holder.version.major:
        return GateResult("signature", expected, f"major {version.version.major}", True, who)
    if new is None:
        return GateResult("signature", expected, "no signature recorded", old is None, who)
    if old is None:
        return GateResult("signature", expected, "the holder recorded none", True, who)
    change = old.change_to(new)
    actual = "compatible" if change.compatible else "; ".join(change.reasons)
    return GateResult("signature", expected, actual, change.compatible, who)


def _required(key: str, mine: Metadata | None) -> GateResult:
    spec = mine.spec if mine is not None else None
    value: object = None
    if spec is not None:
        value = spec.card_text(key) if key in CARD_SECTIONS + CARD_EXTRAS else getattr(spec, key)
    filled = value not in (None, "", (), [])
    return GateResult(f"required.{key}", "filled in", "filled in" if filled else "missing", filled)
