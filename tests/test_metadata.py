"""What a version records, and how versions compare: the model's YAML file as the registry
validates it, signature compatibility, --bump auto's choice, the JSON document a version
tag carries, and the Markdown a reviewer reads (comparison and model card). Pure code:
no repository needed."""

from __future__ import annotations

import json
import math
import re
import string
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from git_model.collect import spec_from_blob
from git_model.errors import InvalidFile
from git_model.metadata import (
    CARD_EXTRAS,
    CARD_SECTIONS,
    DTYPES,
    FORMATS,
    SPEC_KEYS,
    TRAINING_TIME_METRICS,
    CardSection,
    Dep,
    Environment,
    Field,
    LineageChange,
    LineageStage,
    Metadata,
    ModelSpec,
    PackageFile,
    Signature,
    SignatureChange,
    Value,
    auto_bump,
    flatten,
    lineage_change,
    metric_deltas,
    param_changes,
    parse_spec,
    signature_change,
)
from git_model.reports import CARD_LAYOUT, comparison_markdown, model_card
from git_model.results import Comparison
from git_model.semver import Bump, SemVer
from git_model.state import Artifact, Person, Version

FILE = "models/churn.yaml"

# --- the model's YAML file ------------------------------------------------------------------

FULL = {
    "path": "models/churn.pkl",
    "type": "model",
    "description": "  Predicts which customers cancel.  ",
    "owner": "growth-ml",
    "labels": ["tabular", "classification"],
    "framework": "scikit-learn",
    "format": "pickle",
    "signature": {
        "inputs": [
            {"name": "features", "type": "float64", "shape": [-1, 4]},
            {"name": "country", "type": "string", "shape": [None]},
            {"name": "age", "type": "int64"},
        ],
        "outputs": [{"name": "churn_probability", "type": "float32", "shape": [-1]}],
    },
    "card": {
        "intended_use": "Retention outreach.",
        "training_data": "data/churn.csv",
        "license": "apache-2.0",
        "limitations": "Only customers older than a year.",
    },
    "metrics": ["eval/metrics.json"],
}


def test_every_accepted_key_is_read() -> None:
    spec = parse_spec(FILE, FULL)
    assert spec == ModelSpec(
        path="models/churn.pkl",
        type="model",
        description="Predicts which customers cancel.",
        owner="growth-ml",
        labels=("tabular", "classification"),
        framework="scikit-learn",
        format="pickle",
        signature=Signature(
            inputs=(
                Field("features", "float64", (None, 4)),  # -1: a dimension of any size
                Field("country", "string", (None,)),
                Field("age", "int64", None),  # no shape: any
            ),
            outputs=(Field("churn_probability", "float32", (None,)),),
        ),
        card=(
            CardSection("intended_use", "Retention outreach."),
            CardSection("training_data", "data/churn.csv"),
            CardSection("license", "apache-2.0"),
            CardSection("limitations", "Only customers older than a year."),
        ),
        metrics=("eval/metrics.json",),
    )
    assert set(FULL) == set(SPEC_KEYS)
    assert spec.card_text("license") == "apache-2.0"
    assert spec.card_text("factors") is None
    assert spec.signature is not None
    assert [f.shape_text for f in spec.signature.inputs] == ["(*, 4)", "(*)", "any"]


def test_the_same_file_read_from_yaml_text() -> None:
    text = """\
path: models/churn.pkl
type: model
description: Predicts which customers cancel.
owner: growth-ml
labels: [tabular, classification]
framework: scikit-learn
format: pickle
signature:
  inputs:
    - {name: features, type: float64, shape: [-1, 4]}
    - {name: country, type: string, shape: [null]}
    - {name: age, type: int64}
  outputs:
    - {name: churn_probability, type: float32, shape: [-1]}
card:
  intended_use: Retention outreach.
  training_data: data/churn.csv
  license: apache-2.0
  limitations: Only customers older than a year.
metrics: [eval/metrics.json]
"""
    assert spec_from_blob(FILE, text.encode()) == parse_spec(FILE, FULL)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_accepted(fmt: str) -> None:
    assert parse_spec(FILE, {"format": fmt}).format == fmt


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_type_is_accepted(dtype: str) -> None:
    spec = parse_spec(FILE, {"signature": {"inputs": [{"name": "x", "type": dtype}]}})
    assert spec.signature == Signature((Field("x", dtype),), ())


def test_an_empty_file_and_empty_values_declare_nothing() -> None:
    assert parse_spec(FILE, None) == ModelSpec()
    empty = {"description": None, "labels": [], "metrics": None, "signature": None, "card": None}
    assert parse_spec(FILE, empty) == ModelSpec()


def test_numbers_are_text_where_text_is_expected() -> None:
    spec = parse_spec(FILE, {"owner": 42, "labels": [1.5, "x"], "card": {"factors": 3}})
    assert spec.owner == "42"
    assert spec.labels == ("1.5", "x")
    assert spec.card == (CardSection("factors", "3"),)


