"""``promote --request``: ask for a promotion through a reviewed pull request instead of
moving the tags.

The request is one commit on a new branch, ``git-model/promote/NAME-STAGE-vX.Y.Z``, made
from the policy branch's tip (never from the working tree, which stays untouched): it
sets the stage in the model's desired-state file (``desired.state_path``) to the version,
recording the stage's present holder as the one it replaces. The commit is made with
plumbing in a temporary index, and its message carries what a reviewer needs: the gates
(as ``check`` evaluates them) and the comparison with the holder (as ``compare``). With
``push``, the branch goes to the remote first (create-only), then exists here.

After review and merge, ``apply`` (on the main branch) moves the tags.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from git_model.desired import Request, parse_state, render_state, state_path
from git_model.errors import (
    AlreadyInStage,
    AlreadyRequested,
    BranchExists,
    ConcurrentUpdate,
    UsageError,
    VersionArchived,
)
from git_model.gitcmd import Git, RefUpdate
from git_model.names import ModelRef, check_stage_name
from git_model.policy import evaluate
from git_model.reading import open_registry, policy_branch, policy_in_force, require_model, resolve
from git_model.reports import check_markdown, comparison, comparison_markdown
from git_model.results import PromotionRequest
from git_model.safeyaml import load_yaml_blob
from git_model.signing import expected_signer
from git_model.writing import sync, wants_signature, writable

BRANCH_PREFIX = "git-model/promote/"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def request_promotion(
    ref: str, *, to: str | None, push: str | None = None, repo: Path | str | None = None
) -> PromotionRequest:
    """Make a branch whose one commit asks for the version ``ref`` names to hold stage
    ``to``; with ``push``, publish it to that remote and say where to open the pull
    request."""
    if to is None:
        raise UsageError("--request needs --to", "name the stage, e.g. --to prod")
    git, config = open_registry(repo)
    stage = config.check_stage(check_stage_name(to))
    target = ModelRef.parse(ref)
    if push is not None:
        sync(git, push, target.model)  # the holder it replaces is the remote's
    model = writable(require_model(git, config, target.model))
    version = resolve(model, target)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    holder = model.holder(stage)
    found = policy_branch(git)
    if found is None:
        raise UsageError(
            "a promotion request starts from the policy branch, and there is none (no main "
            "or master)",
            "create the main branch, or name one with `git config gitmodel.policyBranch`",
        )
    base, base_commit = found
    path = state_path(model.name)
    label = f"{path} at {base}"
    blob = git.read_blobs([f"{base_commit}:{path}"])[0]
    asked = parse_state(label, model.name, load_yaml_blob(label, blob, True), config.stages)
    before = next((r for r in asked if r.stage == stage), None)
    if before is not None and before.version == version.version:
        raise AlreadyRequested(model.name, version.version.tag, stage, base)
    if holder is not None and holder.commit == version.commit and before is None:
        # (When the desired state asks for another version, as after a rollback by hand,
        # a request for the holder records the present in it.)
        raise AlreadyInStage(model.name, version.version.tag, stage)
    replaces = holder.version if holder is not None else None
    mine = Request(model.name, stage, version.version, replaces, path)
    text = render_state(model.name, [*(r for r in asked if r.stage != stage), mine], config.stages)

    policy, _warning = policy_in_force(git, config)
    signer = expected_signer(git, policy, model.name, stage, wants_signature(git, None))
    gates = evaluate(policy, model, version, stage, git.ident().timestamp, signer=signer)
    current = model.find(replaces) if replaces is not None else None
    subject = f"Promote {model.name} {version.version.tag} to {stage}"
    if current is not None and current.commit == version.commit:
        subject = f"Record {model.name} {version.version.tag} in {stage}, which it holds"
        current = None  # nothing to compare
    elif replaces is not None:
        subject += f", replacing {replaces.tag}"
    body = [subject, "", check_markdown(gates), ""]
    if current is not None:
        body.append(comparison_markdown(comparison(current, version)))
    message = "\n".join(body).rstrip("\n") + "\n"

    commit = git.commit_file(base_commit, path, text.encode(), message)
    name = BRANCH_PREFIX + "-".join(_safe(p) for p in (model.name, stage, version.version.tag))
    branch = f"refs/heads/{name}"
    _create(git, branch, commit, push)
    url = None
    if push is not None:
        url = pull_request_url(git.remote_url(push), _short(git, base), name)
    return PromotionRequest(
        model=model.name,
        version=version,
        stage=stage,
        replaces=replaces,
        branch=branch,
        commit=commit,
        base=base,
        base_commit=base_commit,
        path=path,
        gates=gates,
        message=message,
        pushed=push,
        url=url,
    )


def _safe(part: str) -> str:
    """A part of a branch name: letters, digits, ``.``, ``_`` and ``-`` only."""
    return re.sub(r"\.{2,}", ".", _UNSAFE.sub("-", part)).strip("-.")


def _create(git: Git, branch: str, commit: str, push: str | None) -> None:
    """Create the branch (never replace one): on the remote first, then here."""
    name = branch.removeprefix("refs/heads/")
    if branch in git.read_refs([branch]):
        raise BranchExists(name)
    update = RefUpdate(branch, commit, None)
    if push is not None and git.push_refs(push, [update], {}):
        raise BranchExists(f"{name} on {push}")
    try:
        git.update_refs([update])
    except ConcurrentUpdate:
        raise BranchExists(name) from None


def _short(git: Git, ref: str) -> str:
    """A branch's name as a forge shows it: ``main`` for ``refs/remotes/origin/HEAD``."""
    if ref.startswith("refs/remotes/") and ref.endswith("/HEAD"):
        ref = git.symbolic_target(ref) or ref
    if ref.startswith("refs/remotes/"):
        return ref.removeprefix("refs/remotes/").partition("/")[2]
    return ref.removeprefix("refs/heads/")


_FORGE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?[:/](?P<path>.+?)(?:\.git)?/?$"
)


def pull_request_url(remote_url: str, base: str, branch: str) -> str | None:
    """Where to open the pull request for ``branch`` into ``base``: GitHub's compare page
    or GitLab's new merge request (for a host named gitlab); None for other remotes."""
    match = _FORGE.match(remote_url)
    if match is None:
        return None
    host, path = match["host"], match["path"]
    if host == "github.com":
        return f"https://github.com/{path}/compare/{quote(base)}...{quote(branch)}?expand=1"
    if host == "gitlab.com" or host.startswith("gitlab."):
        source = quote(branch, safe="")
        return f"https://{host}/{path}/-/merge_requests/new?merge_request[source_branch]={source}"
    return None
