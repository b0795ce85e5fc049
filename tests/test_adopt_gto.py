"""Adopting a registry that GTO wrote (issue 14): git-model reads it as GTO does, and no
git-model write loses anything GTO wrote. Every registry here is written by the real
``gto`` CLI (see ``gto_oracle``), laid out like the DVC project's GTO example: ``churn``,
``segment`` and ``cv-class``, counted assignments, ``--simple`` stage tags (one after the
stage's last counted event, one before a later counted event) and a deprecation.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_TIME, Clock, Repo, isolate
from tests.gto_oracle import (
    STEP,
    Ev,
    Gto,
    gm_events,
    gm_registry,
    gto_events,
    gto_registry,
    split_stage_tag_echoes,
)
from tests.helpers import churn_in_prod, data, git_calls, ok, stages
from tests.remotes import git_at
from tests.test_hooks import POLICY, accepted, craft, make_team

# --- the registry GTO wrote ---------------------------------------------------------------


class Built:
    """The GTO registry, built once per module: its path and what GTO read in it."""

    def __init__(self, path: Path, end: int, history: list[Ev], simple: dict[str, str]) -> None:
        self.path = path
        self.end = end  # the clock after GTO's last write
        self.history = history  # gto history, every model
        self.simple = simple  # the --simple stage tags: name -> object id


# What GTO writes, in order (one command every STEP seconds), with two commits: the first
# holds churn v3.0.0, segment v0.4.1, cv-class v0.1.13 and legacy v1.0.0; the second churn
# v3.1.0 and cv-class v0.2.0 (FIRST and SECOND stand for them).
FIRST, SECOND = "HEAD~1", "HEAD"
SIMPLE = ("--simple", "true")
GTO_WRITES = (
    ("register", "churn", FIRST, "--version", "v3.0.0"),
    ("register", "segment", FIRST, "--version", "v0.4.1"),
    ("register", "cv-class", FIRST, "--version", "v0.1.13"),
    ("register", "churn", SECOND, "--version", "v3.1.0"),
    ("assign", "churn", "--version", "v3.0.0", "--stage", "dev"),  # churn#dev#1
    ("assign", "churn", "--version", "v3.1.0", "--stage", "staging"),  # #2
    ("assign", "churn", "--version", "v3.0.0", "--stage", "prod"),  # #3
    # After prod's last counted event: prod is v3.1.0 (in GTO and git-model).
    ("assign", "churn", "--version", "v3.1.0", "--stage", "prod", *SIMPLE),
    ("assign", "churn", "--version", "v3.1.0", "--stage", "dev"),  # #4
    ("assign", "segment", "--version", "v0.4.1", "--stage", "dev"),  # segment#dev#1
    # Before a later counted event of the same stage, which wins.
    ("assign", "cv-class", "--version", "v0.1.13", "--stage", "prod", *SIMPLE),
    ("register", "cv-class", SECOND, "--version", "v0.2.0"),
    ("assign", "cv-class", "--version", "v0.2.0", "--stage", "prod"),  # cv-class#prod#1
    ("register", "legacy", FIRST, "--version", "v1.0.0"),
    ("deprecate", "legacy"),
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    path = tmp_path_factory.mktemp("gto-registry") / "repo"
    path.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(tmp_path_factory.mktemp("home"), monkeypatch)
        clock = Clock(monkeypatch)
        clock.set(BASE_TIME)
        repo = Repo(path)
        repo.git("init", "-q")
        shutil.rmtree(path / ".git" / "hooks")  # samples only: less to copy for every test
        repo.commit("Create models", {"models/churn.pkl": "1st version\n"})
        repo.commit("Update model", {"models/churn.pkl": "2nd version\n"})
        gto = Gto(path, clock)
        gto.write_all(GTO_WRITES)
        history = gto_events(gto.read(registry=True)("history"))
        simple = {
            t: repo.git("rev-parse", f"refs/tags/{t}") for t in ("churn#prod", "cv-class#prod")
        }
        return Built(path, clock.now, history, simple)


@pytest.fixture
def gto_repo(built: Built, repo: Repo, clock: Clock) -> Repo:
    """A copy of the GTO registry, the clock past its last tag."""
    shutil.rmtree(repo.path)
    shutil.copytree(built.path, repo.path, symlinks=True)
    clock.set(built.end + STEP)
    return repo


def identity(event: Ev) -> tuple[Any, ...]:
    """An event as GTO reports it, but for its tag's name (an adopted tag's copy has
    another name)."""
    return (
        event.model,
        event.kind,
        event.version,
        event.stage,
        event.commit,
        event.when,
        event.author,
        event.message,
    )


def lost(before: list[Ev], after: list[Ev]) -> list[Ev]:
    """The events of ``before`` that ``after`` no longer lists (as many times as before)."""
    have = Counter(identity(e) for e in after)
    missing = []
    for event in before:
        if have[identity(event)]:
            have[identity(event)] -= 1
        else:
            missing.append(event)
    return missing


def as_gto_lists(events: list[Ev]) -> list[Ev]:
    """git-model's events as GTO lists them: without annotations (``#note`` tags are
    outside GTO's grammar), a rollback as an assignment."""
    return [
        replace(e, kind="promoted") if e.kind == "rolled-back" else e
        for e in events
        if e.kind != "annotated"
    ]


