"""Time git-model against GTO and against Git itself, on synthetic registries.

    python benchmarks/bench_registry.py                        # 1,000 tags, 5 runs each
    python benchmarks/bench_registry.py --tags 1000 10000 --markdown results.md

It first byte-compiles git-model (``python -m compileall -q src``): where
PYTHONDONTWRITEBYTECODE is set, every run would otherwise compile the package again. Then,
for each size, it

1. builds a registry with one ``git fast-import`` stream: about 20 tags per model, some
   models namespaced (``team-a/churn-00003``), every version on its own commit, its tag
   carrying the metadata document git-model writes (spec, metrics, params, lineage, an
   environment of ~100 packages: 2-4 KB), stage moves written the way git-model writes
   them (``NAME#STAGE!#N`` on the replaced holder, ``NAME#STAGE#N+1`` on the new one, the
   moving ``NAME#STAGE`` on the current holder), annotations (``NAME@vX.Y.Z#note#N``) and
   archived versions (``NAME@vX.Y.Z!#N``), every message with git-model's trailers;
2. checks that ``git model show`` and ``gto show`` read it as it was written, and that
   ``git model show --sort auc`` orders the models by the metrics written (a sanity check,
   not a test);
3. times every command several times, all commands interleaved round by round so that a
   noisy neighbour slows all of them alike, and prints the median and the min-max range
   with the ratios git-model/GTO and git-model/floor, where the floor is the one
   ``git for-each-ref`` that the command cannot do without (and for commands about one
   model, git-model/(floor + ``python -c "import typer"``): the start-up of any Python CLI);
   ``git model show`` runs with its cache (``.git/git-model/state.cache``) deleted before
   every run, and with it in place;
4. counts the Git processes each git-model command starts (``GIT_TRACE``).

Then, in a registry of its own, one model with 1,000 versions (among 49 ordinary ones) for
the metadata-heavy reads: ``show NAME --sort auc``, ``show --sort auc``, ``compare``,
``history NAME --metric auc``, ``history --metric auc``, timed and their Git processes
counted.

Writes run on throw-away copies of the registry (one per tool), each run on a fresh commit
or a promotion that replaces the holder, so that runs never collide. With ``--against SRC``
they also run with git-model's sources at SRC (another worktree's ``src/``, on PYTHONPATH),
on a copy of their own and in the same rounds, to compare two versions of git-model in one
run. Nothing here asserts on time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
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
from git_model.gitcmd import NAMES_FORMAT, TAG_FORMAT
from git_model.metadata import (
    Dep,
    Environment,
    Field,
    LineageStage,
    Metadata,
    ModelSpec,
    Signature,
    Value,
)
from git_model.state import MODEL_TYPE, Artifact, with_trailers

DEFAULT_WORKDIR = ROOT / "benchmarks" / ".work"
CACHE = Path(".git", "git-model", "state.cache")  # git-model's cache, in a registry

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

# What a version's metadata document is made of (git_model.metadata.Metadata).
FRAMEWORKS = (
    ("scikit-learn", "joblib"),
    ("xgboost", "other"),
    ("lightgbm", "other"),
    ("pytorch", "torchscript"),
    ("tensorflow", "savedmodel"),
)
LABELS = ("tabular", "pii", "batch", "realtime", "experimental", "gdpr", "nightly", "core")
FEATURES = (
    "age",
    "tenure_days",
    "country",
    "plan",
    "monthly_spend",
    "sessions_30d",
    "support_tickets",
    "device",
    "channel",
)
METRIC = "auc"  # every version records it; `show --sort auc` sorts by it
OTHER_METRICS = ("accuracy", "precision", "recall", "f1", "logloss", "training_time", "rows")
NOTES = (
    ("uat", "passed"),
    ("uat", "failed: latency over budget"),
    ("reviewed_by", "grace@example.com"),
    ("incident", "INC-2041: drift on the March cohort"),
    ("shadow", "two weeks in shadow mode, no regressions"),
)
# A registering environment's packages (``environment.packages``), ~100 of these a model.
_PACKAGE_NAMES = """
absl-py aiohttp aiosignal alembic annotated-types anyio appdirs attrs babel bcrypt
beautifulsoup4 black bleach blinker boto3 botocore cachetools catboost certifi cffi
charset-normalizer click cloudpickle colorama contourpy cryptography cycler dask
databricks-sdk decorator dill distlib docker docutils dvc dvc-data dvc-s3 entrypoints
fastapi filelock flask fonttools frozenlist fsspec gitdb gitpython google-auth graphviz
greenlet grpcio gunicorn h11 h5py httpcore httpx huggingface-hub idna imageio
importlib-metadata iniconfig ipykernel ipython isodate itsdangerous jedi jinja2 jmespath
joblib jsonschema jupyter-core keras kiwisolver lightgbm llvmlite lxml mako markdown
markupsafe matplotlib mlflow more-itertools mpmath msgpack multidict mypy-extensions
networkx nltk numba numpy oauthlib onnx onnxruntime opencv-python openpyxl optuna orjson
packaging pandas paramiko pathspec pexpect pillow platformdirs plotly pluggy polars
prometheus-client prompt-toolkit protobuf psutil psycopg2-binary pyarrow pyasn1 pycparser
pydantic pydantic-core pygments pyjwt pyparsing pytest python-dateutil python-dotenv pytz
pyyaml pyzmq redis regex requests rich rsa s3fs s3transfer safetensors scikit-learn scipy
seaborn sentencepiece setuptools shap six smmap sniffio soupsieve sqlalchemy starlette
statsmodels sympy tabulate tenacity tensorboard threadpoolctl tokenizers toml tomli torch
torchvision tornado tqdm traitlets transformers typer typing-extensions tzdata urllib3
uvicorn virtualenv wcwidth websocket-client werkzeug wheel wrapt xgboost xxhash yarl zipp
"""
PACKAGES = tuple(_PACKAGE_NAMES.split())

# The floor of a read is one for-each-ref that prints the fields git-model reads for every
# tag (gitcmd.TAG_FORMAT); `show` with a warm cache lists names and objects only
# (gitcmd.NAMES_FORMAT). Both are imported, so the floor follows what git-model reads.
FIELDS = "--format=FIELDS"  # how tables abbreviate TAG_FORMAT

GIT_MODEL, GTO, FLOOR = "git-model", "GTO", "floor"
TOOLS = (GIT_MODEL, GTO, FLOOR)


# --- the synthetic registry -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    """What stays the same from one version of a model to the next."""

    owner: str
    labels: tuple[str, ...]
    framework: str
    format: str
    model_type: str | None
    metrics: tuple[str, ...]  # besides METRIC
    signature: Signature | None
    packages: tuple[str, ...]


def make_profile(rng: random.Random) -> Profile:
    framework, fmt = rng.choice(FRAMEWORKS)
    inputs = tuple(
        Field(name, rng.choice(("int64", "float32", "string")), (None,))
        for name in rng.sample(FEATURES, rng.randint(3, 6))
    )
    packages = [
        f"{n}=={rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        for n in rng.sample(PACKAGES, rng.randint(85, 105))
    ]
    return Profile(
        owner=rng.choice(PEOPLE)[1],
        labels=tuple(sorted(rng.sample(LABELS, rng.randint(1, 3)))),
        framework=framework,
        format=fmt,
        model_type=rng.choice(("classifier", "classifier", "regressor", None)),
        metrics=tuple(rng.sample(OTHER_METRICS, rng.randint(2, 7))),  # 3-8 in all
        signature=Signature(inputs, (Field("score", "float32", (None,)),))
        if rng.random() < 0.5
        else None,
        packages=tuple(sorted(packages, key=str.lower)),
    )


def _metric_value(name: str, rng: random.Random) -> float | int:
    if name == "rows":
        return rng.randint(10_000, 5_000_000)
    if name == "training_time":
        return round(rng.uniform(30, 3_600), 1)
    if name == "logloss":
        return round(rng.uniform(0.1, 0.6), 4)
    return round(rng.uniform(0.6, 0.99), 4)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324  (a fake DVC md5)


def _artifact(name: str, version: str) -> Artifact:
    """The artifact a version records (its trailers), as in its commit's .dvc file."""
    return Artifact(f"models/{name}/model.pkl", _md5(f"{name}@{version}"), len(name) * 1_000_003)