REFUSED = [
    # (the file's content, the message after "models/churn.yaml: ")
    (["a list"], "must be a mapping"),
    ("text", "must be a mapping"),
    ({"owners": "x"}, "unknown key(s) owners (path, type, description, owner,"),
    ({"b": 1, "a": 2}, "unknown key(s) a, b ("),
    ({"format": "safetensors"}, "format: 'safetensors' is not a format (onnx, joblib,"),
    ({"signature": "x -> y"}, "signature: must have `inputs:` and `outputs:` lists"),
    ({"signature": {"inputs": [], "extra": []}}, "signature: must have `inputs:` and `outputs:`"),
    ({"signature": {"inputs": {"x": "float64"}}}, "signature.inputs: must be a list of {name"),
    ({"signature": {"outputs": "p"}}, "signature.outputs: must be a list of {name"),
    (
        {"signature": {"inputs": [{"type": "float64"}]}},
        "signature.inputs[0]: must have a name and a type",
    ),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8"}, {"name": "b"}]}},
        "signature.inputs[1]: must have a name and a type",
    ),
    ({"signature": {"inputs": ["age"]}}, "signature.inputs[0]: must have a name and a type"),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8"}, {"name": "b", "type": "flot64"}]}},
        "signature.inputs[1].type: 'flot64' is not a type (bool, int8,",
    ),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8", "dtype": "x"}]}},
        "signature.inputs[0]: unknown key(s) dtype (name, type, shape)",
    ),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8", "shape": "4"}]}},
        "signature.inputs[0].shape: must be a list of sizes",
    ),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8", "shape": [1.5]}]}},
        "signature.inputs[0].shape: must be a list of sizes",
    ),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8", "shape": [True]}]}},
        "signature.inputs[0].shape: must be a list of sizes",
    ),
    (
        {"signature": {"inputs": [{"name": "a", "type": "int8", "shape": [[2]]}]}},
        "signature.inputs[0].shape: must be a list of sizes",
    ),
    (
        {
            "signature": {
                "outputs": [{"name": "p", "type": "float32"}, {"name": "p", "type": "float64"}]
            }
        },
        "signature.outputs[1].name: 'p' appears twice",
    ),
    (
        {"signature": {"inputs": [{"name": ["a"], "type": "int8"}]}},
        "signature.inputs[0].name: must be text, not list",
    ),
    ({"card": {"bias": "none"}}, "card.bias: is not a card section (intended_use, factors,"),
    ({"card": "all good"}, "card: must map section names to text"),
    ({"card": {"factors": ["age", "region"]}}, "card.factors: must be text, not list"),
    ({"description": {"short": "x"}}, "description: must be text, not dict"),
    ({"owner": True}, "owner: must be text, not bool"),
    ({"framework": ["sklearn"]}, "framework: must be text, not list"),
    ({"labels": "tabular"}, "labels: must be a list"),
    ({"labels": ["a", {"b": 1}]}, "labels[1]: must be text, not dict"),
    ({"metrics": [None]}, "metrics[0]: must be text, not NoneType"),
    # Paths reach Git and the version tag's trailers: inside the repository, one line.
    ({"path": "../../x"}, "path: '../../x' is not a path inside the repository"),
    ({"path": "models/../../x"}, "path: 'models/../../x' is not a path inside the repository"),
    ({"path": "/etc/passwd"}, "path: '/etc/passwd' is not a path inside the repository"),
    ({"path": "."}, "path: '.' is not a path inside the repository"),
    ({"path": "a\nb.pkl"}, "path: 'a\\nb.pkl' holds a control character"),
    ({"path": "a\tb.pkl"}, "path: 'a\\tb.pkl' holds a control character"),
    ({"path": "a\x1b[31m.pkl"}, "path: 'a\\x1b[31m.pkl' holds a control character"),
    ({"metrics": ["ok.json", "../m.json"]}, "metrics[1]: '../m.json' is not a path inside"),
    ({"metrics": ["/tmp/m.json"]}, "metrics[0]: '/tmp/m.json' is not a path inside"),
    ({"metrics": ["m\r.json"]}, "metrics[0]: 'm\\r.json' holds a control character"),
    ({"type": "sk\nlearn"}, "type: 'sk\\nlearn' holds a control character"),  # a trailer
]


@pytest.mark.parametrize(("content", "problem"), REFUSED)
def test_refusals_name_the_file_and_the_key(content: object, problem: str) -> None:
    with pytest.raises(InvalidFile) as refused:
        parse_spec(FILE, content)
    assert str(refused.value).startswith(f"{FILE}: {problem}")
    assert refused.value.path == FILE
    assert "\n" not in str(refused.value)


def test_paths_are_normalised_repository_paths() -> None:
    spec = parse_spec(FILE, {"path": "./models//churn.pkl", "metrics": ["eval/../m.json"]})
    assert spec.path == "models/churn.pkl"
    assert spec.metrics == ("m.json",)


def test_a_misspelt_type_lists_the_types() -> None:
    bad = {
        "signature": {"inputs": [{"name": "a", "type": "int8"}, {"name": "b", "type": "flot64"}]}
    }
    with pytest.raises(InvalidFile) as refused:
        parse_spec(FILE, bad)
    assert str(refused.value).startswith(
        f"models/churn.yaml: signature.inputs[1].type: 'flot64' is not a type ({', '.join(DTYPES)})"
    )


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("description: ok\nlabels: [a, b\nowner: me\n", 3, "malformed YAML"),
        ("description: ok\nowner: x: y\n", 2, "malformed YAML"),
        ("owner: a\nowner: b\n", 2, "malformed YAML"),  # a duplicate key
        ("x: !!python/object/apply:os.system [ls]\n", 1, "malformed YAML"),
        ("labels: &l [a]\ncard: {factors: *l}\n", 2, "YAML aliases (*name) are not allowed"),
    ],
)
def test_yaml_text_is_read_safely_and_errors_give_the_line(
    text: str, line: int, problem: str
) -> None:
    with pytest.raises(InvalidFile) as refused:
        spec_from_blob(FILE, text.encode())
    assert str(refused.value).startswith(f"{FILE}:{line}: {problem}")


