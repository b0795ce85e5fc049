"""Behaviour of the registry on real repositories: register, promote, demote, archive,
deprecate, show, history, describe."""

from __future__ import annotations

from tests.conftest import BASE_TIME, USER_EMAIL, USER_NAME, Clock, Repo
from tests.helpers import data, events, ok, stages, tag, versions

# --- register ---------------------------------------------------------------------------


def test_first_version_is_0_1_0_and_the_next_bumps_minor(repo: Repo) -> None:
    first = data(repo, "register", "churn")
    assert first["version"]["version"] == "0.1.0"
    assert first["version"]["tag"] == "churn@v0.1.0"
    repo.commit("retrain")
    assert data(repo, "register", "churn")["version"]["version"] == "0.2.0"


def test_the_version_tag_is_annotated_on_the_commit_by_the_registrant(
    repo: Repo, clock: Clock
) -> None:
    head = repo.git("rev-parse", "HEAD")
    ok(repo, "register", "churn", "--version", "1.3.0", "-m", "trained on March")
    assert repo.git("cat-file", "-t", "churn@v1.3.0") == "tag"
    assert repo.git("rev-parse", "churn@v1.3.0^{commit}") == head
    line = repo.git(
        "for-each-ref",
        "--format=%(taggername)|%(taggeremail:trim)|%(taggerdate:raw)",
        "refs/tags/churn@v1.3.0",
    )
    assert line == f"{USER_NAME}|{USER_EMAIL}|{clock.now} +0000"
    assert (
        repo.git("tag", "-l", "--format=%(contents:subject)", "churn@v1.3.0") == "trained on March"
    )


def test_bump_parts_and_explicit_versions(repo: Repo) -> None:
    ok(repo, "register", "churn", "--version", "v1.2.3")
    repo.commit("a")
    assert data(repo, "register", "churn", "--bump", "patch")["version"]["version"] == "1.2.4"
    repo.commit("b")
    assert data(repo, "register", "churn", "--bump", "major")["version"]["version"] == "2.0.0"
    repo.commit("c")
    got = data(repo, "register", "churn", "--version", "3.0.0-rc.1+build.7")
    assert got["version"]["tag"] == "churn@v3.0.0-rc.1+build.7"
    repo.commit("d")
    # The release of a prerelease is the next minor version.
    assert data(repo, "register", "churn", "--bump", "minor")["version"]["version"] == "3.0.0"
    assert versions(repo, "churn") == ["3.0.0", "3.0.0-rc.1+build.7", "2.0.0", "1.2.4", "1.2.3"]


def test_register_an_older_commit_with_rev(repo: Repo) -> None:
    old = repo.git("rev-parse", "HEAD")
    repo.commit("newer")
    got = data(repo, "register", "churn", "--rev", "HEAD~1", "--version", "1.0.0")
    assert got["version"]["commit"] == old


def test_namespaced_models(repo: Repo) -> None:
    ok(repo, "register", "fraud/tx-classifier", "--version", "1.0.0")
    ok(repo, "promote", "fraud/tx-classifier@1.0.0", "--to", "prod")
    assert "fraud/tx-classifier#prod" in repo.tags()
    assert stages(repo, "fraud/tx-classifier")["prod"] == "1.0.0"


def test_model_type_is_recorded_and_checked_against_the_config(repo: Repo) -> None:
    (repo.path / "git-model.yaml").write_text("types: [classifier, regressor]\n")
    ok(repo, "register", "churn", "--type", "classifier")
    assert data(repo, "describe", "churn@0.1.0")["version"]["model_type"] == "classifier"
    repo.commit("next")
    refused = repo.cli("register", "churn", "--type", "ranker")
    assert refused.exit_code == 4
    assert "classifier, regressor" in refused.stderr


# --- promote ------------------------------------------------------------------------------


def _two_versions(repo: Repo) -> None:
    ok(repo, "register", "churn", "--version", "1.0.0")
    repo.commit("retrain")
    ok(repo, "register", "churn", "--version", "1.1.0")


