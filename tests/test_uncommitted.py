"""What you have is what is registered: a version records a commit, so registering a
commit while the working tree holds another model, model YAML file, metrics or params
file is refused (or, with --allow-uncommitted, done knowingly and recorded), and what is
not refused but matters is said. Real model files written by the tests, real Git, real
DVC."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, dvc
from tests.helpers import data, ok
from tests.remotes import md5, save_model


def _status(repo: Repo) -> tuple[str, str, str]:
    """What a refusal must leave as it was: refs, HEAD, and the working tree's status."""
    return repo.refs(), repo.git("rev-parse", "HEAD"), repo.git("status", "--porcelain")


def _metadata(repo: Repo, ref: str) -> dict[str, Any]:
    metadata: dict[str, Any] = data(repo, "describe", ref)["metadata"]
    return metadata


# --- a model in plain Git, which nothing declares ---------------------------------------


@pytest.fixture
def plain(repo: Repo) -> Repo:
    """churn v0.1.0: a model file committed to Git itself (no DVC, no `path:`), then a
    commit of something else."""
    model = repo.path / "models" / "churn.pkl"
    model.parent.mkdir()
    model.write_bytes(os.urandom(4096))
    repo.git("add", "models/churn.pkl")
    repo.git("commit", "-q", "-m", "Train churn")
    ok(repo, "register", "churn")
    repo.commit("docs", files={"README.md": "churn\n"})
    return repo


def test_undeclared_model_with_uncommitted_changes_is_said_and_registered(plain: Repo) -> None:
    (plain.path / "models" / "churn.pkl").write_bytes(os.urandom(4096))  # retrained
    head = plain.git("rev-parse", "HEAD")
    result = plain.cli("register", "churn")
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: models/churn.pkl has uncommitted changes: the version records commit "
        f"{head[:7]}, not your working tree; if it is the model, commit it and register "
        "that commit"
    ) in " ".join(result.stderr.split())
    assert plain.git("rev-parse", "churn@v0.2.0^{commit}") == head


def test_undeclared_model_notice_is_data_in_json(plain: Repo) -> None:
    (plain.path / "models" / "churn.pkl").write_bytes(os.urandom(4096))
    (plain.path / "README.md").write_text("more\n")
    (plain.path / "notes.txt").write_text("untracked: not a file of any commit\n")
    result = data(plain, "register", "churn")
    [notice] = result["notices"]
    assert notice["kind"] == "uncommitted"
    assert notice["paths"] == ["README.md", "models/churn.pkl"]
    assert notice["version"] is None
    assert "README.md, models/churn.pkl have uncommitted changes" in notice["message"]


def test_a_clean_working_tree_has_nothing_to_say(plain: Repo) -> None:
    result = plain.cli("register", "churn")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_a_commit_other_than_head_is_not_compared_with_the_working_tree(plain: Repo) -> None:
    plain.commit("more docs", files={"README.md": "churn, again\n"})
    (plain.path / "models" / "churn.pkl").write_bytes(os.urandom(4096))
    (plain.path / "models" / "churn.yaml").write_text("description: not committed\n")
    result = data(plain, "register", "churn", "--rev", "HEAD~1")
    assert result["notices"] == []
    assert result["version"]["commit"] == plain.git("rev-parse", "HEAD~1")


def test_a_retrain_left_uncommitted_on_a_registered_commit_says_commit_it_first(
    plain: Repo,
) -> None:
    ok(plain, "register", "churn")  # HEAD holds v0.2.0
    ok(plain, "promote", "churn@0.2.0", "--to", "dev")  # (a retried register is done)
    (plain.path / "models" / "churn.pkl").write_bytes(os.urandom(4096))
    before = _status(plain)
    result = plain.cli("register", "churn")
    assert result.exit_code == 6
    message = " ".join(result.stderr.split())
    assert message.count("one version of a model") == 1
    assert (
        "if models/churn.pkl (uncommitted) is the retrained model, commit it first and "
        "register that commit"
    ) in message
    assert _status(plain) == before


def test_an_archived_commit_advises_committing_the_retrained_model_before_an_empty_commit(
    plain: Repo,
) -> None:
    ok(plain, "register", "churn")
    ok(plain, "archive", "churn@0.2.0")
    plain.commit("other work", files={"README.md": "other\n"})  # the newest write is older
    result = plain.cli("register", "churn", "--rev", "HEAD~1")
    assert result.exit_code == 6
    message = " ".join(result.stderr.split())
    assert message.count("one version of a model") == 1
    first, _, empty = message.partition("--allow-empty")
    assert "commit the retrained model first and register that commit" in first
    assert empty, message


def test_an_uncommitted_model_yaml_file_is_refused_then_allowed_knowingly(plain: Repo) -> None:
    (plain.path / "models" / "churn.yaml").write_text("description: Who leaves, and when\n")
    before = _status(plain)
    refused = plain.cli("register", "churn")
    assert refused.exit_code == 6
    assert "models/churn.yaml has uncommitted changes" in refused.stderr
    assert "--allow-uncommitted" in refused.stderr
    assert _status(plain) == before

    result = data(plain, "register", "churn", "--allow-uncommitted")
    assert result["version"]["version"] == "0.2.0"
    kinds = {n["kind"]: n["paths"] for n in result["notices"]}
    assert kinds == {"uncommitted": ["models/churn.yaml"]}
    metadata = _metadata(plain, "churn@0.2.0")
    assert metadata["uncommitted"] == ["models/churn.yaml"]
    assert metadata["spec"].get("description") is None  # the commit's, which has none
    assert "Uncommitted" in ok(plain, "describe", "churn@0.2.0")


# --- a model tracked by DVC -------------------------------------------------------------