# --- signature compatibility ---------------------------------------------------------------

BASE = Signature(
    inputs=(Field("age", "int64", (None,)), Field("plan", "string", (None,))),
    outputs=(Field("p", "float64", (None,)),),
)


def _with(
    inputs: tuple[Field, ...] | None = None, outputs: tuple[Field, ...] | None = None
) -> Signature:
    """BASE with other inputs or outputs."""
    return Signature(
        BASE.inputs if inputs is None else inputs, BASE.outputs if outputs is None else outputs
    )


@pytest.mark.parametrize(
    ("newer", "compatible", "reasons"),
    [
        (BASE, True, ()),
        (
            Signature(tuple(reversed(BASE.inputs)), BASE.outputs),  # order does not matter
            True,
            (),
        ),
        (
            _with(inputs=(*BASE.inputs, Field("region", "string"))),
            False,
            ("input 'region' added",),
        ),
        (_with(inputs=BASE.inputs[:1]), False, ("input 'plan' removed",)),
        (
            _with(inputs=(Field("age", "float64", (None,)), BASE.inputs[1])),
            False,
            ("input 'age' changed type int64 -> float64",),
        ),
        (
            _with(inputs=(Field("age", "int64", (None, 2)), BASE.inputs[1])),
            False,
            ("input 'age' changed shape (None,) -> (None, 2)",),
        ),
        (
            _with(inputs=(Field("age", "int64"), BASE.inputs[1])),
            False,
            ("input 'age' changed shape (None,) -> None",),
        ),
        (_with(outputs=()), False, ("output 'p' removed",)),
        (
            _with(outputs=(Field("p", "float32", (None,)),)),
            False,
            ("output 'p' changed type float64 -> float32",),
        ),
        (
            _with(outputs=(Field("p", "float64", (None, 1)),)),
            False,
            ("output 'p' changed shape (None,) -> (None, 1)",),
        ),
        (
            _with(outputs=(*BASE.outputs, Field("explanation", "string"))),
            True,
            ("output 'explanation' added",),
        ),
        (
            Signature(BASE.inputs[:1], (*BASE.outputs, Field("explanation", "string"))),
            False,  # a breaking change hides the compatible one
            ("input 'plan' removed",),
        ),
    ],
)
def test_signature_compatibility(
    newer: Signature, compatible: bool, reasons: tuple[str, ...]
) -> None:
    assert BASE.change_to(newer) == SignatureChange(compatible, reasons)


def test_every_breaking_change_is_listed() -> None:
    newer = Signature(
        inputs=(Field("age", "float32", (None,)), Field("region", "string")),
        outputs=(Field("score", "float64"),),
    )
    change = BASE.change_to(newer)
    assert not change.compatible
    assert set(change.reasons) == {
        "input 'region' added",
        "input 'plan' removed",
        "input 'age' changed type int64 -> float32",
        "output 'p' removed",
    }


def test_signature_change_needs_both_signatures() -> None:
    with_sig = Metadata(ModelSpec(signature=BASE))
    without = Metadata(ModelSpec())
    assert signature_change(with_sig, without) is None
    assert signature_change(without, with_sig) is None
    assert signature_change(None, with_sig) is None
    assert signature_change(with_sig, with_sig) == SignatureChange(True, ())


# --- --bump auto ---------------------------------------------------------------------------

TRAIN = LineageStage(
    "train",
    "python train.py",
    (Dep("data/churn.csv", "a" * 32), Dep("train.py", "b" * 32)),
    ("models/churn.pkl", "metrics.json"),
)
PREVIOUS = Metadata(
    spec=ModelSpec(signature=BASE),
    metrics=(Value("auc", 0.81), Value("training_time", 1.5)),
    params=(Value("train.C", 1.0),),
    lineage=(TRAIN,),
)


def _train_with(data_md5: str) -> LineageStage:
    return replace(TRAIN, deps=(Dep("data/churn.csv", data_md5), TRAIN.deps[1]))


def test_auto_bump_of_a_first_version_is_minor() -> None:
    assert auto_bump(None, PREVIOUS) == (Bump.MINOR, "the first version with recorded metadata")


def test_auto_bump_is_major_for_a_breaking_signature() -> None:
    newer = replace(
        PREVIOUS,
        spec=ModelSpec(signature=_with(inputs=(Field("age", "int64", (None, 2)), BASE.inputs[1]))),
        metrics=(Value("auc", 0.9), Value("training_time", 1.5)),  # better, too: still major
    )
    bump, reason = auto_bump(PREVIOUS, newer)
    assert bump is Bump.MAJOR
    assert reason == (
        "the signature breaks compatibility: input 'age' changed shape (None,) -> (None, 2)"
    )


def test_auto_bump_is_minor_for_a_compatible_signature_change_with_new_metrics() -> None:
    newer = replace(
        PREVIOUS,
        spec=ModelSpec(signature=_with(outputs=(*BASE.outputs, Field("why", "string")))),
        metrics=(Value("auc", 0.83), Value("training_time", 1.5)),
    )
    assert auto_bump(PREVIOUS, newer) == (Bump.MINOR, "metrics changed: auc 0.81 -> 0.83")


