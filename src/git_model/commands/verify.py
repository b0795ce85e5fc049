"""``verify``: whether a version is provably what the registry says it is.

For the version ``REF`` names: its registration (the version tag) and, for each stage it
holds, the event that put it there and the stage tag; each tag checked by
``signing.check_tag`` against the allowed signers in force (the policy commit's, or
``--allowed-signers``), with the principals the stage's ``signers`` gate allows. Then the
artifact: the hash the version tag records against DVC's in the version's commit, and
against the bytes in this clone's DVC cache when it holds them.
"""

from __future__ import annotations

from pathlib import Path

from git_model import artifacts
from git_model.errors import GitModelError
from git_model.gitcmd import Git
from git_model.names import ModelRef, stage_tag
from git_model.reading import open_registry, policy_in_force, require_model, resolve
from git_model.results import ArtifactCheck, Verification
from git_model.signing import check_tag, trust_in_force
from git_model.state import Artifact, ArtifactKind, Model, Version


def verify(
    ref: str, *, allowed_signers: Path | None = None, repo: Path | str | None = None
) -> Verification:
    """Check the signatures of the tags that make ``ref`` what it is, and its artifact."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    model = require_model(git, config, target.model)
    version = resolve(model, target)
    policy, _ = policy_in_force(git, config)
    wanted = _tags(model, version)
    oids = git.read_refs([f"refs/tags/{tag}" for tag, _, _ in wanted])
    with trust_in_force(git, policy, allowed_signers) as trust:
        checks = []
        for tag, what, stage in wanted:
            names = policy.for_stage(model.name, stage).signers if stage else ()
            allowed = policy.signing.principals(names) if names else None
            oid = oids.get(f"refs/tags/{tag}", "")
            checks.append(
                check_tag(git, trust, tag, oid, commit=version.commit, what=what, allowed=allowed)
            )
        source = trust.source
    artifact = _artifact(git, version)
    passed = all(c.passed for c in checks) and (artifact is None or artifact.passed)
    return Verification(model.name, version, source, tuple(checks), artifact, passed)


def _tags(model: Model, version: Version) -> list[tuple[str, str, str | None]]:
    """(tag, what it proves, the stage) for the registration and each stage held."""
    found: list[tuple[str, str, str | None]] = [(version.tag, "registration", None)]
    for holder in model.holders:
        if holder.commit == version.commit:
            found.append((holder.event, f"the move into {holder.stage}", holder.stage))
            if model.stage_tag(holder.stage) is not None:
                name = str(stage_tag(model.name, holder.stage))
                found.append((name, f"the stage tag of {holder.stage}", holder.stage))
    return found


def _artifact(git: Git, version: Version) -> ArtifactCheck | None:
    recorded = version.artifact
    if recorded is None:
        return None
    problem: str | None = None
    try:
        declared = artifacts.recorded(git, version.commit, version.model, recorded.path)
    except GitModelError as exc:
        declared, problem = None, exc.message
    if recorded.kind is not ArtifactKind.DVC:
        return _kept_elsewhere(recorded, declared, problem)
    dvc = declared.md5 if declared else None
    if dvc != recorded.md5 or recorded.md5 is None:
        why = problem or f"the commit's DVC files say {dvc or 'nothing'}"
        reason = f"the version tag records {recorded.md5}, but {why}"
        return _check(recorded, dvc, None, False, reason)
    held = artifacts.cached_file(git, recorded.md5)
    if held is None:
        reason = "recorded as DVC recorded it; the bytes are not in this clone's DVC cache"
        return _check(recorded, dvc, None, True, reason)
    actual = artifacts.md5_of(held)
    if actual != recorded.md5:
        reason = f"the DVC cache's copy hashes to {actual}: it is damaged"
        return _check(recorded, dvc, str(held), False, reason)
    reason = "recorded as DVC recorded it, and the cached bytes match"
    return _check(recorded, dvc, str(held), True, reason)


def _check(
    recorded: Artifact, found: str | None, local: str | None, passed: bool, reason: str
) -> ArtifactCheck:
    """The verdict on the artifact ``recorded`` names: what the commit says (``found``) and
    where the bytes checked here are (``local``)."""
    value = {ArtifactKind.GIT: recorded.blob, ArtifactKind.URL: recorded.identity}.get(
        recorded.kind, recorded.md5
    )
    return ArtifactCheck(recorded.path, str(value), recorded.identity, found, local, passed, reason)


def _kept_elsewhere(
    recorded: Artifact, declared: Artifact | None, problem: str | None
) -> ArtifactCheck:
    """A file committed to Git: the blob the version tag records must be the one its
    commit holds (Git checks the bytes against their id). A URL: the commit must still
    declare it; its bytes are checked by `get`, against what the tag records."""
    if recorded.kind is ArtifactKind.GIT:
        held = declared.blob if declared is not None else None
        if held != recorded.blob:
            why = problem or f"the commit holds {f'Git blob {held}' if held else 'another file'}"
            reason = f"the version tag records Git blob {recorded.blob}, but {why}"
            return _check(recorded, held, None, False, reason)
        reason = "recorded as the commit holds it; Git checks its bytes against that id"
        return _check(recorded, held, None, True, reason)
    said = declared.path if declared is not None else None
    if said != recorded.path:
        why = problem or f"the commit declares {said}"
        reason = f"the version tag records {recorded.path}, but {why}"
        return _check(recorded, said, None, False, reason)
    reason = f"at a URL; `get` checks what it downloads against the recorded {recorded.identity}"
    return _check(recorded, said, None, True, reason)