def test_promote_moves_the_stage_tag_and_records_an_event(repo: Repo) -> None:
    _two_versions(repo)
    result = data(repo, "promote", "churn@1.0.0", "--to", "prod", "-m", "go live")
    assert result["stage"] == "prod"
    assert result["replaced"] is None
    assert [e["tag"] for e in result["events"]] == ["churn#prod#1"]
    assert repo.git("rev-parse", "churn#prod^{commit}") == repo.git(
        "rev-parse", "churn@v1.0.0^{commit}"
    )
    assert repo.git("cat-file", "-t", "churn#prod") == "tag"
    assert stages(repo, "churn") == {"dev": None, "staging": None, "prod": "1.0.0"}


def test_a_stage_holds_one_version_and_the_old_holder_is_recorded_as_replaced(
    repo: Repo,
) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    result = data(repo, "promote", "churn@1.1.0", "--to", "prod")
    assert result["replaced"] == "1.0.0"
    assert [e["tag"] for e in result["events"]] == ["churn#prod!#2", "churn#prod#3"]
    assert stages(repo, "churn")["prod"] == "1.1.0"
    by_version = {v["version"]: v["stages"] for v in data(repo, "show", "churn")["versions"]}
    assert by_version == {"1.1.0": ["prod"], "1.0.0": []}
    assert events(repo, "churn")[-2:] == [
        ("demoted", "1.0.0", "prod", 2),
        ("promoted", "1.1.0", "prod", 3),
    ]


def test_promote_without_to_goes_to_the_next_stage(repo: Repo) -> None:
    ok(repo, "register", "churn")
    assert data(repo, "promote", "churn@0.1.0")["stage"] == "dev"
    assert data(repo, "promote", "churn@latest")["stage"] == "staging"
    assert data(repo, "promote", "churn#staging")["stage"] == "prod"
    refused = repo.cli("promote", "churn#prod")
    assert refused.exit_code == 4
    assert "last stage" in refused.stderr


def test_promote_what_holds_a_stage_to_a_named_stage(repo: Repo) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.0.0", "--to", "staging")
    result = data(repo, "promote", "churn#staging", "--to", "prod")
    assert result["version"]["version"] == "1.0.0"
    assert stages(repo, "churn") == {"dev": None, "staging": "1.0.0", "prod": "1.0.0"}


def test_config_stages_are_the_ones_allowed(repo: Repo) -> None:
    ok(repo, "init", "--stages", "candidate,live")
    ok(repo, "register", "churn")
    assert data(repo, "promote", "churn@0.1.0")["stage"] == "candidate"
    refused = repo.cli("promote", "churn@0.1.0", "--to", "prod")
    assert refused.exit_code == 4
    assert "candidate, live" in refused.stderr


# --- demote, archive, deprecate ------------------------------------------------------------


def test_demote_leaves_the_stage_empty_with_no_fallback(repo: Repo) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    ok(repo, "promote", "churn@1.1.0", "--to", "prod")
    result = data(repo, "demote", "churn#prod", "-m", "incident 42")
    assert result["version"]["version"] == "1.1.0"
    assert stages(repo, "churn")["prod"] is None
    assert "churn#prod" not in repo.tags()
    assert events(repo, "churn")[-1] == ("demoted", "1.1.0", "prod", 4)
    assert data(repo, "history", "churn")["events"][0]["message"] == "incident 42"


def test_archive_takes_a_version_out_of_every_stage_and_keeps_it_in_history(repo: Repo) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.0.0", "--to", "staging")
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    result = data(repo, "archive", "churn@1.0.0", "--demote", "-m", "bias found")
    assert [e["kind"] for e in result["events"]] == ["demoted", "demoted", "archived"]
    assert result["version"]["archived"] is True
    assert stages(repo, "churn") == {"dev": None, "staging": None, "prod": None}
    assert versions(repo, "churn") == ["1.1.0"]
    assert versions(repo, "churn", "--all") == ["1.1.0", "1.0.0"]
    assert "churn@v1.0.0!#5" in repo.tags()
    assert data(repo, "describe", "churn@1.0.0")["version"]["archived"] is True
    # latest skips archived versions; a new version never reuses an archived number.
    assert data(repo, "describe", "churn@latest")["version"]["version"] == "1.1.0"