def test_auto_bump_is_minor_when_a_metric_changes() -> None:
    newer = replace(PREVIOUS, metrics=(Value("auc", 0.79), Value("training_time", 9.0)))
    assert auto_bump(PREVIOUS, newer) == (Bump.MINOR, "metrics changed: auc 0.81 -> 0.79")


def test_auto_bump_counts_an_added_or_removed_metric() -> None:
    added = replace(PREVIOUS, metrics=(*PREVIOUS.metrics, Value("f1", 0.5)))
    assert auto_bump(PREVIOUS, added) == (Bump.MINOR, "metrics changed: f1 None -> 0.5")
    removed = replace(PREVIOUS, metrics=PREVIOUS.metrics[1:])
    assert auto_bump(PREVIOUS, removed) == (Bump.MINOR, "metrics changed: auc 0.81 -> None")


def test_auto_bump_names_three_metrics_and_counts_the_rest() -> None:
    old = replace(PREVIOUS, metrics=tuple(Value(f"m{i}", i) for i in range(5)))
    new = replace(PREVIOUS, metrics=tuple(Value(f"m{i}", i + 1) for i in range(5)))
    assert auto_bump(old, new) == (
        Bump.MINOR,
        "metrics changed: m0 0 -> 1, m1 1 -> 2, m2 2 -> 3 and 2 more",
    )


@pytest.mark.parametrize("name", TRAINING_TIME_METRICS)
def test_training_time_alone_is_not_a_metric_change(name: str) -> None:
    old = replace(PREVIOUS, metrics=(Value("auc", 0.81), Value(name, 1.0)))
    new = replace(PREVIOUS, metrics=(Value("auc", 0.81), Value(name, 2.0)))
    assert auto_bump(old, new)[0] is Bump.PATCH


def test_auto_bump_is_minor_when_an_input_of_the_lineage_changes() -> None:
    newer = replace(PREVIOUS, lineage=(_train_with("c" * 32),))
    assert auto_bump(PREVIOUS, newer) == (
        Bump.MINOR,
        "the training data or code changed: data/churn.csv",
    )


def test_auto_bump_is_patch_when_nothing_changed() -> None:
    assert auto_bump(PREVIOUS, PREVIOUS) == (
        Bump.PATCH,
        "same signature, metrics and data lineage",
    )
    # Neither params nor the environment are what callers see: the metrics tell.
    newer = replace(
        PREVIOUS,
        params=(Value("train.C", 0.5),),
        environment=Environment("CPython 3.12.1", "Linux", "x86_64", 8, None, (), ()),
    )
    assert auto_bump(PREVIOUS, newer)[0] is Bump.PATCH


def test_auto_bump_ignores_what_is_not_recorded() -> None:
    """No signature or lineage on one side is not a change (nothing to compare with)."""
    bare = Metadata(ModelSpec(), metrics=PREVIOUS.metrics)
    assert auto_bump(PREVIOUS, bare)[0] is Bump.PATCH
    assert auto_bump(bare, PREVIOUS)[0] is Bump.PATCH


# --- the JSON document a version tag carries ------------------------------------------------

short_text = st.text(max_size=12)
identifiers = st.text(
    alphabet=string.ascii_letters + string.digits + "_.-", min_size=1, max_size=12
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    short_text,
)
shapes = st.one_of(
    st.none(), st.lists(st.one_of(st.none(), st.integers(0, 4096)), max_size=3).map(tuple)
)
field_lists = st.lists(
    st.builds(Field, identifiers, st.sampled_from(DTYPES), shapes),
    max_size=3,
    unique_by=lambda f: f.name,
).map(tuple)
specs = st.builds(
    ModelSpec,
    path=st.none() | short_text,
    type=st.none() | identifiers,
    description=st.none() | st.text(max_size=40),
    owner=st.none() | short_text,
    labels=st.lists(short_text, max_size=3).map(tuple),
    framework=st.none() | short_text,
    format=st.none() | st.sampled_from(FORMATS),
    signature=st.none() | st.builds(Signature, field_lists, field_lists),
    card=st.lists(
        st.builds(CardSection, st.sampled_from(CARD_SECTIONS + CARD_EXTRAS), st.text(max_size=30)),
        max_size=4,
        unique_by=lambda c: c.section,
    ).map(tuple),
    metrics=st.lists(short_text, max_size=2).map(tuple),
)
value_lists = st.lists(st.builds(Value, identifiers, scalars), max_size=4).map(tuple)
md5s = st.from_regex(r"[0-9a-f]{32}(\.dir)?", fullmatch=True)
lineages = st.lists(
    st.builds(
        LineageStage,
        identifiers,
        short_text,
        st.lists(st.builds(Dep, short_text, st.none() | md5s), max_size=3).map(tuple),
        st.lists(short_text, max_size=2).map(tuple),
    ),
    max_size=3,
).map(tuple)
environments = st.builds(
    Environment,
    python=short_text,
    platform=short_text,
    cpu=short_text,
    cores=st.none() | st.integers(1, 512),
    memory_bytes=st.none() | st.integers(0, 2**45),
    package_files=st.lists(
        st.builds(PackageFile, short_text, st.from_regex(r"[0-9a-f]{40}", fullmatch=True)),
        max_size=2,
    ).map(tuple),
    packages=st.lists(short_text, max_size=4).map(tuple),
)
metadatas = st.builds(
    Metadata,
    spec=specs,
    metrics=value_lists,
    params=value_lists,
    lineage=lineages,
    environment=st.none() | environments,
)