@pytest.fixture
def tracked(dvc_repo: Repo) -> Repo:
    """churn v1.0.0 registered with --path, its metrics and params committed, declared in
    its YAML file; then a commit of something else."""
    dvc_repo.commit(
        "Evaluate",
        files={
            "metrics.json": json.dumps({"accuracy": 0.8}),
            "params.yaml": "lr: 0.1\n",
            "models/churn.yaml": "path: models/churn.pkl\nmetrics: [metrics.json]\n",
        },
    )
    save_model(dvc_repo)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl", "--version", "1.0.0")
    dvc_repo.commit("docs", files={"README.md": "churn\n"})
    return dvc_repo


def test_a_retrained_artifact_left_uncommitted_is_refused_then_allowed_and_recorded(
    tracked: Repo,
) -> None:
    save_model(tracked)
    before = _status(tracked)
    refused = tracked.cli("register", "churn")
    assert refused.exit_code == 6
    assert "models/churn.pkl on disk differs from what commit" in refused.stderr
    assert _status(tracked) == before

    result = data(tracked, "register", "churn", "--allow-uncommitted")
    # The commit records v1.0.0's artifact (not the one on disk): both are said.
    uncommitted, same = result["notices"]
    assert uncommitted["kind"] == "uncommitted"
    assert uncommitted["paths"] == ["models/churn.pkl"]
    assert "--allow-uncommitted" in uncommitted["message"]
    assert (same["kind"], same["version"]) == ("same-artifact", "1.0.0")
    assert _metadata(tracked, "churn@1.1.0")["uncommitted"] == ["models/churn.pkl"]


@pytest.mark.parametrize(
    ("name", "text"),
    [("metrics.json", json.dumps({"accuracy": 0.9})), ("params.yaml", "lr: 0.2\n")],
)
def test_uncommitted_metrics_or_params_are_refused_without_path(
    tracked: Repo, name: str, text: str
) -> None:
    (tracked.path / name).write_text(text)
    before = _status(tracked)
    refused = tracked.cli("register", "churn", "--bump", "auto")
    assert refused.exit_code == 6
    message = " ".join(refused.stderr.split())
    assert f"{name} has uncommitted changes: the version would record commit" in message
    assert "commit it and register that commit" in message
    assert _status(tracked) == before


def test_register_path_refuses_uncommitted_metrics_then_bumps_them_once_committed(
    tracked: Repo,
) -> None:
    retrained = save_model(tracked)
    (tracked.path / "metrics.json").write_text(json.dumps({"accuracy": 0.9}))
    before = _status(tracked)
    refused = tracked.cli("register", "churn", "--path", "models/churn.pkl", "--bump", "auto")
    assert refused.exit_code == 6
    message = " ".join(refused.stderr.split())
    assert "metrics.json has uncommitted changes" in message
    assert "commit it first (the declaration commit takes only the model's declaration)" in (
        message
    )
    assert _status(tracked) == before  # nothing tracked, declared or committed

    tracked.git("commit", "-q", "-m", "Evaluate the retrained model", "metrics.json")
    result = data(tracked, "register", "churn", "--path", "models/churn.pkl", "--bump", "auto")
    assert result["version"]["version"] == "1.1.0"
    assert result["bump_reason"] == "metrics changed: accuracy 0.8 -> 0.9"
    assert result["version"]["artifact"]["md5"] == md5(retrained)
    assert result["notices"] == []


def test_the_same_artifact_on_a_new_commit_is_registered_and_said(tracked: Repo) -> None:
    artifact = md5(tracked.path / "models" / "churn.pkl")
    result = tracked.cli("register", "churn", "--bump", "patch")
    assert result.exit_code == 0, result.stderr
    assert f"warning: same artifact as v1.0.0 (md5 {artifact})" in result.stderr
    ok(tracked, "archive", "churn@1.0.1")
    tracked.commit("more docs", files={"README.md": "churn, again\n"})
    [notice] = data(tracked, "register", "churn", "--bump", "patch")["notices"]
    assert notice == {
        "kind": "same-artifact",
        "message": f"same artifact as v1.0.1 (archived) (md5 {artifact})",
        "paths": ["models/churn.pkl"],
        "version": "1.0.1",
    }


def test_a_new_artifact_is_not_said_to_be_the_same(tracked: Repo) -> None:
    save_model(tracked)
    result = data(tracked, "register", "churn", "--path", "models/churn.pkl")
    assert result["committed"] == ["models/churn.pkl.dvc"]
    assert result["notices"] == []


# --- DVC set up but never committed -----------------------------------------------------


def test_register_path_refuses_a_dvc_setup_that_was_never_committed(
    repo: Repo, tmp_path: Path
) -> None:
    storage = tmp_path / "dvc-storage"
    storage.mkdir()
    dvc(repo, "init", "-q")
    dvc(repo, "remote", "add", "-d", "storage", str(storage))
    save_model(repo)
    before = _status(repo)
    for flags in ([], ["--allow-uncommitted"]):
        refused = repo.cli("register", "churn", "--path", "models/churn.pkl", *flags)
        assert refused.exit_code == 6, refused.stderr
        message = " ".join(refused.stderr.split())
        assert ".dvc/config is not committed" in message
        assert "git add .dvc .dvcignore" in message
        assert _status(repo) == before

    repo.git("add", ".dvc", ".dvcignore")
    repo.git("commit", "-q", "-m", "Use DVC")
    result = data(repo, "register", "churn", "--path", "models/churn.pkl")
    assert result["version"]["artifact"]["path"] == "models/churn.pkl"
    assert repo.git("cat-file", "-t", "churn@v0.1.0^{commit}:.dvc/config") == "blob"
