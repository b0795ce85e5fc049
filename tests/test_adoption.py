"""Adopting a registry that already exists (issue 14, the artifacts): models declared in
``dvc.yaml`` whose artifacts are committed to Git or kept at URLs, GTO's older
``artifacts.yaml``, and a registry the real ``gto`` wrote, laid out like the DVC project's
GTO example (``churn`` committed to Git, ``segment`` and ``cv-class`` at ``s3://`` URLs).
Real Git, real DVC (no S3 plugin: it is not installed, and must not be), real ``gto``."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from git_model.errors import InvalidFile
from git_model.safeyaml import artifact_location
from git_model.state import Artifact, ArtifactKind, split_document, with_trailers
from tests.conftest import Clock, Repo, isolate
from tests.gto_oracle import (
    STEP,
    Gto,
    gm_events,
    gm_registry,
    gto_events,
    gto_registry,
    split_stage_tag_echoes,
)
from tests.helpers import data, ok
from tests.remotes import git_at, md5, save_model

SEGMENT = "s3://mycorp/proj-ml/segm-model-2022-04-15.pt"
CV_CLASS = "s3://mycorp/proj-ml/classif-v2.pt"
DVC_YAML = f"""\
# Models of the project, as DVC and GTO read them.
artifacts:
  churn:
    type: model
    path: models/churn.pkl
    desc: Who leaves next month  # kept by every write
    labels: [tabular]
  segment:
    type: model
    path: {SEGMENT}
  cv-class:
    type: model
    path: {CV_CLASS}
"""
# GTO's older file: `legacy` is declared only here.
ARTIFACTS_YAML = """\
churn:
  path: models/churn.pkl
  type: model
  virtual: false
legacy:
  path: models/legacy.pkl
  type: model
  description: The rules we had before
  labels: [rules]
"""


def _gto_example(path: Path, clock: Clock) -> Gto:
    """The GTO example's layout and a registry the gto CLI wrote with counters."""
    repo = Repo(path)
    repo.git("init", "-q")
    repo.commit(
        "Declare the models", files={"dvc.yaml": DVC_YAML, "artifacts.yaml": ARTIFACTS_YAML}
    )
    save_model(repo, "models/churn.pkl", 4000)
    save_model(repo, "models/legacy.pkl", 1000)
    repo.git("add", "models")
    repo.git("commit", "-q", "-m", "Train churn")
    gto = Gto(path, clock)
    gto.write_all(
        [
            ["register", "churn", "HEAD", "--version", "v3.0.0"],
            ["register", "segment", "HEAD", "--version", "v0.4.1"],
            ["register", "cv-class", "HEAD", "--version", "v0.1.13"],
            ["register", "legacy", "HEAD", "--version", "v1.0.0"],
            ["assign", "churn", "--version", "v3.0.0", "--stage", "prod"],
            ["assign", "segment", "--version", "v0.4.1", "--stage", "dev"],
            ["assign", "cv-class", "--version", "v0.1.13", "--stage", "staging"],
        ]
    )
    save_model(repo, "models/churn.pkl", 4000)
    repo.git("commit", "-q", "-am", "Retrain churn")
    gto.write_all(
        [
            ["register", "churn", "HEAD", "--version", "v3.1.0"],
            ["assign", "churn", "--version", "v3.1.0", "--stage", "dev"],
        ]
    )
    return gto


@pytest.fixture(scope="module")
def gto_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The GTO example, built once for the module; tests that write work on a copy."""
    with pytest.MonkeyPatch.context() as mp:
        isolate(tmp_path_factory.mktemp("home"), mp)
        clock = Clock(mp)
        clock.set(clock.now)
        path = tmp_path_factory.mktemp("example") / "repo"
        path.mkdir()
        _gto_example(path, clock)
        yield path


@pytest.fixture
def adopted(gto_example: Path, repo: Repo, clock: Clock) -> tuple[Repo, Gto]:
    """A copy of the example to write to, its clock after GTO's last write."""
    shutil.rmtree(repo.path)
    shutil.copytree(gto_example, repo.path, symlinks=True)
    last = int(
        repo.git("for-each-ref", "--sort=-taggerdate", "--count=1", "--format=%(taggerdate:unix)")
    )
    clock.set(last)
    return repo, Gto(repo.path, clock)


