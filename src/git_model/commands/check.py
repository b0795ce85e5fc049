"""``check``: every gate a version must pass to enter a stage, evaluated as ``promote``
would (the same code, the same policy in force), without changing anything."""

from __future__ import annotations

from pathlib import Path

from git_model.names import ModelRef, check_stage_name
from git_model.policy import evaluate
from git_model.reading import open_registry, policy_in_force, require_model, resolve
from git_model.results import Check
from git_model.signing import expected_signer
from git_model.writing import wants_signature


def check(ref: str, *, to: str, sign: bool | None = None, repo: Path | str | None = None) -> Check:
    """Evaluate the gates of stage ``to`` for the version ``ref`` names (``sign``: as a
    promotion signed, or not, would be; default: the clone's setting)."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    stage = config.check_stage(check_stage_name(to))
    model = require_model(git, config, target.model)
    version = resolve(model, target)
    policy, warning = policy_in_force(git, config)
    signer = expected_signer(git, policy, model.name, stage, wants_signature(git, sign))
    evaluation = evaluate(policy, model, version, stage, git.ident().timestamp, signer=signer)
    return Check(evaluation, warning)