@given(metadatas)
@settings(max_examples=150, deadline=None)
def test_the_document_round_trips(metadata: Metadata) -> None:
    assert Metadata.from_json(metadata.to_json()) == metadata


def test_a_scalar_shape_round_trips() -> None:
    """``shape: []`` (a 0-dimensional input) is accepted, and differs from no shape (any)."""
    spec = parse_spec(
        FILE, {"signature": {"inputs": [{"name": "x", "type": "float64", "shape": []}]}}
    )
    assert spec.signature == Signature((Field("x", "float64", ()),), ())
    metadata = Metadata(spec)
    assert Metadata.from_json(metadata.to_json()) == metadata


def test_an_empty_signature_round_trips() -> None:
    """``signature: {}`` declares a model with no inputs or outputs; read back, it must stay
    a signature (else a later version that adds inputs is not seen as breaking)."""
    spec = parse_spec(FILE, {"signature": {}})
    assert spec.signature == Signature((), ())
    metadata = Metadata(spec)
    assert Metadata.from_json(metadata.to_json()) == metadata


@given(metadatas)
@settings(max_examples=100, deadline=None)
def test_the_document_is_compact(metadata: Metadata) -> None:
    """No null, and no empty list or object except where empty says something (a scalar's
    shape [], a signature with no inputs or outputs): a tag message stays small."""
    meaningful = {"shape", "signature", "inputs", "outputs"}

    def empties(value: object) -> list[object]:
        if isinstance(value, dict):
            return [
                v for k, v in value.items() if v is None or (v in ([], {}) and k not in meaningful)
            ] + [e for v in value.values() for e in empties(v)]
        if isinstance(value, list):
            return [e for v in value for e in empties(v)]
        return []

    text = metadata.to_json()
    assert empties(json.loads(text)) == []
    assert "\n\n" not in text  # the tag message's paragraphs stay apart


def test_the_document_of_a_small_version() -> None:
    metadata = Metadata(
        spec=ModelSpec(owner="growth-ml", labels=("tabular",)),
        metrics=(Value("auc", 0.8), Value("note", None)),
    )
    assert json.loads(metadata.to_json()) == {
        "spec": {"owner": "growth-ml", "labels": ["tabular"]},
        "metrics": [{"name": "auc", "value": 0.8}, {"name": "note"}],
        "schema": 1,
    }


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "{",
        "null",
        "[1, 2]",
        '"text"',
        "42",
        "{}",
        '{"schema": 2, "spec": {}}',
        '{"schema": "1"}',
        '{"spec": {"owner": "x"}}',
    ],
)
def test_what_is_not_a_document_reads_as_none(text: str) -> None:
    assert Metadata.from_json(text) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "spec",
                    "metrics",
                    "params",
                    "lineage",
                    "environment",
                    "signature",
                    "inputs",
                    "name",
                    "value",
                    "deps",
                    "card",
                    "section",
                    "text",
                    "dtype",
                    "shape",
                    "path",
                    "python",
                    "package_files",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(["spec", "metrics", "params", "lineage", "environment"]), json_values
    )
)
@settings(max_examples=200, deadline=None)
def test_a_damaged_document_of_this_schema_reads_as_none_or_metadata_never_raises(
    document: dict[str, object],
) -> None:
    """A version tag is foreign input (anyone can push one): reading it must not crash."""
    read = Metadata.from_json(json.dumps({**document, "schema": 1}))
    assert read is None or isinstance(read, Metadata)


@pytest.mark.parametrize(
    "document",
    [
        {"metrics": [1]},
        {"spec": "x"},
        {"spec": {"signature": {"inputs": [{}]}}},
        {"environment": ["CPython"]},
    ],
)
def test_a_damaged_document_reads_as_none(document: dict[str, object]) -> None:
    assert Metadata.from_json(json.dumps({**document, "schema": 1})) is None


# --- flattening metrics and params ----------------------------------------------------------


def test_flatten_names_nested_values_with_dots() -> None:
    nested = {
        "auc": 0.8,
        "eval": {"f1": 0.5, "per_class": {"yes": 0.4, "no": 0.6}},
        "model": "lr",
        "early_stop": True,
        "best_epoch": 7,
        "missing": None,
        "curve": [0.1, 0.2],
    }
    assert flatten(nested) == [
        Value("auc", 0.8),
        Value("eval.f1", 0.5),
        Value("eval.per_class.yes", 0.4),
        Value("eval.per_class.no", 0.6),
        Value("model", "lr"),
        Value("early_stop", True),
        Value("best_epoch", 7),
        Value("missing", None),
        Value("curve", "[0.1, 0.2]"),  # a list is kept as its JSON text
    ]


def test_flatten_keeps_non_finite_numbers_as_text() -> None:
    assert flatten({"loss": math.inf, "x": -math.inf, "y": math.nan}) == [
        Value("loss", "inf"),
        Value("x", "-inf"),
        Value("y", "nan"),
    ]


def test_flatten_of_nothing() -> None:
    assert flatten({}) == []
    assert flatten([1, 2]) == []  # a bare list has no name
    assert flatten({"a": {}}) == []


keys = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)


