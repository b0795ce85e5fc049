"""GTO compatibility, both ways, against the real ``gto`` 1.10.1 (see ``gto_oracle``).

A. git-model writes, GTO reads: ``gto show``, ``gto show NAME`` and ``gto history [NAME]``
   report the same models, latest versions, stage holders, versions and events as
   ``git model show``, ``show NAME`` and ``history``.
B. GTO writes, git-model reads: the same comparison on registries that the gto CLI wrote
   (incremental ``#N`` tags, ``--simple`` stage tags, unassign, deregister, deprecate).

Differences between the tools are spelled out where they are tested, never hidden:

- GTO reads each moving stage tag ``NAME#STAGE`` as one more assignment of the current
  holder, stamped with the second of the event tag ``NAME#STAGE#N`` that it repeats.
  Those echoes are dropped from GTO's history before comparing (``split_stage_tag_echoes``)
  and asserted to be exactly one per held stage.
- GTO hides deregistered (archived) versions, and deprecated models unless ``--deprecated``;
  ``gto show NAME`` of a deprecated model is empty where git-model shows it flagged
  ``deprecated``. ``gto show --deprecated`` is compared with ``git model show --all``.
- After an unassignment GTO falls back to an older holder; git-model leaves the stage
  empty (``test_unassign_leaves_the_stage_empty_where_gto_falls_back``).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Clock, Repo
from tests.gto_oracle import (
    STEP,
    Ev,
    Gto,
    GtoReading,
    Row,
    VersionRow,
    gm_events,
    gm_registry,
    gm_versions,
    gto_events,
    gto_registry,
    gto_versions,
    holders,
    split_stage_tag_echoes,
    text_of,
)

# --- helpers ----------------------------------------------------------------------------------


def gm(repo: Repo, clock: Clock, *args: str) -> str:
    """Run a modifying ``git model`` command, STEP seconds after the previous command.

    git-model stamps a command's events one second apart; STEP keeps every event of the
    registry in a second of its own, so both tools order them (across models too) by time.
    """
    clock.tick(STEP)
    result = repo.cli(*args)
    assert result.exit_code == 0, f"git model {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def gm_json(repo: Repo, *args: str) -> Any:
    result = repo.cli(*args, "--json")
    assert result.exit_code == 0, f"git model {' '.join(args)}: {result.stdout}{result.stderr}"
    return json.loads(result.stdout)


def assert_same_registry(repo: Repo, gto: GtoReading) -> dict[str, Row]:
    """``gto show`` == ``git model show`` and ``gto show --deprecated`` == ``show --all``.

    Returns git-model's view with deprecated models.
    """
    ours = gm_registry(gm_json(repo, "show"))
    assert gto_registry(gto("show")) == ours
    assert not any(row.deprecated for row in ours.values())
    everything = gm_registry(gm_json(repo, "show", "--all"))
    assert gto_registry(gto("show", "--deprecated")) == everything
    return everything


def assert_same_versions(repo: Repo, gto: GtoReading, name: str) -> list[VersionRow]:
    """``gto show NAME [--deprecated]`` == ``git model show NAME [--all]``.

    Returns git-model's list with archived versions.
    """
    ours = gm_json(repo, "show", name)
    theirs = gto("show", name)
    if ours["deprecated"]:
        # GTO hides every version of a deprecated model unless asked for --deprecated.
        assert theirs == []
    else:
        assert gto_versions(theirs) == gm_versions(ours)
        assert all(v.active for v in gm_versions(ours))
    everything = gm_versions(gm_json(repo, "show", name, "--all"))
    assert gto_versions(gto("show", name, "--deprecated")) == everything
    return everything


def assert_same_history(
    repo: Repo, gto: GtoReading, echoes: set[tuple[str, str, str]], name: str | None = None
) -> list[Ev]:
    """``gto history [NAME]`` == ``git model history [NAME]``, but for GTO's stage-tag echoes.

    ``echoes``: the (model, stage, version) of every moving stage tag GTO must echo. Both
    lists are newest first; returns git-model's events, oldest first.
    """
    args = ("history",) if name is None else ("history", name)
    kept, echoed = split_stage_tag_echoes(gto_events(gto(*args)))
    ours = gm_events(gm_json(repo, *args))
    assert kept == ours
    found = [(e.model, str(e.stage), str(e.version)) for e in echoed]
    assert sorted(found) == sorted(echoes)
    return ours[::-1]


def held(repo: Repo, name: str | None = None) -> set[tuple[str, str, str]]:
    """(model, stage, version) of every held stage, per git-model (deprecated models too)."""
    return {h for h in holders(gm_json(repo, "show", "--all")) if name in {None, h[0]}}


def tag_info(repo: Repo, tag: str) -> tuple[str, int, str]:
    """(commit, tagger time, message) of an annotated tag."""
    target = repo.git("rev-parse", f"refs/tags/{tag}^{{commit}}")
    date = repo.git("for-each-ref", "--format=%(taggerdate:unix)", f"refs/tags/{tag}")
    message = repo.git("for-each-ref", "--format=%(contents)", f"refs/tags/{tag}")
    return target, int(date), message


# --- A. git-model writes, GTO reads -------------------------------------------------------------

A_MODELS = ("churn", "fraud/tx-classifier", "vision", "legacy")

# What the registry built by build_with_git_model holds (git model show --all).
A_REGISTRY = {
    # 1.2.0 was archived while in dev and staging; prod kept 1.0.0.
    "churn": Row(latest="1.1.0", stages=(("prod", "1.0.0"),), deprecated=False),
    "fraud/tx-classifier": Row(
        latest="0.2.0", stages=(("prod", "0.2.0"), ("staging", "0.2.0")), deprecated=False
    ),
    # rc.10 > rc.2 > rc.1 (numeric identifiers) > 0.9.0, whatever the registration order.
    "vision": Row(
        latest="1.0.0-rc.10",
        stages=(("dev", "1.0.0-rc.10"), ("staging", "1.0.0-rc.2")),
        deprecated=False,
    ),
    # Deprecating empties every stage.
    "legacy": Row(latest="0.2.0", stages=(), deprecated=True),
}

# (version, active, stages) per model, highest version first (show NAME --all).
A_VERSIONS = {
    "churn": [("1.2.0", False, ()), ("1.1.0", True, ()), ("1.0.0", True, ("prod",))],
    "fraud/tx-classifier": [("0.2.0", True, ("prod", "staging")), ("0.1.0", True, ())],
    "vision": [
        ("1.0.0-rc.10", True, ("dev",)),
        ("1.0.0-rc.2", True, ("staging",)),
        ("1.0.0-rc.1", True, ()),
        ("0.9.0", True, ()),
    ],
    "legacy": [("0.2.0", True, ()), ("0.1.0", True, ())],
}


def build_with_git_model(repo: Repo, clock: Clock) -> None:
    """Every kind of write, models interleaved so that the global history mixes them."""

    def register(name: str, version: str) -> None:
        repo.commit(f"{name} {version}")
        gm(repo, clock, "register", name, "--version", version)

    register("churn", "1.0.0")
    gm(repo, clock, "promote", "churn@1.0.0", "--to", "dev")
    gm(repo, clock, "promote", "churn#dev")  # NAME#STAGE: dev's holder to staging
    register("fraud/tx-classifier", "0.1.0")
    gm(repo, clock, "promote", "fraud/tx-classifier@0.1.0", "--to", "staging")
    gm(repo, clock, "promote", "churn#staging")  # to prod
    register("vision", "1.0.0-rc.1")
    gm(repo, clock, "promote", "vision@1.0.0-rc.1", "--to", "dev")
    register("churn", "1.1.0")
    gm(repo, clock, "promote", "churn@1.1.0", "--to", "dev")  # replaces 1.0.0
    register("legacy", "0.1.0")
    gm(repo, clock, "promote", "legacy@0.1.0", "--to", "prod")
    register("fraud/tx-classifier", "0.2.0")
    gm(repo, clock, "promote", "fraud/tx-classifier@0.2.0", "--to", "staging")  # replaces
    gm(repo, clock, "promote", "churn#dev")  # 1.1.0 to staging, replacing 1.0.0
    register("vision", "v1.0.0-rc.2")
    register("vision", "1.0.0-rc.10")
    gm(repo, clock, "promote", "vision@1.0.0-rc.10", "--to", "dev")  # replaces rc.1
    gm(repo, clock, "promote", "vision@v1.0.0-rc.2", "--to", "staging")
    gm(repo, clock, "promote", "fraud/tx-classifier#staging")  # 0.2.0 to prod
    register("churn", "1.2.0")
    gm(repo, clock, "demote", "churn#staging")  # 1.1.0 out; 1.0.0 does not come back
    gm(repo, clock, "promote", "churn@1.2.0", "--to", "dev")  # replaces 1.1.0
    register("legacy", "0.2.0")
    gm(repo, clock, "promote", "churn#dev")  # 1.2.0 to the empty staging
    gm(repo, clock, "archive", "churn@1.2.0", "--demote")  # holds dev and staging: both emptied
    register("vision", "0.9.0")
    gm(repo, clock, "deprecate", "legacy")  # holds prod: prod is emptied first


_BUILT_A: list[Path] = []  # per test process: registry A, built once and copied for each test


@pytest.fixture
def registry_a(repo: Repo, clock: Clock, tmp_path_factory: pytest.TempPathFactory) -> Gto:
    """``repo`` holding the registry of build_with_git_model; GTO in it."""
    if not _BUILT_A:
        build_with_git_model(repo, clock)
        _BUILT_A.append(tmp_path_factory.mktemp("registry-a") / "repo")
        shutil.copytree(repo.path, _BUILT_A[0], symlinks=True)
    else:
        shutil.rmtree(repo.path)
        shutil.copytree(_BUILT_A[0], repo.path, symlinks=True)
    return Gto(repo.path, clock)


def test_gto_reads_a_git_model_registry(repo: Repo, registry_a: Gto) -> None:
    """``gto show`` (same models, latest versions, stage holders; deprecated models only
    with ``--deprecated`` / ``--all``) and ``gto history`` (same events of every model in
    the same order, newest first; the only extra GTO events are the echoes of the moving
    stage tags, one per held stage)."""
    theirs = registry_a.read()
    assert assert_same_registry(repo, theirs) == A_REGISTRY
    events = assert_same_history(repo, theirs, echoes=held(repo))
    assert {e.kind for e in events} == {
        "registered",
        "promoted",
        "demoted",
        "archived",
        "deprecated",
    }
    assert len({e.model for e in events}) == len(A_MODELS)
    assert [e.when for e in events] == sorted(e.when for e in events)


@pytest.mark.parametrize("name", A_MODELS)
def test_gto_reads_each_model_of_a_git_model_registry(
    repo: Repo, registry_a: Gto, name: str
) -> None:
    """``gto show NAME [--deprecated]`` and ``gto history NAME`` agree with git-model for
    every model: a namespaced name, prerelease versions, an archived version, a deprecated
    model."""
    theirs = registry_a.read(name, registry=False)
    versions = assert_same_versions(repo, theirs, name)
    assert [(v.version, v.active, v.stages) for v in versions] == A_VERSIONS[name]
    events = assert_same_history(repo, theirs, echoes=held(repo, name), name=name)
    assert {e.model for e in events} == {name}
    counters = [int(e.tag.rsplit("#", 1)[1]) for e in events if "#" in e.tag]
    assert counters == sorted(counters)


def test_git_model_writes_the_unassignments_gto_needs(repo: Repo, registry_a: Gto) -> None:
    """Why GTO agrees: git-model unassigns a replaced, archived or deprecated holder
    explicitly (GTO would otherwise keep it in the stage, or fall back to it), and deletes
    the moving tag of a stage it empties."""
    tags = set(repo.tags())
    # churn: 1.0.0 replaced in dev and staging, 1.1.0 demoted from staging and replaced in
    # dev, 1.2.0 archived while in dev and staging.
    demotions = sorted(t.split("!")[0] for t in tags if t.startswith("churn#") and "!" in t)
    assert demotions == ["churn#dev"] * 3 + ["churn#staging"] * 3
    assert any(t.startswith("churn@v1.2.0!#") for t in tags)
    assert any(t.startswith("legacy#prod!#") for t in tags)
    assert not {"churn#dev", "churn#staging", "legacy#prod"} & tags
    assert {"churn#prod", "vision#dev", "vision#staging", "fraud/tx-classifier#prod"} <= tags


# --- B. GTO writes, git-model reads -----------------------------------------------------------


def commits(repo: Repo, count: int) -> list[str]:
    return [repo.commit(f"model {i}") for i in range(1, count + 1)]


def test_git_model_reads_an_incremental_gto_registry(repo: Repo, clock: Clock) -> None:
    """gto's default ``#N`` tags: assignments, a stage assigned to two versions in turn
    (the newer wins in both tools, although GTO wrote no unassignment), an unassignment
    of a stage nobody held before, a deregistration of a version that holds a stage."""
    gto = Gto(repo.path, clock)
    c1, c2, c3 = commits(repo, 3)
    start = clock.now
    gto.write_all(
        [
            ["register", "churn", c1, "--version", "v1.0.0"],
            ["register", "churn", c2, "--version", "v1.1.0"],
            ["register", "churn", c3, "--version", "v1.2.0"],
            ["assign", "churn", "--version", "v1.0.0", "--stage", "staging"],
            ["assign", "churn", "--version", "v1.1.0", "--stage", "staging"],
            ["assign", "churn", "--version", "v1.0.0", "--stage", "prod"],
            ["assign", "churn", "--version", "v1.1.0", "--stage", "dev"],
            ["deprecate", "churn", "v1.1.0", "dev"],  # unassign
            ["assign", "churn", "--version", "v1.2.0", "--stage", "dev"],
            ["deprecate", "churn", "v1.2.0"],  # deregister
            ["register", "fraud/tx-classifier", c3, "--version", "v2.0.0-rc.1"],
            ["assign", "fraud/tx-classifier", "--version", "v2.0.0-rc.1", "--stage", "prod"],
        ]
    )
    written = [
        "churn@v1.0.0",
        "churn@v1.1.0",
        "churn@v1.2.0",
        "churn#staging#1",
        "churn#staging#2",
        "churn#prod#3",
        "churn#dev#4",
        "churn#dev!#5",
        "churn#dev#6",
        "churn@v1.2.0!",
        "fraud/tx-classifier@v2.0.0-rc.1",
        "fraud/tx-classifier#prod#1",
    ]
    assert sorted(repo.tags()) == sorted(written)
    # Each gto command ran at its own fixed second (the wrapper's clock, not the wall's).
    assert [tag_info(repo, t)[1] for t in written] == [
        start + STEP * i for i in range(1, len(written) + 1)
    ]

    theirs = gto.read("churn")
    assert assert_same_registry(repo, theirs) == {
        "churn": Row(
            latest="1.1.0", stages=(("prod", "1.0.0"), ("staging", "1.1.0")), deprecated=False
        ),
        "fraud/tx-classifier": Row(
            latest="2.0.0-rc.1", stages=(("prod", "2.0.0-rc.1"),), deprecated=False
        ),
    }
    assert [
        (v.version, v.commit, v.active, v.stages)
        for v in assert_same_versions(repo, theirs, "churn")
    ] == [
        ("1.2.0", c3, False, ()),
        ("1.1.0", c2, True, ("staging",)),
        ("1.0.0", c1, True, ("prod",)),
    ]
    # GTO writes no moving stage tags here: nothing to echo.
    events = assert_same_history(repo, theirs, echoes=set())
    assert [e.tag for e in events] == written
    assert_same_history(repo, theirs, echoes=set(), name="churn")
    assert gm_json(repo, "show")["lags"] == []


def test_git_model_reads_gto_simple_stage_tags_and_deprecation(repo: Repo, clock: Clock) -> None:
    """``gto assign --simple true`` (``NAME#STAGE``, the stage's only record) and
    ``gto deprecate NAME`` (``NAME@deprecated``, no counter, stages left as they were)."""
    gto = Gto(repo.path, clock)
    c1, c2 = commits(repo, 2)
    simple = ("--simple", "true")
    gto.write_all(
        [
            ["register", "fraud/tx-classifier", c1, "--version", "v0.1.0"],
            ["register", "fraud/tx-classifier", c2, "--version", "v0.2.0"],
            ["assign", "fraud/tx-classifier", "--version", "v0.1.0", "--stage", "prod", *simple],
            ["assign", "fraud/tx-classifier", "--version", "v0.2.0", "--stage", "dev", *simple],
            ["register", "legacy", c1, "--version", "v1.0.0"],
            ["assign", "legacy", "--version", "v1.0.0", "--stage", "prod"],
            ["deprecate", "legacy"],
        ]
    )
    assert {"fraud/tx-classifier#prod", "fraud/tx-classifier#dev", "legacy@deprecated"} <= set(
        repo.tags()
    )

    theirs = gto.read("fraud/tx-classifier", "legacy")
    assert assert_same_registry(repo, theirs) == {
        "fraud/tx-classifier": Row(
            latest="0.2.0", stages=(("dev", "0.2.0"), ("prod", "0.1.0")), deprecated=False
        ),
        "legacy": Row(latest="1.0.0", stages=(("prod", "1.0.0"),), deprecated=True),
    }
    for name in ("fraud/tx-classifier", "legacy"):
        assert_same_versions(repo, theirs, name)
        assert_same_history(repo, theirs, echoes=set(), name=name)
    # A --simple tag is a real event (it has no #N twin): GTO keeps it, so does git-model.
    events = assert_same_history(repo, theirs, echoes=set())
    simple_events = [e for e in events if e.tag.startswith("fraud/tx-classifier#")]
    assert [(e.tag, e.version) for e in simple_events] == [
        ("fraud/tx-classifier#prod", "0.1.0"),
        ("fraud/tx-classifier#dev", "0.2.0"),
    ]
    assert events[-1].kind == "deprecated"
    assert events[-1].tag == "legacy@deprecated"
    assert gm_json(repo, "show", "--all")["lags"] == []


def test_unassign_leaves_the_stage_empty_where_gto_falls_back(repo: Repo, clock: Clock) -> None:
    """Deliberate divergence (PRODUCT.md: "Demoting leaves the stage empty").

    GTO keeps a stage as a label on every version it was assigned to until that version's
    own unassignment; it shows the newest of those labels. Here prod is assigned to v1.0.0,
    then to v1.1.0 (GTO writes no unassignment of v1.0.0), then unassigned from v1.1.0: GTO
    falls back to v1.0.0 silently, git-model shows prod empty (going back is an explicit
    promote/rollback). Both tools still agree on every event and on everything else.
    """
    gto = Gto(repo.path, clock)
    c1, c2 = commits(repo, 2)
    gto.write_all(
        [
            ["register", "churn", c1, "--version", "v1.0.0"],
            ["register", "churn", c2, "--version", "v1.1.0"],
            ["assign", "churn", "--version", "v1.0.0", "--stage", "prod"],
            ["assign", "churn", "--version", "v1.1.0", "--stage", "prod"],
            ["deprecate", "churn", "v1.1.0", "prod"],  # churn#prod!#3
        ]
    )

    # GTO: prod falls back to v1.0.0.
    theirs = gto.read("churn")
    assert gto_registry(theirs("show"))["churn"] == Row(
        latest="1.1.0", stages=(("prod", "1.0.0"),), deprecated=False
    )
    assert [(v.version, v.stages) for v in gto_versions(theirs("show", "churn"))] == [
        ("1.1.0", ()),
        ("1.0.0", ("prod",)),
    ]
    # git-model: prod is empty.
    assert gm_registry(gm_json(repo, "show"))["churn"] == Row(
        latest="1.1.0", stages=(), deprecated=False
    )
    assert [(v.version, v.stages) for v in gm_versions(gm_json(repo, "show", "churn"))] == [
        ("1.1.0", ()),
        ("1.0.0", ()),
    ]
    # The same events, in the same order.
    events = assert_same_history(repo, theirs, echoes=set(), name="churn")
    assert [(e.kind, e.version, e.tag) for e in events] == [
        ("registered", "1.0.0", "churn@v1.0.0"),
        ("registered", "1.1.0", "churn@v1.1.0"),
        ("promoted", "1.0.0", "churn#prod#1"),
        ("promoted", "1.1.0", "churn#prod#2"),
        ("demoted", "1.1.0", "churn#prod!#3"),
    ]


# --- foreign tags ------------------------------------------------------------------------------


def test_tags_that_crash_gto_are_skipped_and_reported(repo: Repo, clock: Clock) -> None:
    """``foo@created`` (GTO's grammar admits it, then every gto command crashes on it) and a
    lightweight ``churn@v9.9.9`` (GTO ignores it) are skipped by ``show`` and listed by
    ``doctor``."""
    gto = Gto(repo.path, clock)
    repo.commit("churn")
    gm(repo, clock, "register", "churn", "--version", "1.0.0")
    repo.git("tag", "churn@v9.9.9")  # lightweight, on the same commit
    assert assert_same_registry(repo, gto.read()) == {
        "churn": Row(latest="1.0.0", stages=(), deprecated=False)
    }

    repo.git("tag", "-a", "foo@created", "-m", "created")
    crashed = gto.run("show", "--json")
    assert crashed.returncode != 0
    assert "Unexpected error" in crashed.stderr

    show = gm_json(repo, "show")
    assert gm_registry(show) == {"churn": Row(latest="1.0.0", stages=(), deprecated=False)}
    assert {s["tag"] for s in show["skipped"]} == {"foo@created", "churn@v9.9.9"}
    assert [e["tag"] for e in gm_json(repo, "history")["events"]] == ["churn@v1.0.0"]
    doctor = repo.cli("doctor", "--json")
    assert doctor.exit_code == 0, doctor.stdout + doctor.stderr
    skipped = {s["tag"]: s["reason"] for s in json.loads(doctor.stdout)["skipped"]}
    assert set(skipped) == {"foo@created", "churn@v9.9.9"}
    assert "lightweight" in skipped["churn@v9.9.9"]


# --- mixed use ---------------------------------------------------------------------------------


def test_promoting_over_a_gto_simple_stage_tag_keeps_its_history(repo: Repo, clock: Clock) -> None:
    """A stage first given with ``gto assign --simple true``, then a git-model write (here
    a registration) and a promotion: the first write copies the simple tag into an event
    tag (same commit, tagger, date and message, and the object it adopts), so that the
    promotion may move ``NAME#STAGE``: the GTO assignment survives in both histories, and
    gto agrees on the new holder."""
    gto = Gto(repo.path, clock)
    c1 = repo.commit("churn 1")
    gto.write_all(
        [
            ["register", "churn", "HEAD", "--version", "v1.0.0"],
            ["assign", "churn", "--version", "v1.0.0", "--stage", "prod", "--simple", "true"],
        ]
    )
    original = tag_info(repo, "churn#prod")
    adopted = repo.git("rev-parse", "refs/tags/churn#prod")
    assert original[0] == c1
    # Read by git-model as it stands: the stage's only event.
    assert [e.tag for e in gm_events(gm_json(repo, "history", "churn"))] == [
        "churn#prod",
        "churn@v1.0.0",
    ]
    c2 = repo.commit("churn 2")
    assert "Tags written: churn#prod#1, churn@v1.1.0" in gm(
        repo, clock, "register", "churn", "--version", "1.1.0"
    )
    copy = tag_info(repo, "churn#prod#1")
    assert copy[:2] == original[:2]
    assert text_of(copy[2]) == original[2].strip()
    assert f"Adopted: {adopted}" in copy[2].splitlines()
    assert tag_info(repo, "churn#prod") == original  # not moved yet: git-model's pointer now
    gm(repo, clock, "promote", "churn@1.1.0", "--to", "prod")

    assert tag_info(repo, "churn#prod")[0] == c2
    theirs = gto.read("churn")
    events = assert_same_history(repo, theirs, echoes={("churn", "prod", "1.1.0")}, name="churn")
    assert [(e.kind, e.version, e.tag) for e in events] == [
        ("registered", "1.0.0", "churn@v1.0.0"),
        ("promoted", "1.0.0", "churn#prod#1"),  # GTO's simple assignment, kept
        ("registered", "1.1.0", "churn@v1.1.0"),
        ("demoted", "1.0.0", "churn#prod!#2"),
        ("promoted", "1.1.0", "churn#prod#3"),
    ]
    kept = next(
        e for e in gm_json(repo, "history", "churn")["events"] if e["tag"] == "churn#prod#1"
    )
    assert datetime.fromisoformat(kept["date"]).timestamp() == original[1]
    assert kept["message"] == original[2].strip()
    assert assert_same_registry(repo, theirs) == {
        "churn": Row(latest="1.1.0", stages=(("prod", "1.1.0"),), deprecated=False)
    }
    assert [(v.version, v.stages) for v in assert_same_versions(repo, theirs, "churn")] == [
        ("1.1.0", ("prod",)),
        ("1.0.0", ()),
    ]
