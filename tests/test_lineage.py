"""Metadata and lineage end to end, with the real DVC and a real scikit-learn model trained
in the test by a `dvc repro` pipeline: what a version records and where, --bump auto,
compare, card, annotate, show's sorting and filters, refusals, and what reading many
versions' metadata costs."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gto.exceptions import InvalidTagName
from gto.tag import parse_name as gto_parse_name
from ruamel.yaml import YAML

from git_model.cli.render import jsonable
from git_model.metadata import FORMATS, Metadata
from git_model.reports import human_size
from tests.conftest import Clock, Repo, dvc
from tests.helpers import data, events, git_calls, ok

SAFE_YAML = YAML(typ="safe", pure=True)

TRAIN_PY = """\
import json, pickle, time
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

start = time.perf_counter()
params = YAML(typ="safe").load(Path("params.yaml").read_text())["train"]
table = np.loadtxt("data/churn.csv", delimiter=",")  # lines starting with '#' are skipped
x, y = table[:, :-1], table[:, -1]
split = len(y) * 3 // 4
model = LogisticRegression(C=params["C"], max_iter=500).fit(x[:split], y[:split])
auc = roc_auc_score(y[split:], model.predict_proba(x[split:])[:, 1])
Path("models").mkdir(exist_ok=True)
Path("models/churn.pkl").write_bytes(pickle.dumps(model))
metrics = {"auc": round(float(auc), 6), "training_time": round(time.perf_counter() - start, 6)}
Path("metrics.json").write_text(json.dumps(metrics))
"""

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py, data/churn.csv]
    params: [train.C]
    outs: [models/churn.pkl]
    metrics:
      - metrics.json:
          cache: false
"""

CHURN_YAML = """\
path: models/churn.pkl
type: model
description: Predicts which customers cancel within 90 days.
owner: growth-ml
labels: [tabular, classification]
framework: scikit-learn
format: pickle
signature:
  inputs:
    - {name: features, type: float64, shape: [-1, 4]}
  outputs:
    - {name: churn_probability, type: float64, shape: [-1]}
card:
  intended_use: Ranking customers for retention outreach; not for pricing.
  training_data: Synthetic customers, the first three quarters of data/churn.csv.
  evaluation_data: The last quarter of data/churn.csv, held out.
"""

TRAINING_FILES = ("params.yaml", "data/churn.csv", "dvc.lock", "metrics.json")


def _dataset(seed: int, rows: int = 160) -> str:
    """Customers with four features of different scales, and whether they left."""
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)) * np.array([1.0, 10.0, 0.1, 3.0])
    logits = x @ np.array([1.5, -0.2, 8.0, 0.4]) + rng.normal(scale=2.0, size=rows)
    labels = (logits > 0).astype(int)
    lines = [",".join(f"{v:.6f}" for v in row) + f",{t}" for row, t in zip(x, labels, strict=True)]
    return "\n".join(lines) + "\n"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _metrics(repo: Repo) -> dict[str, float]:
    return json.loads((repo.path / "metrics.json").read_text())


def _retrain(
    repo: Repo, *, c: float | None = None, data: str | None = None, message: str = "Retrain"
) -> dict[str, float]:
    """Change the params or the data, run the pipeline with `dvc repro`, commit the run."""
    if c is not None:
        (repo.path / "params.yaml").write_text(f"train:\n  C: {c}\n")
    if data is not None:
        (repo.path / "data/churn.csv").write_text(data)
    dvc(repo, "repro", "-q")
    repo.git("add", *TRAINING_FILES)
    repo.git("commit", "-q", "-m", message)
    return _metrics(repo)


def _edit_spec(repo: Repo, old: str, new: str) -> None:
    spec = repo.path / "models/churn.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


# --- one trained repository, built once per worker and copied into each test ------------------

_TEMPLATES: dict[str, Path] = {}


def _template(name: str, factory: pytest.TempPathFactory, build: Callable[[Path], None]) -> Path:
    """A repository ``build`` made once (in the first test's isolated Git environment)."""
    if name not in _TEMPLATES:
        path = factory.mktemp(f"template-{name}") / "repo"
        build(path)
        _TEMPLATES[name] = path
    return _TEMPLATES[name]


def _copy(template: Path, tmp_path: Path) -> Repo:
    target = tmp_path / "repo"
    shutil.copytree(template, target, symlinks=True)
    return Repo(target)


