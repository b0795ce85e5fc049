"""``check-ref``: what a pushed registry tag means, for the CI job its push started; and
the CI files in docs/ci, whose scripts run here as the CIs run them, with the variables
they set (GITHUB_REF, CI_COMMIT_TAG), in a real clone of a real bare server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Clock, Repo
from tests.helpers import data, ok, run_ci_script
from tests.remotes import Shared, make_shared, save_model

DOCS_CI = Path(__file__).resolve().parents[1] / "docs" / "ci"


def meaning(repo: Repo, ref: str) -> dict[str, Any]:
    return data(repo, "check-ref", ref)  # type: ignore[no-any-return]


@pytest.fixture
def churn(repo: Repo) -> Repo:
    """churn v1.0.0 went to prod, v1.1.0 replaced it, was rolled back, then demoted."""
    ok(repo, "register", "churn", "--version", "1.0.0")
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")  # churn#prod#1
    repo.commit("retrain")
    ok(repo, "register", "churn", "--version", "1.1.0")
    ok(repo, "promote", "churn@1.1.0", "--to", "prod")  # churn#prod!#2, churn#prod#3
    ok(repo, "rollback", "churn#prod")  # churn#prod!#4, churn#prod#5
    ok(repo, "annotate", "churn@1.0.0", "uat=passed")  # churn@v1.0.0#note#6
    return repo


def test_what_each_kind_of_registry_tag_means(churn: Repo) -> None:
    first = meaning(churn, "refs/tags/churn#prod#1")
    assert (first["kind"], first["version"]["version"], first["stage"]) == (
        "promoted",
        "1.0.0",
        "prod",
    )
    assert (first["previous"], first["holder"], first["current"]) == (None, "1.0.0", False)
    second = meaning(churn, "churn#prod#3")
    assert (second["kind"], second["previous"], second["current"]) == ("promoted", "1.0.0", False)
    back = meaning(churn, "refs/tags/churn#prod#5")
    assert (back["kind"], back["version"]["version"], back["previous"], back["current"]) == (
        "rolled-back",
        "1.0.0",
        "1.1.0",
        True,
    )
    moving = meaning(churn, "refs/tags/churn#prod")  # the stage tag: the event behind it
    assert (moving["stage_tag"], moving["event"]["tag"], moving["current"]) == (
        True,
        "churn#prod#5",
        True,
    )
    demoted = meaning(churn, "churn#prod!#4")
    assert (demoted["kind"], demoted["version"]["version"], demoted["current"]) == (
        "demoted",
        "1.1.0",
        True,
    )
    registered = meaning(churn, "refs/tags/churn@v1.1.0")
    assert (registered["kind"], registered["stage"], registered["artifact"]) == (
        "registered",
        None,
        None,
    )
    note = meaning(churn, "churn@v1.0.0#note#6")
    assert note["kind"] == "annotated"
    ok(churn, "archive", "churn@1.1.0")
    ok(churn, "deprecate", "churn")
    assert meaning(churn, "churn@v1.1.0!#7")["kind"] == "archived"
    gone = meaning(churn, "churn@deprecated#9")
    assert (gone["kind"], gone["version"], gone["current"]) == ("deprecated", None, True)
    text = churn.cli("check-ref", "refs/tags/churn#prod#3").stdout
    assert text.splitlines()[0] == "churn#prod#3: churn v1.1.0 promoted to prod"
    assert "Current       no: a later event superseded it" in text


def test_refs_that_are_not_registry_tags_or_are_not_here(churn: Repo) -> None:
    for ref in ("refs/heads/main", "refs/tags/v1.0", "refs/tags/churn"):
        result = churn.cli("check-ref", ref)
        assert result.exit_code == 4, ref
        assert "is not a registry tag" in result.stderr and "can skip this ref" in result.stderr
    missing = churn.cli("check-ref", "refs/tags/churn#prod#99")
    assert missing.exit_code == 5
    assert "no readable registry tag 'refs/tags/churn#prod#99' here" in missing.stderr


# --- the CI files, run as their CIs run them ----------------------------------------------


def _script(name: str, job: str = "registry-tag") -> str:
    """The shell script of one of the CI file's jobs."""
    spec = yaml.safe_load((DOCS_CI / name).read_text())
    if name.startswith("github"):
        return str(spec["jobs"][job]["steps"][-1]["run"])
    return str(spec["registry-validate" if job == "validate" else job]["script"][-1])


def _run_ci(
    clone: Repo, name: str, env: dict[str, str], job: str = "registry-tag"
) -> subprocess.CompletedProcess[str]:
    return run_ci_script(clone.path, _script(name, job), env)


CIS = [
    ("github-registry-tags.yml", lambda tag: {"GITHUB_REF": f"refs/tags/{tag}"}),
    ("gitlab-registry-tags.yml", lambda tag: {"CI_COMMIT_TAG": tag}),
]


@pytest.fixture
def shared(tmp_path: Path, clock: Clock) -> Shared:
    return make_shared(tmp_path)


@pytest.mark.parametrize(("name", "variables"), CIS, ids=[n for n, _ in CIS])
def test_the_ci_files_deploy_a_current_prod_change_only(
    shared: Shared, name: str, variables: Any
) -> None:
    alice = shared.alice
    save_model(alice)
    ok(alice, "register", "churn", "--path", "models/churn.pkl", "--version", "1.0.0", "--push")
    ok(alice, "promote", "churn@1.0.0", "--to", "prod", "--push")
    save_model(alice)
    ok(alice, "register", "churn", "--path", "models/churn.pkl", "--version", "1.1.0", "--push")
    ok(alice, "promote", "churn@1.1.0", "--to", "staging", "--push")
    ci = shared.clone("ci")  # the CI's checkout: a fresh clone of the server

    deployed = _run_ci(ci, name, variables("churn#prod#1"))
    assert deployed.returncode == 0, deployed.stderr
    assert "deploying churn@1.0.0" in deployed.stdout
    assert (ci.path / "deploy" / "model").read_bytes() != b""

    for tag, said in (("churn#staging#2", "nothing to deploy"), ("churn@v1.1.0", "nothing to")):
        skipped = _run_ci(ci, name, variables(tag))
        assert skipped.returncode == 0, skipped.stderr
        assert said in skipped.stdout

    ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--push")  # supersedes churn#prod#1
    late = _run_ci(ci, name, variables("churn#prod#1"))
    assert late.returncode == 0, late.stderr
    assert "nothing to deploy" in late.stdout  # a late job never deploys the older version

    branch = _run_ci(ci, name, variables("not-a-registry-tag"))
    assert branch.returncode == 0 and "not a registry tag" in branch.stdout
    assert json.loads((ci.path / "tag.json").read_text() or "{}") == {}


@pytest.mark.parametrize("name", [n for n, _ in CIS])
def test_the_ci_files_validate_every_push(shared: Shared, name: str) -> None:
    alice = shared.alice
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    ci = shared.clone("ci")
    valid = _run_ci(ci, name, {"GITHUB_REF": "refs/heads/main"}, job="validate")
    assert valid.returncode == 0, valid.stderr
    assert "The registry is consistent." in valid.stdout
    alice.commit("Oops", files={"git-model.yaml": "stages: [dev, dev]\n"})
    alice.git("push", "-q", "origin", "HEAD")
    broken = shared.clone("ci-broken")
    refused = _run_ci(broken, name, {"GITHUB_REF": "refs/heads/main"}, job="validate")
    assert refused.returncode == 9, refused.stdout + refused.stderr
    assert "git-model.yaml" in refused.stdout + refused.stderr
