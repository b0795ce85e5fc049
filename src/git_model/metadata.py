"""What a version records about its model, and how versions compare.

A model's YAML file (``models/NAME.yaml`` by default; ``docs/metadata.md``) declares what
people know of it: description, owner, labels, framework, format, signature and model-card
sections. At registration the registry snapshots that declaration, with what DVC knows at
the commit (metrics, params, the lineage of the artifact) and the environment, into the
version tag's message as a JSON document. A version's facts therefore never change, any
Git client reads them (``git cat-file -p churn@v1.3.0``), and reading many versions' facts
is reading their tag objects, in one process.

Everything here is pure: parsing, validating, comparing, deciding a version bump.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from git_model import safejson
from git_model.errors import InvalidFile, listed
from git_model.safeyaml import artifact_location, is_one_line, repo_path
from git_model.semver import Bump

FORMATS = ("onnx", "joblib", "torchscript", "savedmodel", "pmml", "pickle", "other")
DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "string",
    "bytes",
    "datetime",
)
# Model-card sections (Mitchell et al., "Model Cards for Model Reporting") a person writes;
# Model Details, Metrics and Quantitative Analyses are also filled from the metadata.
CARD_SECTIONS = (
    "intended_use",
    "factors",
    "metrics",
    "evaluation_data",
    "training_data",
    "quantitative_analyses",
    "ethical_considerations",
    "caveats_and_recommendations",
)
CARD_EXTRAS = ("limitations", "out_of_scope", "license")
SPEC_KEYS = (
    "path",
    "type",
    "description",
    "owner",
    "labels",
    "framework",
    "format",
    "signature",
    "card",
    "metrics",
)
# Metric names that say how long training took, in seconds ("training time where known").
TRAINING_TIME_METRICS = ("training_time", "train_time", "fit_time", "training_seconds")
SCHEMA = 1

Scalar = str | int | float | bool | None


# --- the model's YAML file ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One input or output of a model: a name, a type, and a shape (None: any length)."""

    name: str
    dtype: str
    shape: tuple[int | None, ...] | None = None

    @property
    def shape_text(self) -> str:
        """``(*, 4)``: a star for a dimension of any size; ``any`` for no shape."""
        if self.shape is None:
            return "any"
        return "(" + ", ".join("*" if d is None else str(d) for d in self.shape) + ")"


@dataclass(frozen=True, slots=True)
class SignatureChange:
    compatible: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Signature:
    inputs: tuple[Field, ...]
    outputs: tuple[Field, ...]

    def change_to(self, newer: Signature) -> SignatureChange:
        """How ``newer`` differs for callers: breaking when an input is added, removed or
        changes type or shape, or an output is removed or changes; adding an output is not."""
        reasons = []
        old_in, new_in = {f.name: f for f in self.inputs}, {f.name: f for f in newer.inputs}
        old_out, new_out = {f.name: f for f in self.outputs}, {f.name: f for f in newer.outputs}
        reasons += [f"input {n!r} added" for n in new_in if n not in old_in]
        reasons += [f"input {n!r} removed" for n in old_in if n not in new_in]
        reasons += [f"output {n!r} removed" for n in old_out if n not in new_out]
        for kind, old, new in (("input", old_in, new_in), ("output", old_out, new_out)):
            for name in old.keys() & new.keys():
                a, b = old[name], new[name]
                if a.dtype != b.dtype:
                    reasons.append(f"{kind} {name!r} changed type {a.dtype} -> {b.dtype}")
                elif a.shape != b.shape:
                    reasons.append(f"{kind} {name!r} changed shape {a.shape} -> {b.shape}")
        breaking = tuple(sorted(reasons))
        added = tuple(f"output {n!r} added" for n in new_out if n not in old_out)
        return SignatureChange(not breaking, breaking or added)


@dataclass(frozen=True, slots=True)
class CardSection:
    section: str
    text: str


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model's YAML file, validated."""

    path: str | None = None
    type: str | None = None
    description: str | None = None
    owner: str | None = None
    labels: tuple[str, ...] = ()
    framework: str | None = None
    format: str | None = None
    signature: Signature | None = None
    card: tuple[CardSection, ...] = ()
    metrics: tuple[str, ...] = ()  # metrics files to read, instead of those DVC declares

    def card_text(self, section: str) -> str | None:
        return next((c.text for c in self.card if c.section == section), None)


