"""Two writes to one model are serialised, in one clone and through a shared remote: when
both read the registry before either writes, exactly one succeeds, the other exits 8 and
changes nothing, and every event counter stays unique. Writes to different models do not
block each other. Each round releases both writers at their first write
(tests/racing.py), so every round is a real race; the long variants run under ``slow``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Clock, Repo
from tests.helpers import data, ok
from tests.racing import Outcome, Race
from tests.remotes import git_at

# Odd rounds are staggered: both racers read, then one writes to the end before the other
# starts writing (the loser's guard is then the compare-and-swap alone, not a lock).
# The long variant's 100 rounds run as four tests of 25 rounds, each in a registry of its
# own, so that test workers share them: one test of 100 rounds kept a worker busy long
# after the rest of the suite had finished.
ROUNDS = [
    pytest.param(6, id="6-rounds"),
    *(pytest.param(25, id=f"100-rounds-{part}-of-4", marks=pytest.mark.slow) for part in "1234"),
]


def _registry(repo: Repo, model: str = "m") -> dict[str, Any]:
    """What must hold after any round: (events, per-stage holders, doctor's verdict)."""
    history = data(repo, "history", model, "--oldest-first")["events"]
    counters = [e["counter"] for e in history if e["counter"] is not None]
    assert len(counters) == len(set(counters)), Counter(counters).most_common(3)
    view = data(repo, "show", model, "--all")
    for version in view["versions"]:
        if version["archived"]:
            assert version["stages"] == [], f"archived {version['version']} holds a stage"
    by_commit = Counter(v["commit"] for v in view["versions"])
    assert max(by_commit.values()) == 1, "one commit holds two versions"
    if view["deprecated"]:
        assert all(cell["holder"] is None for cell in view["stages"])
    doctor = repo.cli("doctor", "--json")
    assert doctor.exit_code == 0, doctor.stdout
    return view


def _one_wins(outcomes: list[Outcome]) -> Outcome:
    codes = sorted(o.code for o in outcomes)
    assert codes == [0, 8], [(o.args, o.code, o.stdout, o.stderr) for o in outcomes]
    loser = next(o for o in outcomes if o.code == 8)
    assert "nothing was written" in loser.stderr
    assert loser.stderr.count("\n") == 1  # one line
    return next(o for o in outcomes if o.code == 0)


@pytest.mark.parametrize("rounds", ROUNDS)
def test_archive_racing_promote_in_one_clone(
    repo: Repo, clock: Clock, tmp_path: Path, rounds: int
) -> None:
    race = Race(tmp_path / "race")
    for n in range(rounds):
        clock.tick()
        repo.commit(f"v{n}")
        ok(repo, "register", "m", "--version", f"0.{n}.0")
        refs_before = repo.refs()
        winner = _one_wins(
            race.run(
                (repo.path, ["archive", f"m@0.{n}.0"]),
                (repo.path, ["promote", f"m@0.{n}.0", "--to", "dev"]),
                staggered=bool(n % 2),
            )
        )
        view = _registry(repo)
        latest = next(v for v in view["versions"] if v["version"] == f"0.{n}.0")
        assert latest["archived"] == (winner.args[0] == "archive")
        _nothing_of_the_loser(refs_before, repo.refs(), winner)


def _nothing_of_the_loser(before: str, after: str, winner: Outcome) -> None:
    """The new tags are the winner's kind only: an archive, or a promotion's."""
    names = {line.split()[0] for line in after.splitlines()} - {
        line.split()[0] for line in before.splitlines()
    }
    archived = {n for n in names if "@v" in n and n.split("!#")[0] != n}
    promoted = {n for n in names if "#dev#" in n or "#dev!#" in n}
    if winner.args[0] == "archive":
        assert len(archived) == 1, names
        assert not promoted, names
    else:
        assert not archived, names
        assert promoted, names


@pytest.mark.parametrize("rounds", ROUNDS)
def test_register_racing_register_in_one_clone(
    repo: Repo, clock: Clock, tmp_path: Path, rounds: int
) -> None:
    race = Race(tmp_path / "race")
    for n in range(rounds):
        clock.tick()
        commit = repo.commit(f"c{n}")
        model = f"m{n % 3}"  # a model's first version, and later ones
        outcomes = race.run(
            (repo.path, ["register", model, "--rev", commit, "--version", f"{n}.0.0"]),
            (repo.path, ["register", model, "--rev", commit, "--version", f"{n}.1.0"]),
            staggered=bool(n % 2),
        )
        winner = _one_wins(outcomes)
        view = _registry(repo, model)
        held = [v["version"] for v in view["versions"] if v["commit"] == commit]
        assert held == [winner.args[-1]]


PAIRS = [
    # (setup, first, second): two writes to model m that both read the same state
    ((), ("register", "m", "--version", "1.0.0"), ("register", "m", "--version", "1.0.0+b1")),
    ((), ("deprecate", "m"), ("promote", "m@0.1.0", "--to", "dev")),
    ((), ("deprecate", "m"), ("register", "m", "--version", "2.0.0")),
    (
        (("promote", "m@0.1.0", "--to", "dev"),),
        ("demote", "m#dev"),
        ("archive", "m@0.1.0", "--demote"),
    ),
    ((), ("annotate", "m@0.1.0", "uat=passed"), ("promote", "m@0.1.0", "--to", "prod")),
]


@pytest.mark.parametrize("pair", PAIRS)
def test_mixed_writes_to_one_model_are_serialised(
    repo: Repo,
    clock: Clock,
    tmp_path: Path,
    pair: tuple[tuple[tuple[str, ...], ...], tuple[str, ...], tuple[str, ...]],
) -> None:
    setup, first, second = pair
    ok(repo, "register", "m", "--version", "0.1.0")
    for args in setup:
        ok(repo, *args)
    clock.tick()
    repo.commit("new weights")
    _one_wins(Race(tmp_path / "race").run((repo.path, first), (repo.path, second)))
    _registry(repo)


def test_writes_to_different_models_do_not_block_each_other(repo: Repo, tmp_path: Path) -> None:
    ok(repo, "register", "churn", "--version", "1.0.0")
    ok(repo, "register", "fraud/tx", "--version", "1.0.0")
    ok(repo, "register", "fraud", "--version", "1.0.0")  # its head sits beside fraud/tx's
    race = Race(tmp_path / "race")
    outcomes = race.run(
        (repo.path, ["promote", "churn@1.0.0", "--to", "prod"]),
        (repo.path, ["promote", "fraud/tx@1.0.0", "--to", "prod"]),
        (repo.path, ["promote", "fraud@1.0.0", "--to", "prod"]),
    )
    assert [o.code for o in outcomes] == [0, 0, 0], [o.stderr for o in outcomes]
    for model in ("churn", "fraud/tx", "fraud"):
        assert data(repo, "show", model)["stages"][2]["holder"]["version"] == "1.0.0"


# --- through a shared remote ---------------------------------------------------------


@pytest.fixture
def clones(tmp_path: Path, repo: Repo) -> tuple[Path, Repo, Repo, Repo]:
    """A bare server and two clones of it (alice, bob), plus a third that only reads."""
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    repo.git("remote", "add", "origin", str(server))
    repo.git("push", "-q", "origin", "HEAD:refs/heads/main")
    ok(repo, "register", "m", "--version", "0.1.0", "--push")
    made = []
    for name in ("bob", "reader"):
        git_at(tmp_path, "clone", "-q", str(server), name)
        made.append(Repo(tmp_path / name))
    return server, repo, made[0], made[1]


def _server_agrees(server: Path, reader: Repo) -> dict[str, Any]:
    """The server's registry read in a fresh fetch: consistent, stage tags where the
    events say, counters unique."""
    fetched = reader.cli("fetch")
    assert fetched.exit_code == 0, fetched.stderr
    tags = git_at(server, "for-each-ref", "--format=%(refname)", "refs/tags/m#*")
    counters = [int(t.rsplit("#", 1)[1]) for t in tags.splitlines() if t.count("#") == 2]
    assert len(counters) == len(set(counters)), sorted(counters)
    view = _registry(reader)
    for cell in view["stages"]:
        stage_tag = git_at(
            server, "for-each-ref", "--format=%(*objectname)", f"refs/tags/m#{cell['stage']}"
        )
        holder = cell["holder"]
        assert (stage_tag or None) == (holder["commit"] if holder else None), cell
    return view


@pytest.mark.parametrize("rounds", ROUNDS)
def test_archive_racing_promote_from_two_clones(
    clones: tuple[Path, Repo, Repo, Repo], clock: Clock, tmp_path: Path, rounds: int
) -> None:
    server, alice, bob, reader = clones
    race = Race(tmp_path / "race")
    for n in range(1, rounds + 1):
        clock.tick()
        alice.commit(f"v{n}")
        alice.git("push", "-q", "origin", "HEAD:refs/heads/main")
        ok(alice, "register", "m", "--version", f"1.{n}.0", "--push")
        bob.git("fetch", "-q", "origin")
        server_before = git_at(server, "for-each-ref", "--format=%(refname) %(objectname)")
        winner = _one_wins(
            race.run(
                (alice.path, ["archive", f"m@1.{n}.0", "--push"]),
                (bob.path, ["promote", f"m@1.{n}.0", "--to", "dev", "--push"]),
                staggered=bool(n % 2),
            )
        )
        view = _server_agrees(server, reader)
        version = next(v for v in view["versions"] if v["version"] == f"1.{n}.0")
        assert version["archived"] == (winner.args[0] == "archive")
        after = git_at(server, "for-each-ref", "--format=%(refname) %(objectname)")
        _nothing_of_the_loser(server_before, after, winner)


@pytest.mark.parametrize("rounds", ROUNDS)
def test_register_racing_register_from_two_clones(
    clones: tuple[Path, Repo, Repo, Repo], clock: Clock, tmp_path: Path, rounds: int
) -> None:
    server, alice, bob, reader = clones
    race = Race(tmp_path / "race")
    for n in range(1, rounds + 1):
        clock.tick()
        commit = alice.commit(f"c{n}")
        alice.git("push", "-q", "origin", "HEAD:refs/heads/main")
        bob.git("pull", "-q", "--ff-only", "origin", "main")
        winner = _one_wins(
            race.run(
                (alice.path, ["register", "m", "--version", f"{n}.0.0", "--push"]),
                (bob.path, ["register", "m", "--version", f"{n}.1.0", "--push"]),
                staggered=bool(n % 2),
            )
        )
        view = _server_agrees(server, reader)
        held = [v["version"] for v in view["versions"] if v["commit"] == commit]
        assert held == [winner.args[3]]
    assert json.loads(reader.cli("doctor", "--json").stdout)["lags"] == []
