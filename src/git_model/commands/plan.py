"""``plan``: what the desired state at HEAD asks that the tags do not say yet, for the
review of a promotion pull request (and its required check).

For each stage a desired-state file at HEAD names (``desired``): skip it when its holder
is already the version asked for; else it is a move, from the holder to that version,
with every gate of the stage evaluated as ``promote`` would (the policy in force: the
policy branch's, never HEAD's, so a pull request cannot loosen its own gates), the
comparison with the holder, and whether the stage moved since the request (its holder is
not the one the request ``replaces``: a conflict). Then the drift: the stages whose tags
disagree with the desired state of the base (the policy branch unless told), that is,
moved by hand, or merged and not applied yet.
"""

from __future__ import annotations

from pathlib import Path

from git_model.config import RegistryConfig
from git_model.desired import Request
from git_model.errors import NoCommits, RevisionNotFound, VersionNotFound
from git_model.gitcmd import Git
from git_model.metadata import metric_deltas, param_changes
from git_model.policy import evaluate
from git_model.reading import (
    desired_at,
    open_registry,
    policy_branch,
    policy_in_force,
    require_model,
)
from git_model.reports import comparison
from git_model.results import Drift, Move, PlanReport
from git_model.signing import expected_signer
from git_model.state import Model, Version
from git_model.writing import wants_signature


def plan(*, base: str | None = None, repo: Path | str | None = None) -> PlanReport:
    """The moves the desired state at HEAD asks for, gated, and the drift from ``base``
    (default: the policy branch)."""
    git, config = open_registry(repo)
    head = git.resolve_commit("HEAD")
    if head is None:
        raise NoCommits()
    models = _Models(git, config)
    policy, warning = policy_in_force(git, config)
    now = git.ident().timestamp
    signs = wants_signature(git, None)
    moves, in_place = [], 0
    for request in desired_at(git, config, head):
        model = models.get(request.model)
        version = asked_version(model, request)
        found = model.holder(request.stage)
        if found is not None and found.commit == version.commit:
            in_place += 1
            continue
        if applied_then_moved(model, request, version):
            continue  # the stage moved by hand since: drift, not a move
        holder = model.find(found.version) if found is not None else None
        signer = expected_signer(git, policy, model.name, request.stage, signs)
        gates = evaluate(policy, model, version, request.stage, now, signer=signer)
        before, after = holder.metadata() if holder else None, version.metadata()
        moves.append(
            Move(
                model=model.name,
                stage=request.stage,
                holder=holder,
                version=version,
                replaces=request.replaces,
                gates=gates,
                metrics=metric_deltas(before, after),
                params=param_changes(before, after),
                comparison=comparison(holder, version) if holder else None,
                where=request.where,
                conflict=(holder.version if holder else None) != request.replaces,
            )
        )
    base_ref, base_commit = _base(git, base)
    drift = []
    for request in desired_at(git, config, base_commit) if base_commit else ():
        found = models.get(request.model).holder(request.stage)
        held = found.version if found is not None else None
        if held != request.version:
            drift.append(Drift(request.model, request.stage, request.version, held, request.where))
    return PlanReport(
        head=head,
        base=base_ref,
        base_commit=base_commit,
        moves=tuple(moves),
        in_place=in_place,
        drift=tuple(drift),
        policy=policy.cited,
        warning=warning,
    )


class _Models:
    """Each model read once (one listing of its tags)."""

    def __init__(self, git: Git, config: RegistryConfig) -> None:
        self.git, self.config = git, config
        self.read: dict[str, Model] = {}

    def get(self, name: str) -> Model:
        if name not in self.read:
            self.read[name] = require_model(self.git, self.config, name)
        return self.read[name]


def applied_then_moved(model: Model, request: Request, version: Version) -> bool:
    """Whether the version took the stage after the request was made (and, since it does
    not hold it now, the stage moved since): the request was applied, and a hand moved
    the stage after it, such as an emergency rollback. Applying it again would undo that."""
    return request.made is not None and any(
        e.kind.assigns
        and e.stage == request.stage
        and e.commit == version.commit
        and e.date is not None
        and e.date.timestamp() >= request.made
        for e in model.events
    )


def asked_version(model: Model, request: Request) -> Version:
    """The version a request asks for; VersionNotFound (naming the file) if none."""
    version = model.find(request.version)
    if version is None:
        raise VersionNotFound(model.name, f"{request.version.tag} ({request.where} asks for it)")
    return version


def _base(git: Git, base: str | None) -> tuple[str, str | None]:
    """The ref drift is measured against, and its commit (None: no policy branch)."""
    if base is not None:
        commit = git.resolve_commit(base)
        if commit is None:
            raise RevisionNotFound(base)
        return base, commit
    found = policy_branch(git)
    return found if found is not None else ("no policy branch", None)
