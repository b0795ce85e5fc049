"""The state cache is derived from the tags alone: whatever changes the tags (git-model,
plain `git tag`, another tool), what every-model commands print is what they print with
no cache at all; a damaged or missing cache only costs time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from git_model import api
from git_model.gitcmd import Git
from git_model.reading import listing
from git_model.state import build_state
from tests.conftest import BASE_TIME, Repo
from tests.helpers import data, ok, tag


def _cache(repo: Repo) -> Path:
    return repo.path / ".git" / "git-model" / "state.cache"


def _json(repo: Repo, *args: str) -> Any:
    """--json output, whatever the exit code (doctor exits 1 when it finds a problem)."""
    return json.loads(repo.cli(*args, "--json").stdout)


def _same_with_and_without_cache(repo: Repo) -> None:
    for args in (("show", "--all"), ("history",), ("doctor",)):
        cached = _json(repo, *args)  # warm (or refreshed) cache
        assert _json(repo, *args) == cached
        _cache(repo).unlink(missing_ok=True)
        assert _json(repo, *args) == cached, args


def test_every_change_to_the_tags_is_seen(repo: Repo) -> None:
    ok(repo, "register", "churn", "--version", "1.0.0")
    repo.commit("two")
    ok(repo, "register", "churn", "--version", "1.1.0")
    ok(repo, "register", "fraud/tx", "--version", "0.1.0")
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    _same_with_and_without_cache(repo)

    # Changes made behind git-model's back, one model at a time.
    v110 = repo.git("rev-parse", "churn@v1.1.0^{commit}")
    tag(repo, "churn#prod#9", v110, BASE_TIME + 500)  # another tool promotes
    _same_with_and_without_cache(repo)
    assert data(repo, "show")["models"][0]["stages"][2]["holder"]["version"] == "1.1.0"

    repo.git("tag", "-d", "churn#prod#9")  # and the event disappears again
    _same_with_and_without_cache(repo)
    repo.git("tag", "-d", "churn#prod")  # a lagging stage tag: git-model's, gone
    _same_with_and_without_cache(repo)
    assert _json(repo, "doctor")["lags"]

    repo.git("tag", "foo@created", "HEAD")  # a tag that crashes GTO
    repo.git("tag", "-a", "-m", "x", "ghost#prod#1", "HEAD")  # a model with no version
    _same_with_and_without_cache(repo)
    skipped = {s["tag"] for s in _json(repo, "doctor")["skipped"]}
    assert {"foo@created", "ghost#prod#1"} <= skipped

    for ref in repo.git("tag", "-l", "fraud/*").splitlines():  # a model goes away
        repo.git("tag", "-d", ref)
    _same_with_and_without_cache(repo)
    assert [m["name"] for m in data(repo, "show")["models"]] == ["churn"]


def test_the_cache_follows_the_configured_stage_order(repo: Repo) -> None:
    ok(repo, "register", "churn")
    for stage in ("prod", "dev"):
        ok(repo, "promote", "churn@0.1.0", "--to", stage)
    assert data(repo, "show")["models"][0]["latest"]["stages"] == ["dev", "prod"]
    (repo.path / "git-model.yaml").write_text("stages: [prod, dev]\n")
    assert data(repo, "show")["models"][0]["latest"]["stages"] == ["prod", "dev"]


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_damaged_cache_is_rebuilt(repo: Repo, damage: bytes) -> None:
    ok(repo, "register", "churn")
    expected = data(repo, "show")
    _cache(repo).write_bytes(damage)
    assert data(repo, "show") == expected
    assert _cache(repo).read_bytes() != damage


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(repo: Repo) -> None:
    ok(repo, "register", "churn")
    (repo.path / ".git" / "git-model").write_text("a file where the cache's folder goes")
    assert [m["name"] for m in data(repo, "show")["models"]] == ["churn"]
    assert [m["name"] for m in data(repo, "show")["models"]] == ["churn"]


def test_the_cached_listing_equals_the_one_built_from_every_tag(repo: Repo) -> None:
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "dev")
    ok(repo, "annotate", "churn@0.1.0", "uat=passed")
    repo.git("tag", "foo@created", "HEAD")
    ok(repo, "show")  # fills the cache
    git = Git.discover(repo.path)
    config = api.open_registry(repo.path)[1]
    cached = listing(git, config)
    full = build_state(git.list_tags(), config.stages)
    assert cached.models == tuple(m.brief() for m in full.models)
    assert cached.skipped == full.skipped