def test_deprecate_retires_the_model(repo: Repo) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.1.0", "--to", "prod")
    ok(repo, "register", "other")
    result = data(repo, "deprecate", "churn", "-m", "replaced by churn-v2")
    assert [e["kind"] for e in result["events"]] == ["demoted", "deprecated"]
    assert [m["name"] for m in data(repo, "show")["models"]] == ["other"]
    everything = data(repo, "show", "--all")["models"]
    assert [(m["name"], m["deprecated"]) for m in everything] == [("churn", True), ("other", False)]
    assert stages(repo, "churn")["prod"] is None
    repo.commit("more")
    assert repo.cli("register", "churn").exit_code == 7
    assert repo.cli("promote", "churn@1.0.0", "--to", "dev").exit_code == 7


# --- reading: the rule ----------------------------------------------------------------------


def test_events_are_ordered_by_counter_not_by_tag_time(repo: Repo) -> None:
    """Tags written by another tool: counter order and time order disagree; counters win."""
    _two_versions(repo)
    v100 = repo.git("rev-parse", "churn@v1.0.0^{commit}")
    v110 = repo.git("rev-parse", "churn@v1.1.0^{commit}")
    later = BASE_TIME + 100
    tag(repo, "churn#prod#1", v110, later)  # first event, newest time
    tag(repo, "churn#prod#2", v100, later - 50)  # second event, older time
    assert stages(repo, "churn")["prod"] == "1.0.0"
    # In one second: promote then demote; GTO's time sort (tag-name order) gets this wrong.
    tag(repo, "churn#staging#3", v100, later)
    tag(repo, "churn#staging!#4", v100, later)
    assert stages(repo, "churn")["staging"] is None
    # Counters compare as numbers, not strings: #10 comes after #9.
    tag(repo, "churn#dev#9", v110, later)
    tag(repo, "churn#dev#10", v100, later)
    assert stages(repo, "churn")["dev"] == "1.0.0"
    assert [c for *_, c in events(repo, "churn") if c] == [1, 2, 3, 4, 9, 10]


def test_writes_after_foreign_events_continue_the_counter_and_the_clock(
    repo: Repo, clock: Clock
) -> None:
    _two_versions(repo)
    v100 = repo.git("rev-parse", "churn@v1.0.0^{commit}")
    future = clock.now + 1000
    tag(repo, "churn#dev#41", v100, future)
    result = data(repo, "promote", "churn@1.1.0", "--to", "dev")
    assert [e["tag"] for e in result["events"]] == ["churn#dev!#42", "churn#dev#43"]
    times = [e["date"] for e in data(repo, "history", "churn", "--oldest-first")["events"]]
    assert times == sorted(times)
    assert len(set(times[-3:])) == 3  # strictly increasing within the model


def test_unassigning_a_version_that_does_not_hold_the_stage_changes_nothing(repo: Repo) -> None:
    _two_versions(repo)
    v100 = repo.git("rev-parse", "churn@v1.0.0^{commit}")
    ok(repo, "promote", "churn@1.1.0", "--to", "prod")
    tag(repo, "churn#prod!#2", v100, BASE_TIME + 50)
    assert stages(repo, "churn")["prod"] == "1.1.0"


# --- show, history, describe ------------------------------------------------------------------


def test_show_lists_every_model_with_latest_and_stage_holders(repo: Repo) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    ok(repo, "promote", "churn@1.1.0", "--to", "dev")
    ok(repo, "register", "fraud/tx", "--version", "2.0.0")
    view = data(repo, "show")
    assert view["stages"] == ["dev", "staging", "prod"]
    rows = {
        m["name"]: (
            m["latest"]["version"],
            {c["stage"]: (c["holder"] or {}).get("version") for c in m["stages"]},
        )
        for m in view["models"]
    }
    assert rows == {
        "churn": ("1.1.0", {"dev": "1.1.0", "staging": None, "prod": "1.0.0"}),
        "fraud/tx": ("2.0.0", {"dev": None, "staging": None, "prod": None}),
    }
    table = ok(repo, "show")
    assert "churn" in table
    assert "v1.1.0" in table
    assert "fraud/tx" in table


