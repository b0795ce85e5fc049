"""``promote``: give a stage to a version, or to versions of several models at once (one
release), once every gate of the stage has passed or was overridden on the record.

For each version, in order: read its model (its head first; synced from the remote with
``--push``), resolve the version and the stage, stop if it already holds the stage (done:
the model's last write did it; otherwise refused), check the gates of the policy in
force (``reading.policy_in_force``: the file as committed on the policy branch), and
only then plan the events: the unassignment of the stage's holder, the assignment
(carrying the policy's commit, and what was forced and why), the stage tag. Several
models' writes go in one ref transaction and one atomic push: all of them, or none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from git_model.config import RegistryConfig
from git_model.errors import (
    AlreadyInStage,
    GatesFailed,
    GitModelError,
    NoNextStage,
    UsageError,
    VersionArchived,
)
from git_model.gitcmd import Git
from git_model.names import Action, ModelRef, check_stage_name
from git_model.policy import Evaluation, Policy, evaluate
from git_model.reading import open_registry, policy_in_force, resolve
from git_model.results import Change, Release
from git_model.safeyaml import is_one_line
from git_model.semver import SemVer
from git_model.signing import expected_signer, signed_as_allowed
from git_model.state import FORCED, POLICY, REASON, RELEASE, EventKind, Model, StageHolder, Version
from git_model.writing import (
    Plan,
    RemoteState,
    apply_together,
    changing,
    check_message,
    done_before,
    ensure_artifact_pushed,
    wants_signature,
    writable,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One version on its way into a stage, checked."""

    model: Model
    remote: RemoteState | None
    version: Version
    stage: str
    holder: StageHolder | None  # who holds the stage now
    gates: Evaluation
    done: bool  # the model's last write already made this promotion
    policy: Policy
    sign: bool


