"""Promotion policy as code: every gate passing and failing, `check` in its three forms,
overrides on the record, the policy read from the policy branch only, per-model
overrides, rollback, the archive guard, stage timelines, time travel, several models in
one release, and the policy's own mistakes.

Each version's metrics are a DVC metrics file (``metrics.json``, declared in
``dvc.yaml``) committed with it; the model's YAML file says who owns it, its card and its
signature. Time is Git's clock (the ``clock`` fixture), never the wall clock.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_TIME, Clock, Repo
from tests.helpers import data, ok, stages

POLICY = """\
stages: [dev, staging, prod]
gates:
  staging:
    after: dev
  prod:
    after: staging
    soak: 24h
    metrics:
      auc: ">= 0.85"
      latency_ms: "<= 50"
    not_worse:
      auc: 0.005
    signature: compatible
    required: [owner, intended_use]
"""
INPUTS = "[{name: tenure, type: float64, shape: [-1]}]"
OUTPUTS = "[{name: churn, type: float64, shape: [-1]}]"


def policy(repo: Repo, text: str = POLICY, message: str = "Policy") -> None:
    """Commit the policy on the branch checked out (main)."""
    repo.commit(message, files={"git-model.yaml": text, "dvc.yaml": "metrics: [metrics.json]\n"})


def version(
    repo: Repo,
    number: str,
    *,
    auc: float | None = 0.9,
    latency: float | None = 40,
    owner: str | None = "growth",
    intended_use: str | None = "retention outreach",
    inputs: str = INPUTS,
    model: str = "churn",
) -> None:
    """Commit a trained version's files and register it."""
    metrics = {k: v for k, v in (("auc", auc), ("latency_ms", latency)) if v is not None}
    spec = [f"owner: {owner}"] if owner else []
    spec += ["signature:", f"  inputs: {inputs}", f"  outputs: {OUTPUTS}"]
    if intended_use:
        spec += ["card:", f"  intended_use: {intended_use}"]
    repo.commit(
        f"{model} {number}",
        files={
            "metrics.json": json.dumps(metrics),
            f"models/{model}.yaml": "\n".join(spec) + "\n",
            f"{model}.bin": number,
        },
    )
    ok(repo, "register", model, "--version", number)


def gates(repo: Repo, ref: str, stage: str = "prod") -> dict[str, Any]:
    """``check --json``'s gates, by name: (passed, actual, holder)."""
    result = json.loads(repo.cli("check", ref, "--to", stage, "--json").stdout)
    return {
        g["gate"]: (g["passed"], g["actual"], g["holder"]) for g in result["evaluation"]["results"]
    }


@pytest.fixture
def registry(repo: Repo, clock: Clock) -> Repo:
    """The policy on main; churn v1.0.0 in prod (after a day in staging), v1.1.0 new."""
    policy(repo)
    version(repo, "1.0.0")
    for stage in ("dev", "staging"):
        ok(repo, "promote", "churn@1.0.0", "--to", stage)
    clock.tick(25 * 3600)
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    version(repo, "1.1.0")
    return repo


# --- each gate ---------------------------------------------------------------------------


def test_after_and_soak(registry: Repo, clock: Clock) -> None:
    assert gates(registry, "churn@1.1.0")["after"][:2] == (False, "never held staging")
    assert gates(registry, "churn@1.1.0", "staging")["after"] == (False, "never held dev", None)
    ok(registry, "promote", "churn@1.1.0", "--to", "dev")
    assert gates(registry, "churn@1.1.0", "staging")["after"][0]
    ok(registry, "promote", "churn@1.1.0", "--to", "staging")
    clock.tick(3600)
    assert gates(registry, "churn@1.1.0")["after"][0]
    passed, actual, _ = gates(registry, "churn@1.1.0")["soak"]
    assert not passed and actual.startswith("59m") and actual.endswith("in staging")
    clock.tick(23 * 3600)
    assert gates(registry, "churn@1.1.0")["soak"][:2] == (False, "23h 59m in staging")
    clock.tick(60)
    assert gates(registry, "churn@1.1.0")["soak"][0]
    ok(registry, "promote", "churn@1.1.0", "--to", "prod")


def test_metric_thresholds(registry: Repo) -> None:
    version(registry, "1.2.0", auc=0.84, latency=50)
    found = gates(registry, "churn@1.2.0")
    assert found["metrics.auc"][:2] == (False, "0.84")
    assert found["metrics.latency_ms"][:2] == (True, "50")
    version(registry, "1.3.0", latency=None)  # a metric not recorded never passes
    assert gates(registry, "churn@1.3.0")["metrics.latency_ms"][:2] == (False, "not recorded")