class _Where:
    """A location in a YAML file for error messages: file and key path."""

    def __init__(self, label: str, path: str = "") -> None:
        self.label = label
        self.path = path

    def __truediv__(self, key: str | int) -> _Where:
        step = f"[{key}]" if isinstance(key, int) else (f".{key}" if self.path else key)
        return _Where(self.label, self.path + step)

    def fail(self, problem: str) -> InvalidFile:
        return InvalidFile(self.label, f"{self.path}: {problem}" if self.path else problem)


def _text(where: _Where, value: object) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise where.fail(f"must be text, not {type(value).__name__}")
    return str(value).strip()


def _texts(where: _Where, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise where.fail("must be a list")
    return tuple(_text(where / i, v) for i, v in enumerate(value))


def _fields(where: _Where, value: object) -> tuple[Field, ...]:
    if not isinstance(value, list):
        raise where.fail("must be a list of {name, type, shape}")
    found: list[Field] = []
    for i, item in enumerate(value):
        at = where / i
        if not isinstance(item, dict) or "name" not in item or "type" not in item:
            raise at.fail("must have a name and a type, e.g. {name: age, type: int64}")
        unknown = sorted(set(item) - {"name", "type", "shape"})
        if unknown:
            raise at.fail(f"unknown key(s) {', '.join(unknown)} (name, type, shape)")
        dtype = _text(at / "type", item["type"])
        if dtype not in DTYPES:
            raise (at / "type").fail(f"{dtype!r} is not a type ({', '.join(DTYPES)})")
        shape = item.get("shape")
        if shape is not None and (
            not isinstance(shape, list)
            or not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)
        ):
            raise (at / "shape").fail("must be a list of sizes (a number, or -1/null for any)")
        name = _text(at / "name", item["name"])
        if any(f.name == name for f in found):
            raise (at / "name").fail(f"{name!r} appears twice")
        dims = None if shape is None else tuple(None if d in (None, -1) else d for d in shape)
        found.append(Field(name, dtype, dims))
    return tuple(found)


def _signature(where: _Where, value: object) -> Signature:
    if not isinstance(value, dict) or set(value) - {"inputs", "outputs"}:
        raise where.fail("must have `inputs:` and `outputs:` lists")
    return Signature(
        _fields(where / "inputs", value.get("inputs", [])),
        _fields(where / "outputs", value.get("outputs", [])),
    )


def _card(where: _Where, value: object) -> tuple[CardSection, ...]:
    if not isinstance(value, dict):
        raise where.fail("must map section names to text")
    allowed = CARD_SECTIONS + CARD_EXTRAS
    sections = []
    for key, text in value.items():
        if key not in allowed:
            raise (where / str(key)).fail(f"is not a card section ({', '.join(allowed)})")
        sections.append(CardSection(key, _text(where / key, text)))
    return tuple(sections)


def parse_spec(label: str, data: object) -> ModelSpec:
    """A model's YAML file (already parsed safely); InvalidFile names the key at fault."""
    where = _Where(label)
    if data is None:
        return ModelSpec()
    if not isinstance(data, dict):
        raise where.fail("must be a mapping (path, type, description, owner, ...)")
    unknown = sorted(str(k) for k in set(data) - set(SPEC_KEYS))
    if unknown:
        raise where.fail(f"unknown key(s) {', '.join(unknown)} ({', '.join(SPEC_KEYS)})")

    def text(key: str) -> str | None:
        return _text(where / key, data[key]) if data.get(key) is not None else None

    def path(at: _Where, value: str) -> str:
        return repo_path(at.label, at.path, value)

    model_type = text("type")
    if model_type is not None and not is_one_line(model_type):
        raise (where / "type").fail(f"{model_type!r} holds a control character")
    fmt = text("format")
    if fmt is not None and fmt not in FORMATS:
        raise (where / "format").fail(f"{fmt!r} is not a format ({', '.join(FORMATS)})")
    artifact = text("path")
    metrics = _texts(where / "metrics", data["metrics"]) if data.get("metrics") else ()
    return ModelSpec(
        path=None
        if artifact is None
        else artifact_location((where / "path").label, (where / "path").path, artifact),
        type=model_type,
        description=text("description"),
        owner=text("owner"),
        labels=_texts(where / "labels", data["labels"]) if data.get("labels") else (),
        framework=text("framework"),
        format=fmt,
        signature=_signature(where / "signature", data["signature"])
        if data.get("signature") is not None
        else None,
        card=_card(where / "card", data["card"]) if data.get("card") is not None else (),
        metrics=tuple(path(where / "metrics" / i, m) for i, m in enumerate(metrics)),
    )


# --- what a version records ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    """A named metric or param value."""

    name: str
    value: Scalar


@dataclass(frozen=True, slots=True)
class Dep:
    path: str
    md5: str | None