@given(
    st.recursive(
        st.dictionaries(keys, scalars, max_size=3),
        lambda inner: st.dictionaries(keys, inner, max_size=3),
        max_leaves=10,
    )
)
def test_flatten_is_a_document_of_scalars(nested: dict[str, object]) -> None:
    flat = flatten(nested)

    def leaves(value: object) -> int:
        return sum(leaves(v) for v in value.values()) if isinstance(value, dict) else 1

    assert len(flat) == leaves(nested)
    for item in flat:
        node: object = nested
        for part in item.name.split("."):
            assert isinstance(node, dict)
            node = node[part]
        assert node == item.value
        assert item.value is None or isinstance(item.value, str | int | float | bool)


# --- comparing versions ---------------------------------------------------------------------


def test_metric_deltas_numbers_and_text() -> None:
    a = Metadata(
        ModelSpec(),
        metrics=(
            Value("auc", 0.8),
            Value("epochs", 10),
            Value("model", "lr"),
            Value("converged", True),
            Value("old", 1.0),
        ),
    )
    b = Metadata(
        ModelSpec(),
        metrics=(
            Value("auc", 0.85),
            Value("epochs", 12),
            Value("model", "gbm"),
            Value("converged", False),
            Value("new", 2.0),
        ),
    )
    rows = {d.name: d for d in metric_deltas(a, b)}
    assert [d.name for d in metric_deltas(a, b)] == sorted(rows)
    assert rows["auc"].delta == pytest.approx(0.05)
    assert (rows["epochs"].a, rows["epochs"].b, rows["epochs"].delta) == (10, 12, 2.0)
    assert (rows["model"].a, rows["model"].b, rows["model"].delta) == ("lr", "gbm", None)
    assert rows["converged"].delta is None  # booleans are not numbers
    assert (rows["old"].a, rows["old"].b, rows["old"].delta) == (1.0, None, None)
    assert (rows["new"].a, rows["new"].b, rows["new"].delta) == (None, 2.0, None)
    assert metric_deltas(None, b) == tuple(
        replace(d, a=None, delta=None) for d in metric_deltas(Metadata(ModelSpec()), b)
    )


def test_param_changes_lists_only_what_changed() -> None:
    a = Metadata(ModelSpec(), params=(Value("C", 1.0), Value("seed", 7), Value("gone", "x")))
    b = Metadata(ModelSpec(), params=(Value("C", 0.1), Value("seed", 7), Value("new", 3)))
    assert [(p.name, p.a, p.b) for p in param_changes(a, b)] == [
        ("C", 1.0, 0.1),
        ("gone", "x", None),
        ("new", None, 3),
    ]
    assert param_changes(a, a) == ()


def test_lineage_change_is_unknown_unless_both_recorded_it() -> None:
    bare = Metadata(ModelSpec())
    assert lineage_change(None, PREVIOUS) == LineageChange(None, ())
    assert lineage_change(PREVIOUS, None) == LineageChange(None, ())
    assert lineage_change(bare, PREVIOUS) == LineageChange(None, ())
    assert lineage_change(PREVIOUS, bare) == LineageChange(None, ())
    assert lineage_change(PREVIOUS, PREVIOUS) == LineageChange(False, ())


def test_lineage_change_compares_the_chain_s_inputs() -> None:
    changed = replace(PREVIOUS, lineage=(_train_with("c" * 32),))
    assert lineage_change(PREVIOUS, changed) == LineageChange(True, ("data/churn.csv",))
    more = replace(
        PREVIOUS,
        lineage=(replace(TRAIN, deps=(*TRAIN.deps, Dep("features.py", "d" * 32))),),
    )
    assert lineage_change(PREVIOUS, more) == LineageChange(True, ("features.py",))
    assert lineage_change(more, PREVIOUS) == LineageChange(True, ("features.py",))


def test_an_intermediate_output_is_not_an_input() -> None:
    """prepare -> train: the prepared file's hash follows from prepare's inputs; only the
    chain's own inputs count (so one upstream change is reported once, where it happened)."""

    def chain(raw: str, prepared: str) -> Metadata:
        prepare = LineageStage(
            "prepare", "python prepare.py", (Dep("data/raw.csv", raw),), ("data/prepared.csv",)
        )
        train = LineageStage(
            "train",
            "python train.py",
            (Dep("data/prepared.csv", prepared), Dep("train.py", "b" * 32)),
            ("models/churn.pkl",),
        )
        return Metadata(ModelSpec(), lineage=(prepare, train))

    assert lineage_change(chain("1" * 32, "2" * 32), chain("3" * 32, "4" * 32)) == LineageChange(
        True, ("data/raw.csv",)
    )
    assert lineage_change(chain("1" * 32, "2" * 32), chain("1" * 32, "4" * 32)).changed is False


def test_training_time_is_the_first_time_metric_that_is_a_number() -> None:
    assert PREVIOUS.training_time == 1.5
    assert Metadata(ModelSpec(), metrics=(Value("fit_time", 3),)).training_time == 3.0
    assert Metadata(ModelSpec(), metrics=(Value("training_time", "slow"),)).training_time is None
    assert Metadata(ModelSpec(), metrics=(Value("train_time", True),)).training_time is None
    assert Metadata(ModelSpec(), metrics=(Value("auc", 0.8),)).training_time is None


# --- Markdown: the comparison ---------------------------------------------------------------

COMMIT_A, COMMIT_B = "a" * 40, "b" * 40
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _version(number: str, commit: str, size: int | None, metadata: Metadata | None) -> Version:
    semver = SemVer.parse(number)
    return Version(
        model="churn",
        version=semver,
        tag=f"churn@{semver.tag}",
        commit=commit,
        author=Person("Ada", "ada@example.com"),
        date=WHEN,
        message=f"Register churn {semver.tag}",
        model_type="model",
        artifact=Artifact("models/churn.pkl", "f" * 32, size),
        archived=False,
        stages=(),
        document=metadata.to_json() if metadata else "",
    )