def test_not_worse_than_the_holder(registry: Repo, tmp_path: Path) -> None:
    version(registry, "1.2.0", auc=0.896)  # holder has 0.9: within 0.005
    assert gates(registry, "churn@1.2.0")["not_worse.auc"] == (True, "0.896", "v1.0.0: 0.9")
    version(registry, "1.3.0", auc=0.894)
    assert gates(registry, "churn@1.3.0")["not_worse.auc"][:2] == (False, "0.894")
    # Lower is better where the policy says so; a stage without holder has nothing to beat.
    policy(registry, POLICY + "    check_rollbacks: false\n  dev:\n    not_worse:\n"
           "      latency_ms: {tolerance: 2, lower_is_better: true}\n")  # fmt: skip
    version(registry, "1.4.0", latency=41)
    assert gates(registry, "churn@1.4.0", "dev")["not_worse.latency_ms"] == (
        True,
        "41",
        "v1.0.0: 40",
    )
    ok(registry, "promote", "churn@1.4.0", "--to", "dev")
    version(registry, "1.5.0", latency=44)
    assert gates(registry, "churn@1.5.0", "dev")["not_worse.latency_ms"][:2] == (False, "44")
    version(registry, "1.6.0", latency=43)
    assert gates(registry, "churn@1.6.0", "dev")["not_worse.latency_ms"][0]


def test_signature_compatibility(registry: Repo) -> None:
    breaking = (
        "[{name: tenure, type: float64, shape: [-1]}, {name: plan, type: string, shape: [-1]}]"
    )
    version(registry, "1.2.0", inputs=breaking)
    passed, actual, holder = gates(registry, "churn@1.2.0")["signature"]
    assert (passed, holder) == (False, "v1.0.0")
    assert "input 'plan' added" in actual
    version(registry, "2.0.0", inputs=breaking)  # a new major version may break it
    assert gates(registry, "churn@2.0.0")["signature"][0]
    assert gates(registry, "churn@1.1.0")["signature"][:2] == (True, "compatible")


def test_required_fields_and_card_sections(registry: Repo) -> None:
    version(registry, "1.2.0", owner=None, intended_use=None)
    found = gates(registry, "churn@1.2.0")
    assert found["required.owner"][:2] == (False, "missing")
    assert found["required.intended_use"][:2] == (False, "missing")
    assert gates(registry, "churn@1.1.0")["required.intended_use"][:2] == (True, "filled in")


# --- check, promote, force ----------------------------------------------------------------


def test_check_as_a_table_as_json_and_as_markdown(registry: Repo) -> None:
    table = registry.cli("check", "churn@1.1.0", "--to", "prod")
    assert table.exit_code == 15
    assert "churn v1.1.0 → prod: 2 of 8 gates fail" in table.stdout
    assert "git-model.yaml at refs/heads/main" in table.stdout
    assert "after" in table.stdout and "FAIL" in table.stdout and "v1.0.0: 0.9" in table.stdout
    as_json = json.loads(registry.cli("check", "churn@1.1.0", "--to", "prod", "--json").stdout)
    evaluation = as_json["evaluation"]
    assert evaluation["commit"] == registry.git("rev-parse", "main")  # main as it is now
    assert [g["gate"] for g in evaluation["results"] if not g["passed"]] == ["after", "soak"]
    markdown = registry.cli("check", "churn@1.1.0", "--to", "prod", "--markdown").stdout
    assert markdown.startswith("### :x: churn v1.1.0 → prod: 2 of 8 gates fail")
    assert "| `soak` | 1d in staging | never in staging |  | **fail** |" in markdown
    assert registry.cli("check", "churn@1.1.0", "--to", "dev").exit_code == 0


def test_a_promotion_that_fails_a_gate_is_refused_and_changes_nothing(registry: Repo) -> None:
    before = registry.refs()
    refused = registry.cli("promote", "churn@1.1.0", "--to", "prod")
    assert refused.exit_code == 15
    assert (
        "churn v1.1.0 may not enter 'prod': "
        "after: expected holds or held staging, got never held staging"
    ) in refused.stderr
    assert "git model check churn@1.1.0 --to prod" in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert registry.refs() == before