def _tags(repo: Repo) -> dict[str, str]:
    out = repo.git("for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags")
    return dict(line.split(" ") for line in out.splitlines())


def _write(repo: Repo, clock: Clock, *args: str) -> Any:
    """A git-model write STEP seconds after the last command (see gto_oracle.STEP)."""
    clock.tick(STEP)
    return data(repo, *args)


# --- reading the example -------------------------------------------------------------------


def test_describe_and_show_print_what_the_commit_declares_with_urls_intact(
    gto_example: Path, tmp_path: Path
) -> None:
    repo = Repo(gto_example)
    segment = data(repo, "describe", "segment@0.4.1")
    assert segment["version"]["artifact"] is None  # GTO records none
    assert segment["declared"] == {
        "source": "dvc.yaml",
        "path": SEGMENT,
        "type": "model",
        "description": None,
        "labels": [],
    }
    assert SEGMENT in ok(repo, "describe", "segment@0.4.1")
    churn = data(repo, "describe", "churn#prod")["declared"]
    assert (churn["path"], churn["description"], churn["labels"]) == (
        "models/churn.pkl",
        "Who leaves next month",
        ["tabular"],
    )
    # Only GTO's older artifacts.yaml declares legacy: describe and get read it there.
    legacy = data(repo, "describe", "legacy@1.0.0")["declared"]
    assert legacy == {
        "source": "artifacts.yaml",
        "path": "models/legacy.pkl",
        "type": "model",
        "description": "The rules we had before",
        "labels": ["rules"],
    }
    got = data(repo, "get", "legacy@1.0.0", "-o", str(tmp_path / "legacy.pkl"))
    assert got["artifact"]["kind"] == "git"
    assert (tmp_path / "legacy.pkl").read_bytes() == (
        gto_example / "models/legacy.pkl"
    ).read_bytes()


# --- the "done when" end to end -------------------------------------------------------------


def test_register_promote_demote_and_get_on_the_gto_example(
    adopted: tuple[Repo, Gto], clock: Clock, tmp_path: Path
) -> None:
    repo, gto = adopted
    before = _tags(repo)
    save_model(repo, "models/churn.pkl", 5000)
    repo.git("commit", "-q", "-am", "Retrain churn again")
    blob = repo.git("rev-parse", "HEAD:models/churn.pkl")

    # A file committed to Git registers as it is: its blob is its identity.
    churn = _write(repo, clock, "register", "churn")
    assert churn["version"]["version"] == "3.2.0"
    assert churn["committed"] == []
    assert churn["version"]["artifact"] == {
        "path": "models/churn.pkl",
        "md5": None,
        "size": 5000,
        "files": None,
        "kind": "git",
        "blob": blob,
        "etag": None,
    }
    assert not (repo.path / "models/churn.pkl.dvc").exists()

    # An s3:// URL, DVC's S3 plugin absent: recorded intact, and said.
    segment = _write(repo, clock, "register", "segment")
    assert segment["version"]["artifact"]["path"] == SEGMENT
    assert segment["version"]["artifact"]["kind"] == "url"
    [notice] = segment["notices"]
    assert notice["kind"] == "url-not-checked"
    assert "pip install dvc-s3" in notice["message"]
    shown = data(repo, "show", "segment", "--all")
    assert SEGMENT in json.dumps(shown)
    assert "s3:/m" not in json.dumps(shown) + ok(repo, "describe", "segment@latest")

    _write(repo, clock, "promote", "churn@3.2.0", "--to", "prod")
    _write(repo, clock, "promote", "segment@0.5.0", "--to", "dev")
    _write(repo, clock, "demote", "cv-class#staging")

    out = tmp_path / "churn.pkl"
    got = data(repo, "get", "churn#prod", "-o", str(out))
    assert got["verified"]
    assert out.read_bytes() == (repo.path / "models/churn.pkl").read_bytes()
    refused = repo.cli("get", "segment#dev", "-o", str(tmp_path / "segment.pt"))
    assert refused.exit_code != 0
    assert "pip install dvc-s3" in refused.stderr
    assert "dvc add" not in refused.stderr
    assert not (tmp_path / "segment.pt").exists()

    # No GTO event is lost: every tag GTO wrote is still there, unchanged.
    after = _tags(repo)
    assert {t: after.get(t) for t in before} == before

    # GTO agrees, but for the moving stage tags git-model writes, which GTO reads as one
    # more assignment each (docs/tag-grammar.md).
    reader = gto.read("churn", "segment", "cv-class")
    ours = gm_registry(data(repo, "show", "--all"))
    assert gto_registry(reader("show", "--deprecated")) == ours
    assert ours["churn"].stages == (("dev", "3.1.0"), ("prod", "3.2.0"))
    assert ours["cv-class"].stages == ()
    kept, echoes = split_stage_tag_echoes(gto_events(reader("history")))
    assert kept == gm_events(data(repo, "history"))
    assert sorted((e.model, e.stage, e.version) for e in echoes) == [
        ("churn", "prod", "3.2.0"),
        ("segment", "dev", "0.5.0"),
    ]