def _comparison(
    a: Metadata | None, b: Metadata | None, size_a: int | None = 1000, size_b: int | None = 1500
) -> Comparison:
    """What ``git model compare`` computes for two versions that recorded ``a`` and ``b``."""
    return Comparison(
        a=_version("1.0.0", COMMIT_A, size_a, a),
        b=_version("1.1.0", COMMIT_B, size_b, b),
        metrics=metric_deltas(a, b),
        params=param_changes(a, b),
        size_a=size_a,
        size_b=size_b,
        training_time_a=a.training_time if a else None,
        training_time_b=b.training_time if b else None,
        signature=signature_change(a, b),
        lineage=lineage_change(a, b),
        recorded=a is not None and b is not None,
    )


NEWER = Metadata(
    spec=ModelSpec(signature=_with(outputs=(*BASE.outputs, Field("why", "string")))),
    metrics=(Value("auc", 0.85), Value("model|kind", "gbm"), Value("training_time", 2.0)),
    params=(Value("train.C", 0.1),),
    lineage=(_train_with("c" * 32),),
)


def test_comparison_markdown() -> None:
    older = replace(PREVIOUS, metrics=(*PREVIOUS.metrics, Value("model|kind", "lr")))
    text = comparison_markdown(_comparison(older, NEWER))
    lines = text.splitlines()
    assert lines[0] == "### churn v1.0.0 → v1.1.0"
    assert "| Metric | v1.0.0 | v1.1.0 | Change |" in lines
    assert "| auc | 0.81 | 0.85 | +0.04 |" in lines
    assert "| model\\|kind | lr | gbm | n/a |" in lines  # a pipe in a name does not split cells
    assert "| training_time | 1.5 | 2 | +0.5 |" in lines
    assert "| Param changed | v1.0.0 | v1.1.0 |" in lines
    assert "| train.C | 1 | 0.1 |" in lines
    assert "- **Artifact size:** 1000 bytes → 1.5 KiB (+50.0%)" in lines
    assert "- **Training time:** 1.5 s → 2 s" in lines
    assert "- **Signature:** compatible (output 'why' added)" in lines
    assert "- **Data lineage:** changed (data/churn.csv)" in lines
    assert "without metadata" not in text


def test_comparison_markdown_of_a_worse_and_breaking_version() -> None:
    breaking = replace(
        PREVIOUS,
        spec=ModelSpec(signature=_with(inputs=BASE.inputs[:1])),
        metrics=(Value("auc", 0.75), Value("training_time", 1.5)),
    )
    text = comparison_markdown(_comparison(PREVIOUS, breaking, size_a=2048, size_b=1024))
    lines = text.splitlines()
    assert "| auc | 0.81 | 0.75 | -0.06 |" in lines
    assert "| training_time | 1.5 | 1.5 | +0 |" in lines
    assert "Params: unchanged." in lines
    assert "- **Artifact size:** 2.0 KiB → 1.0 KiB (-50.0%)" in lines
    assert "- **Signature:** **breaking** (input 'plan' removed)" in lines
    assert "- **Data lineage:** unchanged" in lines


def test_comparison_markdown_without_metadata() -> None:
    text = comparison_markdown(_comparison(None, NEWER, size_a=None))
    lines = text.splitlines()
    assert "_One of the versions was registered without metadata._" in lines
    assert "| auc | n/a | 0.85 | n/a |" in lines
    assert "- **Artifact size:** size unknown → 1.5 KiB" in lines
    assert "- **Training time:** n/a s → 2 s" in lines
    assert "- **Signature:** not recorded for both versions" in lines
    assert "- **Data lineage:** not recorded" in lines
    nothing = comparison_markdown(_comparison(Metadata(ModelSpec()), Metadata(ModelSpec())))
    assert "No metrics recorded." in nothing.splitlines()
    assert "Training time" not in nothing


# --- Markdown: the model card ---------------------------------------------------------------

SAFE_YAML = YAML(typ="safe", pure=True)
CARDED = Metadata(
    spec=ModelSpec(
        type="model",
        description="Predicts which customers cancel within 90 days.",
        owner="growth-ml",
        labels=("tabular", "classification"),
        framework="scikit-learn",
        format="pickle",
        signature=BASE,
        card=(
            CardSection("intended_use", "Retention outreach."),
            CardSection("training_data", "Twelve months of activity."),
            CardSection("license", "apache-2.0"),
            CardSection("out_of_scope", "Pricing."),
        ),
    ),
    metrics=(Value("auc", 0.85), Value("training_time", 2.0)),
    params=(Value("train.C", 0.1),),
    lineage=(TRAIN,),
)


def _header(text: str) -> dict[str, object]:
    lines = text.splitlines()
    assert lines[0] == "---"
    end = lines.index("---", 1)
    parsed = SAFE_YAML.load("\n".join(lines[1:end]))
    assert isinstance(parsed, dict)
    return parsed


