"""Crashes and concurrent writers leave nothing ambiguous: every prefix of a write is a state
the registry understands, a lagging stage tag is reported and repaired, a held lock is a
clear "busy", and a write that lost a race says who won and changes nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence

import pytest

from git_model import api, reading, writing
from git_model.state import Model
from tests.conftest import BIN, Repo
from tests.helpers import churn_in_prod, data, ok, stages


@pytest.fixture
def churn(repo: Repo) -> Repo:
    """churn v1.0.0 in prod, v1.1.0 in dev."""
    return churn_in_prod(repo, dev=True)


def _update_refs(repo: Repo, lines: list[str]) -> None:
    repo.git("update-ref", "--stdin", input="".join(f"{line}\n" for line in lines))


def test_every_prefix_of_a_promotion_is_understood_and_repaired(churn: Repo) -> None:
    before = churn.refs()
    old_stage_tag = churn.git("rev-parse", "refs/tags/churn#prod")
    old_head = churn.git("rev-parse", "refs/git-model/models/churn@head")
    written = data(churn, "promote", "churn@1.1.0", "--to", "prod")["refs"]
    assert [r["ref"] for r in written] == [
        "refs/tags/churn#prod!#3",  # immutable events first...
        "refs/tags/churn#prod#4",
        "refs/tags/churn#prod",  # ...the moving stage tag last
    ]
    for cut, expected_holder in ((1, None), (2, "1.1.0")):
        # Put the registry back, then replay only the first `cut` ref updates, as a crash
        # in the middle of Git's transaction would leave them.
        _update_refs(churn, [f"delete {r['ref']}" for r in written[:2]])
        _update_refs(churn, [f"update refs/tags/churn#prod {old_stage_tag}"])
        _update_refs(churn, [f"update refs/git-model/models/churn@head {old_head}"])
        assert churn.refs() == before
        _update_refs(churn, [f"create {r['ref']} {r['new']}" for r in written[:cut]])

        view = data(churn, "show", "churn")
        assert stages(churn, "churn")["prod"] == expected_holder  # the events are the truth
        [lag] = view["lags"]
        assert lag["stage"] == "prod"
        assert lag["expected"] == expected_holder
        warning = churn.cli("show").stderr
        assert "stage tag churn#prod points at" in warning
        assert "repairs the tag" in warning
        if expected_holder:
            assert data(churn, "describe", "churn#prod")["version"]["version"] == expected_holder
        else:
            assert churn.cli("describe", "churn#prod").exit_code == 5

    # The next write to the model repairs the stage tag, whatever it was about.
    churn.commit("third")
    result = data(churn, "register", "churn", "--version", "1.2.0")
    assert [lag["stage"] for lag in result["repaired"]] == ["prod"]
    assert churn.git("rev-parse", "churn#prod^{commit}") == churn.git(
        "rev-parse", "churn@v1.1.0^{commit}"
    )
    assert data(churn, "show", "churn")["lags"] == []


def test_a_missing_stage_tag_is_reported_and_doctor_fixes_it(churn: Repo) -> None:
    churn.git("tag", "-d", "churn#prod")
    report = churn.cli("doctor")
    assert report.exit_code == 1
    assert "churn#prod points at nowhere" in report.stderr
    fixed = json.loads(churn.cli("doctor", "--fix", "--json").stdout)
    assert [lag["tag"] for lag in fixed["repaired"]] == ["churn#prod"]
    assert churn.git("rev-parse", "churn#prod^{commit}") == churn.git(
        "rev-parse", "churn@v1.0.0^{commit}"
    )
    assert churn.cli("doctor").exit_code == 0


def test_a_first_promotion_cut_short_is_reported(repo: Repo) -> None:
    """The model keeps no stage tag yet; its event says git-model wrote it, so the missing
    tag is a lag (a GTO registry, whose events carry no such mark, keeps none)."""
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "prod")
    repo.git("tag", "-d", "churn#prod")  # as if the write stopped before its last ref
    [lag] = data(repo, "show", "churn")["lags"]
    assert (lag["stage"], lag["expected"], lag["actual_commit"]) == ("prod", "0.1.0", None)
    ok(repo, "doctor", "--fix")
    assert "churn#prod" in repo.tags()


def test_a_held_ref_lock_is_busy_and_changes_nothing(churn: Repo) -> None:
    lock = churn.path / ".git" / "refs" / "tags" / "churn#prod.lock"
    lock.write_text("")
    before = churn.refs()
    result = churn.cli("promote", "churn@1.1.0", "--to", "prod")
    assert result.exit_code == 8
    assert ".git/refs/tags/churn#prod.lock exists: another Git process is at" in result.stderr
    assert "retry" in result.stderr
    assert churn.refs() == before
    report = churn.cli("doctor")
    assert report.exit_code == 1
    assert ".git/refs/tags/churn#prod.lock" in report.stdout
    lock.unlink()
    ok(churn, "promote", "churn@1.1.0", "--to", "prod")


def test_a_write_that_lost_a_race_says_who_won_and_changes_nothing(
    churn: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A reads the registry; writer B promotes; A's transaction must fail whole."""
    stale = reading.read_for_write(api.Git.discover(churn.path), "churn", ())
    ok(churn, "promote", "churn@1.1.0", "--to", "staging", "-m", "B was faster")
    after_b = churn.refs()

    real = reading.read_for_write
    reads = iter([stale])

    def first_read_is_stale(git: api.Git, name: str, order: Sequence[str]) -> Model:
        return next(reads, None) or real(git, name, order)

    monkeypatch.setattr(writing, "read_for_write", first_read_is_stale)
    result = churn.cli("promote", "churn@1.0.0", "--to", "staging")
    assert result.exit_code == 8
    assert "changed while this command ran" in result.stderr
    assert "promoted v1.1.0 to staging" in result.stderr
    assert "churn#staging#3" in result.stderr
    assert "re-run" in result.stderr
    assert churn.refs() == after_b


def test_racing_processes_never_corrupt_the_registry(churn: Repo) -> None:
    """Two real processes promote different versions to one stage at once, many times."""
    exe = str(BIN / "git-model")
    outcomes = set()
    for round_ in range(8):
        target = "staging" if round_ % 2 else "prod"
        procs = [
            subprocess.Popen(
                [exe, "promote", f"churn@{v}", "--to", target, "--json"],
                cwd=churn.path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for v in ("1.0.0", "1.1.0")
        ]
        results = [(p.wait(), *p.communicate()) for p in procs]
        for code, _out, err in results:
            assert code in (0, 6, 8), err  # done, already there, or lost the race
            outcomes.add(code)
        doctor = json.loads(churn.cli("doctor", "--json").stdout)
        assert doctor["lags"] == []
        counters = [e["counter"] for e in data(churn, "history", "churn")["events"] if e["counter"]]
        assert len(counters) == len(set(counters))
        winners = [json.loads(out)["version"]["version"] for code, out, _ in results if code == 0]
        if winners:
            # Whoever wrote last holds the stage, and the stage tag agrees.
            holder = stages(churn, "churn")[target]
            assert holder in winners
    assert 0 in outcomes


def test_the_write_order_is_events_then_stage_tags(churn: Repo) -> None:
    result = data(churn, "archive", "churn@1.0.0", "--demote")
    refs = [r["ref"] for r in result["refs"]]
    assert refs == ["refs/tags/churn#prod!#3", "refs/tags/churn@v1.0.0!#4", "refs/tags/churn#prod"]
    assert result["refs"][-1]["new"] is None
