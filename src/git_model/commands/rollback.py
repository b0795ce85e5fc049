"""``rollback``: give a stage back to the version that held it before the current one (or
to a named former holder), recorded as a rollback.

The former holders come from the stage's events, newest first, archived versions left
out. The stage's gates do not stand in the way of a former holder, unless the stage says
``check_rollbacks: true`` in the policy in force; then they are checked as for a
promotion, and ``--force --reason`` overrides them on the record.
"""

from __future__ import annotations

from pathlib import Path

from git_model.commands.promote import gate, gate_trailers, override_reason, refusal, refused
from git_model.errors import (
    AlreadyInStage,
    NotAFormerHolder,
    UsageError,
    VersionArchived,
)
from git_model.names import Action, ModelRef
from git_model.reading import open_registry, policy_in_force, resolve
from git_model.results import Change
from git_model.semver import SemVer
from git_model.signing import signed_as_allowed
from git_model.state import ROLLBACK, EventKind, Model, Version, former_holders
from git_model.writing import (
    Plan,
    changing,
    done_before,
    ensure_artifact_pushed,
    writable,
)


def rollback(
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
    """Give the stage ``NAME#STAGE`` back to its former holder (or to ``to``, a version
    that held it before)."""
    why = override_reason(message, force, reason)
    target = ModelRef.parse(ref)
    if target.stage is None:
        raise UsageError(f"{ref!r} names no stage", "write NAME#STAGE, e.g. churn#prod")
    git, config = open_registry(repo)
    stage = config.check_stage(target.stage)
    model, remote = changing(git, config, target.model, push)
    holder = model.holder(stage)
    wanted = resolve(model, ModelRef(model.name, version=SemVer.parse(to))) if to else None
    if holder is not None and _rolled_back_by_last_write(model, holder.event, wanted):
        done = Plan(git, config, model, remote, sign=sign)
        return done.finish(EventKind.ROLLED_BACK, holder.version, stage)
    current = holder.commit if holder else _taken_out_by_a_write_cut_short(model, stage)
    version = _former_holder(model, stage, wanted, current)
    if holder is not None and holder.commit == version.commit:
        raise AlreadyInStage(model.name, version.version.tag, stage)
    writable(model)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    policy, warning = policy_in_force(git, config)
    signs, gates = gate(git, policy, model, version, stage, sign=sign, rollback=True)
    if refused(gates, force):
        raise refusal(model, version, stage, gates, warning)
    if remote is not None:
        ensure_artifact_pushed(git, model.name, version)
    plan = Plan(git, config, model, remote, sign=signs)
    plan.vouch = signed_as_allowed(git, policy, model.name, stage, version)
    current = holder.version.tag if holder else "nothing"
    if holder is not None:
        plan.event(
            Action.UNASSIGN,
            holder.commit,
            f"Roll {model.name} {stage} back from {current} to {version.version.tag}",
            stage=stage,
        )
    text = message or f"Roll {model.name} {stage} back to {version.version.tag}"
    trailers = [(ROLLBACK, current), *gate_trailers(gates, why)]
    plan.event(Action.ASSIGN, version.commit, text, stage=stage, trailers=trailers)
    plan.set_stage(stage, version.commit)
    return plan.finish(
        EventKind.ROLLED_BACK,
        version.version,
        stage,
        replaced=holder.version if holder else None,
        gates=gates,
        policy_warning=warning,
    )


def _rolled_back_by_last_write(model: Model, event: str, wanted: Version | None) -> bool:
    """Whether the model's last write was this rollback (run again: it is done)."""
    rolled = any(e.tag == event and e.kind is EventKind.ROLLED_BACK for e in model.events)
    holder = model.holder_by_event(event)
    return (
        rolled
        and done_before(model, event)
        and (wanted is None or (holder is not None and holder.commit == wanted.commit))
    )


def _taken_out_by_a_write_cut_short(model: Model, stage: str) -> str | None:
    """The commit of the version a write cut short took out of ``stage`` as its last
    event there (a rollback stopped after its unassignment): the rollback run again
    gives the stage to the version before it, as the first run meant to."""
    cut_short = {tag for tag, _ in model.unfinished}
    last = next((e for e in reversed(model.events) if e.stage == stage), None)
    if last is None or last.tag not in cut_short or last.kind.assigns or last.version is None:
        return None
    version = model.find(last.version)
    return version.commit if version else None


def _former_holder(
    model: Model, stage: str, wanted: Version | None, current: str | None
) -> Version:
    """The version to give the stage back to: ``wanted`` if it held the stage before,
    else the most recent former holder that is not archived and not the current one."""
    former = former_holders(model, stage)
    if wanted is not None:
        if wanted not in former:
            raise NotAFormerHolder(model.name, stage, wanted.version.tag)
        return wanted
    found = next((v for v in former if v.commit != current and not v.archived), None)
    if found is None:
        raise NotAFormerHolder(model.name, stage, None)
    return found
