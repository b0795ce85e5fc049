"""Collecting what a version records, at registration.

From the commit being registered, read as Git objects (two ``cat-file --batch`` calls, no
DVC import): the model's YAML file, DVC's metrics files (as ``dvc.yaml`` declares them, or
as the model's file lists them), the ``dvc.lock`` stages that produced the artifact (its
lineage, with the params they used) or else ``params.yaml``, and the lock or requirements
files that pin its packages. From the registering process: the interpreter and the
machine (and its installed packages when the commit pins none).
"""

from __future__ import annotations

import os
import platform
import posixpath
import sys
import tomllib
from pathlib import Path
from typing import Any

from git_model import safejson
from git_model.artifacts import ARTIFACTS_YAML, DVC_CONFIG, Declaration
from git_model.errors import InvalidFile
from git_model.gitcmd import Git
from git_model.metadata import (
    Dep,
    Environment,
    LineageStage,
    Metadata,
    ModelSpec,
    PackageFile,
    Value,
    flatten,
    parse_spec,
)
from git_model.safeyaml import load_yaml, load_yaml_blob, repo_path

PACKAGE_FILES = (
    "requirements.txt",
    "requirements.lock",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "conda-lock.yml",
    "environment.yml",
)
DEFAULT_PARAMS = "params.yaml"


def spec_path(models_dir: str, model: str) -> str:
    """Where a model's YAML file lives: ``models/churn.yaml``, ``models/fraud/tx.yaml``."""
    return posixpath.join(models_dir, model.replace(":", "/") + ".yaml")


def read_spec(git: Git, commit: str, path: str) -> ModelSpec | None:
    """The model's YAML file at ``commit`` (None when there is none)."""
    [blob] = git.read_blobs([f"{commit}:{path}"])
    return spec_from_blob(path, blob)


def spec_from_blob(path: str, blob: bytes | None) -> ModelSpec | None:
    """A model's YAML file from its bytes (None: there is none)."""
    return None if blob is None else parse_spec(path, load_yaml_blob(path, blob))


def _metric_files(label: str, dvc_yaml: object, base: str) -> list[str]:
    """The metrics files dvc.yaml declares: top-level ``metrics:`` and stages' ``metrics:``."""
    if not isinstance(dvc_yaml, dict):
        return []
    entries = [("metrics", e) for e in dvc_yaml.get("metrics") or []]
    stages = dvc_yaml.get("stages")
    for key, stage in stages.items() if isinstance(stages, dict) else ():
        if isinstance(stage, dict):
            entries += [(f"stages.{key}.metrics", e) for e in stage.get("metrics") or []]
    found = []
    for key, entry in entries:
        name = next(iter(entry), None) if isinstance(entry, dict) else entry
        if isinstance(name, str):
            found.append(repo_path(label, key, name, base))
    return sorted(set(found))


def _parse_metrics(path: str, blob: bytes) -> object:
    text = blob.decode(errors="replace")
    suffix = posixpath.splitext(path)[1].lower()
    try:
        if suffix == ".json":
            return safejson.loads(text)
        if suffix == ".toml":
            problem = safejson.depth_problem(text)  # tomllib recurses too
            if problem is not None:
                raise ValueError(problem)
            return tomllib.loads(text)
    except ValueError as exc:
        raise InvalidFile(path, f"cannot be parsed: {exc}") from None
    if suffix in (".yaml", ".yml"):
        return load_yaml(path, text)
    raise InvalidFile(
        path, "is not a metrics format git-model reads", "write metrics as JSON, YAML or TOML"
    )


def _lineage(lock: object, artifact: str, base: str) -> list[LineageStage]:
    """The dvc.lock stages that produced ``artifact``, upstream first."""
    stages = lock.get("stages") if isinstance(lock, dict) else None
    if not isinstance(stages, dict):
        return []

    def paths(entries: object) -> list[dict[str, Any]]:
        return (
            [e for e in entries if isinstance(e, dict) and "path" in e]
            if isinstance(entries, list)
            else []
        )

    def full(path: object) -> str:
        return posixpath.normpath(posixpath.join(base, str(path)))

    producer = {
        full(out["path"]): name
        for name, stage in stages.items()
        if isinstance(stage, dict)
        for out in paths(stage.get("outs"))
    }
    chain: list[str] = []
    todo = [producer[artifact]] if artifact in producer else []
    while todo:
        name = todo.pop()
        if name in chain:
            continue
        chain.insert(0, name)
        todo += [
            producer[full(d["path"])]
            for d in paths(stages[name].get("deps"))
            if full(d["path"]) in producer
        ]
    return [
        LineageStage(
            name=name,
            cmd=str(stages[name].get("cmd", "")),
            deps=tuple(Dep(full(d["path"]), d.get("md5")) for d in paths(stages[name].get("deps"))),
            outs=tuple(full(o["path"]) for o in paths(stages[name].get("outs"))),
        )
        for name in chain
    ]