@dataclass(frozen=True, slots=True)
class SynthVersion:
    version: str  # "1.2.0"
    time: int  # when it was registered
    who: tuple[str, str]
    auc: float  # the METRIC it recorded
    document: int  # the size of its metadata document, in bytes


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
    profile: Profile
    step: int = 2 * 86_400  # at most this long between two events
    versions: list[SynthVersion] = field(default_factory=list)
    tags: list[SynthTag] = field(default_factory=list)
    holders: dict[str, SynthTag] = field(default_factory=dict)  # stage -> its assign event
    archived: set[int] = field(default_factory=set)
    counter: int = 0
    notes: int = 0

    @property
    def size(self) -> int:
        """Tags written so far, counting the moving stage tags still to write."""
        return len(self.tags) + len(self.holders)

    @property
    def latest(self) -> SynthVersion | None:
        live = self.live_versions()
        return self.versions[live[-1]] if live else None

    def stage_versions(self) -> dict[str, str]:
        return {s: self.versions[t.version].version for s, t in self.holders.items()}

    def live_versions(self) -> list[int]:
        return [i for i in range(len(self.versions)) if i not in self.archived]

    def _tag(self, name: str, version: int, message: str, counted: bool = True) -> SynthTag:
        # Each event one minute to `step` seconds after the previous one: strictly increasing.
        self.clock += self.rng.randint(60, self.step)
        if counted:
            self.counter += 1
            name = f"{name}#{self.counter}"
        tag = SynthTag(name, version, self.clock, self.rng.choice(PEOPLE), message)
        self.tags.append(tag)
        return tag

    def _metadata(self, version: str, month: str, auc: float, artifact: Artifact) -> Metadata:
        """What `git model register` records: the model's YAML file, DVC's metrics and
        params, the dvc.lock stage that made the artifact, the environment."""
        p, rng = self.profile, self.rng
        data = f"data/{self.name}/{month}.parquet"
        return Metadata(
            spec=ModelSpec(
                path=artifact.path,
                type=p.model_type,
                description=f"Scores {self.name.rsplit('/', 1)[-1]} from account activity.",
                owner=p.owner,
                labels=p.labels,
                framework=p.framework,
                format=p.format,
                signature=p.signature,
            ),
            metrics=(Value(METRIC, auc), *(Value(m, _metric_value(m, rng)) for m in p.metrics)),
            params=(
                Value("train.n_estimators", rng.choice((100, 200, 400, 800))),
                Value("train.max_depth", rng.randint(3, 12)),
                Value("train.learning_rate", rng.choice((0.01, 0.03, 0.1, 0.3))),
                Value("train.seed", 42),
            ),
            lineage=(
                LineageStage(
                    name="train",
                    cmd=f"python src/train.py --model {self.name}",
                    deps=(
                        Dep(data, _md5(data)),
                        Dep("src/train.py", _md5(f"train.py {version}")),
                        Dep("params.yaml", _md5(f"params {version}")),
                    ),
                    outs=(artifact.path,),
                ),
            ),
            environment=Environment(
                python="CPython 3.11.7",
                platform="Linux-6.1.0-18-amd64-x86_64-with-glibc2.36",
                cpu="Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
                cores=8,
                memory_bytes=33_554_432_000,
                package_files=(),
                packages=p.packages,
            ),
        )

    def register(self) -> None:
        version = _bump(self.versions[-1].version if self.versions else None, self.rng)
        month = f"2022-{self.rng.randint(1, 12):02d}"
        auc = round(self.rng.uniform(0.7, 0.95), 4)
        text = (
            f"Register {self.name} v{version}\n\n"
            f"Trained on {month} data; AUC {auc:.3f} on the holdout."
        )
        artifact = _artifact(self.name, version)
        trailers = [(MODEL_TYPE, self.profile.model_type)] if self.profile.model_type else []
        trailers += artifact.trailers()
        document = self._metadata(version, month, auc, artifact).to_json()
        message = with_trailers(text, trailers, document)
        tag = self._tag(f"{self.name}@v{version}", len(self.versions), message, counted=False)
        self.versions.append(SynthVersion(version, tag.time, tag.who, auc, len(document)))

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
                with_trailers(f"Replace {self.name} v{old} in {stage} by v{new}"),
            )
        why = f"Promote {self.name} v{new} to {stage}"
        if self.rng.random() < 0.5:
            why += f"\n\nApproved in review #{self.rng.randint(100, 9999)}: beats the holder."
        self.holders[stage] = self._tag(f"{self.name}#{stage}", newest, with_trailers(why))

    def annotate(self) -> None:
        """A fact added to the newest version later (``git model annotate``)."""
        newest = len(self.versions) - 1
        version = self.versions[newest].version
        key, value = self.rng.choice(NOTES)
        document = json.dumps({"annotations": {key: value}}, indent=1, ensure_ascii=False)
        text = f"Annotate {self.name} v{version}: {key}={value}"
        self._tag(f"{self.name}@v{version}#note", newest, with_trailers(text, document=document))
        self.notes += 1

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
            with_trailers(f"Archive {self.name} v{version}\n\nSuperseded; kept for the audit."),
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
                with_trailers(f"{self.name} v{self.versions[event.version].version} is in {stage}"),
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
    """What happens to a model: versions registered, promoted on, now and then annotated
    or archived."""
    while True:
        yield "register", ""
        yield "promote", "dev"
        if rng.random() < 0.6:
            yield "promote", "staging"
            if rng.random() < 0.6:
                yield "promote", "prod"
        if rng.random() < 0.4:
            yield "annotate", ""
        if rng.random() < 0.3:
            yield "archive", ""


