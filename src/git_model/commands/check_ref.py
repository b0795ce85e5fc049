"""``check-ref``: what a pushed registry tag means, for a CI job a tag push started.

A job triggered by ``refs/tags/churn#prod#12`` (or ``churn#prod``, ``churn@v1.2.0``)
asks one question: what happened, and is there anything to deploy? The tag is read as
the registry reads it (the model's tags, replayed): its event, the model, version and
stage, who held the stage before, the artifact, and whether the event still describes
the present (a job that runs late, after a newer promotion, must not deploy the older
version).
"""

from __future__ import annotations

from pathlib import Path

from git_model.errors import NotARegistryTag, TagNotFound
from git_model.names import Action, RegistryTag
from git_model.reading import open_registry, require_model
from git_model.results import TagMeaning
from git_model.semver import SemVer
from git_model.state import Event, EventKind, Model

_TAGS = "refs/tags/"


def check_ref(ref: str, *, repo: Path | str | None = None) -> TagMeaning:
    """What the registry tag ``ref`` (``refs/tags/NAME...`` or the tag's name) means."""
    name = ref.removeprefix(_TAGS)
    parsed = RegistryTag.parse(name)
    if parsed is None:
        raise NotARegistryTag(ref)
    git, config = open_registry(repo)
    model = require_model(git, config, parsed.model)
    moving = parsed.stage is not None and parsed.counter is None
    event = _event(model, parsed, name, moving)
    if event is None:
        raise TagNotFound(ref)
    version = model.find(event.version) if event.version is not None else None
    stage = event.stage
    holder = model.holder(stage) if stage is not None else None
    if event.kind.assigns:
        current = holder is not None and holder.event == event.tag
    elif event.kind is EventKind.DEMOTED:
        current = holder is None or holder.version != event.version
    else:
        current = event.kind is not EventKind.DEPRECATED or model.deprecated
    return TagMeaning(
        ref=ref,
        tag=name,
        kind=event.kind,
        model=model.name,
        version=version,
        stage=stage,
        previous=_previous(model, event) if stage is not None else None,
        holder=holder.version if holder is not None else None,
        current=current,
        stage_tag=moving,
        event=event,
        artifact=version.artifact if version is not None else None,
    )


def _event(model: Model, parsed: RegistryTag, name: str, moving: bool) -> Event | None:
    """The event the tag records; for a moving stage tag, the event behind its holder."""
    if moving:
        holder = model.holder(parsed.stage or "")
        name = holder.event if holder is not None else ""
    elif parsed.action is Action.REGISTER and parsed.version is not None:
        found = model.find(parsed.version)
        name = found.tag if found is not None else name
    return next((e for e in model.events if e.tag == name), None)


def _previous(model: Model, event: Event) -> SemVer | None:
    """Who held the event's stage just before it: the holder its write replaced (an
    unassignment right before it), else the holder before its write."""
    holder: SemVer | None = None
    last: Event | None = None
    for e in model.events:
        if e.stage != event.stage:
            continue
        if e.tag == event.tag:
            if (
                last is not None
                and last.kind is EventKind.DEMOTED
                and event.counter is not None
                and last.counter == event.counter - 1
            ):
                return last.version
            return holder
        if e.kind.assigns:
            holder = e.version
        elif e.kind is EventKind.DEMOTED:
            holder = None
        last = e
    return holder