def gto_history(repo: Repo, clock: Clock) -> list[Ev]:
    return gto_events(Gto(repo.path, clock).read(registry=True)("history"))


# --- reading ------------------------------------------------------------------------------


def test_git_model_reads_the_gto_registry_as_gto_does(gto_repo: Repo, clock: Clock) -> None:
    """A --simple ``churn#prod`` after prod's last counted event is prod's holder, not a
    lag; one before a later counted event (``cv-class#prod``) is an earlier holder; stages
    GTO never gave a stage tag are not lagging; doctor exits 0."""
    theirs = Gto(gto_repo.path, clock).read(registry=True)
    ours = gm_registry(data(gto_repo, "show", "--all"))
    assert gto_registry(theirs("show", "--deprecated")) == ours
    assert stages(gto_repo, "churn") == {"dev": "3.1.0", "staging": "3.1.0", "prod": "3.1.0"}
    assert stages(gto_repo, "cv-class")["prod"] == "0.2.0"
    assert data(gto_repo, "doctor")["lags"] == []
    assert gto_repo.cli("doctor").exit_code == 0
    assert "warning" not in gto_repo.cli("show").stderr


def test_doctor_fix_leaves_gto_stage_tags_alone(gto_repo: Repo, built: Built) -> None:
    before = gto_repo.refs()
    assert ok(gto_repo, "doctor", "--fix").strip() == "The registry is consistent."
    assert gto_repo.refs() == before


# --- writing: nothing GTO wrote is lost -----------------------------------------------------