def _sections(text: str) -> dict[str, str]:
    """Each ``## Title`` and the text below it, up to the next title."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title: body.strip() for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_model_card_header_is_hugging_face_yaml() -> None:
    card = model_card(_version("1.1.0", COMMIT_B, 1500, CARDED), CARDED, FILE)
    assert _header(card.text) == {
        "license": "apache-2.0",
        "library_name": "scikit-learn",
        "tags": ["git-model", "tabular", "classification"],
        "metrics": ["auc", "training_time"],
        "model_name": "churn",
        "model_version": "1.1.0",
    }


def test_model_card_sections_in_order_and_missing_ones_listed() -> None:
    card = model_card(_version("1.1.0", COMMIT_B, 1500, CARDED), CARDED, FILE)
    titles = re.findall(r"^## (.+)$", card.text, flags=re.MULTILINE)
    assert titles == [title for title, _ in CARD_LAYOUT] + ["Missing sections"]
    assert [title for title, _ in CARD_LAYOUT] == [
        "Model Details",
        "Intended Use",
        "Factors",
        "Metrics",
        "Evaluation Data",
        "Training Data",
        "Quantitative Analyses",
        "Ethical Considerations",
        "Caveats and Recommendations",
    ]
    assert "# Model card: churn v1.1.0" in card.text.splitlines()
    sections = _sections(card.text)
    details = sections["Model Details"]
    assert details.startswith("Predicts which customers cancel within 90 days.")
    for fact in (
        "- **Developed by:** growth-ml",
        "- **Version:** v1.1.0, registered by Ada on 2026-01-01",
        "- **Type:** model",
        "- **Framework:** scikit-learn",
        "- **Format:** pickle",
        f"- **Code:** commit {COMMIT_B}",
        f"- **Artifact:** models/churn.pkl (md5 {'f' * 32}, 1.5 KiB)",
        "| age | int64 | (*) |",
        "| p | float64 | (*) |",
    ):
        assert fact in details.splitlines()
    assert sections["Intended Use"] == "Retention outreach.\n\nOut of scope: Pricing."
    assert sections["Training Data"].startswith("Twelve months of activity.")
    assert (
        "- `train`: `python train.py`, from `data/churn.csv` (aaaaaaaa)"
        in sections["Training Data"]
    )
    assert "| auc | 0.85 |" in sections["Metrics"]
    assert card.missing == (
        "Factors",
        "Metrics",
        "Evaluation Data",
        "Quantitative Analyses",
        "Ethical Considerations",
        "Caveats and Recommendations",
    )
    assert sections["Missing sections"].splitlines() == [f"- {t}" for t in card.missing]
    # Nothing is invented: an unwritten section says where to write it, and no more.
    for title in ("Factors", "Evaluation Data", "Ethical Considerations"):
        key = dict(CARD_LAYOUT)[title]
        assert sections[title] == f"_Not written: add `card.{key}` to `{FILE}`._"


@given(written=st.sets(st.sampled_from(CARD_SECTIONS)))
@settings(max_examples=100, deadline=None)
def test_model_card_lists_what_is_missing_and_invents_nothing(written: set[str]) -> None:
    texts = {key: f"Written by people about {key}." for key in written}
    metadata = Metadata(
        spec=ModelSpec(card=tuple(CardSection(k, t) for k, t in texts.items())),
        metrics=(Value("auc", 0.9),),
    )
    card = model_card(_version("2.0.0", COMMIT_B, 10, metadata), metadata, FILE)
    sections = _sections(card.text)
    expected_missing = [title for title, key in CARD_LAYOUT if key and key not in written]
    assert list(card.missing) == expected_missing
    for title, key in CARD_LAYOUT[1:]:
        if key in written:
            assert sections[title].startswith(texts[key])
        else:
            assert sections[title].startswith(f"_Not written: add `card.{key}` to `{FILE}`._")
            assert "Written by people" not in sections[title]
    if expected_missing:
        assert sections["Missing sections"].splitlines() == [f"- {t}" for t in expected_missing]
    else:
        assert "Missing sections" not in sections


@given(
    labels=st.lists(st.text(max_size=10), max_size=3),
    framework=st.none() | st.text(max_size=10),
    license_text=st.none() | st.text(max_size=10),
    metric_names=st.lists(st.text(min_size=1, max_size=10), max_size=3, unique=True),
)
@settings(max_examples=200, deadline=None)
def test_model_card_header_is_valid_yaml_whatever_the_values(
    labels: list[str], framework: str | None, license_text: str | None, metric_names: list[str]
) -> None:
    """Labels, framework and license come from the model's YAML file, metric names from
    metrics files: any text there must still give a header that YAML reads back as is."""
    card = (CardSection("license", license_text),) if license_text is not None else ()
    metadata = Metadata(
        spec=ModelSpec(labels=tuple(labels), framework=framework, card=card),
        metrics=tuple(Value(n, 1.0) for n in metric_names),
    )
    header = _header(model_card(_version("2.0.0", COMMIT_B, 10, metadata), metadata, FILE).text)
    assert header["tags"] == ["git-model", *labels]
    assert header.get("library_name") == (framework or None)
    assert header.get("license") == (license_text or None)
    assert header.get("metrics") == (metric_names or None)


def test_model_card_of_a_version_without_metadata() -> None:
    version = _version("0.1.0", COMMIT_A, None, None)
    card = model_card(version, None, FILE)
    assert _header(card.text) == {
        "tags": ["git-model"],
        "model_name": "churn",
        "model_version": "0.1.0",
    }
    assert list(card.missing) == [title for title, key in CARD_LAYOUT if key]
    details = _sections(card.text)["Model Details"].splitlines()
    assert "- **Type:** model" in details
    assert "- **Artifact:** models/churn.pkl (md5 " + "f" * 32 + ", size unknown)" in details