def promote(
    ref: str,
    *,
    to: str | None = None,
    message: str | None = None,
    force: bool = False,
    reason: str | None = None,
    push: str | None = None,
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Give stage ``to`` (default: the next one) to the version ``ref`` names, if it passes
    the stage's gates; ``force`` with a ``reason`` overrides failing gates, on the record
    (all but ``signers``); ``sign``: Git signs the tags (default: the clone's setting)."""
    why = override_reason(message, force, reason)
    git, config = open_registry(repo)
    policy_warning, candidate = gate_candidate(
        git, config, ref, to, push=push, force=force, sign=sign
    )
    plan = Plan(git, config, candidate.model, candidate.remote, sign=candidate.sign)
    if candidate.done:
        return plan.finish(
            EventKind.PROMOTED,
            candidate.version.version,
            candidate.stage,
            replaced=_replaced_by_last_write(candidate),
        )
    plan_promotion(plan, candidate, message, why)
    return plan.finish(
        EventKind.PROMOTED,
        candidate.version.version,
        candidate.stage,
        replaced=candidate.holder.version if candidate.holder else None,
        gates=candidate.gates,
        policy_warning=policy_warning,
    )


def promote_all(
    refs: Sequence[str],
    *,
    to: str | None,
    message: str | None = None,
    force: bool = False,
    reason: str | None = None,
    push: str | None = None,
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Release:
    """Give stage ``to`` to versions of several models at once, as one release: every gate
    of every version is checked first, then all of them move in one transaction (and with
    ``push``, one atomic push), or none does. Their events share a release id."""
    why = override_reason(message, force, reason)
    if to is None:
        raise UsageError("several versions need --to", "name the stage they all go to")
    targets = [ModelRef.parse(ref) for ref in refs]
    models = [t.model for t in targets]
    twice = sorted({m for m in models if models.count(m) > 1})
    if twice:
        raise UsageError(
            f"{', '.join(twice)} is named more than once; a release moves one version per model",
            "name each model once",
        )
    git, config = open_registry(repo)
    found = [
        gate_candidate(git, config, ref, to, push=push, force=force, sign=sign, gate_only=True)
        for ref in refs
    ]
    failed = [
        f"{c.model.name} {c.version.version.tag}: {failures(c.gates)}"
        for _, c in found
        if not c.gates.passed
    ]
    unsigned = any(signers_failed(c.gates) for _, c in found)
    if failed and (not force or unsigned):
        check = " && ".join(f"git model check {ref} --to {to}" for ref in refs)
        release_of = f"the release of {', '.join(models)}"
        raise GatesFailed(release_of, to, failed, check, overridable=not unsigned)
    moving = [c for _, c in found if not c.done]
    release = release_id(
        [f"{c.model.name}@{c.version.version.tag}@{c.model.head}" for c in moving], to
    )
    plans = []
    for candidate in moving:
        plan = Plan(git, config, candidate.model, candidate.remote, sign=candidate.sign)
        plan_promotion(plan, candidate, message, why, release=release)
        plans.append(plan)
    written = apply_together(plans) if plans else []
    changes = [
        plan.result(
            EventKind.PROMOTED,
            c.version.version,
            refs,
            stage=to,
            replaced=c.holder.version if c.holder else None,
            gates=c.gates,
        )
        for plan, c, refs in zip(plans, moving, written, strict=True)
    ]
    warnings = {warning for warning, _ in found if warning}
    return Release(release, to, tuple(changes), next(iter(warnings), None))


def override_reason(message: str | None, force: bool, reason: str | None) -> str | None:
    """The reason for overriding failing gates, on one line; refused without --force, or
    --force without it."""
    check_message(message)
    if reason is not None and not force:
        raise UsageError("--reason goes with --force", "pass --force to override failing gates")
    if not force:
        return None
    why = " ".join((reason or "").split())
    if not why or not is_one_line(why):
        raise UsageError(
            "--force needs --reason TEXT: an override is recorded with why it was made",
            'say why, e.g. --force --reason "hotfix for incident 4711"',
        )
    return why


def gate_candidate(
    git: Git,
    config: RegistryConfig,
    ref: str,
    to: str | None,
    *,
    push: str | None,
    force: bool,
    sign: bool | None,
    gate_only: bool = False,
) -> tuple[str | None, Candidate]:
    """A version read, resolved, checked against its stage and gated; and the warning
    about the policy, if any. Failing gates are refused here unless ``force`` (or
    ``gate_only``: the caller refuses them all together)."""
    target = ModelRef.parse(ref)
    if to is not None:
        config.check_stage(check_stage_name(to))
    model, remote = changing(git, config, target.model, push)
    version = resolve(model, target)
    held = [h for h in model.holders if h.commit == version.commit]
    cut_short = {tag for tag, _ in model.unfinished}
    if to is None and held and held[-1].event in cut_short:
        # The stage a run of this command gave it before it was cut short. (After one
        # that completed, no --to means the next stage again.)
        to = held[-1].stage
    stage = to or _next_stage(config, model, version, target)
    holder = model.holder(stage)
    policy, warning = policy_in_force(git, config)
    signs, gates = gate(git, policy, model, version, stage, sign=sign)
    found = Candidate(model, remote, version, stage, holder, gates, False, policy, signs)
    if holder is not None and holder.commit == version.commit:
        if done_before(model, holder.event):
            return warning, replace(found, done=True)
        raise AlreadyInStage(model.name, version.version.tag, stage)
    writable(model)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    if refused(gates, force) and not gate_only:
        raise refusal(model, version, stage, gates, warning)
    if remote is not None:
        ensure_artifact_pushed(git, model.name, version)
    return warning, found


def gate(
    git: Git,
    policy: Policy,
    model: Model,
    version: Version,
    stage: str,
    *,
    sign: bool | None,
    rollback: bool = False,
) -> tuple[bool, Evaluation]:
    """Whether the write will be signed, and the gates of giving ``stage`` to ``version``
    (the ``signers`` gate knows who would sign it)."""
    signs = wants_signature(git, sign)
    signer = expected_signer(git, policy, model.name, stage, signs)
    now = git.ident().timestamp
    return signs, evaluate(policy, model, version, stage, now, rollback=rollback, signer=signer)


def refused(gates: Evaluation, force: bool) -> bool:
    """Whether failing gates stop the write: ``force`` overrides all but ``signers``."""
    return not gates.passed and (not force or signers_failed(gates))


def refusal(
    model: Model, version: Version, stage: str, gates: Evaluation, warning: str | None
) -> GitModelError:
    """The error of a version whose gates refused it ``stage``."""
    what = f"{model.name} {version.version.tag}"
    check = f"git model check {model.name}@{version.version} --to {stage}"
    failed = [str(r) for r in gates.failed]
    error = GatesFailed(what, stage, failed, check, overridable=not signers_failed(gates))
    return error.also(warning) if warning else error


def signers_failed(gates: Evaluation) -> bool:
    """Whether the ``signers`` gate failed: who may move a stage is not overridden."""
    return any(r.gate == "signers" for r in gates.failed)


def failures(gates: Evaluation) -> str:
    return "; ".join(str(r) for r in gates.failed)


def plan_promotion(
    plan: Plan,
    candidate: Candidate,
    message: str | None,
    why: str | None,
    *,
    release: str | None = None,
    trailers: Sequence[tuple[str, str]] = (),
) -> None:
    """The events of one promotion: the holder's unassignment, the assignment (with what
    the policy said, and ``trailers``), the stage tag."""
    model, version, stage, holder = (
        candidate.model,
        candidate.version,
        candidate.stage,
        candidate.holder,
    )
    if holder is not None:
        plan.event(
            Action.UNASSIGN,
            holder.commit,
            f"Replace {model.name} {holder.version.tag} in {stage} by {version.version.tag}",
            stage=stage,
        )
    text = message or f"Promote {model.name} {version.version.tag} to {stage}"
    plan.event(
        Action.ASSIGN,
        version.commit,
        text,
        stage=stage,
        trailers=[*gate_trailers(candidate.gates, why, release), *trailers],
    )
    plan.set_stage(stage, version.commit)
    vouch = signed_as_allowed(plan.git, candidate.policy, model.name, stage, version)
    earlier = plan.vouch
    if earlier is None or vouch is None:
        plan.vouch = vouch or earlier
    else:  # several stages of a model in one write: every one is vouched for

        def both(written: dict[str, str]) -> None:
            earlier(written)
            vouch(written)

        plan.vouch = both


def gate_trailers(
    gates: Evaluation, why: str | None, release: str | None = None
) -> list[tuple[str, str]]:
    """What an assignment records of its gates: the policy's commit (when the stage had
    gates), the gates it overrode and why, and the release it belongs to."""
    trailers = []
    if gates.results and gates.commit:
        trailers.append((POLICY, gates.commit))
    if gates.failed and why:
        trailers += [(FORCED, ", ".join(r.gate for r in gates.failed)), (REASON, why)]
    if release:
        trailers.append((RELEASE, release))
    return trailers


def _replaced_by_last_write(candidate: Candidate) -> SemVer | None:
    return next(
        (
            e.version
            for e in candidate.model.events
            if e.tag in candidate.model.latest_write
            and e.kind is EventKind.DEMOTED
            and e.stage == candidate.stage
        ),
        None,
    )


def _next_stage(config: RegistryConfig, model: Model, version: Version, ref: ModelRef) -> str:
    if ref.stage is not None:
        config.check_stage(ref.stage)
        current: str | None = ref.stage
    else:
        held = [s for s in config.stages if s in version.stages]
        current = held[-1] if held else None
    nxt = config.next_stage(current)
    if nxt is None:
        raise NoNextStage(model.name, version.version.tag, current or "")
    return nxt


def release_id(versions: Sequence[str], stage: str) -> str:
    """A short id the events of one release share: of the versions, the stage and the
    models' heads before it (so the same versions released again get another id)."""
    text = f"{stage} {' '.join(sorted(versions))}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]