@dataclass(frozen=True, slots=True)
class LineageStage:
    """A dvc.lock stage in the chain that produced the artifact (upstream first)."""

    name: str
    cmd: str
    deps: tuple[Dep, ...]
    outs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PackageFile:
    """A lock or requirements file at the version's commit (its blob pins its content)."""

    path: str
    blob: str


@dataclass(frozen=True, slots=True)
class Environment:
    """Where the version was registered: interpreter, machine, packages."""

    python: str
    platform: str
    cpu: str
    cores: int | None
    memory_bytes: int | None
    package_files: tuple[PackageFile, ...]
    packages: tuple[str, ...]  # `name==version`, when the commit pins none


@dataclass(frozen=True, slots=True)
class Metadata:
    """Everything a version recorded at registration."""

    spec: ModelSpec
    metrics: tuple[Value, ...] = ()
    params: tuple[Value, ...] = ()
    lineage: tuple[LineageStage, ...] = ()
    environment: Environment | None = None
    # Registered with --allow-uncommitted: the files the registering work tree held
    # otherwise than the commit (the version records the commit's).
    uncommitted: tuple[str, ...] = ()
    schema: int = SCHEMA

    def metric(self, name: str) -> Scalar:
        return next((m.value for m in self.metrics if m.name == name), None)

    @property
    def training_time(self) -> float | None:
        for name in TRAINING_TIME_METRICS:
            value = self.metric(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        return None

    def to_json(self) -> str:
        """The document a version tag carries: empty fields left out, so it stays small."""
        return json.dumps(_compact(asdict(self)), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Metadata | None:
        """The document a version tag carries; None if it is not one (or a newer schema)."""
        try:
            data = safejson.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        try:
            return _metadata(data)
        except (TypeError, KeyError, ValueError, AttributeError):
            return None  # a damaged document reads as none, never as a crash


# Kept even when empty: a scalar's shape [] is not "any shape", and a signature with no
# inputs is not "no signature".
_MEANINGFUL_WHEN_EMPTY = frozenset({"shape", "signature", "inputs", "outputs"})


def _compact(value: Any) -> Any:
    """Leave out what says nothing (null, and empty lists and maps where empty means none)."""
    if isinstance(value, dict):
        kept = {k: _compact(v) for k, v in value.items()}
        return {
            k: v
            for k, v in kept.items()
            if v is not None and (k in _MEANINGFUL_WHEN_EMPTY or v not in ([], {}, ()))
        }
    if isinstance(value, list | tuple):
        return [_compact(v) for v in value]
    return value


def _metadata(data: dict[str, Any]) -> Metadata:
    spec = dict(data.get("spec") or {})
    signature = spec.get("signature")
    env = data.get("environment")
    return Metadata(
        spec=ModelSpec(
            path=spec.get("path"),
            type=spec.get("type"),
            description=spec.get("description"),
            owner=spec.get("owner"),
            labels=tuple(spec.get("labels") or ()),
            framework=spec.get("framework"),
            format=spec.get("format"),
            signature=Signature(
                tuple(_field(f) for f in signature.get("inputs", ())),
                tuple(_field(f) for f in signature.get("outputs", ())),
            )
            if signature is not None
            else None,
            card=tuple(CardSection(c["section"], c["text"]) for c in spec.get("card") or ()),
            metrics=tuple(spec.get("metrics") or ()),
        ),
        metrics=tuple(Value(v["name"], v.get("value")) for v in data.get("metrics") or ()),
        params=tuple(Value(v["name"], v.get("value")) for v in data.get("params") or ()),
        lineage=tuple(
            LineageStage(
                s["name"],
                s.get("cmd", ""),
                tuple(Dep(d["path"], d.get("md5")) for d in s.get("deps") or ()),
                tuple(s.get("outs") or ()),
            )
            for s in data.get("lineage") or ()
        ),
        environment=Environment(
            python=env.get("python", ""),
            platform=env.get("platform", ""),
            cpu=env.get("cpu", ""),
            cores=env.get("cores"),
            memory_bytes=env.get("memory_bytes"),
            package_files=tuple(
                PackageFile(p["path"], p["blob"]) for p in env.get("package_files") or ()
            ),
            packages=tuple(env.get("packages") or ()),
        )
        if env
        else None,
        uncommitted=_document_paths(data.get("uncommitted", [])),
    )


def _document_paths(value: object) -> tuple[str, ...]:
    """A list of paths from a document; TypeError (a damaged document) for anything else."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("not a list of texts")
    return tuple(str(v) for v in value)


def _field(data: Mapping[str, Any]) -> Field:
    shape = data.get("shape")
    return Field(data["name"], data["dtype"], None if shape is None else tuple(shape))


def flatten(data: object, prefix: str = "") -> list[Value]:
    """Nested metrics or params as dotted names: {"a": {"b": 1}} -> a.b = 1."""
    if isinstance(data, dict):
        found = []
        for key, value in data.items():
            found += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(data, list):
        return [Value(prefix, json.dumps(data))] if prefix else []
    if data is None or isinstance(data, str | int | float | bool):
        if isinstance(data, float) and not math.isfinite(data):
            return [Value(prefix, str(data))]
        return [Value(prefix, data)]
    return [Value(prefix, str(data))]


# --- comparing versions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricDelta:
    name: str
    a: Scalar
    b: Scalar
    delta: float | None  # b - a, for numbers


@dataclass(frozen=True, slots=True)
class ParamChange:
    name: str
    a: Scalar
    b: Scalar


@dataclass(frozen=True, slots=True)
class LineageChange:
    changed: bool | None  # None: neither version recorded its lineage
    inputs: tuple[str, ...]  # dependencies whose content differs, added or removed


def _number(value: Scalar) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def metric_deltas(a: Metadata | None, b: Metadata | None) -> tuple[MetricDelta, ...]:
    old = {m.name: m.value for m in (a.metrics if a else ())}
    new = {m.name: m.value for m in (b.metrics if b else ())}
    rows = []
    for name in sorted(old.keys() | new.keys()):
        x, y = old.get(name), new.get(name)
        nx, ny = _number(x), _number(y)
        delta = round(ny - nx, 12) if nx is not None and ny is not None else None
        rows.append(MetricDelta(name, x, y, delta))
    return tuple(rows)


def param_changes(a: Metadata | None, b: Metadata | None) -> tuple[ParamChange, ...]:
    old = {p.name: p.value for p in (a.params if a else ())}
    new = {p.name: p.value for p in (b.params if b else ())}
    return tuple(
        ParamChange(name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    )


def _inputs(lineage: Iterable[LineageStage]) -> dict[str, str | None]:
    produced = {out for stage in lineage for out in stage.outs}
    return {d.path: d.md5 for s in lineage for d in s.deps if d.path not in produced}


def lineage_change(a: Metadata | None, b: Metadata | None) -> LineageChange:
    """Whether the data and code the artifact was made from differ (the chain's inputs);
    unknown (None) unless both versions recorded their lineage."""
    if not (a and a.lineage) or not (b and b.lineage):
        return LineageChange(None, ())  # unknown unless both versions recorded it
    old, new = _inputs(a.lineage if a else ()), _inputs(b.lineage if b else ())
    differ = tuple(sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p)))
    return LineageChange(bool(differ), differ)


def signature_change(a: Metadata | None, b: Metadata | None) -> SignatureChange | None:
    old = a.spec.signature if a else None
    new = b.spec.signature if b else None
    if old is None or new is None:
        return None
    return old.change_to(new)


def auto_bump(previous: Metadata | None, new: Metadata | None) -> tuple[Bump, str]:
    """The part of the version to bump, and why: major when the signature breaks what
    callers rely on, minor when metrics or the data lineage changed, patch otherwise."""
    if previous is None:
        return Bump.MINOR, "the first version with recorded metadata"
    sig = signature_change(previous, new)
    if sig is not None and not sig.compatible:
        return Bump.MAJOR, "the signature breaks compatibility: " + "; ".join(sig.reasons)
    changed = [
        d
        for d in metric_deltas(previous, new)
        if d.a != d.b and d.name not in TRAINING_TIME_METRICS  # how long, not how well
    ]
    if changed:
        return Bump.MINOR, "metrics changed: " + listed(
            [f"{d.name} {d.a} -> {d.b}" for d in changed]
        )
    lineage = lineage_change(previous, new)
    if lineage.changed:
        return Bump.MINOR, "the training data or code changed: " + ", ".join(lineage.inputs)
    return Bump.PATCH, "same signature, metrics and data lineage"


__all__ = [
    "CARD_SECTIONS",
    "DTYPES",
    "FORMATS",
    "CardSection",
    "Dep",
    "Environment",
    "Field",
    "LineageChange",
    "LineageStage",
    "Metadata",
    "MetricDelta",
    "ModelSpec",
    "PackageFile",
    "ParamChange",
    "Signature",
    "SignatureChange",
    "Value",
    "auto_bump",
    "flatten",
    "lineage_change",
    "metric_deltas",
    "param_changes",
    "parse_spec",
    "signature_change",
]
