"""The state cache is derived from the tags alone: whatever changes the tags (git-model,
plain `git tag`, another tool), what every-model commands print is what they print with
no cache at all; a damaged or missing cache only costs time."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
from pathlib import Path
from typing import Any

import pytest

from git_model import api
from git_model.cache import MAX_BYTES
from git_model.gitcmd import Git
from git_model.reading import listing
from git_model.state import build_state
from tests.conftest import BASE_TIME, Clock, Repo
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


@pytest.fixture
def registry(repo: Repo, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """Every kind of thing a model's summary holds: a tagger east of UTC, an artifact,
    annotations, stage holders, a lagging stage tag, a deprecated model, tags that cannot
    be read."""
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{BASE_TIME} +0530")
    ok(repo, "register", "churn", "--version", "1.0.0", "-m", "first: ünïcode")
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    clock.tick(60)
    two = repo.commit("two")
    artifact = (
        "Register churn v1.1.0-rc.1+b.7\n\nWritten-By: git-model\nModel-Type: sklearn\n"
        "Artifact-Path: models/churn.pkl\nArtifact-Md5: 0123456789abcdef0123456789abcdef\n"
        "Artifact-Size: 1234\n"
    )
    tag(repo, "churn@v1.1.0-rc.1+b.7", two, BASE_TIME + 100, artifact)
    ok(repo, "promote", "churn@1.1.0-rc.1", "--to", "dev")
    ok(repo, "annotate", "churn@1.1.0-rc.1", "uat=passed", "owner=ana")
    repo.git("tag", "-d", "churn#prod")  # lost: the stage tag lags its events
    ok(repo, "register", "fraud/tx", "--version", "0.1.0")
    ok(repo, "deprecate", "fraud/tx")
    repo.git("tag", "foo@created", "HEAD")
    repo.git("tag", "-a", "-m", "x", "ghost#prod#1", "HEAD")
    return repo


def _outputs(repo: Repo) -> tuple[Any, Any]:
    """What show --all and doctor return (doctor without repairing anything)."""
    return api.show(include_all=True, repo=repo.path), api.doctor(repo=repo.path)


def _damaged(good: bytes, rng: random.Random) -> bytes:
    damage = bytearray(good)
    kind = rng.choice(["flip", "truncate", "append", "all"])
    if kind in ("flip", "all"):
        for _ in range(rng.randint(1, 8)):
            damage[rng.randrange(len(damage))] ^= 1 << rng.randrange(8)
    if kind in ("truncate", "all"):
        del damage[rng.randrange(len(damage)) :]
    if kind in ("append", "all"):
        damage += rng.randbytes(rng.randint(1, 64))
    return bytes(damage)


def test_a_damaged_cache_changes_nothing_whatever_the_damage(registry: Repo) -> None:
    _cache(registry).unlink(missing_ok=True)
    shown, diagnosed = _outputs(registry)
    good = _cache(registry).read_bytes()
    rng = random.Random(20260101)  # noqa: S311  (seeded damage, not security)
    for _ in range(200):
        bad = _damaged(good, rng)
        _cache(registry).write_bytes(bad)
        assert api.show(include_all=True, repo=registry.path) == shown, bad
        _cache(registry).write_bytes(bad)
        assert api.doctor(repo=registry.path) == diagnosed, bad
    assert _cache(registry).read_bytes() == good  # rebuilt as it was


def test_a_pickle_in_the_cache_file_is_never_unpickled(registry: Repo, tmp_path: Path) -> None:
    expected = data(registry, "show", "--all")
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.mkdir, (str(marker),))

    payload = pickle.dumps(Payload())
    for content in (payload, hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload):
        _cache(registry).write_bytes(content)
        assert data(registry, "show", "--all") == expected
        assert not marker.exists()


def test_the_cache_is_json_and_gives_back_what_show_prints(registry: Repo) -> None:
    _cache(registry).unlink(missing_ok=True)
    printed = registry.cli("show", "--all", "--json").stdout  # built from the tags
    check, _, body = _cache(registry).read_bytes().partition(b"\n")
    assert check.decode() == hashlib.sha256(body).hexdigest()
    cached = json.loads(body)
    assert set(cached) == {"format", "stages", "groups"}
    assert registry.cli("show", "--all", "--json").stdout == printed  # read from the cache
    git = Git.discover(registry.path)
    config = api.open_registry(registry.path)[1]
    [churn] = [m for m in listing(git, config).models if m.name == "churn"]
    prod = churn.holder("prod")
    assert prod is not None and prod.since is not None
    assert str(prod.since.utcoffset()) == "5:30:00"  # the promoter's time zone, kept
    assert '"since": "2026-01-01T05:30:01+05:30"' in printed


def test_a_cache_beyond_the_bound_is_not_read(registry: Repo) -> None:
    expected = _outputs(registry)
    with _cache(registry).open("r+b") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk used
    assert _outputs(registry) == expected
    assert _cache(registry).stat().st_size < 1024 * 1024