def test_a_forced_promotion_is_on_the_record(registry: Repo) -> None:
    missing = registry.cli("promote", "churn@1.1.0", "--to", "prod", "--force")
    assert missing.exit_code == 2 and "--force needs --reason" in missing.stderr
    lonely = registry.cli("promote", "churn@1.1.0", "--to", "prod", "--reason", "x")
    assert lonely.exit_code == 2 and "--reason goes with --force" in lonely.stderr
    result = data(
        registry, "promote", "churn@1.1.0", "--to", "prod", "--force", "--reason", "incident 7"
    )
    [event] = [e for e in result["events"] if e["kind"] == "promoted"]
    assert event["forced"] == ["after", "soak"]
    assert event["reason"] == "incident 7"
    assert event["policy"] == registry.git("rev-parse", "main")
    shown = ok(registry, "history", "churn")
    assert "[forced past after, soak: incident 7]" in shown
    described = data(registry, "describe", "churn#prod")
    assert described["events"][-1]["forced"] == ["after", "soak"]
    tag = registry.git("cat-file", "-p", event["tag"])
    assert "Forced: after, soak\nReason: incident 7\n" in tag


# --- where the policy comes from ------------------------------------------------------


def test_the_policy_is_the_one_committed_on_main(registry: Repo) -> None:
    (registry.path / "git-model.yaml").write_text("stages: [dev, staging, prod]\n")  # no gates
    refused = registry.cli("promote", "churn@1.1.0", "--to", "prod")
    assert refused.exit_code == 15  # the working tree's file changes nothing...
    assert "declares other gates than refs/heads/main's" in refused.stderr  # ...and is named
    registry.git("checkout", "-q", "-b", "candidate")
    registry.git("commit", "-q", "-am", "relax the gates in the candidate's own commit")
    registry.git("commit", "-q", "--allow-empty", "-m", "a candidate")
    ok(registry, "register", "churn", "--version", "1.2.0")
    assert registry.cli("promote", "churn@1.2.0", "--to", "prod").exit_code == 15
    # The policy branch is a setting of the clone, not of any commit.
    registry.git("config", "gitmodel.policyBranch", "candidate")
    assert registry.cli("check", "churn@1.2.0", "--to", "prod").exit_code == 0  # no gates there
    registry.git("config", "gitmodel.policyBranch", "nowhere")
    missing = registry.cli("check", "churn@1.2.0", "--to", "prod")
    assert missing.exit_code == 9 and "gitmodel.policyBranch" in missing.stderr


def test_a_main_branch_named_otherwise_is_found_by_the_name_git_init_gives(
    repo: Repo, clock: Clock
) -> None:
    """A repository without a remote, whose first branch ``git init`` named ``trunk``
    (``init.defaultBranch``), has its policy there. The branch checked out never is."""
    repo.git("config", "--global", "init.defaultBranch", "trunk")
    repo.git("branch", "-m", "trunk")  # as `git init` made it
    policy(repo)
    version(repo, "1.0.0")
    refused = repo.cli("check", "churn@1.0.0", "--to", "prod")
    assert refused.exit_code == 15
    assert "git-model.yaml at refs/heads/trunk" in refused.stdout
    repo.git("checkout", "-q", "-b", "relaxed")
    repo.commit("No gates", files={"git-model.yaml": "stages: [dev, staging, prod]\n"})
    assert repo.cli("promote", "churn@1.0.0", "--to", "prod").exit_code == 15
    # A remote's default branch, as last fetched, comes first.
    repo.git("update-ref", "refs/remotes/origin/relaxed", "relaxed")
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/relaxed")
    assert repo.cli("check", "churn@1.0.0", "--to", "prod").exit_code == 0


def test_without_a_policy_branch_no_gate_is_in_force_and_a_warning_says_so(
    repo: Repo, clock: Clock
) -> None:
    repo.git("branch", "-m", "experiments")  # not main, master, nor init.defaultBranch (main)
    policy(repo)
    version(repo, "1.0.0")
    result = repo.cli("promote", "churn@1.0.0", "--to", "prod")
    assert result.exit_code == 0, result.stderr
    warning = " ".join(result.stderr.split())
    assert "declares gates, but none are in force: no policy branch" in warning
    assert "(none of origin/HEAD, main, master)" in warning
    assert "git config gitmodel.policyBranch BRANCH" in warning
    repo.git("config", "gitmodel.policyBranch", "experiments")
    version(repo, "1.1.0")
    assert repo.cli("promote", "churn@1.1.0", "--to", "prod").exit_code == 15


