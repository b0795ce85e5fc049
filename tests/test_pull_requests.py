"""Promotion through reviewed pull requests, end to end against a real bare server:
``promote --request --push`` makes a branch that changes a desired-state file; ``plan`` on
it says what it would do (gates from the policy branch, conflicts, drift); the branch is
merged into main with a real merge commit and pushed; ``apply --push`` on main moves the
tags, recording the merge and its approvers; run again it writes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from git_model.commands.request import pull_request_url
from git_model.desired import parse_state, render_state
from git_model.errors import InvalidFile
from git_model.reports import COMMENT_LIMIT, PLAN_MARKER
from git_model.safeyaml import load_yaml
from tests.conftest import Clock, Repo
from tests.helpers import ok, run_ci_script, stages
from tests.remotes import Shared, local_refs, make_shared

GATES = (
    "stages: [dev, staging, prod]\n"
    "gates:\n"
    "  prod:\n"
    "    metrics:\n"
    '      auc: ">= 0.85"\n'
    "    not_worse:\n"
    "      auc: 0.01\n"
)
BRANCH = "git-model/promote/churn-prod-v1.1.0"


@pytest.fixture
def shared(tmp_path: Path, clock: Clock) -> Shared:
    """churn v1.0.0 (AUC 0.87) in prod and v1.1.0 (AUC 0.9) registered, everything
    pushed; the gates of prod committed on main; the server's pre-receive hook checks
    every push against them."""
    shared = make_shared(tmp_path)
    assert Repo(shared.server).cli("hooks", "install", "--server").exit_code == 0
    alice = shared.alice
    alice.commit(
        "Registry policy",
        files={"git-model.yaml": GATES, "dvc.yaml": "metrics: [metrics.json]\n"},
    )
    train(alice, "churn", 0.87, "1.0.0")
    ok(alice, "promote", "churn@1.0.0", "--to", "prod", "--push")
    train(alice, "churn", 0.9, "1.1.0")
    return shared


def train(repo: Repo, model: str, auc: float, version: str) -> None:
    """Commit a model's new metrics, push main, register the version and push it."""
    repo.commit(f"Train {model} {version}", files={"metrics.json": json.dumps({"auc": auc})})
    repo.git("push", "-q", "origin", "HEAD:main")
    ok(repo, "register", model, "--version", version, "--push")


def server_branch(shared: Shared, branch: str) -> str | None:
    return shared.server_refs_of(f"refs/heads/{branch}")


def review(shared: Shared, name: str, branch: str) -> Repo:
    """A reviewer's clone, on the pull request's branch, with the registry's tags."""
    clone = shared.clone(name)
    clone.git("checkout", "-q", branch)
    ok(clone, "fetch")
    return clone


def merge(repo: Repo, branch: str) -> str:
    """Merge the pull request into main with a real merge commit, push; the merge's id."""
    repo.git("checkout", "-q", "main")
    repo.git("pull", "-q", "--ff-only", "origin", "main")
    repo.git("fetch", "-q", "origin", branch)
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", "FETCH_HEAD")
    repo.git("push", "-q", "origin", "main")
    return repo.git("rev-parse", "HEAD")