def _build_trained(path: Path) -> None:
    path.mkdir()
    repo = Repo(path)
    repo.git("init", "-q")
    repo.commit("initial", files={"README.md": "churn\n"})
    dvc(repo, "init", "-q")
    repo.git("add", ".dvc", ".dvcignore")
    repo.git("commit", "-q", "-m", "Use DVC")
    (path / "data").mkdir()
    (path / "data/churn.csv").write_text(_dataset(seed=1))
    (path / "train.py").write_text(TRAIN_PY)
    (path / "params.yaml").write_text("train:\n  C: 1.0\n")
    (path / "dvc.yaml").write_text(DVC_YAML)
    dvc(repo, "repro", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "Train churn")
    assert repo.git("status", "--porcelain") == ""


@pytest.fixture
def trained(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Repo:
    """A DVC pipeline (train.py, data/churn.csv, params.yaml) run by `dvc repro` and
    committed: models/churn.pkl, metrics.json, dvc.lock. No models/churn.yaml, no version."""
    return _copy(_template("trained", tmp_path_factory, _build_trained), tmp_path)


@pytest.fixture
def registered(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Repo:
    """``trained``, with models/churn.yaml and churn v0.1.0 registered with --path."""

    def build(path: Path) -> None:
        trained_template = _template("trained", tmp_path_factory, _build_trained)
        shutil.copytree(trained_template, path, symlinks=True)
        repo = Repo(path)
        (path / "models/churn.yaml").write_text(CHURN_YAML)
        ok(repo, "register", "churn", "--path", "models/churn.pkl")

    return _copy(_template("registered", tmp_path_factory, build), tmp_path)


# --- what a version records ------------------------------------------------------------------


def _lock(repo: Repo) -> dict[str, Any]:
    return SAFE_YAML.load((repo.path / "dvc.lock").read_text())


def _document(raw_tag: str) -> str:
    """The JSON paragraph of a tag object as `git cat-file -p` prints it."""
    [document] = [p for p in raw_tag.split("\n\n") if p.startswith("{")]
    return document


def test_register_path_records_everything(trained: Repo) -> None:
    (trained.path / "models/churn.yaml").write_text(CHURN_YAML)
    out = ok(trained, "register", "churn", "--path", "models/churn.pkl")
    assert "Committed the model's declaration as" in out
    assert "Registered churn v0.1.0" in out
    changed = trained.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert changed == ["dvc.yaml", "models/churn.yaml"]
    assert trained.git("status", "--porcelain") == ""

    detail = data(trained, "describe", "churn@0.1.0")
    meta = detail["metadata"]
    assert meta["spec"] == {
        "path": "models/churn.pkl",
        "type": "model",
        "description": "Predicts which customers cancel within 90 days.",
        "owner": "growth-ml",
        "labels": ["tabular", "classification"],
        "framework": "scikit-learn",
        "format": "pickle",
        "signature": {
            "inputs": [{"name": "features", "dtype": "float64", "shape": [None, 4]}],
            "outputs": [{"name": "churn_probability", "dtype": "float64", "shape": [None]}],
        },
        "card": [
            {
                "section": "intended_use",
                "text": "Ranking customers for retention outreach; not for pricing.",
            },
            {
                "section": "training_data",
                "text": "Synthetic customers, the first three quarters of data/churn.csv.",
            },
            {
                "section": "evaluation_data",
                "text": "The last quarter of data/churn.csv, held out.",
            },
        ],
        "metrics": [],
    }
    # The metrics the training wrote, the params dvc.lock says it used.
    trained_metrics = _metrics(trained)
    assert {m["name"]: m["value"] for m in meta["metrics"]} == trained_metrics
    assert 0.5 < trained_metrics["auc"] <= 1.0
    assert meta["params"] == [{"name": "train.C", "value": 1.0}]
    # The lineage: the stage that made the artifact, with its dependencies' hashes.
    stage = _lock(trained)["stages"]["train"]
    assert meta["lineage"] == [
        {
            "name": "train",
            "cmd": "python train.py",
            "deps": [{"path": d["path"], "md5": d["md5"]} for d in stage["deps"]],
            "outs": [o["path"] for o in stage["outs"]],
        }
    ]
    deps = {d["path"]: d["md5"] for d in meta["lineage"][0]["deps"]}
    assert deps == {
        "data/churn.csv": _md5(trained.path / "data/churn.csv"),
        "train.py": _md5(trained.path / "train.py"),
    }
    # The environment that registered it (this process: the CLI ran in-process).
    import sklearn  # noqa: PLC0415

    env = meta["environment"]
    assert env["python"] == f"{platform.python_implementation()} {platform.python_version()}"
    assert env["platform"] == platform.platform()
    assert env["cores"] == os.cpu_count()
    assert env["cpu"]
    assert env["package_files"] == []
    assert f"scikit-learn=={sklearn.__version__}" in env["packages"]
    installed = {f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()}
    assert set(env["packages"]) == installed  # what importlib.metadata says, read faster
    # The artifact: DVC's hash (as dvc.lock records it) and size.
    model = trained.path / "models/churn.pkl"
    [lock_out] = [o for o in stage["outs"] if o["path"] == "models/churn.pkl"]
    assert detail["version"]["artifact"] == {
        "path": "models/churn.pkl",
        "md5": _md5(model),
        "size": model.stat().st_size,
        "files": None,
        "kind": "dvc",
        "blob": None,
        "etag": None,
    }
    assert lock_out["md5"] == _md5(model)

    # Plain Git reads the same facts from the tag object.
    raw = trained.git("cat-file", "-p", "churn@v0.1.0")
    assert raw.startswith(f"object {detail['version']['commit']}\ntype commit\ntag churn@v0.1.0\n")
    trailers = raw.splitlines()
    for trailer in (
        "Written-By: git-model",
        "Model-Type: model",
        "Artifact-Path: models/churn.pkl",
        f"Artifact-Md5: {_md5(model)}",
        f"Artifact-Size: {model.stat().st_size}",
        "Document: json",
    ):
        assert trailer in trailers
    assert jsonable(Metadata.from_json(_document(raw))) == meta


def test_a_committed_requirements_file_is_recorded_instead_of_the_package_list(
    registered: Repo,
) -> None:
    registered.commit("Pin packages", files={"requirements.txt": "scikit-learn>=1.3\ndvc\n"})
    ok(registered, "register", "churn")
    env = data(registered, "describe", "churn@0.2.0")["metadata"]["environment"]
    assert env["package_files"] == [
        {"path": "requirements.txt", "blob": registered.git("rev-parse", "HEAD:requirements.txt")}
    ]
    assert env["packages"] == []
    assert data(registered, "describe", "churn@0.1.0")["metadata"]["environment"]["packages"]


def test_a_version_s_facts_never_change(registered: Repo) -> None:
    before = data(registered, "describe", "churn@0.1.0")["metadata"]
    tag_object = registered.git("rev-parse", "churn@v0.1.0")
    raw = registered.git("cat-file", "-p", "churn@v0.1.0")

    _edit_spec(registered, "owner: growth-ml", "owner: retention-team")
    _edit_spec(registered, "shape: [-1, 4]", "shape: [-1, 5]")
    _edit_spec(registered, "not for pricing.", "and for pricing.")
    registered.git("commit", "-q", "-am", "Edit the model's file")
    assert data(registered, "describe", "churn@0.1.0")["metadata"] == before
    assert "growth-ml" in registered.cli("describe", "churn@0.1.0").stdout
    assert registered.git("rev-parse", "churn@v0.1.0") == tag_object
    assert registered.git("cat-file", "-p", "churn@v0.1.0") == raw

    # The next version records the file as it is now; the first one keeps its own.
    ok(registered, "register", "churn")
    after = data(registered, "describe", "churn@0.2.0")["metadata"]["spec"]
    assert after["owner"] == "retention-team"
    assert after["signature"]["inputs"][0]["shape"] == [None, 5]
    assert data(registered, "describe", "churn@0.1.0")["metadata"] == before


# --- register --bump auto -------------------------------------------------------------------


def _registered_version(out: str) -> str:
    [line] = [line for line in out.splitlines() if line.startswith("Registered churn ")]
    return line.split()[2]


def test_bump_auto_chooses_from_what_changed(registered: Repo) -> None:
    first = _metrics(registered)

    # Retrained with another param: the metrics change -> minor.
    second = _retrain(registered, c=0.001, message="Stronger regularisation")
    assert second["auc"] != first["auc"]
    out = ok(registered, "register", "churn", "--bump", "auto")
    assert _registered_version(out) == "v0.2.0"
    assert (
        f"Version chosen by --bump auto: metrics changed: auc {first['auc']} -> {second['auc']}"
        in out
    )
    assert "training_time" not in out.split("metrics changed:")[1].splitlines()[0]

    # The same data with a comment line: the model and its score are the same, only the
    # training time differs; the data's hash changed -> minor, for the data.
    third = _retrain(
        registered, data="# exported 2026-01-02\n" + _dataset(seed=1), message="Re-export"
    )
    assert third["auc"] == second["auc"]
    out = ok(registered, "register", "churn", "--bump", "auto")
    assert _registered_version(out) == "v0.3.0"
    assert "Version chosen by --bump auto: the training data or code changed: data/churn.csv" in (
        out
    )

    # A breaking signature (committed by --path with the model) -> major.
    _edit_spec(registered, "shape: [-1, 4]", "shape: [-1, 5]")
    out = ok(registered, "register", "churn", "--path", "models/churn.pkl", "--bump", "auto")
    assert _registered_version(out) == "v1.0.0"
    assert (
        "Version chosen by --bump auto: the signature breaks compatibility: "
        "input 'features' changed shape (None, 4) -> (None, 5)"
    ) in out
    assert registered.git("show", "--name-only", "--format=", "HEAD").splitlines() == [
        "models/churn.yaml"
    ]

    # Nothing changed but the commit -> patch.
    registered.commit("Docs", files={"README.md": "churn, documented\n"})
    result = data(registered, "register", "churn", "--bump", "auto")
    assert result["version"]["version"] == "1.0.1"
    assert result["bump_reason"] == "same signature, metrics and data lineage"

    # What compare says about the same steps.
    params_only = data(registered, "compare", "churn@0.1.0", "churn@0.2.0")
    assert params_only["lineage"] == {"changed": False, "inputs": []}
    assert params_only["signature"] == {"compatible": True, "reasons": []}
    breaking = data(registered, "compare", "churn@0.3.0", "churn@1.0.0")
    assert breaking["signature"] == {
        "compatible": False,
        "reasons": ["input 'features' changed shape (None, 4) -> (None, 5)"],
    }


# --- compare ---------------------------------------------------------------------------------


def test_compare_two_trainings(registered: Repo) -> None:
    first = _metrics(registered)
    size_a = (registered.path / "models/churn.pkl").stat().st_size
    _edit_spec(
        registered,
        "    - {name: churn_probability, type: float64, shape: [-1]}\n",
        "    - {name: churn_probability, type: float64, shape: [-1]}\n"
        "    - {name: churn_label, type: int64, shape: [-1]}\n",
    )
    registered.git("add", "models/churn.yaml")
    second = _retrain(registered, c=0.05, data=_dataset(seed=2), message="New data, new C")
    size_b = (registered.path / "models/churn.pkl").stat().st_size
    ok(registered, "register", "churn")

    result = data(registered, "compare", "churn@0.1.0", "churn@latest")
    assert result["a"]["version"] == "0.1.0"
    assert result["b"]["version"] == "0.2.0"
    rows = {m["name"]: m for m in result["metrics"]}
    assert set(rows) == {"auc", "training_time"}
    for name in rows:
        assert rows[name]["a"] == first[name]
        assert rows[name]["b"] == second[name]
        assert rows[name]["delta"] == pytest.approx(second[name] - first[name])
    assert result["params"] == [{"name": "train.C", "a": 1.0, "b": 0.05}]
    assert (result["size_a"], result["size_b"]) == (size_a, size_b)
    assert result["training_time_a"] == first["training_time"]
    assert result["training_time_b"] == second["training_time"]
    assert result["signature"] == {"compatible": True, "reasons": ["output 'churn_label' added"]}
    assert result["lineage"] == {"changed": True, "inputs": ["data/churn.csv"]}
    assert result["recorded"] is True

    text = ok(registered, "compare", "churn@0.1.0", "churn@latest")
    assert "churn v0.1.0 → churn v0.2.0" in text
    auc_line = next(line for line in text.splitlines() if line.startswith("auc"))
    delta = second["auc"] - first["auc"]
    assert auc_line.split() == [
        "auc",
        f"{first['auc']:.6g}",
        f"{second['auc']:.6g}",
        f"{delta:+.6g}",
    ]
    assert "train.C" in text
    assert f"Artifact size  {human_size(size_a)} → {human_size(size_b)}" in text
    assert (
        f"Training time  {first['training_time']:.6g} s → {second['training_time']:.6g} s" in text
    )
    assert "Signature      compatible; output 'churn_label' added" in text
    assert "Data lineage   changed: data/churn.csv" in text

    markdown = ok(registered, "compare", "churn@0.1.0", "churn@latest", "--markdown")
    lines = markdown.splitlines()
    assert lines[0] == "### churn v0.1.0 → v0.2.0"
    assert f"| auc | {first['auc']:.6g} | {second['auc']:.6g} | {delta:+.6g} |" in lines
    assert "| train.C | 1 | 0.05 |" in lines
    assert (
        f"- **Artifact size:** {human_size(size_a)} → {human_size(size_b)} "
        f"({(size_b - size_a) / size_a:+.1%})"
    ) in lines
    assert (
        f"- **Training time:** {first['training_time']:.6g} s → {second['training_time']:.6g} s"
    ) in lines
    assert "- **Signature:** compatible (output 'churn_label' added)" in lines
    assert "- **Data lineage:** changed (data/churn.csv)" in lines


# --- card --------------------------------------------------------------------------------------


def test_card_from_the_model_s_file_and_what_the_version_recorded(registered: Repo) -> None:
    out = ok(registered, "card", "churn@latest", "-o", "card.md")
    missing = [
        "Factors",
        "Metrics",
        "Quantitative Analyses",
        "Ethical Considerations",
        "Caveats and Recommendations",
    ]
    assert "Wrote the model card of churn v0.1.0 to card.md" in out
    assert f"Sections nobody wrote yet: {', '.join(missing)}" in out
    text = (registered.path / "card.md").read_text()

    lines = text.splitlines()
    end = lines.index("---", 1)
    header = SAFE_YAML.load("\n".join(lines[1:end]))
    assert header["library_name"] == "scikit-learn"
    assert header["tags"] == ["git-model", "tabular", "classification"]
    assert header["metrics"] == ["auc", "training_time"]
    assert header["model_version"] == "0.1.0"

    def section(title: str) -> str:
        return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]

    assert "Predicts which customers cancel within 90 days." in section("Model Details")
    assert "- **Developed by:** growth-ml" in section("Model Details")
    assert "| features | float64 | (*, 4) |" in section("Model Details")
    assert "Ranking customers for retention outreach" in section("Intended Use")
    assert "The last quarter of data/churn.csv, held out." in section("Evaluation Data")
    training = section("Training Data")
    assert "Synthetic customers, the first three quarters" in training
    assert "- `train`: `python train.py`, from `data/churn.csv`" in training
    assert f"| auc | {_metrics(registered)['auc']:.6g} |" in section("Metrics")
    assert section("Missing sections").split() == [w for t in missing for w in ("-", *t.split())]
    assert section("Factors").strip() == "_Not written: add `card.factors` to `models/churn.yaml`._"

    card = data(registered, "card", "churn@latest")
    assert card["missing"] == missing
    assert card["text"] == text


# --- annotate ----------------------------------------------------------------------------------


def test_annotate_adds_facts_with_history_and_never_moves_the_version_tag(
    registered: Repo,
) -> None:
    tag_object = registered.git("rev-parse", "churn@v0.1.0")
    metadata = data(registered, "describe", "churn@0.1.0")["metadata"]

    ok(registered, "annotate", "churn@0.1.0", "uat=passed", "notes=minor issues")
    notes = data(registered, "describe", "churn@0.1.0")["version"]["annotations"]
    assert [(a["key"], a["value"]) for a in notes] == [("notes", "minor issues"), ("uat", "passed")]
    assert {a["author"]["name"] for a in notes} == {"Test User"}
    shown = registered.cli("describe", "churn@0.1.0").stdout
    assert "Annotations" in shown
    assert "minor issues" in shown

    ok(registered, "annotate", "churn@0.1.0", "uat=")
    notes = data(registered, "describe", "churn@0.1.0")["version"]["annotations"]
    assert [(a["key"], a["value"]) for a in notes] == [("notes", "minor issues")]

    history = data(registered, "history", "churn", "--oldest-first")["events"]
    annotated = [e for e in history if e["kind"] == "annotated"]
    assert [e["version"] for e in annotated] == ["0.1.0", "0.1.0"]
    assert annotated[0]["message"] == "Annotate churn v0.1.0: uat=passed, notes=minor issues"
    assert annotated[1]["message"] == "Annotate churn v0.1.0: uat="
    assert [e[0] for e in events(registered, "churn")] == ["registered", "annotated", "annotated"]
    assert "annotated" in registered.cli("history", "churn").stdout

    # The version tag and what it recorded are untouched; the facts are their own tags.
    assert registered.git("rev-parse", "churn@v0.1.0") == tag_object
    assert data(registered, "describe", "churn@0.1.0")["metadata"] == metadata
    note_tags = [e["tag"] for e in annotated]
    assert note_tags == [f"churn@v0.1.0#note#{e['counter']}" for e in annotated]
    first_note = registered.git("cat-file", "-p", note_tags[0])
    assert json.loads(_document(first_note)) == {
        "annotations": {"uat": "passed", "notes": "minor issues"}
    }
    # GTO (and so DVC) do not read annotation tags: GTO's own parser refuses their names.
    for name in note_tags:
        assert gto_parse_name(name, raise_on_fail=False) == {}
        with pytest.raises(InvalidTagName):
            gto_parse_name(name)
    assert gto_parse_name("churn@v0.1.0")["version"] == "v0.1.0"


# --- show: sorting and filters ----------------------------------------------------------------


def _add_model(repo: Repo, name: str, spec: str, metrics: dict[str, float]) -> None:
    """Another model in the same repository: a file DVC tracks, its own metrics file."""
    repo.commit(
        f"{name} metrics",
        files={f"{name}-metrics.json": json.dumps(metrics), f"models/{name}.yaml": spec},
    )
    (repo.path / f"models/{name}.bin").write_bytes(name.encode() * 100)
    ok(repo, "register", name, "--path", f"models/{name}.bin")


def test_show_sorts_by_a_metric_and_filters(registered: Repo) -> None:
    best = _metrics(registered)["auc"]
    worse = _retrain(registered, c=0.001, message="Stronger regularisation")["auc"]
    assert worse < best
    ok(registered, "register", "churn")
    _add_model(
        registered,
        "fraud",
        "owner: risk-ml\nlabels: [tabular, fraud]\nmetrics: [fraud-metrics.json]\n",
        {"auc": 0.99},
    )
    _add_model(
        registered,
        "legacy",
        "owner: growth-ml\nlabels: [regression]\nmetrics: [legacy-metrics.json]\n",
        {"rmse": 3.5},
    )
    ok(registered, "promote", "churn@0.1.0", "--to", "prod")
    ok(registered, "promote", "fraud@0.1.0", "--to", "staging")

    def models(*flags: str) -> list[str]:
        return [m["name"] for m in data(registered, "show", *flags)["models"]]

    assert models() == ["churn", "fraud", "legacy"]
    view = data(registered, "show", "--sort", "auc")
    assert [(m["name"], m["sort_value"]) for m in view["models"]] == [
        ("fraud", 0.99),
        ("churn", worse),  # a model sorts by its latest version
        ("legacy", None),  # no such metric: last
    ]
    assert models("--sort", "auc", "--ascending") == ["churn", "fraud", "legacy"]
    table = registered.cli("show", "--sort", "auc").stdout.splitlines()
    assert table[0].split()[:3] == ["Model", "Latest", "auc"]
    assert table[1].split()[:3] == ["fraud", "v0.1.0", "0.99"]
    assert table[2].split()[:3] == ["churn", "v0.2.0", f"{worse:.6g}"]

    assert models("--label", "tabular") == ["churn", "fraud"]
    assert models("--label", "fraud") == ["fraud"]
    assert models("--owner", "growth-ml") == ["churn", "legacy"]
    assert models("--stage", "prod") == ["churn"]
    assert models("--stage", "staging", "--label", "tabular") == ["fraud"]
    assert models("--label", "fraud", "--owner", "growth-ml") == []

    versions = data(registered, "show", "churn", "--sort", "auc")
    assert [v["version"] for v in versions["versions"]] == ["0.1.0", "0.2.0"]
    assert versions["sort_values"] == [best, worse]
    ascending = data(registered, "show", "churn", "--sort", "auc", "--ascending")
    assert [v["version"] for v in ascending["versions"]] == ["0.2.0", "0.1.0"]
    table = registered.cli("show", "churn", "--sort", "auc").stdout.splitlines()
    assert table[1].split()[:2] == ["Version", "auc"]
    assert table[2].split()[:3] == ["v0.1.0", f"{best:.6g}", "prod"]
    assert [
        v["version"] for v in data(registered, "show", "churn", "--stage", "prod")["versions"]
    ] == ["0.1.0"]


def test_history_shows_the_metrics_each_events_version_recorded(registered: Repo) -> None:
    first = _metrics(registered)
    second = _retrain(registered, c=0.001, message="Stronger regularisation")
    ok(registered, "register", "churn")
    ok(registered, "promote", "churn@0.2.0", "--to", "prod")
    ok(registered, "annotate", "churn@0.1.0", "uat=passed")
    _add_model(
        registered, "legacy", "owner: growth-ml\nmetrics: [legacy-metrics.json]\n", {"rmse": 3.5}
    )
    ok(registered, "deprecate", "legacy")

    churn = data(registered, "history", "churn", "--metric", "auc", "--metric", "rmse")
    assert churn["metrics"] == ["auc", "rmse"]
    by_event = [
        (e["kind"], e["version"], values)
        for e, values in zip(churn["events"], churn["values"], strict=True)
    ]
    assert by_event == [  # newest first; a metric the version did not record is null
        ("annotated", "0.1.0", [first["auc"], None]),
        ("promoted", "0.2.0", [second["auc"], None]),
        ("registered", "0.2.0", [second["auc"], None]),
        ("registered", "0.1.0", [first["auc"], None]),
    ]

    every = data(registered, "history", "--metric", "rmse", "--oldest-first")
    assert len(every["values"]) == len(every["events"])
    legacy = [
        (e["kind"], values)
        for e, values in zip(every["events"], every["values"], strict=True)
        if e["model"] == "legacy"
    ]
    assert legacy == [("registered", [3.5]), ("deprecated", [None])]  # a model has no metrics
    assert data(registered, "history")["values"] == []

    table = registered.cli("history", "churn", "--metric", "auc").stdout.splitlines()
    assert table[0].split() == [
        "#",
        "When",
        "Event",
        "Model",
        "Version",
        "auc",
        "Stage",
        "By",
        "Message",
    ]
    registered_row = next(line for line in table if " registered " in line and "v0.1.0" in line)
    # "-", the date and time, "registered", the model, then the version, its auc, no stage
    assert registered_row.split()[5:8] == ["v0.1.0", f"{first['auc']:.6g}", "-"]


def test_show_with_filters_that_match_nothing_does_not_say_the_registry_is_empty(
    registered: Repo,
) -> None:
    out = ok(registered, "show", "--label", "no-such-label")
    assert "No models registered yet" not in out


# --- refusals -----------------------------------------------------------------------------------


def _write_spec(text: str) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        (repo.path / "models/churn.yaml").write_text(text)

    return setup


def _metrics_not_committed(with_spec: bool) -> Callable[[Repo], None]:
    def setup(repo: Repo) -> None:
        repo.git("rm", "-q", "--cached", "metrics.json")
        repo.git("commit", "-q", "-m", "Stop committing metrics")
        if with_spec:
            (repo.path / "models/churn.yaml").write_text(CHURN_YAML)

    return setup


def _spec_edited_after_commit(repo: Repo) -> None:
    repo.commit("Docs", files={"README.md": "churn, documented\n"})
    _edit_spec(repo, "owner: growth-ml", "owner: someone-else")


def _other_artifact(repo: Repo) -> None:
    (repo.path / "models/churn.yaml").write_text(CHURN_YAML)
    (repo.path / "models/other.pkl").write_bytes(b"other")


def _nothing(repo: Repo) -> None:
    del repo


BAD_SIGNATURE = CHURN_YAML.replace(
    "{name: features, type: float64", "{name: features, type: flot64"
)

REFUSALS: list[tuple[str, str, Callable[[Repo], None], list[str], int, list[str]]] = [
    # (id, fixture, setup, arguments, exit code, words of the one-line message)
    (
        "malformed-yaml",
        "trained",
        _write_spec("description: churn\nlabels: [tabular, classification\nowner: growth-ml\n"),
        ["register", "churn", "--path", "models/churn.pkl"],
        9,
        ["models/churn.yaml:3: malformed YAML"],
    ),
    (
        "unknown-format",
        "trained",
        _write_spec(CHURN_YAML.replace("format: pickle", "format: safetensors")),
        ["register", "churn", "--path", "models/churn.pkl"],
        9,
        [f"models/churn.yaml: format: 'safetensors' is not a format ({', '.join(FORMATS)})"],
    ),
    (
        "bad-signature",
        "trained",
        _write_spec(BAD_SIGNATURE),
        ["register", "churn", "--path", "models/churn.pkl"],
        9,
        ["models/churn.yaml: signature.inputs[0].type: 'flot64' is not a type (bool, "],
    ),
    (
        "duplicate-signature-name",
        "trained",
        _write_spec(
            CHURN_YAML.replace("  outputs:\n", "    - {name: features, type: int64}\n  outputs:\n")
        ),
        ["register", "churn", "--path", "models/churn.pkl"],
        9,
        ["models/churn.yaml: signature.inputs[1].name: 'features' appears twice"],
    ),
    (
        "metrics-missing-first-registration",
        "trained",
        _metrics_not_committed(with_spec=True),
        ["register", "churn", "--path", "models/churn.pkl"],
        9,
        ["metrics.json: is declared as a metrics file but is not in commit"],
    ),
    (
        "metrics-missing",
        "registered",
        _metrics_not_committed(with_spec=False),
        ["register", "churn"],
        9,
        ["metrics.json: is declared as a metrics file but is not in commit"],
    ),
    (
        "spec-edited-not-committed",
        "registered",
        _spec_edited_after_commit,
        ["register", "churn"],
        6,
        ["models/churn.yaml has uncommitted changes", "--path"],
    ),
    (
        "type-disagrees",
        "trained",
        _write_spec(CHURN_YAML),
        ["register", "churn", "--path", "models/churn.pkl", "--type", "dataset"],
        2,
        ["--type dataset, but models/churn.yaml says type: model"],
    ),
    (
        "path-disagrees",
        "trained",
        _other_artifact,
        ["register", "churn", "--path", "models/other.pkl"],
        2,
        ["--path models/other.pkl, but models/churn.yaml says path: models/churn.pkl"],
    ),
    (
        "annotate-bad-key",
        "registered",
        _nothing,
        ["annotate", "churn@0.1.0", "uat result=passed"],
        4,
        ["'uat result' is not a valid annotation key"],
    ),
    (
        "annotate-empty-key",
        "registered",
        _nothing,
        ["annotate", "churn@0.1.0", "=passed"],
        4,
        ["'' is not a valid annotation key"],
    ),
    (
        "annotate-not-key-value",
        "registered",
        _nothing,
        ["annotate", "churn@0.1.0", "uat"],
        2,
        ["'uat' is not KEY=VALUE", "uat=passed"],
    ),
]


@dataclass(frozen=True)
class Refusal:
    fixture: str  # the repository to start from: "trained" or "registered"
    setup: Callable[[Repo], None]  # what the user did before the command
    args: list[str]
    code: int
    words: list[str]  # in the one-line message


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(Refusal(fixture, setup, args, code, words), id=name)
        for name, fixture, setup, args, code, words in REFUSALS
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    request: pytest.FixtureRequest, case: Refusal
) -> None:
    repo: Repo = request.getfixturevalue(case.fixture)
    case.setup(repo)
    refs, status = repo.refs(), repo.git("status", "--porcelain")
    spec = repo.path / "models/churn.yaml"
    spec_text = spec.read_text() if spec.exists() else None

    result = repo.cli(*case.args)
    assert result.exit_code == case.code, result.stderr
    assert result.stderr.startswith("git-model: error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in case.words:
        assert word in result.stderr
    assert repo.refs() == refs
    assert repo.git("status", "--porcelain") == status
    assert (spec.read_text() if spec.exists() else None) == spec_text


def test_annotate_without_pairs_is_refused(registered: Repo) -> None:
    refs = registered.refs()
    result = registered.cli("annotate", "churn@0.1.0")
    assert result.exit_code == 2
    assert "missing argument 'KEY=VALUE...'" in result.stderr
    assert registered.refs() == refs


def test_a_damaged_document_in_a_version_tag_reads_as_no_metadata(registered: Repo) -> None:
    """Anyone can push a tag: one whose document is not what git-model writes must not
    crash the commands that read metadata."""
    registered.commit("Another", files={"README.md": "another\n"})
    message = (
        'Register churn v0.2.0\n\n{"schema": 1, "metrics": [1]}\n\n'
        "Written-By: git-model\nDocument: json\n"
    )
    registered.git("tag", "-a", "churn@v0.2.0", "-F", "-", input=message)
    assert data(registered, "describe", "churn@0.2.0")["metadata"] is None
    assert data(registered, "compare", "churn@0.1.0", "churn@0.2.0")["recorded"] is False
    assert [m["name"] for m in data(registered, "show", "--sort", "auc")["models"]] == ["churn"]


# --- the cost of reading metadata ---------------------------------------------------------------


READERS = [
    ("compare", "churn@0.1.0", "churn@latest"),
    ("compare", "churn@0.1.0", "churn@latest", "--markdown"),
    ("card", "churn@latest"),
    ("show", "--sort", "auc"),
    ("show", "churn", "--sort", "auc"),
    ("history", "churn", "--metric", "auc"),
    ("history", "--metric", "auc"),
    ("show", "--label", "tabular", "--owner", "growth-ml"),
    ("describe", "churn@latest"),
]


def test_reading_many_versions_metadata_costs_the_same_git_processes(
    registered: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def add_versions(count: int) -> None:
        for _ in range(count):
            number = len(registered.tags()) + 1
            metrics = {"auc": round(0.5 + number / 100, 4), "training_time": 1.0}
            registered.commit(f"Metrics {number}", files={"metrics.json": json.dumps(metrics)})
            ok(registered, "register", "churn")

    add_versions(1)
    few = [git_calls(registered, monkeypatch, *args) for args in READERS]
    add_versions(10)
    assert len(data(registered, "show", "churn")["versions"]) == 12
    many = [git_calls(registered, monkeypatch, *args) for args in READERS]
    assert few == many
    for args, calls in zip(READERS, many, strict=True):
        # A listing of every model lists the tag names, then the tags of models that
        # changed; a command about one model lists its tags once, even for two versions.
        every_model = args[0] == "show" and args[1].startswith("-")
        assert calls["for-each-ref"] <= (2 if every_model else 1), (args, calls)
        assert sum(calls.values()) <= 6, (args, calls)