WRITES: dict[str, tuple[str, ...]] = {
    "register": ("register", "churn", "--version", "3.2.0"),
    "promote": ("promote", "churn@3.0.0", "--to", "prod"),
    "demote": ("demote", "churn#prod"),
    "archive": ("archive", "churn@3.1.0", "--demote"),
    "deprecate": ("deprecate", "churn"),
    "rollback": ("rollback", "churn#prod"),
    "annotate": ("annotate", "churn@3.0.0", "uat=passed"),
    "doctor --fix": ("doctor", "--fix"),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_no_git_model_write_loses_a_gto_event(
    gto_repo: Repo, clock: Clock, built: Built, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Every event ``gto history`` listed before the write is still listed after it (an
    adopted ``--simple`` tag under its copy's name); a write that records events adopts
    churn's ``--simple`` tag in its one ``update-ref`` transaction; GTO and git-model then
    agree on every event, and doctor finds nothing to repair."""
    if name == "register":
        gto_repo.commit("Retrain", {"models/churn.pkl": "3rd version\n"})
    calls = git_calls(gto_repo, monkeypatch, *WRITES[name])
    after = gto_history(gto_repo, clock)
    assert lost(built.history, after) == []
    copies = [t for t in gto_repo.tags() if t.startswith("churn#prod#") and t != "churn#prod#3"]
    if name == "doctor --fix":
        assert calls["update-ref"] == 0
        assert copies == []
    else:
        assert calls["update-ref"] == 1
        copy = gto_repo.git("for-each-ref", "--format=%(contents)", f"refs/tags/{copies[0]}")
        assert f"Adopted: {built.simple['churn#prod']}" in copy.splitlines()
    if name in ("register", "annotate", "doctor --fix"):  # prod unchanged: its tag stays
        assert gto_repo.git("rev-parse", "refs/tags/churn#prod") == built.simple["churn#prod"]
    kept, _ = split_stage_tag_echoes(after)
    assert kept == as_gto_lists(gm_events(data(gto_repo, "history")))
    assert data(gto_repo, "doctor")["lags"] == []
    assert gto_repo.cli("doctor").exit_code == 0


def test_one_promote_on_a_gto_registry_leaves_nothing_to_repair(gto_repo: Repo) -> None:
    """After git-model's first write to a model GTO wrote, its other stages (GTO's counted
    ``segment#dev#1``, no stage tag) are not lagging."""
    ok(gto_repo, "promote", "segment@0.4.1", "--to", "prod")
    assert stages(gto_repo, "segment") == {"dev": "0.4.1", "staging": None, "prod": "0.4.1"}
    assert "warning" not in gto_repo.cli("show").stderr
    assert gto_repo.cli("doctor").exit_code == 0


def test_an_adopted_event_keeps_its_place_in_time(
    gto_repo: Repo, built: Built, clock: Clock
) -> None:
    """``cv-class#prod`` (--simple, v0.1.13) is older than ``cv-class#prod#1`` (v0.2.0).
    The first write copies it as ``cv-class#prod#2``: history shows the copy where it
    happened, before #1, with its date and author, and v0.2.0 stays in prod; demoting prod
    then empties it (were the copy placed by its counter, v0.1.13 would take prod back)."""
    original = next(e for e in built.history if e.tag == "cv-class#prod")
    out = ok(gto_repo, "annotate", "cv-class@0.2.0", "uat=passed")
    assert "Kept cv-class#prod, another tool's assignment, as the event cv-class#prod#2" in out
    # git-model's pointer from now on: it goes where the events put prod.
    assert "Repaired stage tag cv-class#prod: it now says v0.2.0, as its events do" in out
    assert stages(gto_repo, "cv-class")["prod"] == "0.2.0"
    assert gto_repo.cli("doctor").exit_code == 0
    assert lost(built.history, gto_history(gto_repo, clock)) == []
    events = data(gto_repo, "history", "cv-class", "--oldest-first")["events"]
    prod = [(e["tag"], e["counter"], e["version"]) for e in events if e["stage"] == "prod"]
    assert prod == [("cv-class#prod#2", 2, "0.1.13"), ("cv-class#prod#1", 1, "0.2.0")]
    copy = next(e for e in events if e["tag"] == "cv-class#prod#2")
    assert datetime.fromisoformat(copy["date"]) == original.when
    assert (copy["author"]["name"], copy["author"]["email"]) == original.author
    assert copy["message"] == original.message
    out = ok(gto_repo, "demote", "cv-class#prod")
    assert "Repaired" not in out
    assert stages(gto_repo, "cv-class")["prod"] is None
    assert gto_repo.cli("doctor").exit_code == 0


# --- stage tags GTO reads as one more assignment ---------------------------------------------


def test_gto_reads_each_stage_tag_as_the_assignment_it_repeats(repo: Repo, clock: Clock) -> None:
    """GTO lists ``churn#prod`` as one more assignment; it is the same one as the event
    (version, stage, commit, second, author, message), after a promotion and after a
    repair (which repeats the holder's event, not the moment of the repair)."""
    churn_in_prod(repo, dev=True)
    clock.tick(60)
    ok(repo, "promote", "churn@1.1.0", "--to", "prod", "-m", "AUC 0.91 vs 0.87")
    clock.tick(60)
    repo.git("tag", "-d", "churn#prod")
    clock.tick(60)
    assert "repaired stage tag churn#prod: it now says v1.1.0" in ok(repo, "doctor", "--fix")
    events = gto_history(repo, clock)
    kept, echoes = split_stage_tag_echoes(events)
    assert kept == gm_events(data(repo, "history"))
    assert sorted(e.tag for e in echoes) == ["churn#dev", "churn#prod"]
    for echo in echoes:
        event = next(e for e in kept if e.stage == echo.stage and e.kind == "promoted")
        assert identity(echo) == identity(event)


def test_only_the_final_state_is_reported_as_repaired(repo: Repo) -> None:
    """A write that changes a lagging stage reports no repair of it; a lag it repairs on
    another stage is reported with what the tag says once the write is done."""
    churn_in_prod(repo, dev=True)
    repo.git("tag", "-d", "churn#dev", "churn#prod")
    out = ok(repo, "demote", "churn#dev")
    assert "Repaired stage tag churn#dev" not in out
    assert "Repaired stage tag churn#prod: it now says v1.0.0, as its events do" in out
    assert stages(repo, "churn") == {"dev": None, "staging": None, "prod": "1.0.0"}


def test_a_server_hook_takes_the_copy_of_a_stage_tag_it_has(tmp_path: Path, clock: Clock) -> None:
    """A --simple stage tag pushed before the server's policy gated its stage: the copy a
    later write makes of it is no new assignment, and the hook does not gate it."""
    team = make_team(tmp_path, policy="stages: [dev, staging, prod]\n")
    alice = team.alice
    ok(alice, "register", "fraud", "--push")
    craft(alice, "fraud#prod", team.commit_of("fraud@v0.1.0"), ours=False)
    accepted(alice, "origin", "fraud#prod")
    alice.commit("Gate prod", files={"git-model.yaml": POLICY})
    accepted(alice, "origin", "main")
    clock.tick(60)
    out = ok(alice, "annotate", "fraud@0.1.0", "uat=passed", "--push")
    assert "Kept fraud#prod, another tool's assignment, as the event fraud#prod#1" in out
    assert git_at(team.server, "tag", "-l", "fraud#prod#1") == "fraud#prod#1"


def test_show_of_a_model_whose_versions_are_all_archived_says_so(repo: Repo) -> None:
    ok(repo, "register", "churn")
    ok(repo, "archive", "churn@0.1.0")
    assert ok(repo, "show", "churn").splitlines()[1:] == [
        "No versions to show: 1 archived version is hidden (add --all to see it)."
    ]
    assert "v0.1.0 (archived)" in ok(repo, "show", "churn", "--all")