def plan_json(repo: Repo, *args: str) -> tuple[int, Any]:
    result = repo.cli("plan", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def test_request_review_merge_apply(shared: Shared, clock: Clock, monkeypatch: Any) -> None:
    alice = shared.alice
    before = shared.server_refs("churn")
    requested = ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--request", "--push")
    assert f"branch {BRANCH} (" in requested
    assert "churn v1.1.0 → prod: pass" in requested
    assert server_branch(shared, BRANCH) is not None
    assert shared.server_refs("churn") == before  # no tag moved
    assert alice.git("status", "--porcelain") == ""  # the working tree untouched
    assert not (alice.path / ".git-model").exists()
    message = alice.git("log", "-1", "--format=%B", BRANCH)
    assert message.startswith("Promote churn v1.1.0 to prod, replacing v1.0.0\n")
    assert "| `metrics.auc` | >= 0.85 | 0.9 |" in message  # the check
    assert "| auc | 0.87 | 0.9 | +0.03 |" in message  # the comparison
    changed = alice.git("diff", "--name-only", f"main...{BRANCH}")
    assert changed == ".git-model/stages/churn.yaml"
    assert alice.git("show", f"{BRANCH}:.git-model/stages/churn.yaml").endswith(
        "prod:\n  version: 1.1.0\n  replaces: 1.0.0"
    )
    again = alice.cli("promote", "churn@1.1.0", "--to", "prod", "--request")
    assert again.exit_code == 6 and f"the branch {BRANCH} exists already" in again.stderr

    reviewer = review(shared, "reviewer", BRANCH)
    # Nobody skips the review with a plain tag push: the server's hook refuses it.
    server = shared.server_refs()
    reviewer.git("tag", "-f", "churn#prod", "churn@v1.1.0^{commit}")
    forced = subprocess.run(
        ["git", "push", "-f", "origin", "refs/tags/churn#prod"],
        cwd=reviewer.path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert forced.returncode != 0 and "pre-receive hook declined" in forced.stderr
    assert "churn#prod" in forced.stderr
    assert shared.server_refs() == server
    reviewer.git("tag", "-d", "churn#prod")
    ok(reviewer, "fetch")
    table = ok(reviewer, "plan")
    assert "1 move ready to apply, every gate passes" in table
    assert "churn  prod   v1.0.0  v1.1.0     pass (2 gates)" in table
    comment = ok(reviewer, "plan", "--markdown")
    lines = comment.splitlines()
    assert lines[0] == PLAN_MARKER
    assert lines[1].startswith(":white_check_mark: **git-model plan:** 1 move ready")
    assert "| auc | 0.87 | 0.9 | +0.03 | pass |" in comment
    assert "<summary>Rollback</summary>" in comment and "git model rollback churn#prod" in comment
    code, planned = plan_json(reviewer)
    assert code == 0
    move = planned["moves"][0]
    assert (move["model"], move["stage"], move["holder"]["version"]) == ("churn", "prod", "1.0.0")
    assert (move["version"]["version"], move["replaces"], planned["drift"]) == (
        "1.1.0",
        "1.0.0",
        [],
    )

    refs = reviewer.refs()
    unreviewed = reviewer.cli("apply")  # on the branch under review: never
    assert unreviewed.exit_code == 2 and reviewer.refs() == refs
    assert "is not on refs/remotes/origin/HEAD" in unreviewed.stderr

    clock.tick(60)
    merged = merge(reviewer, BRANCH)
    assert len(reviewer.git("rev-list", "--parents", "-n", "1", merged).split()) == 3
    monkeypatch.setenv("GIT_MODEL_APPROVED_BY", "ml-lead, data-steward")
    applied = ok(reviewer, "apply", "--push", "--approved-by", "ml-owner")
    assert f"Applied the desired state at {merged[:7]}: 1 promotion" in applied
    assert "Approved by: ml-owner, ml-lead, data-steward" in applied
    assert "Promoted churn v1.1.0 to prod, replacing v1.0.0" in applied
    assert stages(reviewer, "churn")["prod"] == "1.1.0"
    assert shared.server_refs("churn") == local_refs(reviewer, "churn")
    event = reviewer.git("for-each-ref", "--format=%(contents)", "refs/tags/churn#prod#3")
    assert f"Merge-Commit: {merged}" in event
    assert "Approved-By: ml-owner\nApproved-By: ml-lead\nApproved-By: data-steward" in event

    refs = reviewer.refs()
    quiet = ok(reviewer, "apply", "--push")
    assert "Nothing to apply: the tags already say what" in quiet
    assert reviewer.refs() == refs
    code, planned = plan_json(reviewer)
    assert (code, planned["moves"], planned["in_place"], planned["drift"]) == (0, [], 1, [])


def test_a_failing_gate_fails_the_plan_and_apply(shared: Shared, clock: Clock) -> None:
    alice = shared.alice
    train(alice, "churn", 0.8, "1.2.0")
    ok(alice, "promote", "churn@1.2.0", "--to", "prod", "--request", "--push")
    branch = "git-model/promote/churn-prod-v1.2.0"
    reviewer = review(shared, "reviewer", branch)
    failing = reviewer.cli("plan")
    assert failing.exit_code == 15
    assert "1 of 1 moves fail a gate" in failing.stdout
    assert "fail (metrics.auc, not_worse.auc)" in failing.stdout
    comment = reviewer.cli("plan", "--markdown")
    assert comment.exit_code == 15 and comment.stdout.splitlines()[1].startswith(":x:")
    assert "| auc | 0.87 | 0.8 | -0.07 | **fail** |" in comment.stdout

    merge(reviewer, branch)
    refs, server = reviewer.refs(), shared.server_refs()
    refused = reviewer.cli("apply", "--push")
    assert refused.exit_code == 15
    assert "the desired state at" in refused.stderr and "nothing was written" in refused.stderr
    assert (reviewer.refs(), shared.server_refs()) == (refs, server)


def test_two_pull_requests_for_two_models_merge_cleanly(shared: Shared, clock: Clock) -> None:
    alice = shared.alice
    train(alice, "fraud/tx", 0.95, "2.0.0")
    ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--request", "--push")
    ok(alice, "promote", "fraud/tx@2.0.0", "--to", "staging", "--request", "--push")
    other = "git-model/promote/fraud-tx-staging-v2.0.0"
    assert server_branch(shared, other) is not None
    maintainer = shared.clone("maintainer")
    merge(maintainer, BRANCH)
    merge(maintainer, other)  # no conflict: another file
    assert maintainer.git("show", "HEAD:.git-model/stages/fraud/tx.yaml").startswith("#")
    ok(maintainer, "fetch")
    code, planned = plan_json(maintainer)
    assert code == 0
    assert sorted((m["model"], m["stage"]) for m in planned["moves"]) == [
        ("churn", "prod"),
        ("fraud/tx", "staging"),
    ]
    result = json.loads(ok(maintainer, "apply", "--push", "--json"))
    assert len(result["changes"]) == 2 and result["release"]
    releases = {c["events"][-1]["release"] for c in result["changes"]}
    assert releases == {result["release"]}  # one transaction, one release
    assert stages(maintainer, "churn")["prod"] == "1.1.0"
    assert stages(maintainer, "fraud/tx")["staging"] == "2.0.0"


def test_a_stage_moved_by_hand_since_the_request(shared: Shared, clock: Clock) -> None:
    alice = shared.alice
    ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--request", "--push")
    train(alice, "churn", 0.88, "1.0.1")
    ok(alice, "promote", "churn@1.0.1", "--to", "prod", "--push")  # by hand, meanwhile
    reviewer = review(shared, "reviewer", BRANCH)
    conflict = reviewer.cli("plan")
    assert conflict.exit_code == 18
    assert "conflict: churn#prod moved since the request" in conflict.stdout
    assert "conflict: held by v1.0.1, the request replaces v1.0.0" in conflict.stdout

    merge(reviewer, BRANCH)
    refs, server = reviewer.refs(), shared.server_refs()
    refused = reviewer.cli("apply", "--push")
    assert refused.exit_code == 18
    assert "churn#prod is held by v1.0.1, not v1.0.0; nothing was written" in refused.stderr
    assert (reviewer.refs(), shared.server_refs()) == (refs, server)
    code, planned = plan_json(reviewer)  # main asks for v1.1.0; the tags say v1.0.1
    assert code == 18
    assert [(d["model"], d["stage"], d["asked"], d["holder"]) for d in planned["drift"]] == [
        ("churn", "prod", "1.1.0", "1.0.1")
    ]
    text = reviewer.cli("plan").stdout
    assert "Drift: the tags disagree with the desired state of refs/remotes/origin/HEAD" in text


# --- the pieces -------------------------------------------------------------------------


def test_the_desired_state_file_round_trips_and_names_the_line_of_a_mistake() -> None:
    stages_ = ("dev", "staging", "prod")
    text = "prod:\n  version: 1.1.0\n  replaces: 1.0.0\nstaging:\n  version: 1.2.0\n"
    requests = parse_state("f.yaml", "churn", load_yaml("f.yaml", text, lines=True), stages_)
    assert [(r.stage, str(r.version), r.replaces) for r in requests][1] == (
        "staging",
        "1.2.0",
        None,
    )
    again = render_state("churn", requests, stages_)
    assert again.splitlines()[1:4] == ["staging:", "  version: 1.2.0", "  replaces: null"]
    parsed = parse_state("f", "churn", load_yaml("f", again, lines=True), stages_)
    assert {(r.stage, r.version, r.replaces) for r in parsed} == {
        (r.stage, r.version, r.replaces) for r in requests
    }
    for bad, where, said in (
        ("prod:\n  version: 1.1.0\nqa:\n  version: 1.0.0\n", "f.yaml:3", "'qa' is not a stage"),
        ("prod:\n  version: 1.1.0\n  replaces: latest\n", "f.yaml:3", "not a semantic version"),
        ("prod:\n  version: 1.1.0\n  replace: 1.0.0\n", "f.yaml:1", "mapping of version"),
        ("- prod\n", "f.yaml", "must be a mapping of stages"),
    ):
        with pytest.raises(InvalidFile) as caught:
            parse_state("f.yaml", "churn", load_yaml("f.yaml", bad, lines=True), stages_)
        assert caught.value.path == where and said in caught.value.detail


def test_where_to_open_the_pull_request() -> None:
    branch = "git-model/promote/churn-prod-v1.1.0"
    for url in ("git@github.com:acme/models.git", "https://github.com/acme/models"):
        assert pull_request_url(url, "main", branch) == (
            f"https://github.com/acme/models/compare/main...{branch}?expand=1"
        )
    assert pull_request_url("ssh://git@gitlab.com/acme/ml/models.git", "main", branch) == (
        "https://gitlab.com/acme/ml/models/-/merge_requests/new?"
        "merge_request[source_branch]=git-model%2Fpromote%2Fchurn-prod-v1.1.0"
    )
    assert pull_request_url("/srv/git/models.git", "main", branch) is None
    assert pull_request_url("https://example.com/models.git", "main", branch) is None


def test_a_long_plan_stays_under_a_comment_limit(shared: Shared, clock: Clock) -> None:
    alice = shared.alice
    params = {f"param_{i:04}": "x" * 40 for i in range(2000)}  # a huge params table
    alice.commit("many params", files={"params.yaml": json.dumps(params)})
    train(alice, "churn", 0.91, "1.3.0")
    ok(alice, "promote", "churn@1.3.0", "--to", "prod", "--request")
    alice.git("checkout", "-q", "git-model/promote/churn-prod-v1.3.0")
    comment = ok(alice, "plan", "--markdown")
    assert len(comment) < COMMENT_LIMIT
    assert comment.splitlines()[0] == PLAN_MARKER
    assert "_Cut short to stay under 65,536 characters" in comment


def test_apply_never_undoes_a_stage_moved_by_hand_after_it(shared: Shared, clock: Clock) -> None:
    alice = shared.alice
    clock.tick(60)
    ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--request", "--push")
    clock.tick(60)
    merge(alice, BRANCH)
    ok(alice, "apply", "--push")
    clock.tick(60)
    ok(alice, "rollback", "churn#prod", "--push")  # an emergency, by hand
    refs = alice.refs()
    kept = alice.cli("apply", "--push")
    assert kept.exit_code == 0 and alice.refs() == refs
    assert "churn#prod (v1.1.0 was applied; v1.0.0 holds it now)" in kept.stderr
    code, planned = plan_json(alice)
    assert (code, planned["moves"]) == (0, [])
    assert [(d["asked"], d["holder"]) for d in planned["drift"]] == [("1.1.0", "1.0.0")]

    clock.tick(60)
    recorded = ok(alice, "promote", "churn#prod", "--to", "prod", "--request", "--push")
    assert "Requested churn v1.0.0 in prod, replacing v1.0.0" in recorded
    clock.tick(60)
    merge(alice, "git-model/promote/churn-prod-v1.0.0")
    assert "Nothing to apply" in ok(alice, "apply", "--push")
    code, planned = plan_json(alice)
    assert (code, planned["moves"], planned["drift"], planned["in_place"]) == (0, [], [], 1)


# --- the CI files, run as their CIs run them ----------------------------------------------

DOCS_CI = Path(__file__).resolve().parents[1] / "docs" / "ci"
GITHUB, GITLAB = "github-promotion-pull-requests.yml", "gitlab-promotion-merge-requests.yml"


def _script(name: str, job: str) -> str:
    """The shell script of a CI file's job (GitHub: the one job's last step)."""
    spec = yaml.safe_load((DOCS_CI / name).read_text())
    if name == GITHUB:
        return str(spec["jobs"]["promotion"]["steps"][-1]["run"])
    return str(spec[job]["script"][-1])


def _run_ci(
    clone: Repo, name: str, job: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    # No `gh` on PATH: the job writes the file it would post.
    return run_ci_script(clone.path, _script(name, job), env)


def _plan_env(name: str, branch: str, summary: Path) -> dict[str, str]:
    if name == GITHUB:
        return {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_BASE_REF": "main",
            "GITHUB_HEAD_REF": branch,
            "GITHUB_REF": "refs/pull/1/merge",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REPOSITORY": "acme/models",
            "PR_NUMBER": "1",
        }
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch,
        "CI_MERGE_REQUEST_IID": "1",
    }


def _apply_env(name: str, merged: str) -> dict[str, str]:
    approvers = {"GIT_MODEL_APPROVED_BY": "ml-lead"}  # what the job finds in the reviews
    if name == GITHUB:
        return {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_SHA": merged,
            "GITHUB_REPOSITORY": "acme/models",
            **approvers,
        }
    return {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "main",
        "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_SHA": merged,
        **approvers,
    }


def _checkout(shared: Shared, name: str, rev: str) -> Repo:
    """The CI's checkout: a fresh clone of the server, at ``rev`` (detached)."""
    clone = shared.clone(name)
    clone.git("checkout", "-q", "--detach", rev)
    return clone


@pytest.mark.parametrize("name", [GITHUB, GITLAB])
def test_the_ci_files_plan_pull_requests_and_apply_merges(
    shared: Shared, clock: Clock, name: str, tmp_path: Path
) -> None:
    alice = shared.alice
    ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--request", "--push")
    pr = _checkout(shared, "ci-pr", f"origin/{BRANCH}")
    summary = tmp_path / "summary.md"
    planned = _run_ci(pr, name, "promotion-plan", _plan_env(name, BRANCH, summary))
    assert planned.returncode == 0, planned.stderr
    comment = (pr.path / "plan.md").read_text()  # what `gh pr comment --body-file` posts
    assert comment.splitlines()[0] == PLAN_MARKER
    assert "1 move ready to apply" in comment and "| churn | prod | v1.0.0 | v1.1.0 |" in comment
    if name == GITHUB:
        assert summary.read_text() == comment  # the job summary: the same Markdown

    clock.tick(60)
    merged = merge(shared.clone("maintainer"), BRANCH)
    main = _checkout(shared, "ci-main", merged)
    applied = _run_ci(main, name, "promotion-apply", _apply_env(name, merged))
    assert applied.returncode == 0, applied.stderr
    assert "Promoted churn v1.1.0 to prod, replacing v1.0.0" in applied.stdout
    event = shared.server_git("for-each-ref", "--format=%(contents)", "refs/tags/churn#prod#3")
    assert f"Merge-Commit: {merged}" in event and "Approved-By: ml-lead" in event
    ok(alice, "fetch")
    assert stages(alice, "churn")["prod"] == "1.1.0"
    again = _run_ci(main, name, "promotion-apply", _apply_env(name, merged))
    assert again.returncode == 0 and "Nothing to apply" in again.stdout

    alice.git("pull", "-q", "--ff-only", "origin", "main")
    train(alice, "churn", 0.8, "1.2.0")
    ok(alice, "promote", "churn@1.2.0", "--to", "prod", "--request", "--push")
    branch = "git-model/promote/churn-prod-v1.2.0"
    bad = _checkout(shared, "ci-bad", f"origin/{branch}")
    refused = _run_ci(bad, name, "promotion-plan", _plan_env(name, branch, summary))
    assert refused.returncode == 15
    assert (bad.path / "plan.md").read_text().splitlines()[1].startswith(":x:")