def test_doctor_is_clean_after_git_model_writes_to_a_gto_registry(
    adopted: tuple[Repo, Gto], clock: Clock
) -> None:
    """The stages GTO wrote with counters only (no moving tag) are not lagging after
    git-model's first write to their model."""
    repo, _ = adopted
    _write(repo, clock, "promote", "churn@3.1.0", "--to", "staging")
    assert data(repo, "show", "--all")["lags"] == []
    assert repo.cli("doctor").exit_code == 0


def test_register_path_of_a_model_only_artifacts_yaml_declares_carries_it_to_dvc_yaml(
    adopted: tuple[Repo, Gto], clock: Clock
) -> None:
    repo, _ = adopted
    result = _write(repo, clock, "register", "legacy", "--path", "models/legacy.pkl")
    assert result["committed"] == ["dvc.yaml", "models/legacy.yaml"]
    assert result["version"]["artifact"]["kind"] == "git"
    assert repo.git("show", "HEAD:dvc.yaml").endswith(
        "  legacy:\n    path: models/legacy.pkl\n    type: model\n"
        "    desc: The rules we had before\n    labels:\n    - rules"
    )


# --- a file committed to Git ----------------------------------------------------------------


@pytest.fixture
def in_git(repo: Repo) -> Repo:
    """churn declared in dvc.yaml, its file committed to Git; no DVC set up at all."""
    save_model(repo, "models/churn.pkl", 3000)
    repo.commit(
        "Train churn", files={"dvc.yaml": "artifacts:\n  churn:\n    path: models/churn.pkl\n"}
    )
    repo.git("add", "models/churn.pkl")
    repo.git("commit", "-q", "-m", "Model")
    return repo


def test_a_git_artifact_changed_on_disk_is_refused_then_committed_with_path(in_git: Repo) -> None:
    ok(in_git, "register", "churn", "--version", "1.0.0")
    retrained = save_model(in_git, "models/churn.pkl", 3000)
    before = in_git.refs()
    refused = in_git.cli("register", "churn")
    assert refused.exit_code == 6
    assert "models/churn.pkl on disk differs from what commit" in refused.stderr
    assert in_git.refs() == before

    result = data(in_git, "register", "churn", "--path", "models/churn.pkl")
    assert result["committed"] == ["models/churn.pkl", "models/churn.yaml"]
    artifact = result["version"]["artifact"]
    assert (artifact["kind"], artifact["blob"]) == (
        "git",
        in_git.git("rev-parse", "HEAD:models/churn.pkl"),
    )
    assert in_git.git("show", "HEAD:dvc.yaml") == "artifacts:\n  churn:\n    path: models/churn.pkl"
    assert not (in_git.path / "models/churn.pkl.dvc").exists()
    assert md5(retrained) == md5(in_git.path / "models/churn.pkl")