def test_overrides_for_a_namespace(repo: Repo, clock: Clock) -> None:
    policy(
        repo,
        "stages: [dev, staging, prod]\n"
        "gates:\n  prod:\n    metrics:\n      auc: '>= 0.85'\n      latency_ms: '<= 50'\n"
        "overrides:\n  - models: 'fraud/*'\n    gates:\n      prod:\n"
        "        metrics:\n          auc: '>= 0.95'\n",
    )
    version(repo, "1.0.0", auc=0.9)
    version(repo, "1.0.0", auc=0.9, model="fraud/tx")
    assert gates(repo, "churn@1.0.0")["metrics.auc"][0]
    assert gates(repo, "fraud/tx@1.0.0")["metrics.auc"][:2] == (False, "0.9")
    assert gates(repo, "fraud/tx@1.0.0")["metrics.latency_ms"][0]  # the rest is kept


# --- rollback, archive, timelines, time travel -----------------------------------------


@pytest.fixture
def three_holders(repo: Repo, clock: Clock) -> Repo:
    """No gates; prod held by v1.0.0, then v1.1.0, then v1.2.0."""
    for number in ("1.0.0", "1.1.0", "1.2.0"):
        version(repo, number)
        clock.tick(3600)
        ok(repo, "promote", f"churn@{number}", "--to", "prod", "-m", f"ship {number}")
    return repo


def test_rollback_to_the_former_holder_or_a_named_one(three_holders: Repo) -> None:
    result = data(three_holders, "rollback", "churn#prod")
    assert result["action"] == "rolled-back"
    assert (result["version"]["version"], result["replaced"]) == ("1.1.0", "1.2.0")
    assert data(three_holders, "rollback", "churn#prod")["completed"]  # a retry: done
    kinds = [e["kind"] for e in data(three_holders, "history", "churn")["events"]]
    assert kinds[0] == "rolled-back"
    ok(three_holders, "rollback", "churn#prod", "--to", "1.2.0")
    assert stages(three_holders, "churn")["prod"] == "1.2.0"
    never = three_holders.cli("rollback", "churn#staging")
    assert never.exit_code == 5 and "held 'staging' before" in never.stderr
    version(three_holders, "1.3.0")
    nope = three_holders.cli("rollback", "churn#prod", "--to", "1.3.0")
    assert nope.exit_code == 5 and "never held 'prod'" in nope.stderr
    ok(three_holders, "archive", "churn@1.1.0")
    assert data(three_holders, "rollback", "churn#prod")["version"]["version"] == "1.0.0"


def test_gates_stand_in_a_rollbacks_way_only_where_the_stage_says(three_holders: Repo) -> None:
    strict = "gates:\n  prod:\n    metrics:\n      auc: '>= 0.95'\n"
    policy(three_holders, f"stages: [dev, staging, prod]\n{strict}")
    ok(three_holders, "rollback", "churn#prod")  # auc 0.9 < 0.95, but a former holder
    policy(three_holders, f"stages: [dev, staging, prod]\n{strict}    check_rollbacks: true\n")
    refused = three_holders.cli("rollback", "churn#prod", "--to", "1.0.0")
    assert refused.exit_code == 15 and "metrics.auc" in refused.stderr
    ok(three_holders, "rollback", "churn#prod", "--to", "1.0.0", "--force", "--reason", "pager")


def test_archiving_a_version_that_holds_a_stage_needs_demote(three_holders: Repo) -> None:
    before = three_holders.refs()
    refused = three_holders.cli("archive", "churn@1.2.0")
    assert refused.exit_code == 6
    assert "churn v1.2.0 holds prod" in refused.stderr and "--demote" in refused.stderr
    assert three_holders.refs() == before
    result = data(three_holders, "archive", "churn@1.2.0", "--demote")
    assert [e["kind"] for e in result["events"]] == ["demoted", "archived"]
    assert len({r["ref"] for r in result["refs"]}) == 3  # one transaction: events, stage tag
    ok(three_holders, "archive", "churn@1.0.0")  # holds nothing: no --demote needed


def test_a_stage_timeline(three_holders: Repo) -> None:
    ok(three_holders, "demote", "churn#prod", "-m", "outage")
    ok(three_holders, "rollback", "churn#prod")
    timeline = data(three_holders, "history", "churn#prod")["tenures"]
    assert [(t["version"], t["kind"]) for t in timeline] == [
        ("1.0.0", "promoted"),
        ("1.1.0", "promoted"),
        ("1.2.0", "promoted"),
        ("1.2.0", "rolled-back"),
    ]
    assert timeline[1]["why"] == "ship 1.1.0"
    assert timeline[2]["end_why"] == "outage"
    assert timeline[3]["until"] is None
    text = ok(three_holders, "history", "churn#prod")
    assert "now" in text and "outage" in text