def _lineage_params(lock: object, chain: list[LineageStage]) -> list[Value]:
    stages = lock.get("stages") if isinstance(lock, dict) else {}
    found: list[Value] = []
    for stage in chain:
        params = stages.get(stage.name, {}).get("params") if isinstance(stages, dict) else None
        for file, values in (params or {}).items():
            prefix = "" if file == DEFAULT_PARAMS else f"{file}:"
            found += [Value(prefix + v.name, v.value) for v in flatten(values)]
    return found


def _installed() -> set[str]:
    """``name==version`` of every distribution on ``sys.path``, read from the head of each
    one's metadata file: what ``importlib.metadata`` gives, without parsing whole files
    as e-mail (ten times slower, and ``register`` pays it on every call)."""
    found: set[str] = set()
    for entry in sys.path:
        try:
            listing = list(os.scandir(entry or "."))
        except OSError:
            continue
        for item in listing:
            if item.name.endswith(".dist-info"):
                meta = Path(item.path, "METADATA")
            elif item.name.endswith(".egg-info"):
                meta = Path(item.path, "PKG-INFO")
            else:
                continue
            fields = _head_fields(meta)
            if "Name" in fields and "Version" in fields:
                found.add(f"{fields['Name']}=={fields['Version']}")
    return found


def _head_fields(meta: Path) -> dict[str, str]:
    """The ``Name`` and ``Version`` fields of a metadata file's header (its first 8 KiB)."""
    try:
        with meta.open("rb") as handle:
            head = handle.read(8192).decode("utf-8", "replace")
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in head.splitlines():
        if not line:
            break  # the header ends at the first blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version"):
            fields.setdefault(key, value.strip())
    return fields


def environment(package_files: list[PackageFile]) -> Environment:
    """The registering process's interpreter and machine (and packages, if not pinned)."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        memory: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = None
    packages: tuple[str, ...] = ()
    if not package_files:  # the commit pins none: record what this interpreter has
        packages = tuple(sorted(_installed(), key=str.lower))
    return Environment(
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=platform.platform(),
        cpu=cpu,
        cores=os.cpu_count(),
        memory_bytes=memory,
        package_files=tuple(package_files),
        packages=packages,
    )


def prefetch(git: Git, commit: str, model: str, spec_file: str, artifact: str | None) -> None:
    """Read, in one process, every file registering reads at ``commit`` (Git keeps them)."""
    base = Declaration.of(model).directory
    names = [posixpath.join(base, n) for n in ("dvc.yaml", "dvc.lock", DEFAULT_PARAMS)]
    names += [spec_file, *PACKAGE_FILES, *([f"{artifact}.dvc"] if artifact else [])]
    names.append(ARTIFACTS_YAML)  # GTO's older declarations, where dvc.yaml has none
    names.append(DVC_CONFIG)  # whether the commit says where DVC keeps the artifact
    git.read_blobs([f"{commit}:{name}" for name in names])


def collect(
    git: Git, commit: str, model: str, spec: ModelSpec, artifact_path: str | None
) -> tuple[Metadata, tuple[str, ...]]:
    """What the version of ``model`` at ``commit`` records (see the module's docstring),
    and the files of the commit it comes from (besides the model's YAML file and the
    package files): dvc.yaml, the metrics files, and dvc.lock for the artifact's lineage
    or else params.yaml."""
    base = Declaration.of(model).directory
    dvc_yaml_path, lock_path, params_path = (
        posixpath.join(base, name) for name in ("dvc.yaml", "dvc.lock", DEFAULT_PARAMS)
    )
    dvc_yaml, lock, params_yaml = git.read_blobs(
        [f"{commit}:{name}" for name in (dvc_yaml_path, lock_path, params_path)]
    )
    label = f"at {commit[:12]}"
    declared = load_yaml_blob(f"dvc.yaml {label}", dvc_yaml)
    files = list(spec.metrics) or _metric_files(f"dvc.yaml {label}", declared, base)
    blobs = git.read_blobs([f"{commit}:{f}" for f in files])
    metrics: list[Value] = []
    for file, blob in zip(files, blobs, strict=True):
        if blob is None:
            raise InvalidFile(
                file,
                f"is declared as a metrics file but is not in commit {commit[:12]}",
                "commit it (the pipeline writes it), or stop declaring it",
            )
        values = flatten(_parse_metrics(file, blob))
        prefix = f"{file}:" if len(files) > 1 else ""
        metrics += [Value(prefix + v.name, v.value) for v in values]
    lock_data = load_yaml_blob(f"dvc.lock {label}", lock)
    chain = _lineage(lock_data, artifact_path, base) if artifact_path else []
    params = (
        _lineage_params(lock_data, chain)
        if chain
        else flatten(load_yaml_blob(f"{DEFAULT_PARAMS} {label}", params_yaml) or {})
    )
    pins = git.blob_ids([f"{commit}:{name}" for name in PACKAGE_FILES])
    package_files = [PackageFile(n, b) for n, b in zip(PACKAGE_FILES, pins, strict=True) if b]
    metadata = Metadata(
        spec=spec,
        metrics=tuple(metrics),
        params=tuple(params),
        lineage=tuple(chain),
        environment=environment(package_files),
    )
    return metadata, (dvc_yaml_path, *files, lock_path if chain else params_path)