def test_get_through_a_remote_reads_the_git_file_and_checks_the_recorded_blob(
    in_git: Repo, tmp_path: Path
) -> None:
    ok(in_git, "register", "churn", "--version", "1.0.0")
    recorded = in_git.git("rev-parse", "HEAD:models/churn.pkl")
    first = (in_git.path / "models/churn.pkl").read_bytes()
    # A version tag whose recorded blob is not its commit's file (a rewritten commit).
    message = in_git.git("for-each-ref", "--format=%(contents)", "refs/tags/churn@v1.0.0")
    save_model(in_git, "models/churn.pkl", 3000)
    in_git.git("commit", "-q", "-am", "Retrain")
    in_git.git("tag", "-a", "churn@v2.0.0", "HEAD", "-m", message)
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    in_git.git("push", "-q", str(server), "main", "--tags")
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    # A real process, to see what it imports: Git alone, no DVC.
    getting = ["get", "churn@1.0.0", "--repo", str(server), "-o", "churn.pkl"]
    got = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "git_model", *getting],
        cwd=outside,
        capture_output=True,
        text=True,
        check=False,
    )
    assert got.returncode == 0, got.stderr[-2000:]
    assert (outside / "churn.pkl").read_bytes() == first
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in got.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "git_model" in imported
    assert "dvc" not in imported
    for where in (["--repo", str(server)], []):
        refused = (Repo(outside) if where else in_git).cli(
            "get", "churn@2.0.0", *where, "-o", str(tmp_path / "x")
        )
        assert refused.exit_code != 0
        assert (
            f"but the version recorded Git blob {recorded} when it was registered" in refused.stderr
        )
        assert not (tmp_path / "x").exists()