def test_the_registry_as_it_was(three_holders: Repo, clock: Clock) -> None:
    def prod_at(when: str) -> str:
        view = data(three_holders, "show", "--at", when)
        return view["models"][0]["stages"][2]["holder"]["version"]

    clock.tick(1800)  # v1.0.0 went to prod at +1h, v1.1.0 at +2h, v1.2.0 at +3h; now +3.5h
    assert prod_at("10m") == "1.2.0"
    assert prod_at("1h") == "1.1.0"  # a duration ago, by Git's clock
    first_hour = datetime.fromtimestamp(BASE_TIME + 3600 + 600, UTC)
    assert prod_at(first_hour.isoformat()) == "1.0.0"  # a date and time
    assert prod_at("churn@v1.1.0") == "1.0.0"  # a tag: its date
    described = data(three_holders, "describe", "churn#prod", "--at", "1h")
    assert described["version"]["version"] == "1.1.0"
    assert three_holders.cli("show", "--at", "yesterday").exit_code == 2


# --- several models, one release ----------------------------------------------------------


def test_several_models_move_together_or_not_at_all(repo: Repo, clock: Clock) -> None:
    policy(
        repo, "stages: [dev, staging, prod]\ngates:\n  prod:\n    metrics:\n      auc: '>= 0.85'\n"
    )
    version(repo, "1.0.0", model="churn")
    version(repo, "3.4.0", model="fraud", auc=0.7)
    before = repo.refs()
    refused = repo.cli("promote", "churn@1.0.0", "fraud@3.4.0", "--to", "prod")
    assert refused.exit_code == 15
    assert "the release of churn, fraud may not enter 'prod'" in refused.stderr
    assert "fraud v3.4.0: metrics.auc" in refused.stderr
    assert repo.refs() == before  # the first model's gates passed; nothing moved anyway
    assert (
        repo.cli("promote", "churn@1.0.0", "--to", "prod", "fraud@3.4.0", "churn@1.0.0").exit_code
        == 2
    )
    version(repo, "3.5.0", model="fraud", auc=0.9)
    release = data(repo, "promote", "churn@1.0.0", "fraud@3.5.0", "--to", "prod")
    assert [c["model"] for c in release["changes"]] == ["churn", "fraud"]
    events = data(repo, "history")["events"]
    ids = {e["release"] for e in events if e["kind"] == "promoted"}
    assert ids == {release["release"]}
    assert stages(repo, "churn")["prod"] == "1.0.0" and stages(repo, "fraud")["prod"] == "3.5.0"


# --- the policy's own mistakes --------------------------------------------------------------

BAD = [
    # (gates, the key at fault, what the error says); the faulty line is the key's own
    ("gates:\n  prod:\n    hurry: yes\n", "gates.prod.hurry", "unknown gate"),
    ("gates:\n  prod:\n    metrics:\n      auc: '=> 0.9'\n", "gates.prod.metrics.auc", "threshold"),
    ("gates:\n  qa:\n    after: dev\n", "gates.qa", "'qa' is not one of the stages"),
    ("gates:\n  prod:\n    after: staging\n    soak: a day\n", "gates.prod.soak", "not a duration"),
    ("gates:\n  prod:\n    after: qa\n", "gates.prod.after", "must name another stage"),
    ("gates:\n  prod:\n    not_worse:\n      ms: 2\n", "gates.prod.not_worse.ms", "higher is"),
    ("gates:\n  prod:\n    soak: 2h\n", "gates.prod.soak", "needs `after:`"),
    ("gates:\n  prod:\n    required: [shoe_size]\n", "gates.prod.required", "'shoe_size'"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[key for _, key, _ in BAD])
def test_a_policy_that_cannot_be_evaluated_is_refused(
    repo: Repo, clock: Clock, case: tuple[str, str, str]
) -> None:
    text, key, words = case
    line = 2 + text.split(key.rsplit(".", 1)[-1] + ":")[0].count("\n")
    version(repo, "1.0.0")
    policy(repo, "stages: [dev, staging, prod]\n" + text)
    before = repo.refs()
    for args in (
        ("promote", "churn@1.0.0", "--to", "prod"),
        ("check", "churn@1.0.0", "--to", "prod"),
    ):
        result = repo.cli(*args)
        assert result.exit_code == 9, result.stderr
        assert f"git-model.yaml:{line}: `{key}`: " in result.stderr
        assert words in result.stderr
        assert result.stderr.count("\n") == 1
    assert repo.refs() == before