def test_show_on_an_empty_registry(repo: Repo) -> None:
    assert "No models registered yet" in ok(repo, "show")
    assert data(repo, "show")["models"] == []


def test_history_newest_first_by_default_and_across_models(repo: Repo, clock: Clock) -> None:
    ok(repo, "register", "a")
    clock.tick(10)
    ok(repo, "register", "b")
    clock.tick(10)
    ok(repo, "promote", "a@0.1.0", "--to", "dev")
    newest_first = [(e["model"], e["kind"]) for e in data(repo, "history")["events"]]
    assert newest_first == [("a", "promoted"), ("b", "registered"), ("a", "registered")]
    assert events(repo) == [
        ("registered", "0.1.0", None, None),
        ("registered", "0.1.0", None, None),
        ("promoted", "0.1.0", "dev", 1),
    ]
    event = data(repo, "history", "a")["events"][0]
    assert event["author"] == {"name": USER_NAME, "email": USER_EMAIL}
    assert event["tag"] == "a#dev#1"
    assert event["message"] == "Promote a v0.1.0 to dev"


def test_describe_resolves_versions_stages_and_latest(repo: Repo) -> None:
    _two_versions(repo)
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    by_stage = data(repo, "describe", "churn#prod")
    assert by_stage["version"]["version"] == "1.0.0"
    assert by_stage["version"]["stages"] == ["prod"]
    assert [e["kind"] for e in by_stage["events"]] == ["registered", "promoted"]
    assert data(repo, "describe", "churn@latest")["version"]["version"] == "1.1.0"
    assert data(repo, "describe", "churn@v1.1.0")["version"]["tag"] == "churn@v1.1.0"
    text = ok(repo, "describe", "churn#prod")
    assert "churn@v1.0.0" in text
    assert repo.git("rev-parse", "churn@v1.0.0^{commit}") in text


def test_init_writes_the_config_once(repo: Repo) -> None:
    out = ok(repo, "init")
    assert "dev, staging, prod" in out
    text = (repo.path / "git-model.yaml").read_text()
    assert "stages: [dev, staging, prod]" in text
    again = repo.cli("init")
    assert again.exit_code == 9
    assert "already exists" in again.stderr


def test_commands_work_from_a_subdirectory(repo: Repo) -> None:
    (repo.path / "models").mkdir()
    ok(repo, "init", "--stages", "qa,live")
    sub = Repo(repo.path / "models")
    ok(sub, "register", "churn")
    assert data(sub, "promote", "churn@0.1.0")["stage"] == "qa"


def test_messages_are_kept_whole_and_only_our_own_trailers_are_read(repo: Repo) -> None:
    message = "Retrained on March\n\nFixes: DATA-12\nModel-Type: forged"
    ok(repo, "register", "churn", "-m", message)
    version = data(repo, "describe", "churn@0.1.0")["version"]
    assert version["message"] == message
    assert version["model_type"] is None
    assert data(repo, "history", "churn")["events"][0]["message"] == message
    raw = repo.git("tag", "-l", "--format=%(contents)", "churn@v0.1.0")
    assert "\n\nWritten-By: git-model\n" in raw


def test_stages_are_listed_in_the_registry_order(repo: Repo) -> None:
    ok(repo, "register", "churn")
    for stage in ("prod", "dev", "staging"):
        ok(repo, "promote", "churn@0.1.0", "--to", stage)
    assert data(repo, "describe", "churn@0.1.0")["version"]["stages"] == ["dev", "staging", "prod"]
    assert data(repo, "history", "churn#prod")["model"] == "churn"