def test_tracking_a_git_file_with_dvc_is_an_explicit_step(dvc_repo: Repo) -> None:
    save_model(dvc_repo, "models/churn.pkl")
    dvc_repo.git("add", "models/churn.pkl")
    dvc_repo.git("commit", "-q", "-m", "Model in Git")
    result = data(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert result["version"]["artifact"]["kind"] == "git"
    # The documented step: take it out of Git, and --path tracks it with DVC.
    dvc_repo.git("rm", "-q", "--cached", "models/churn.pkl")
    dvc_repo.git("commit", "-q", "-m", "Stop tracking the model in Git")
    result = data(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert result["version"]["artifact"]["kind"] == "dvc"
    assert "models/churn.pkl.dvc" in result["committed"]


# --- dvc.yaml is edited, not rewritten ------------------------------------------------------


def test_register_path_keeps_the_entry_its_keys_comments_and_order(dvc_repo: Repo) -> None:
    declared = (
        "stages: {}  # none yet\n"
        "artifacts:\n"
        "  # the churn model\n"
        "  churn:\n"
        "    type: model  # GTO's type\n"
        "    path: models/churn.pkl\n"
        "    desc: old words\n"
        "    labels: [tabular]\n"
        "    meta: {team: growth}\n"
    )
    dvc_repo.commit(
        "Declare churn",
        files={"dvc.yaml": declared, "models/churn.yaml": "description: Who leaves next month\n"},
    )
    save_model(dvc_repo)
    result = data(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert "dvc.yaml" in result["committed"]
    assert dvc_repo.git("show", "HEAD:dvc.yaml") + "\n" == declared.replace(
        "old words", "Who leaves next month"
    )


# --- URLs -----------------------------------------------------------------------------------


class _WithEtag(http.server.SimpleHTTPRequestHandler):
    """Python's file server, which also sends an ETag (its file's MD5), as S3 does."""

    def end_headers(self) -> None:
        target = Path(self.translate_path(self.path))
        if target.is_file():
            self.send_header("ETag", f'"{md5(target)}"')
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A directory served over HTTP on 127.0.0.1 by the test's own server."""
    root = tmp_path / "served"
    root.mkdir()
    handler = lambda *a: _WithEtag(*a, directory=str(root))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        thread.join()


def test_url_artifacts_record_what_the_server_says_and_get_checks_it(
    repo: Repo, tmp_path: Path, served: tuple[str, Path]
) -> None:
    base, root = served
    local = tmp_path / "bucket" / "model.bin"
    local.parent.mkdir()
    local.write_bytes(b"weights" * 100)
    (root / "model.pt").write_bytes(b"tensor" * 100)
    urls = {"local": local.as_uri(), "web": f"{base}/model.pt"}
    entries = "".join(f"  {name}:\n    path: {url}\n" for name, url in urls.items())
    repo.commit("Declare", files={"dvc.yaml": f"artifacts:\n{entries}"})

    web = data(repo, "register", "web")
    assert web["notices"] == []
    assert web["version"]["artifact"] == {
        "path": urls["web"],
        "md5": None,
        "size": 600,
        "files": None,
        "kind": "url",
        "blob": None,
        "etag": f'"{md5(root / "model.pt")}"',
    }
    got = data(repo, "get", "web@latest", "-o", str(tmp_path / "web.pt"))
    assert got["verified"]
    assert (tmp_path / "web.pt").read_bytes() == b"tensor" * 100
    local_version = data(repo, "register", "local")["version"]["artifact"]
    assert (local_version["md5"], local_version["size"]) == (md5(local), 700)
    ok(repo, "get", "local@latest", "-o", str(tmp_path / "local.bin"))
    assert (tmp_path / "local.bin").read_bytes() == local.read_bytes()

    # --path may name a URL too: declared as written, with the model's YAML file.
    declared = data(repo, "register", "copy", "--path", urls["local"])
    assert declared["committed"] == ["dvc.yaml", "models/copy.yaml"]
    assert f"  copy:\n    path: {urls['local']}" in repo.git("show", "HEAD:dvc.yaml")
    assert declared["version"]["artifact"]["md5"] == md5(local)

    # The object replaced since registration: refused, nothing written.
    (root / "model.pt").write_bytes(b"other" * 120)
    local.write_bytes(b"other" * 140)
    for name in ("web", "local"):
        refused = repo.cli("get", f"{name}@latest", "-o", str(tmp_path / "again"))
        assert refused.exit_code != 0
        assert "replaced since it was registered" in refused.stderr
        assert not (tmp_path / "again").exists()


def test_a_url_that_does_not_exist_is_refused(repo: Repo, served: tuple[str, Path]) -> None:
    base, _ = served
    repo.commit("Declare", files={"dvc.yaml": f"artifacts:\n  web:\n    path: {base}/none.pt\n"})
    before = repo.refs()
    refused = repo.cli("register", "web")
    assert refused.exit_code == 5
    assert f"{base}/none.pt" in refused.stderr
    assert repo.refs() == before


# --- the parsers ----------------------------------------------------------------------------

_SEGMENT = st.from_regex(r"[A-Za-z0-9._~-]{1,12}", fullmatch=True)
_URLS = st.builds(
    lambda scheme, parts: f"{scheme}://{'/'.join(parts)}",
    st.sampled_from(["s3", "gs", "azure", "https", "http", "file", "hdfs", "webdav+s"]),
    st.lists(_SEGMENT, min_size=1, max_size=4),
)


@given(_URLS)
@example("s3://mycorp/proj-ml/segm-model-2022-04-15.pt")
@example("file:///tmp/a//b/../c.pt")
def test_a_declared_url_is_kept_exactly_as_written(url: str) -> None:
    assert artifact_location("dvc.yaml", "artifacts.m.path", url, "sub") == url


@given(st.lists(_SEGMENT.filter(lambda s: s not in {".", ".."}), min_size=1, max_size=4))
def test_a_declared_path_is_a_normalised_repository_path(parts: list[str]) -> None:
    value = "./" + "/./".join(parts)
    assert artifact_location("dvc.yaml", "k", value) == "/".join(parts)
    with pytest.raises(InvalidFile):
        artifact_location("dvc.yaml", "k", "../" + "/".join(parts))


_HEX = st.text("0123456789abcdef", min_size=40, max_size=40)
_ARTIFACTS = st.one_of(
    st.builds(
        Artifact,
        st.just("models/m.pkl"),
        _HEX.map(lambda h: h[:32]),
        st.none() | st.integers(0, 10**12),
        st.none() | st.integers(0, 10**6),
    ),
    st.builds(
        lambda blob, size: Artifact("m.pkl", None, size, kind=ArtifactKind.GIT, blob=blob),
        _HEX,
        st.integers(0, 10**12),
    ),
    st.builds(
        lambda url, md5, etag, size: Artifact(url, md5, size, kind=ArtifactKind.URL, etag=etag),
        _URLS,
        st.none() | _HEX.map(lambda h: h[:32]),
        st.none() | _HEX.map(lambda h: f'"{h}"'),
        st.none() | st.integers(0, 10**12),
    ),
)


@given(_ARTIFACTS)
def test_what_a_version_tag_records_of_its_artifact_reads_back_the_same(
    artifact: Artifact,
) -> None:
    message = with_trailers("Register m v1.0.0", artifact.trailers())
    assert Artifact.from_trailers(split_document(message)[1]) == artifact
    dvc_trailers = {"Artifact-Path", "Artifact-Md5", "Artifact-Size", "Artifact-Files"}
    if artifact.kind is ArtifactKind.DVC:  # as DVC artifacts' tags always were
        assert {key for key, _ in artifact.trailers()} <= dvc_trailers