def _model_name(index: int) -> str:
    base = f"{BASES[index % len(BASES)]}-{index:05d}"
    if index % 3 == 1:
        return f"{TEAMS[index % len(TEAMS)]}/{base}"
    return base


def plan_model(
    name: str,
    rng: random.Random,
    budget: int | None = None,
    versions: int | None = None,
    step: int = 2 * 86_400,
) -> SynthModel:
    """A model with exactly ``budget`` tags, or with ``versions`` versions."""
    model = SynthModel(name, EPOCH + rng.randint(0, 365 * 86_400), rng, make_profile(rng), step)
    for action, stage in _lifecycle(rng):
        if action == "register" and versions is not None and len(model.versions) >= versions:
            break
        victim = model.archivable() if action == "archive" else None
        if action == "archive" and victim is None:
            continue  # nothing to archive yet
        cost = model.promote_cost(stage) if action == "promote" else 1
        if budget is not None and model.size + cost > budget:
            break
        if action == "register":
            model.register()
        elif action == "promote":
            model.promote(stage)
        elif action == "annotate":
            model.annotate()
        elif victim is not None:
            model.archive(victim)
    while budget is not None and model.size < budget:  # fill up with fresh versions
        model.register()
    return model


def plan_registry(tags: int, seed: int) -> list[SynthModel]:
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
    count = max(1, tags // TAGS_PER_MODEL)
    budgets = [tags // count + (1 if i < tags % count else 0) for i in range(count)]
    return [plan_model(_model_name(i), rng, budget=b) for i, b in enumerate(budgets)]


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
    artifact = _artifact(name, version)
    return f"outs:\n- md5: {artifact.md5}\n  size: {artifact.size}\n  path: model.pkl\n"


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
        out += f"M 100644 inline models/{model.name}/model.pkl.dvc\n".encode()
        out += _data(_pointer(model.name, version.version))
    last = len(order)
    for i in range(spare):
        out += b"commit refs/heads/bench/spare\n"
        out += f"committer Ada Byron <ada@example.com> {EPOCH + 900 * 86_400 + i} +0000\n".encode()
        out += _data(f"Retrain {target.name} (spare commit {i})")
        if i == 0:
            out += f"from :{last}\n".encode()
        out += f"M 100644 inline models/{target.name}/model.pkl.dvc\n".encode()
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

    @property
    def cache(self) -> Path:
        return self.path / CACHE

    def about(self) -> str:
        notes = sum(m.notes for m in self.models)
        sizes = [v.document for m in self.models for v in m.versions]
        return (
            f"{self.tags:,} tags: {len(self.models):,} models, {self.commits:,} versions "
            f"(each on its commit), {notes:,} annotation{'s' if notes != 1 else ''}; "
            "metadata documents of "
            f"{statistics.mean(sizes) / 1000:.1f} KB on average "
            f"({min(sizes) / 1000:.1f}-{max(sizes) / 1000:.1f} KB); built in "
            f"{self.build_seconds:.1f} s"
        )


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, input=stdin, capture_output=True, check=False, env=ENV
    )
    if proc.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed in {repo}:\n{proc.stderr.decode()}")
    return proc.stdout.decode()


def write_registry(
    path: Path, models: Sequence[SynthModel], target: SynthModel, spare: int, began: float
) -> Registry:
    """Write the planned models' registry at ``path`` (``began``: when planning started)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Bench Runner")
    git(path, "config", "user.email", "bench@example.com")
    git(path, "fast-import", "--quiet", stdin=fast_import_stream(models, target, spare))
    git(path, "pack-refs", "--all")  # as a clone has them
    git(path, "reset", "-q", "--hard", "main")
    commits = git(path, "rev-list", "--reverse", "main..bench/spare").split() if spare else []
    written = len(git(path, "for-each-ref", "--format=x", "refs/tags").splitlines())
    return Registry(
        path=path,
        models=tuple(models),
        target=target,
        tags=written,
        commits=sum(len(m.versions) for m in models),
        spare=tuple(commits),
        build_seconds=time.perf_counter() - began,
    )


def build_registry(path: Path, tags: int, seed: int, spare: int) -> Registry:
    began = time.perf_counter()
    models = plan_registry(tags, seed)
    return write_registry(path, models, choose_target(models), spare, began)


BIG_MODEL = "growth/ranker-big"


def build_metadata_registry(path: Path, versions: int, seed: int) -> Registry:
    """One model with ``versions`` versions (and their promotions, annotations and
    archives) among the models of a 1,000-tag registry."""
    began = time.perf_counter()
    rng = random.Random(seed + 1)  # noqa: S311  (synthetic data, not security)
    # Events one minute to four hours apart, so that its thousands of them lie in the past.
    big = plan_model(BIG_MODEL, rng, versions=versions, step=4 * 3_600)
    return write_registry(path, [*plan_registry(1_000, seed), big], big, 0, began)


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


def _by_metric(items: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Highest first; ties in the order given (git-model's sort is stable)."""
    return sorted(items, key=lambda item: -item[1])


def sorted_check(registry: Registry) -> list[str]:
    """Does ``show --sort auc`` order the models (and ``show NAME --sort auc`` the target's
    versions) by the values written in their documents?"""
    written = [
        (m.name, m.latest.auc)
        for m in sorted(registry.models, key=lambda m: m.name)
        if m.latest is not None
    ]
    data = _json_of(["git", "model", "show", "--sort", METRIC, "--json"], registry.path)
    assert isinstance(data, dict)
    read = [(m["name"], m["sort_value"]) for m in data["models"]]
    right = read == _by_metric(written)
    lines = [
        f"git-model show --sort {METRIC} orders {len(read)} models "
        + ("by the values written" if right else "NOT as written")
    ]
    target = registry.target
    live = [target.versions[i] for i in target.live_versions()]
    newest_first = sorted(live, key=lambda v: tuple(int(p) for p in v.version.split(".")))[::-1]
    data = _json_of(
        ["git", "model", "show", target.name, "--sort", METRIC, "--json"], registry.path
    )
    assert isinstance(data, dict)
    versions = [
        (v["version"], s) for v, s in zip(data["versions"], data["sort_values"], strict=True)
    ]
    right = versions == _by_metric([(v.version, v.auc) for v in newest_first])
    lines.append(
        f"git-model show {target.name} --sort {METRIC} orders its {len(versions)} live versions "
        + ("by the values written" if right else "NOT as written")
    )
    return lines


def sanity_check(registry: Registry, with_gto: bool) -> list[str]:
    """Do git-model (and GTO) read the registry as it was written? Lines to print."""
    written: View = {
        m.name: (m.latest.version if m.latest else None, m.stage_versions())
        for m in registry.models
    }
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
    lines += sorted_check(registry)
    for name in sorted({*sorted(written)[:2], registry.target.name}):
        latest, stages = written[name]
        held = ", ".join(f"{s} v{v}" for s, v in sorted(stages.items())) or "no stage"
        lines.append(f"for example {name}: latest v{latest}; {held}")
    return lines


# --- timing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Case:
    """One command, timed several times. ``argv(i)`` is the command of run ``i``;
    ``prepare`` runs before every run, outside the timing."""

    argv: Callable[[int], list[str]]
    cwd: Path
    gap: float = 0.0  # seconds to leave after the previous run (GTO stamps by the second)
    prepare: Callable[[], None] | None = None
    env: dict[str, str] | None = None  # instead of ENV (git-model from other sources)
    samples: list[float] = field(default_factory=list)
    runs: int = 0
    error: str | None = None
    _done_at: float = 0.0

    @property
    def shown(self) -> str:
        """The first run's command line, abbreviated: FIELDS for the format, COMMIT for ids."""
        text = shlex.join(self.argv(0)).replace(shlex.quote(f"--format={TAG_FORMAT}"), FIELDS)
        return re.sub(r"\b[0-9a-f]{40}\b", "COMMIT", text)

    @property
    def median(self) -> float | None:
        if self.error is not None or not self.samples:
            return None
        return statistics.median(self.samples)

    def _ready(self) -> None:
        if self.prepare is not None:
            self.prepare()
        if self.gap:
            time.sleep(max(0.0, self._done_at + self.gap - time.monotonic()))

    def _spawn(self, index: int, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            self.argv(index),
            cwd=self.cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        self._done_at = time.monotonic()
        if proc.returncode != 0 and self.error is None:
            stderr = " ".join(proc.stderr.decode(errors="replace").split()) or "(no output)"
            self.error = f"{shlex.join(self.argv(index))}: exit {proc.returncode}: {stderr}"
        return proc

    def run(self, index: int) -> float:
        self._ready()
        start = time.perf_counter()
        self._spawn(index, self.env or ENV)
        return time.perf_counter() - start  # (includes checking the exit code: nanoseconds)

    def git_processes(self, index: int) -> Counter[str]:
        """Run ``index`` once more with GIT_TRACE: the Git processes it starts, by command,
        in the order they first start (Git's dispatcher of ``git model`` not counted)."""
        with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
            trace = Path(tmp) / "trace"
            self._ready()
            self._spawn(index, {**(self.env or ENV), "GIT_TRACE": str(trace)})
            lines = trace.read_text(errors="replace").splitlines() if trace.exists() else []
        found: Counter[str] = Counter()
        for line in lines:
            match = TRACE_RE.search(line)
            if match is not None and match["command"] != "model":
                found[match["command"]] += 1
        return found


# A Git process announces itself once: "trace: built-in: git for-each-ref ..." (or, for a
# command outside git's binary, "trace: exec: git-model ..."); a parent's "run_command"
# line announces the same child again and is not counted.
TRACE_RE = re.compile(r"trace: (?:built-in: git |exec: git-)(?P<command>[^\s']+)")


@dataclass(slots=True)
class Row:
    operation: str
    cases: dict[str, Case]
    one_model: bool = False  # about one model: also compared with floor + `import typer`
    processes: dict[str, Counter[str]] = field(default_factory=dict)  # size label -> counts


def measure(cases: Sequence[Case], runs: int, slow: float, log: Callable[[str], None]) -> None:
    """A warm-up round, then ``runs`` rounds, each running every case once in turn.

    A case whose warm-up takes ``slow`` seconds or more keeps that run as a sample and gets
    3 runs in all (1 if the warm-up took 3 * ``slow``): GTO needs minutes at 10,000 tags.
    """
    unique = list({id(c): c for c in cases}.values())  # a floor may serve several rows
    began = time.perf_counter()
    for case in unique:
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
        for case in unique:
            if len(case.samples) < case.runs:
                case.samples.append(case.run(index))
        log(f"  round {index}/{runs} took {time.perf_counter() - began:.0f} s")


def count_processes(rows: Sequence[Row], label: str, index: int) -> None:
    """Count the Git processes of every row's git-model command (run ``index``)."""
    for row in rows:
        case = row.cases.get(GIT_MODEL)
        if case is not None:
            row.processes[label] = case.git_processes(index)


# --- the commands ---------------------------------------------------------------------------


def _fixed(*argv: str) -> Callable[[int], list[str]]:
    return lambda _index: list(argv)


LISTING = ("git", "for-each-ref", f"--format={TAG_FORMAT}")


def _ours(repo: Path, *args: str, prepare: Callable[[], None] | None = None) -> Case:
    return Case(_fixed("git", "model", *args), repo, prepare=prepare)


def _floors(registry: Registry) -> tuple[Case, Case]:
    """The for-each-ref of every tag, and of the target's tags only."""
    name = registry.target.name
    every_tag = Case(_fixed(*LISTING, "refs/tags"), registry.path)
    one_model = Case(_fixed(*LISTING, f"refs/tags/{name}@*", f"refs/tags/{name}#*"), registry.path)
    return every_tag, one_model


def _cold(registry: Registry) -> Callable[[], None]:
    return lambda: registry.cache.unlink(missing_ok=True)


def _warm(registry: Registry) -> Callable[[], None]:
    def check() -> None:
        if not registry.cache.exists():
            sys.exit(f"{registry.cache} is missing: the warm-cache runs would be cold")

    return check


def read_rows(registry: Registry, with_gto: bool) -> list[Row]:
    repo, name = registry.path, registry.target.name
    every_tag, one_model = _floors(registry)
    names_only = Case(_fixed("git", "for-each-ref", f"--format={NAMES_FORMAT}", "refs/tags"), repo)

    def gto(*args: str) -> dict[str, Case]:
        return {GTO: Case(_fixed("gto", *args), repo)} if with_gto else {}

    gto_show = gto("show")  # one GTO run serves both show rows: GTO has no cache
    return [
        Row(
            "show, cold cache",
            {GIT_MODEL: _ours(repo, "show", prepare=_cold(registry)), **gto_show, FLOOR: every_tag},
        ),
        Row(
            "show, warm cache",
            {GIT_MODEL: _ours(repo, "show", prepare=_warm(registry)), **gto_show, FLOOR: every_tag},
        ),
        Row(
            f"show --sort {METRIC}",
            {GIT_MODEL: _ours(repo, "show", "--sort", METRIC), FLOOR: every_tag},
        ),
        Row("(Git alone: tag names and objects)", {FLOOR: names_only}),
        Row(
            "show NAME",
            {GIT_MODEL: _ours(repo, "show", name), **gto("show", name), FLOOR: one_model},
            one_model=True,
        ),
        Row(
            "history NAME",
            {GIT_MODEL: _ours(repo, "history", name), **gto("history", name), FLOOR: one_model},
            one_model=True,
        ),
        Row(
            "describe NAME#prod",
            {
                GIT_MODEL: _ours(repo, "describe", f"{name}#prod"),
                **gto("show", f"{name}#prod"),
                FLOOR: one_model,
            },
            one_model=True,
        ),
        Row(
            "history (every model)",
            {GIT_MODEL: _ours(repo, "history"), **gto("history"), FLOOR: every_tag},
        ),
    ]


def _promotions(target: SynthModel) -> tuple[str, str]:
    """Two live versions to promote to prod in turn: every run replaces the holder."""
    holder = target.holders.get("prod")
    live = target.live_versions()
    held = holder.version if holder is not None else None
    first = next(i for i in reversed(live) if i != held)
    second = next(i for i in reversed(live) if i != first)
    return target.versions[first].version, target.versions[second].version


def write_rows(registry: Registry, with_gto: bool, against: Path | None = None) -> list[Row]:
    """register and promote; with ``against``, also run by git-model from the sources there
    (another worktree), on a copy of their own, so that both are timed in the same rounds."""
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
    rows = [
        Row(REGISTER, register, one_model=True),
        Row(PROMOTE, promotion, one_model=True),
    ]
    if against is not None:
        other = copy_registry(registry, "write-against")
        env = {**ENV, "PYTHONPATH": str(against)}
        label = AGAINST + sources_label(against)
        rows += [
            Row(
                REGISTER + label,
                {GIT_MODEL: Case(register[GIT_MODEL].argv, other, env=env), FLOOR: register[FLOOR]},
                one_model=True,
            ),
            Row(PROMOTE + label, {GIT_MODEL: Case(promote, other, env=env)}, one_model=True),
        ]
    return rows


REGISTER, PROMOTE = "register NAME (a fresh commit)", "promote NAME@VERSION --to prod (replacing)"


def sources_label(src: Path) -> str:
    """The commit of the checkout that holds ``src`` (and "with local changes" if so)."""
    return checkout(ENV, src.parent)


def metadata_rows(registry: Registry) -> list[Row]:
    """The metadata-heavy reads, on the model with many versions."""
    repo, name = registry.path, registry.target.name
    every_tag, one_model = _floors(registry)
    first, latest = registry.target.versions[0].version, "latest"
    return [
        Row(
            f"show NAME --sort {METRIC}",
            {GIT_MODEL: _ours(repo, "show", name, "--sort", METRIC), FLOOR: one_model},
            one_model=True,
        ),
        Row(
            f"show --sort {METRIC} (every model)",
            {GIT_MODEL: _ours(repo, "show", "--sort", METRIC), FLOOR: every_tag},
        ),
        Row(
            f"compare NAME@v{first} NAME@{latest}",
            {
                GIT_MODEL: _ours(repo, "compare", f"{name}@v{first}", f"{name}@{latest}"),
                FLOOR: one_model,
            },
            one_model=True,
        ),
        Row(
            f"history NAME --metric {METRIC}",
            {GIT_MODEL: _ours(repo, "history", name, "--metric", METRIC), FLOOR: one_model},
            one_model=True,
        ),
        Row(
            f"history --metric {METRIC} (every model)",
            {GIT_MODEL: _ours(repo, "history", "--metric", METRIC), FLOOR: every_tag},
        ),
        Row(
            "show NAME (no sort, for reference)",
            {GIT_MODEL: _ours(repo, "show", name), FLOOR: one_model},
            one_model=True,
        ),
        Row(
            "describe NAME#prod (for reference)",
            {GIT_MODEL: _ours(repo, "describe", f"{name}#prod"), FLOOR: one_model},
            one_model=True,
        ),
    ]


def python_cmd() -> str:
    return str(BIN / "python") if (BIN / "python").exists() else sys.executable


def typer_case(repo: Path) -> Case:
    """``python -c "import typer"``: what any typer CLI pays before it reads anything."""
    return Case(_fixed(python_cmd(), "-c", "import typer"), repo)


def startup_cases(repo: Path, empty: Path, typer: Case) -> list[tuple[str, Case]]:
    python = python_cmd()
    return [
        ("python -c pass", Case(_fixed(python, "-c", "pass"), repo)),
        ('python -c "import typer"', typer),
        ("git-model --help", Case(_fixed("git-model", "--help"), repo)),
        ("git model -h (through git)", Case(_fixed("git", "model", "-h"), repo)),
        (
            "git model --help (git opens the manual page)",
            Case(_fixed("git", "model", "--help"), repo),
        ),
        ("gto --help", Case(_fixed("gto", "--help"), repo)),
        ("git model show (an empty registry)", Case(_fixed("git", "model", "show"), empty)),
    ]


# --- reporting ------------------------------------------------------------------------------


def cell(case: Case | None, runs: int) -> str:
    """``median (min-max)``, with the number of runs when it is not ``runs``."""
    if case is None or not case.samples:
        return "—"
    return "failed" if case.error is not None else spread(case.samples, runs)


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g} (1/{1 / value:.0f})" if value < 0.5 else f"{value:.3g}"


def ratio(ours: Case | None, *others: Case | None) -> str:
    """Our median over the sum of the others' medians."""
    mine = ours.median if ours is not None else None
    theirs = [o.median if o is not None else None for o in others]
    if mine is None or any(t is None for t in theirs):
        return "—"
    return _ratio(mine / sum(t for t in theirs if t is not None))


@dataclass(slots=True)
class SizeResult:
    label: str  # "10,000 tags"
    registry: Registry
    sanity: list[str]
    rows: list[Row]
    typer: Case  # `python -c "import typer"`, in the same rounds
    gto_skipped: bool
    seconds: float = 0.0


HEADER = (
    "operation",
    "git-model",
    "GTO",
    "floor",
    "git-model/GTO",
    "git-model/floor",
    "git-model/(floor+typer)",
)


def header(gto: bool) -> tuple[str, ...]:
    """The results table's columns; without GTO, those about GTO are left out."""
    return tuple(h for h in HEADER if gto or GTO not in h)


def table_lines(rows: Sequence[Row], typer: Case, runs: int, gto: bool) -> list[list[str]]:
    lines = []
    for row in rows:
        ours, theirs, floor = (row.cases.get(tool) for tool in TOOLS)
        cells = {
            "operation": row.operation,
            GIT_MODEL: cell(ours, runs),
            GTO: cell(theirs, runs),
            FLOOR: cell(floor, runs),
            "git-model/GTO": ratio(ours, theirs),
            "git-model/floor": ratio(ours, floor),
            "git-model/(floor+typer)": ratio(ours, floor, typer) if row.one_model else "—",
        }
        lines.append([cells[column] for column in header(gto)])
    return lines


def processes(found: Counter[str] | None) -> str:
    """``4: rev-parse, for-each-ref x2, cat-file`` (in the order they first started)."""
    if found is None:
        return "—"
    parts = [f"{command} x{n}" if n > 1 else command for command, n in found.items()]
    return f"{sum(found.values())}: {', '.join(parts)}" if parts else "0"


def process_lines(results: Sequence[SizeResult]) -> list[list[str]]:
    """Per operation: its Git processes at each size, and whether they stay the same."""
    operations = dict.fromkeys(row.operation for r in results for row in r.rows if row.processes)
    lines = []
    for operation in operations:
        counts = [
            next((row.processes.get(r.label) for row in r.rows if row.operation == operation), None)
            for r in results
        ]
        present = [c for c in counts if c is not None]
        same = "yes" if all(c == present[0] for c in present) else "no"
        lines.append([operation, *(processes(c) for c in counts), same])
    return lines


def count_lines(rows: Sequence[Row], label: str) -> list[list[str]]:
    """Per operation: its Git processes, for-each-ref and cat-file among them, all of them."""
    lines = []
    for row in rows:
        found = row.processes.get(label)
        if found is not None:
            lines.append(
                [
                    row.operation,
                    str(sum(found.values())),
                    str(found["for-each-ref"]),
                    str(found["cat-file"]),
                    processes(found),
                ]
            )
    return lines


def commands(rows: Sequence[Row], name: str) -> list[list[str]]:
    def shown(row: Row, tool: str) -> str:
        case = row.cases.get(tool)
        return case.shown.replace(name, "NAME") if case is not None else "—"

    return [[row.operation, *(shown(row, t) for t in TOOLS)] for row in rows]


def describe_size(result: SizeResult, runs: int) -> str:
    reg = result.registry
    text = f"{reg.about()}; {runs} run{'s' if runs > 1 else ''} per command (median, min-max)"
    if result.gto_skipped:
        text += "; GTO left out (above --gto-max-tags)"
    typer = f'python -c "import typer" in the same rounds: {cell(result.typer, runs)}'
    return (
        f"{text}; the size took {result.seconds:.0f} s in all.\n"
        f"NAME = {reg.target.name} ({len(reg.target.tags) + len(reg.target.holders)} tags "
        f"of its own, {len(reg.target.versions)} versions).\n{typer}."
    )


def failures(rows: Sequence[Row]) -> list[str]:
    return [c.error for r in rows for c in r.cases.values() if c.error is not None]


# --- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    return {
        **hardware(),
        "git": version_of(["git", "--version"], ENV),
        "git-model": f"{version_of(['git-model', '--version'], ENV)} at {checkout(ENV)}",
        "GTO": version_of(["gto", "--version"], ENV),
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "(not set)"),
        "load average at start": load_average(),
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
    parser.add_argument(
        "--versions",
        type=int,
        default=1000,
        help="versions of the model the metadata-heavy reads use (0: skip them)",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic registry")
    parser.add_argument("--no-writes", action="store_true", help="time the reads only")
    parser.add_argument(
        "--against",
        type=Path,
        help="also time the writes with git-model's sources at this src/ (another worktree)",
    )
    args = parser.parse_args(argv)
    if min(args.tags) < TAGS_PER_MODEL or args.runs < 1 or args.versions < 0:
        parser.error(f"--tags must be at least {TAGS_PER_MODEL} and --runs at least 1")
    return args


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def byte_compile(src: Path = ROOT / "src") -> None:
    """Compile git-model's sources once. With PYTHONDONTWRITEBYTECODE set (as here), Python
    writes no .pyc itself, so every `git model` would compile the package again."""
    began = time.perf_counter()
    subprocess.run(
        [python_cmd(), "-m", "compileall", "-q", str(src)],
        check=True,
        env=ENV,
        stdout=subprocess.DEVNULL,
    )
    log(f"byte-compiled {src} in {time.perf_counter() - began:.1f} s")


def bench_size(
    tags: int, args: argparse.Namespace, first: bool
) -> tuple[SizeResult, list[tuple[str, Case]]]:
    began = time.perf_counter()
    label = f"{tags:,} tags"
    log(f"\n== {label} ==")
    spare = args.runs + 2  # one fresh commit per register run: warm-up, runs, count
    registry = build_registry(args.workdir / f"registry-{tags}", tags, args.seed, spare)
    log(f"built {registry.tags:,} tags in {registry.build_seconds:.1f} s at {registry.path}")
    with_gto = tags <= args.gto_max_tags
    sanity = sanity_check(registry, with_gto)
    for line in sanity:
        log(f"sanity: {line}")
    rows = read_rows(registry, with_gto)
    if not args.no_writes:
        rows += write_rows(registry, with_gto, args.against)
    typer = typer_case(registry.path)
    startup: list[tuple[str, Case]] = []
    if first:
        empty = args.workdir / "registry-empty"
        if empty.exists():
            shutil.rmtree(empty)
        empty.mkdir(parents=True)
        git(empty, "init", "-q", "-b", "main")
        startup = startup_cases(registry.path, empty, typer)
    cases = [c for r in rows for c in r.cases.values()] + [typer] + [c for _, c in startup]
    measure(cases, args.runs, args.slow, log)
    count_processes(rows, label, args.runs + 1)
    result = SizeResult(label, registry, sanity, rows, typer, not with_gto)
    result.seconds = time.perf_counter() - began
    return result, startup


def bench_metadata(args: argparse.Namespace) -> SizeResult:
    began = time.perf_counter()
    label = f"{args.versions:,} versions"
    log(f"\n== one model with {label} ==")
    path = args.workdir / f"registry-versions-{args.versions}"
    registry = build_metadata_registry(path, args.versions, args.seed)
    log(f"built {registry.tags:,} tags in {registry.build_seconds:.1f} s at {registry.path}")
    sanity = sanity_check(registry, with_gto=False)
    for line in sanity:
        log(f"sanity: {line}")
    rows = metadata_rows(registry)
    typer = typer_case(registry.path)
    measure([*(c for r in rows for c in r.cases.values()), typer], args.runs, args.slow, log)
    count_processes(rows, label, 0)
    result = SizeResult(label, registry, sanity, rows, typer, gto_skipped=False)
    result.seconds = time.perf_counter() - began
    return result


def _minus(case: Case, base: Case) -> str:
    if case.median is None or base.median is None:
        return "—"
    delta = case.median - base.median
    return ("+" if delta >= 0 else "-") + seconds(abs(delta))


AGAINST = ", git-model at "  # how a write by the --against sources is labelled


def paired(ours: Case, theirs: Case) -> str:
    """The median of the differences between the two runs of each round (both ran in it,
    one after the other): steadier than the difference of the medians on a busy machine."""
    if ours.error or theirs.error or not ours.samples or len(ours.samples) != len(theirs.samples):
        return "—"
    delta = statistics.median(a - b for a, b in zip(ours.samples, theirs.samples, strict=True))
    return ("+" if delta >= 0 else "-") + seconds(abs(delta))


def against_lines(result: SizeResult, runs: int) -> list[list[str]]:
    """Each write next to the same write by git-model from the --against sources."""
    rows = {row.operation: row for row in result.rows}
    lines = []
    for row in result.rows:
        base, _, sources = row.operation.partition(AGAINST)
        if not sources or base not in rows:
            continue
        ours, theirs = rows[base].cases[GIT_MODEL], row.cases[GIT_MODEL]
        lines.append(
            [
                base,
                cell(ours, runs),
                cell(theirs, runs),
                _minus(ours, theirs),
                paired(ours, theirs),
                ratio(ours, theirs),
                processes(rows[base].processes.get(result.label)),
                processes(row.processes.get(result.label)),
            ]
        )
    return lines


def report(
    results: Sequence[SizeResult],
    heavy: SizeResult | None,
    startup: Sequence[tuple[str, Case]],
    *,
    about: dict[str, str],
    args: argparse.Namespace,
    render: Renderer,
) -> str:
    blocks = ["Machine:\n" + "\n".join(f"- {key}: {value}" for key, value in about.items())]
    for result in results:
        gto = not result.gto_skipped
        blocks.append(describe_size(result, args.runs))
        blocks.append("Sanity check:\n" + "\n".join(f"- {line}" for line in result.sanity))
        lines = table_lines(result.rows, result.typer, args.runs, gto)
        blocks.append(render(header(gto), lines, False))
        blocks += [f"failed: {e}" for e in failures(result.rows)]
        against = against_lines(result, args.runs)
        if against:
            sources = about.get("git-model (writes against)", "?")
            blocks.append(f"Writes by this checkout and by git-model at {sources}, same rounds:")
            columns = (
                "operation",
                "this checkout",
                f"at {sources}",
                "difference of medians",
                "median difference in a round",
                "ratio",
                "Git processes (this checkout)",
                f"Git processes (at {sources})",
            )
            blocks.append(render(columns, against, False))
    if results:
        blocks.append(
            "Git processes each git-model command starts (GIT_TRACE; the dispatcher of "
            "`git model`, Git itself, not counted):"
        )
        labels = [r.label for r in results]
        lines = process_lines(results)
        blocks.append(render(("operation", *labels, "the same at every size"), lines, False))
    if heavy is not None:
        blocks.append(f"Metadata-heavy reads: {describe_size(heavy, args.runs)}")
        blocks.append("Sanity check:\n" + "\n".join(f"- {line}" for line in heavy.sanity))
        lines = table_lines(heavy.rows, heavy.typer, args.runs, False)
        blocks.append(render(header(False), lines, False))
        blocks += [f"failed: {e}" for e in failures(heavy.rows)]
        blocks.append("Their Git processes (GIT_TRACE):")
        lines = count_lines(heavy.rows, heavy.label)
        columns = ("operation", "git processes", "for-each-ref", "cat-file", "which")
        blocks.append(render(columns, lines, False))
    if startup:
        typer = next(c for label, c in startup if "import typer" in label)
        lines = [[label, cell(case, args.runs), _minus(case, typer)] for label, case in startup]
        blocks.append("Start-up:")
        blocks.append(render(("command", "wall time", 'minus "import typer"'), lines, False))
    legend = []
    if results:
        # The legend of the size that ran the most commands (GTO may have been skipped).
        fullest = max(results, key=lambda r: sum(len(row.cases) for row in r.rows))
        legend += commands(fullest.rows, fullest.registry.target.name)
    if heavy is not None:
        legend += commands(heavy.rows, heavy.registry.target.name)
    if legend:
        blocks.append("Commands (write runs vary the version or the commit from run to run):")
        blocks.append(render(("operation", *TOOLS), legend, True))
    return "\n\n".join(blocks) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    began = time.perf_counter()
    args.workdir = args.workdir.resolve()
    about = machine()
    if args.against is not None:
        args.against = args.against.resolve()
        about["git-model (writes against)"] = sources_label(args.against)
    for key, value in about.items():
        log(f"{key}: {value}")
    byte_compile()
    if args.against is not None:
        byte_compile(args.against)
    results: list[SizeResult] = []
    startup: list[tuple[str, Case]] = []
    for i, tags in enumerate(args.tags):
        result, started = bench_size(tags, args, first=i == 0)
        results.append(result)
        startup += started
    heavy = bench_metadata(args) if args.versions else None
    closing(about, ENV, began)
    parts = [f"{r.label} {r.seconds:.0f} s" for r in (*results, *([heavy] if heavy else []))]
    about["benchmark took"] += f" ({', '.join(parts)})"
    publish(
        lambda render: report(results, heavy, startup, about=about, args=args, render=render),
        args.markdown,
    )


if __name__ == "__main__":
    main()
