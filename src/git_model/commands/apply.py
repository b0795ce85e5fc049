"""``apply``: move the tags to what the desired state at HEAD asks, on the main branch
after a promotion pull request was merged.

HEAD must be on the policy branch (merged, so reviewed). Read every request of the
desired-state files at HEAD (``reading.desired_at``); keep those
whose stage does not hold the version yet. Refuse, changing nothing, when a stage's
holder is not the one the request ``replaces`` (the tags moved since the request: it was
reviewed against another state) or when a gate fails (the policy in force, as
``promote`` checks it: a merge is not an override). Then every promotion, of every
model, goes in one ref transaction (and with ``push``, one atomic push): ``promote``'s
machinery (``gate_candidate``, ``plan_promotion``, ``writing.apply_together``). Each
assignment records the merge commit (``Merge-Commit:``) and who approved the pull
request (``Approved-By:``, one trailer each). Run again, it finds nothing to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from git_model.commands.plan import applied_then_moved, asked_version
from git_model.commands.promote import gate_candidate, plan_promotion, release_id, signers_failed
from git_model.desired import Request
from git_model.errors import GatesFailed, NoCommits, StageMoved, UsageError
from git_model.gitcmd import Git
from git_model.reading import desired_at, open_registry, policy_branch, require_model
from git_model.results import Applied
from git_model.safeyaml import is_one_line
from git_model.state import APPROVED_BY, MERGE_COMMIT, EventKind, Model
from git_model.writing import Plan, apply_together, sync

# Approvers a CI job knows (from the merged pull request's reviews), comma-separated.
APPROVERS_VARIABLE = "GIT_MODEL_APPROVED_BY"


def apply(
    *,
    push: str | None = None,
    approved_by: Sequence[str] = (),
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Applied:
    """Move the tags to match the desired state at HEAD, every model in one transaction;
    ``approved_by`` (and ``$GIT_MODEL_APPROVED_BY``) are recorded on each assignment."""
    approvers = _approvers(approved_by)
    git, config = open_registry(repo)
    head = _merged_head(git)
    requests = desired_at(git, config, head)
    names = sorted({r.model for r in requests})
    if push is not None:
        for name in names:
            sync(git, push, name)
    models = {name: require_model(git, config, name) for name in names}
    pending, kept = _pending(requests, models)
    if not pending:
        return Applied(head, (), None, approvers, push, kept=tuple(kept))
    found_all = [
        gate_candidate(
            git,
            config,
            f"{r.model}@{r.version}",
            r.stage,
            push=push,
            force=False,
            sign=sign,
            gate_only=True,
        )
        for r in pending
    ]
    warning = next((w for w, _ in found_all if w), None)
    candidates = [c for _, c in found_all]
    failed = [
        f"{c.model.name} {c.version.version.tag} → {c.stage}: "
        + "; ".join(str(r) for r in c.gates.failed)
        for c in candidates
        if not c.gates.passed
    ]
    if failed:
        stages = ", ".join(sorted({c.stage for c in candidates if not c.gates.passed}))
        raise GatesFailed(
            f"the desired state at {head[:7]}",
            stages,
            failed,
            "git model plan",
            overridable=not any(signers_failed(c.gates) for c in candidates),
            override="nothing was written: a merge does not override a gate; fix the cause, "
            "or promote by hand with --force --reason TEXT",
        )
    release = (
        release_id(
            [f"{c.model.name}@{c.version.version.tag}@{c.model.head}" for c in candidates],
            ",".join(sorted({c.stage for c in candidates})),
        )
        if len(candidates) > 1
        else None
    )
    trailers = [(MERGE_COMMIT, head), *((APPROVED_BY, who) for who in approvers)]
    plans: dict[str, Plan] = {}
    for c in candidates:
        plan = plans.get(c.model.name)
        if plan is None:
            plan = plans[c.model.name] = Plan(git, config, c.model, c.remote, sign=c.sign)
        plan_promotion(plan, c, None, None, release=release, trailers=trailers)
    written = dict(zip(plans, apply_together(list(plans.values())), strict=True))
    changes = tuple(
        plans[c.model.name].result(
            EventKind.PROMOTED,
            c.version.version,
            written[c.model.name],
            stage=c.stage,
            replaced=c.holder.version if c.holder else None,
            gates=c.gates,
        )
        for c in candidates
    )
    return Applied(head, changes, release, approvers, push, warning, tuple(kept))


def _merged_head(git: Git) -> str:
    """HEAD, which must be on the policy branch: only a merged (so reviewed) desired state
    is applied, never a branch's under review."""
    head = git.resolve_commit("HEAD")
    if head is None:
        raise NoCommits()
    branch = policy_branch(git)
    if branch is None or not git.is_ancestor(head, branch[1]):
        where = branch[0] if branch else "the policy branch (main or master)"
        raise UsageError(
            f"HEAD ({head[:7]}) is not on {where}: apply moves the tags to a reviewed, "
            "merged desired state only",
            f"check out {where} (after the pull request's merge) and run it there",
        )
    return head


def _pending(
    requests: Sequence[Request], models: Mapping[str, Model]
) -> tuple[list[Request], list[str]]:
    """The requests the tags do not satisfy yet; and the stages a request was applied to
    and that moved by hand since (left as they are). StageMoved, naming each, when a
    stage's holder is not the one its request replaces."""
    pending, moved, kept = [], [], []
    for request in requests:
        model = models[request.model]
        version = asked_version(model, request)
        found = model.holder(request.stage)
        if found is not None and found.commit == version.commit:
            continue  # done: by an earlier run, or by hand
        held = found.version if found is not None else None
        now = held.tag if held else "nobody"
        if applied_then_moved(model, request, version):
            stage = f"{request.model}#{request.stage}"
            kept.append(f"{stage} (v{request.version} was applied; {now} holds it now)")
            continue
        if held != request.replaces:
            then = request.replaces.tag if request.replaces else "nobody"
            moved.append(f"{request.model}#{request.stage} is held by {now}, not {then}")
        pending.append(request)
    if moved:
        raise StageMoved(moved)
    return pending, kept


def _approvers(given: Sequence[str]) -> tuple[str, ...]:
    """Who approved: the names given, then those of ``$GIT_MODEL_APPROVED_BY``, each once."""
    named = [*given, *os.environ.get(APPROVERS_VARIABLE, "").split(",")]
    approvers = tuple(dict.fromkeys(" ".join(n.split()) for n in named if n.strip()))
    for who in approvers:
        if not is_one_line(who):
            raise UsageError(
                f"--approved-by {who!r} holds a control character",
                "give each approver's name or login on one line",
            )
    return approvers
