"""What a push may do to the registry: the checks the push hooks make.

A push is a list of ref updates. Its registry tags are checked against the receiving
side's tags of the same models (read by their prefix patterns, never every tag) and the
configuration in force there (``reading.config_in_force``: ``git-model.yaml`` as
committed on its policy branch, never anything the push carries). The registry before and
after the push is built by ``state`` from those tags, the gates are evaluated by
``policy.evaluate`` and signatures checked by ``signing.check_tag``, as ``promote`` does
when it writes. A push is refused, tag by tag, when it would:

- move or delete a version tag, or put a second version of a model on one commit;
- move or delete an event tag, or add one whose counter is not above the model's;
- give a stage that the configuration does not list;
- leave a stage tag where the events (those pushed with it included) do not put it;
- assign a version that fails the stage's gates, unless the assignment records a
  ``--force`` past every failing gate (``Forced:``, ``Reason:``), signed by a principal
  that ``signing: force:`` allows;
- move a stage whose gates name ``signers`` without a signature by one of them;
- carry a registry tag that git-model cannot read (lightweight, on something other than a
  commit, beyond the bounds that ``gitcmd`` reads).

Branches, other tags and the models' heads pass untouched. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from git_model.config import RegistryConfig
from git_model.errors import VerificationFailed
from git_model.gitcmd import Git, TagRecord
from git_model.names import Action, RegistryTag, model_in_tag, model_ref_patterns
from git_model.policy import GateResult, Signer, evaluate
from git_model.reading import config_in_force
from git_model.results import PushReview, Refusal, Rule
from git_model.signing import SignatureCheck, Trust, check_tag, trust_in_force
from git_model.state import (
    ADOPTED,
    FOLLOWS,
    Event,
    EventKind,
    Model,
    build_model,
    classify,
    former_holders,
    group_key,
    split_trailers,
)

TAGS = "refs/tags/"
# Models whose tags one listing reads (by their patterns): a push of more is read in parts.
_MODELS_PER_LISTING = 64

# The receiving side's tags matching for-each-ref patterns (this repository's, a remote's).
Lister = Callable[[Sequence[str]], list[TagRecord]]


@dataclass(frozen=True, slots=True)
class Update:
    """One ref a push changes: ``old`` is None when the push creates it, ``new`` None when
    it deletes it."""

    ref: str
    old: str | None
    new: str | None


def review(git: Git, hook: str, updates: Sequence[Update], existing: Lister) -> PushReview:
    """Check the registry tags among ``updates`` against the tags ``existing`` lists (the
    receiving side's, before the push) and the configuration in force in ``git``."""
    ours = [
        (u, parsed)
        for u in updates
        if u.old != u.new
        and u.ref.startswith(TAGS)
        and (parsed := RegistryTag.parse(u.ref[len(TAGS) :])) is not None
    ]
    if not ours:
        return PushReview(hook, len(updates), (), (), None)
    config, _ = config_in_force(git)
    pushed = {
        r.name: r
        for r in git.read_tag_objects({u.ref[len(TAGS) :]: u.new for u, _ in ours if u.new})
    }
    models = sorted({parsed.model for _, parsed in ours})
    listed: list[TagRecord] = []
    for start in range(0, len(models), _MODELS_PER_LISTING):
        part = models[start : start + _MODELS_PER_LISTING]
        listed += existing([pattern for m in part for pattern in model_ref_patterns(m)])
    refusals: list[Refusal] = []
    with ExitStack() as stack:
        receiver = _Receiver(git, config, pushed, git.now(), stack)
        for name in models:
            mine = [(u, p) for u, p in ours if p.model == name]
            records = [r for r in listed if group_key(r.name) == name]
            refusals += _Push(receiver, name, mine, records).review()
    order = {u.ref[len(TAGS) :]: i for i, (u, _) in enumerate(ours)}
    refusals.sort(key=lambda r: order.get(r.tag, len(order)))
    checked = tuple(u.ref[len(TAGS) :] for u, _ in ours)
    return PushReview(hook, len(updates), checked, tuple(refusals), config.policy.cited)


def model_of(name: str, records: Sequence[TagRecord], stages: Sequence[str]) -> Model:
    """One model from its tags, as a write reads it (its unreadable tags count too)."""
    by_model, unreadable = classify(records)
    return build_model(name, by_model.get(name, []), stages, unreadable)


class _Receiver:
    """What every model's part of a push is checked with: the configuration in force, the
    pushed tags, the time, and the allowed signers (read when a check first needs them)."""

    def __init__(
        self,
        git: Git,
        config: RegistryConfig,
        pushed: dict[str, TagRecord],
        now: int,
        stack: ExitStack,
    ) -> None:
        self.git = git
        self.config = config
        self.pushed = pushed
        self.now = now
        self.stack = stack
        self.trust: Trust | None = None
        self.problem: str | None = None

    def check(
        self, record: TagRecord, commit: str, what: str, allowed: frozenset[str] | None
    ) -> SignatureCheck:
        """``signing.check_tag`` of a pushed tag; failed, with why, when no signature can
        be verified here (no allowed signers in force)."""
        if self.trust is None and self.problem is None:
            try:
                trust = trust_in_force(self.git, self.config.policy, None)
                self.trust = self.stack.enter_context(trust)
            except VerificationFailed as exc:
                self.problem = exc.message
        if self.trust is None:
            return SignatureCheck(record.name, what, False, self.problem or "", record.signed)
        return check_tag(
            self.git, self.trust, record.name, record.object, commit=commit, what=what,
            allowed=allowed,
        )  # fmt: skip


class _Push:
    """The part of a push about one model: its tags before and after, and the checks."""

    def __init__(
        self,
        receiver: _Receiver,
        name: str,
        updates: list[tuple[Update, RegistryTag]],
        records: list[TagRecord],
    ) -> None:
        self.receiver = receiver
        self.config = config = receiver.config
        self.policy = config.policy
        self.name = name
        self.updates = [(u.ref[len(TAGS) :], u, p) for u, p in updates]
        self.existing = {r.name: r for r in records}
        self.records = records
        self.before = model_of(name, records, config.stages)
        # Set by ``_settle``, once the tags refused on their own are known.
        self.pushed: dict[str, TagRecord] = {}
        self.created: set[str] = set()
        self.after_records: list[TagRecord] = []
        self.after = self.before
        self.refused: list[Refusal] = []

    def _settle(self, refused: set[str]) -> None:
        """The registry after the push, but for the tags refused on their own (a version or
        an event it would move or delete, one it cannot read, one in an unknown stage, one
        out of counter order): the rest of the push is judged with those where they are."""
        pushed = self.receiver.pushed
        self.pushed = {
            t: pushed[t] for t, u, _ in self.updates if u.new and t in pushed and t not in refused
        }
        self.created = {t for t, u, _ in self.updates if u.old is None and t in self.pushed}
        changed = {t for t, _, _ in self.updates} - refused
        kept = [r for r in self.records if r.name not in changed]
        self.after_records = kept + list(self.pushed.values())
        self.after = model_of(self.name, self.after_records, self.config.stages)

    def refuse(self, tag: str, rule: Rule, reason: str) -> None:
        self.refused.append(Refusal(tag, rule, reason))

    def review(self) -> list[Refusal]:
        refused = set()
        for tag, update, parsed in self.updates:
            if (
                self._immutable(tag, update, parsed)
                or self._unreadable(tag, update)
                or self._unknown_stage(tag, update, parsed)
            ):
                refused.add(tag)
        refused |= self._counters(refused)
        self._settle(refused)
        self._versions()
        refused_stage_tags = self._stage_tags()
        # Assignments: counted events created, and another tool's stage tags, which are
        # assignments of their own (GTO's --simple form); not the copy of such a stage tag
        # that this side already has (git-model adopting it), which is no new assignment.
        assigned = [
            e
            for e in self.after.events
            if e.kind.assigns
            and (e.tag in self.created or (e.counter is None and e.tag in self.pushed))
            and e.tag not in refused_stage_tags
            and e.stage in self.config.stages
            and not self._adopts_existing(e)
        ]
        for event in assigned:
            self._gates(event)
        self._signed_stage_tags({e.stage for e in assigned if e.counter is not None})
        return self.refused

    def _adopts_existing(self, event: Event) -> bool:
        """Whether ``event`` is git-model's copy of a stage tag this side already has."""
        record = self.pushed.get(event.tag)
        if record is None or event.counter is None or ADOPTED not in record.message:
            return False
        was = self.existing.get(f"{model_in_tag(self.name)}#{event.stage}")
        adopted = split_trailers(record.message)[1].get(ADOPTED)
        return was is not None and was.object == adopted

    # --- each check ---------------------------------------------------------------------

    def _unreadable(self, tag: str, update: Update) -> bool:
        if update.new is None:
            return False
        record = self.receiver.pushed.get(tag)
        if record is None:
            self.refuse(tag, Rule.UNREADABLE, "its object is not in the repository")
            return True
        _, skipped = classify([record])
        if skipped:
            self.refuse(
                tag,
                Rule.UNREADABLE,
                f"not a registry tag git-model can read ({skipped[0].reason}): registry tags "
                "are annotated tags on a commit; write them with git model (or git tag -a)",
            )
        return bool(skipped)

    def _immutable(self, tag: str, update: Update, parsed: RegistryTag) -> bool:
        """Whether the push would move or delete a version or an event (refused)."""
        if update.old is None or parsed.is_stage_tag:
            return False
        version = parsed.action is Action.REGISTER
        was = self.existing.get(tag)
        commit = was.target[:12] if was is not None and was.target else update.old[:12]
        if version and update.new is None:
            self.refuse(
                tag,
                Rule.VERSION_DELETED,
                "a version tag is never deleted: archive the version instead "
                f"(git model archive {self.name}@{parsed.version})",
            )
        elif version:
            self.refuse(
                tag,
                Rule.VERSION_MOVED,
                f"a version tag never moves (this one is {parsed.version} at {commit}): "
                f"register the other commit as a new version (git model register {self.name})",
            )
        elif update.new is None:
            self.refuse(
                tag,
                Rule.EVENT_DELETED,
                "an event tag is never deleted: it is the record of what happened; undo a "
                "change with a new event (git model demote, rollback)",
            )
        else:
            self.refuse(
                tag,
                Rule.EVENT_MOVED,
                "an event tag never moves: it is the record of what happened; record the "
                "change as a new event (git model promote, demote, rollback)",
            )
        return True

    def _unknown_stage(self, tag: str, update: Update, parsed: RegistryTag) -> bool:
        """Only a stage of the configuration is given: by an assignment, or a stage tag
        created or moved. (A stage taken off the list can still be emptied.)"""
        stage = parsed.stage
        if stage is None or update.new is None or parsed.action is not Action.ASSIGN:
            return False
        if stage in self.config.stages:
            return False
        self.refuse(
            tag,
            Rule.UNKNOWN_STAGE,
            f"stage {stage!r} is not one of the registry's stages "
            f"({', '.join(self.config.stages)}, in {self.policy.source}): add it to "
            "`stages:` there, or promote to one of those",
        )
        return True

    def _counters(self, refused: set[str]) -> set[str]:
        """A new event's counter is above every counter the model's tags had, and its own;
        returns the events refused."""
        last = self.before.max_counter
        seen: dict[int, str] = {}
        out_of_order = set()
        for tag, update, parsed in self.updates:
            counter = parsed.counter
            if update.old is not None or update.new is None or tag in refused or counter is None:
                continue
            if counter <= last:
                self.refuse(
                    tag,
                    Rule.COUNTER_ORDER,
                    f"its counter #{counter} is not above {self.name}'s last event, #{last}: "
                    f"a new event takes #{last + 1} or more (someone else wrote to "
                    f"{self.name} first: git model fetch, then make the change again)",
                )
                out_of_order.add(tag)
            elif counter in seen:
                self.refuse(
                    tag,
                    Rule.COUNTER_ORDER,
                    f"its counter #{counter} is also {seen[counter]}'s, pushed with it: each "
                    "event has a counter of its own",
                )
                out_of_order.add(tag)
            seen.setdefault(counter, tag)
        return out_of_order

    def _versions(self) -> None:
        """One commit holds one version of a model (the state keeps the older tag)."""
        kept = {v.tag for v in self.after.versions}
        for tag, _, parsed in self.updates:
            record = self.pushed.get(tag)
            if tag not in self.created or record is None or parsed.action is not Action.REGISTER:
                continue
            other = self.after.at_commit(record.target)
            displaced = [
                v.tag
                for v in self.before.versions
                if v.commit == record.target and v.tag not in kept
            ]
            rival = displaced[0] if displaced else other.tag if other and tag not in kept else None
            if rival is not None:
                self.refuse(
                    tag,
                    Rule.SECOND_VERSION,
                    f"commit {record.target[:12]} already holds {rival}: one commit holds one "
                    "version of a model; commit again (even git commit --allow-empty) and "
                    "register that",
                )

    def _stage_tags(self) -> set[str]:
        """Every stage the push touches must end where its events say. Returns the stage
        tags refused for moving a stage without an event."""
        touched = {p.stage for _, _, p in self.updates if p.stage is not None}
        before = {h.stage: h.commit for h in self.before.holders}
        after = {h.stage: h.commit for h in self.after.holders}
        touched |= {s for s in before.keys() | after.keys() if before.get(s) != after.get(s)}
        refused: set[str] = set()
        for stage in sorted(touched):
            tag = f"{model_in_tag(self.name)}#{stage}"
            found = self.after.stage_tag(stage)
            if tag in self.pushed and found is not None and found.event:
                if self._without_event(tag, stage, found.target):
                    refused.add(tag)
                continue
            lag = next((lag for lag in self.after.lags if lag.stage == stage), None)
            if lag is None:
                continue
            says = lag.expected.tag if lag.expected else "no version"
            where = f"points at {lag.actual_commit[:12]}" if lag.actual_commit else "is absent"
            self.refuse(
                tag,
                Rule.STAGE_TAG,
                f"the stage tag {where}, but the events put {says} in {stage}: push the stage "
                "tag where its events say, with them (git model promote --push does both)",
            )
        return refused

    def _without_event(self, tag: str, stage: str, target: str) -> bool:
        """A stage tag another tool wrote is an assignment of its own (GTO's --simple
        form). Where the stage has counted events, that would move it without one: it
        must point where those events say."""
        if not any(e.stage == stage and e.counter is not None for e in self.after.events):
            return False
        records = [r for r in self.after_records if r.name != tag]
        holder = model_of(self.name, records, self.config.stages).holder(stage)
        if holder is not None and holder.commit == target:
            return False
        says = holder.version.tag if holder else "no version"
        self.refuse(
            tag,
            Rule.STAGE_TAG,
            f"not git-model's stage tag (its message lacks the `Written-By: git-model` "
            f"trailer), so it would move {stage} without an event; the events put {says} "
            f"there: promote with git model promote, which writes both",
        )
        return True

    def _gates(self, event: Event) -> None:
        """An assignment pushed: the stage's gates, evaluated as the write that made it
        found the model (its own events and later ones left out), at its date (no later
        than now)."""
        stage, record = event.stage, self.pushed[event.tag]
        model = self._before_write(event)
        version = model.find(event.version) if event.version and stage else None
        if version is None or stage is None:
            return
        gates = self.policy.for_stage(self.name, stage)
        check = None
        if record.signed and (gates.signers or event.forced):
            check = self.receiver.check(record, event.commit, f"the move into {stage}", None)
        signer = _signer(check) if record.signed else None
        holder = model.holder(stage)
        rollback = (
            event.kind is EventKind.ROLLED_BACK
            and version in former_holders(model, stage)
            and (holder is None or holder.commit != version.commit)
        )
        now = self.receiver.now
        when = min(int(event.date.timestamp()) if event.date else now, now)
        verdict = evaluate(
            self.policy, model, version, stage, when, rollback=rollback, signer=signer
        )
        what = f"{self.name} {version.version.tag} may not enter {stage!r}"
        unsigned = [r for r in verdict.failed if r.gate == "signers"]
        others = [r for r in verdict.failed if r.gate != "signers"]
        if unsigned:
            self.refuse(
                event.tag,
                Rule.SIGNERS,
                f"{what}: {unsigned[0]}; sign the move (git model promote --sign) with a key the "
                "allowed signers give to one of them (a stage's signers are never forced)",
            )
        if others:
            principal = check.principal if check is not None and check.passed else None
            why = self._not_forced(event, others, principal, check)
            if why is not None:
                failed = "; ".join(str(r) for r in others)
                self.refuse(event.tag, Rule.GATES, f"{what}: {failed}; {why}")

    def _not_forced(
        self,
        event: Event,
        failed: Sequence[GateResult],
        principal: str | None,
        check: SignatureCheck | None,
    ) -> str | None:
        """Why the failing gates are not overridden (None: they are, on the record, by one
        allowed to)."""
        allowed = sorted(self.policy.signing.principals(self.policy.signing.force))
        ask = f"check them with git model check {self.name}@{event.version} --to {event.stage}"
        missing = [r.gate for r in failed if r.gate not in event.forced]
        why: str | None = None
        if not event.forced or not event.reason:
            who = f"have one of {', '.join(allowed)} force it, signed" if allowed else None
            why = f"{ask}; " + (f"or {who}" if who else "forcing is not allowed in a push here")
        elif missing:
            why = (
                f"it records a --force past {', '.join(event.forced)}, not past "
                f"{', '.join(missing)}; {ask}"
            )
        elif not allowed:
            why = (
                "it records a --force, but nobody may force past the gates in a push here "
                "(list who may under `signing: force:` in git-model.yaml on the policy branch)"
            )
        elif principal is None:
            how = check.reason if check is not None else "not signed"
            why = (
                f"it records a --force, which counts only when signed by one of "
                f"{', '.join(allowed)} ({how}): promote with --force --reason --sign"
            )
        elif principal not in allowed:
            why = (
                f"it records a --force signed by {principal}, who may not force (allowed: "
                f"{', '.join(allowed)})"
            )
        return why

    def _signed_stage_tags(self, assigned: set[str | None]) -> None:
        """The stage tag of an assignment into a stage with ``signers`` is signed by one of
        them, as the event is (``signing.signed_as_allowed`` checks both before a write)."""
        for tag, update, parsed in self.updates:
            record = self.pushed.get(tag)
            stage = parsed.stage
            if record is None or update.new is None or not parsed.is_stage_tag:
                continue
            if stage is None or stage not in assigned:
                continue
            found = self.after.stage_tag(stage)
            names = self.policy.for_stage(self.name, stage).signers
            if found is None or found.event or not names:
                continue
            allowed = self.policy.signing.principals(names)
            check = self.receiver.check(record, record.target, f"the move into {stage}", allowed)
            if not check.passed:
                self.refuse(
                    tag,
                    Rule.SIGNERS,
                    f"the stage tag of {stage}, whose gates name its signers, is not signed "
                    f"as they require: {check.reason}; sign the move (git model promote --sign)",
                )

    # --- the model as a write found it --------------------------------------------------

    def _before_write(self, event: Event) -> Model:
        """The model as the write that made ``event`` read it: the tags here, and the tags
        pushed but stage tags, that write's own events and any later ones. A write's events
        share their ``Follows:`` (the model's head it was planned on); another tool's
        events are taken one by one."""
        write = {event.tag}
        follows = split_trailers(self.pushed[event.tag].message)[1].get(FOLLOWS)
        if follows is not None:
            write |= {
                t
                for t in self.created
                if split_trailers(self.pushed[t].message)[1].get(FOLLOWS) == follows
            }
        counters = [c for t in write if (c := _counter(t)) is not None]
        first = min(counters) if event.counter is not None and counters else None
        records = dict(self.existing)
        for tag in self.created - write:
            parsed = RegistryTag.parse(tag)
            if parsed is None or parsed.is_stage_tag:
                continue
            if first is not None and parsed.counter is not None and parsed.counter >= first:
                continue
            records[tag] = self.pushed[tag]
        return model_of(self.name, list(records.values()), self.config.stages)


def _counter(tag: str) -> int | None:
    parsed = RegistryTag.parse(tag)
    return parsed.counter if parsed else None


def _signer(check: SignatureCheck | None) -> Signer | None:
    """Who signed, for the ``signers`` gate: Git's verdict on the pushed tag."""
    if check is None:
        return None
    if check.passed and check.principal:
        return Signer((check.principal,))
    return Signer(unknown=check.reason)
