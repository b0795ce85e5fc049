"""Registering DVC-tracked artifacts, with the real DVC: what gets tracked, declared and
committed, and what is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo, dvc
from tests.helpers import data, ok
from tests.remotes import md5, save_model


def test_register_path_tracks_declares_and_commits_exactly_the_declaration(
    dvc_repo: Repo,
) -> None:
    model = save_model(dvc_repo, size=50_000)
    # The user's own work in progress, staged and not, must stay out of the commit.
    (dvc_repo.path / "train.py").write_text("print('train')\n")
    dvc_repo.git("add", "train.py")
    (dvc_repo.path / "notes.md").write_text("todo\n")
    head = dvc_repo.git("rev-parse", "HEAD")

    result = dvc_repo.cli("register", "churn", "--path", "models/churn.pkl", "--type", "model")
    assert result.exit_code == 0, result.stderr
    assert "Committed the model's declaration as" in result.stdout
    assert "models/churn.pkl: md5 " in result.stdout

    commit = dvc_repo.git("rev-parse", "HEAD")
    assert dvc_repo.git("rev-parse", "HEAD~1") == head
    changed = dvc_repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert changed == ["dvc.yaml", "models/.gitignore", "models/churn.pkl.dvc", "models/churn.yaml"]
    assert dvc_repo.git("status", "--porcelain").splitlines() == ["A  train.py", "?? notes.md"]
    assert dvc_repo.git("rev-parse", "churn@v0.1.0^{commit}") == commit
    assert "churn:\n    path: models/churn.pkl\n    type: model" in dvc_repo.git(
        "show", "HEAD:dvc.yaml"
    )

    version = data(dvc_repo, "describe", "churn@0.1.0")["version"]
    assert version["artifact"] == {
        "path": "models/churn.pkl",
        "md5": md5(model),
        "size": 50_000,
        "files": None,
        "kind": "dvc",
        "blob": None,
        "etag": None,
    }
    tag_message = dvc_repo.git("tag", "-l", "--format=%(contents)", "churn@v0.1.0")
    assert f"Artifact-Md5: {md5(model)}" in tag_message


def test_register_path_already_declared_tags_head_without_committing(dvc_repo: Repo) -> None:
    save_model(dvc_repo)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    dvc_repo.commit("unrelated work", files={"README.md": "readme\n"})
    head = dvc_repo.git("rev-parse", "HEAD")
    result = data(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert result["committed"] == []
    assert result["version"]["commit"] == head
    assert result["version"]["artifact"]["path"] == "models/churn.pkl"


def test_a_changed_artifact_is_committed_with_path_and_refused_without(dvc_repo: Repo) -> None:
    save_model(dvc_repo)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    dvc_repo.commit("unrelated work", files={"README.md": "readme\n"})
    retrained = save_model(dvc_repo)  # retrained, not recorded
    before = dvc_repo.refs()
    refused = dvc_repo.cli("register", "churn")
    assert refused.exit_code == 6
    assert "models/churn.pkl on disk differs from what commit" in refused.stderr
    assert "--path models/churn.pkl" in refused.stderr
    assert dvc_repo.refs() == before

    result = data(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert result["committed"] == ["models/churn.pkl.dvc"]
    assert result["version"]["version"] == "0.2.0"
    assert result["version"]["artifact"]["md5"] == md5(retrained)


def test_registering_an_older_commit_with_rev_ignores_the_disk(dvc_repo: Repo) -> None:
    save_model(dvc_repo)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl", "--version", "1.0.0")
    first = dvc_repo.git("rev-parse", "HEAD")
    dvc_repo.commit("more", files={"README.md": "x\n"})
    save_model(dvc_repo)
    ok(dvc_repo, "archive", "churn@1.0.0")
    dvc_repo.git("commit", "-q", "--allow-empty", "-m", "again")
    result = data(dvc_repo, "register", "churn", "--rev", "HEAD~1", "--path", "models/churn.pkl")
    assert result["version"]["commit"] != first
    assert result["committed"] == []


def test_refusals_change_nothing(dvc_repo: Repo, tmp_path: Path) -> None:
    save_model(dvc_repo)
    (dvc_repo.path / "dvc.yaml").write_text("stages: {}\n")  # uncommitted work in dvc.yaml
    cases = [
        (["register", "churn", "--path", "models/churn.pkl"], 6, "dvc.yaml has uncommitted"),
        (["register", "churn", "--path", "models/nothing.pkl"], 5, "does not exist"),
        (["register", "churn", "--path", str(tmp_path / "x.pkl")], 2, "outside the repository"),
        (
            ["register", "churn", "--rev", "HEAD", "--path", "models/churn.pkl"],
            5,
            "declares no artifact for churn",
        ),
    ]
    for args, code, words in cases:
        before_refs, before_status = dvc_repo.refs(), dvc_repo.git("status", "--porcelain")
        result = dvc_repo.cli(*args)
        assert result.exit_code == code, (args, result.stderr)
        assert words in result.stderr
        assert dvc_repo.refs() == before_refs
        assert dvc_repo.git("status", "--porcelain") == before_status


def test_a_declaration_at_another_path_is_refused(dvc_repo: Repo) -> None:
    save_model(dvc_repo)
    save_model(dvc_repo, "models/other.pkl")
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    dvc_repo.commit("more", files={"README.md": "x\n"})
    result = dvc_repo.cli("register", "churn", "--path", "models/other.pkl")
    assert result.exit_code == 2
    assert "--path models/other.pkl, but models/churn.yaml says path: models/churn.pkl" in (
        result.stderr
    )
    (dvc_repo.path / "models/churn.yaml").unlink()  # without the model's file, dvc.yaml says
    dvc_repo.git("commit", "-q", "-am", "No model file")
    result = dvc_repo.cli("register", "churn", "--path", "models/other.pkl")
    assert result.exit_code == 11
    assert "declares churn's artifact at models/churn.pkl, not models/other.pkl" in result.stderr


def test_a_directory_artifact(dvc_repo: Repo) -> None:
    for name in ("weights.bin", "config.json", "sub/tokenizer.json"):
        save_model(dvc_repo, f"models/bert/{name}", 1000)
    result = data(dvc_repo, "register", "bert", "--path", "models/bert")
    artifact = result["version"]["artifact"]
    assert artifact["md5"].endswith(".dir")
    assert artifact["files"] == 3
    assert result["committed"] == [
        "dvc.yaml",
        "models/.gitignore",
        "models/bert.dvc",
        "models/bert.yaml",
    ]
    dvc_repo.commit("more", files={"README.md": "x\n"})
    (dvc_repo.path / "models/bert/config.json").write_text("{}")
    refused = dvc_repo.cli("register", "bert")
    assert refused.exit_code == 6


def test_a_repository_without_dvc_says_how_to_start(repo: Repo) -> None:
    save_model(repo)
    before = repo.refs()
    result = repo.cli("register", "churn", "--path", "models/churn.pkl")
    assert result.exit_code == 11
    assert "dvc init" in result.stderr
    assert repo.refs() == before


def _train_in_a_pipeline(dvc_repo: Repo, weights: str) -> None:
    """A DVC stage ``train`` whose output is models/churn.pkl (the bytes the Python
    expression ``weights`` makes), run once: DVC tracks the artifact in dvc.lock."""
    (dvc_repo.path / "train.py").write_text(
        "import os\nos.makedirs('models', exist_ok=True)\n"
        f"open('models/churn.pkl', 'wb').write({weights})\n"
    )
    stage = ["stage", "add", "-q", "-n", "train", "-d", "train.py", "-o", "models/churn.pkl"]
    dvc(dvc_repo, *stage, "python train.py")
    dvc(dvc_repo, "repro", "-q")


def test_a_pipeline_output_is_read_from_dvc_lock(dvc_repo: Repo) -> None:
    _train_in_a_pipeline(dvc_repo, "b'weights' * 1000")
    with (dvc_repo.path / "dvc.yaml").open("a") as handle:
        handle.write("artifacts:\n  churn:\n    path: models/churn.pkl\n    type: model\n")
    dvc_repo.git("add", "-A")
    dvc_repo.git("commit", "-q", "-m", "Train churn")
    result = data(dvc_repo, "register", "churn")
    assert result["version"]["artifact"]["md5"] == md5(dvc_repo.path / "models/churn.pkl")
    assert result["committed"] == []


def _imported(repo: Repo, *args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "git_model", *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_moving_artifacts_imports_dvc_but_never_gto(dvc_repo: Repo, tmp_path: Path) -> None:
    """DVC's own artifacts API imports GTO; the registry reads and writes dvc.yaml itself."""
    save_model(dvc_repo)
    registering = _imported(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert "dvc" in registering
    assert "gto" not in registering
    out = tmp_path / "out.pkl"
    for args in (["-o", str(out)], ["-o", str(out), "--force", "--repo", str(dvc_repo.path)]):
        getting = _imported(dvc_repo, "get", "churn@latest", *args)
        assert "dvc" in getting
        assert "gto" not in getting


def test_get_reports_progress_to_its_caller(dvc_repo: Repo, tmp_path: Path) -> None:
    """The API reports bytes to a callback (the CLI draws it as a bar on a terminal)."""
    from git_model import api  # noqa: PLC0415

    model = save_model(dvc_repo, size=3_000_000)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    seen: list[tuple[int, int | None]] = []
    got = api.get(
        "churn@latest",
        out=tmp_path / "model.pkl",
        progress=lambda done, total: seen.append((done, total)),
        repo=dvc_repo.path,
    )
    assert got.verified
    assert seen[-1] == (3_000_000, 3_000_000)
    assert all(done <= 3_000_000 for done, _ in seen)
    assert md5(got.path) == md5(model)


def test_register_path_of_a_pipeline_output_commits_only_the_declaration(dvc_repo: Repo) -> None:
    """A stage makes the artifact, so DVC tracks it in dvc.lock: `dvc add` is not run."""
    _train_in_a_pipeline(dvc_repo, "os.urandom(2000)")
    before = dvc_repo.refs()
    refused = dvc_repo.cli("register", "churn", "--path", "models/churn.pkl")
    assert refused.exit_code == 6
    assert "dvc.yaml has uncommitted changes" in refused.stderr
    assert dvc_repo.refs() == before
    dvc_repo.git("add", "dvc.yaml", "train.py", "models/.gitignore")
    dvc_repo.git("commit", "-q", "-m", "The training stage")
    refused = dvc_repo.cli("register", "churn", "--path", "models/churn.pkl")
    assert refused.exit_code == 6
    assert "commit dvc.lock" in refused.stderr
    dvc_repo.git("add", "dvc.lock")
    dvc_repo.git("commit", "-q", "-m", "Trained")
    result = data(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert result["committed"] == ["dvc.yaml", "models/churn.yaml"]
    assert not (dvc_repo.path / "models/churn.pkl.dvc").exists()
    assert result["version"]["artifact"]["md5"] == md5(dvc_repo.path / "models/churn.pkl")


@pytest.mark.parametrize(
    ("link", "target", "file"),
    [
        ("models", "elsewhere", "models/churn.yaml"),  # the models' directory
        ("models/churn.yaml", "elsewhere/churn.yaml", "models/churn.yaml"),  # not there yet
        ("dvc.yaml", "elsewhere/dvc.yaml", "dvc.yaml"),  # what DVC would write
    ],
)
def test_register_path_writes_nothing_through_a_link_out_of_the_repository(
    dvc_repo: Repo, tmp_path: Path, link: str, target: str, file: str
) -> None:
    save_model(dvc_repo, "data/churn.pkl")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (dvc_repo.path / link).parent.mkdir(parents=True, exist_ok=True)
    (dvc_repo.path / link).symlink_to(tmp_path / target)
    head, before = dvc_repo.git("rev-parse", "HEAD"), dvc_repo.refs()
    result = dvc_repo.cli("register", "churn", "--path", "data/churn.pkl")
    assert result.exit_code == 9, result.stderr
    assert f"{file}: a symbolic link takes it outside the repository's work tree" in result.stderr
    assert list(outside.iterdir()) == []
    assert not (dvc_repo.path / "data" / "churn.pkl.dvc").exists()
    assert dvc_repo.git("rev-parse", "HEAD") == head
    assert dvc_repo.refs() == before


@pytest.mark.parametrize("out", ["model.bin/churn.pkl", "model.bin/into/"])
def test_get_into_a_place_that_cannot_be_written_is_one_clean_error(
    dvc_repo: Repo, out: str
) -> None:
    save_model(dvc_repo)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    dvc_repo.commit("a file where a directory would go", files={"model.bin": "x\n"})
    result = dvc_repo.cli("get", "churn@0.1.0", "-o", out, "--force")
    assert result.exit_code == 9, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"git-model: error: cannot write {out!r}: ")
    assert line.endswith(
        "; write it elsewhere: in a directory that exists and that you may write to"
    )
    assert "Not a directory" in line or "File exists" in line or "Is a directory" in line
