"""A cache of the registry's state, for commands that read every model (``show``,
``history``, ``doctor``) on registries with tens of thousands of tags.

Nothing in it is needed for correctness: it is derived from the tags alone, kept per
model and keyed by a digest of that model's tag names and objects, so any change of any
of its refs (made by git-model, GTO, ``git tag`` or a fetch) misses it, and deleting the
file only costs the next command the time to rebuild it. It lives in the repository's Git
directory (``.git/git-model/state.cache``), like Git's own caches, and is never shared.

The file is JSON, which can hold data and nothing else, behind a first line with the
SHA-256 of the rest: a file that was cut short, damaged or appended to fails that check
and is ignored. What it holds is decoded field by field into the state's dataclasses, and
a model whose entry does not decode is read again from its tags.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from git_model.errors import InvalidFile, InvalidVersion
from git_model.safeyaml import read_file
from git_model.semver import SemVer
from git_model.state import (
    Annotation,
    Artifact,
    Brief,
    Person,
    Skipped,
    StageHolder,
    StageTagLag,
    Version,
)

Entry = tuple[Brief | None, tuple[Skipped, ...]]
T = TypeVar("T")

# Part of the file: bump it whenever what a Brief holds, how the replay in git_model.state
# computes it, or how this module encodes it changes, so that caches written before are
# rebuilt.
FORMAT = 2
# A cache larger than this is not read (a registry of 50,000 tags makes a few MB).
MAX_BYTES = 256 * 1024 * 1024


def digest(tags: Iterable[tuple[str, str]]) -> str:
    """A model's key: its tags' names and objects, whatever their order."""
    return hashlib.sha1(  # noqa: S324  (a cache key, not security)
        "\n".join(sorted(f"{name} {oid}" for name, oid in tags)).encode()
    ).hexdigest()


# --- encoding: the state's dataclasses as JSON arrays ------------------------------------


def _person_out(person: Person | None) -> Any:
    return None if person is None else [person.name, person.email]


def _date_out(date: datetime | None) -> Any:
    return None if date is None else date.isoformat()


def _version_out(v: Version) -> Any:
    artifact = v.artifact
    return [
        v.model,
        str(v.version),
        v.tag,
        v.commit,
        _person_out(v.author),
        _date_out(v.date),
        v.message,
        v.model_type,
        None if artifact is None else [artifact.path, artifact.md5, artifact.size, artifact.files],
        v.archived,
        list(v.stages),
        [
            [a.key, a.value, _person_out(a.author), _date_out(a.date), a.event]
            for a in v.annotations
        ],
        v.document,
    ]


def encode(entry: Entry) -> Any:
    """A model's entry as plain JSON data (``decode`` reads it back)."""
    brief, skipped = entry
    return [
        None
        if brief is None
        else [
            brief.name,
            None if brief.latest is None else _version_out(brief.latest),
            [
                [h.stage, str(h.version), h.commit, _date_out(h.since), _person_out(h.by), h.event]
                for h in brief.holders
            ],
            brief.deprecated,
            brief.active_versions,
            [
                [
                    lag.model,
                    lag.stage,
                    lag.tag,
                    None if lag.expected is None else str(lag.expected),
                    lag.expected_commit,
                    lag.actual_commit,
                ]
                for lag in brief.lags
            ],
            list(brief.used_stages),
        ],
        [[s.tag, s.reason] for s in skipped],
    ]


# --- decoding: every field checked; anything else is a ValueError -------------------------


def _items(value: Any, size: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != size:
        raise ValueError("malformed cache entry")
    return value


def _list(value: Any, item: Callable[[Any], T]) -> tuple[T, ...]:
    if not isinstance(value, list):
        raise ValueError("malformed cache entry")
    return tuple(item(v) for v in value)


def _optional(value: Any, decode: Callable[[Any], T]) -> T | None:
    return None if value is None else decode(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("malformed cache entry")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("malformed cache entry")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("malformed cache entry")
    return value


def _semver(value: Any) -> SemVer:
    try:
        return SemVer.parse(_str(value))
    except InvalidVersion:
        raise ValueError("malformed cache entry") from None


def _date(value: Any) -> datetime:
    date = datetime.fromisoformat(_str(value))
    if date.tzinfo is None:
        raise ValueError("malformed cache entry")
    return date


def _person(value: Any) -> Person:
    name, email = _items(value, 2)
    return Person(_str(name), _str(email))


def _artifact(value: Any) -> Artifact:
    path, md5, size, files = _items(value, 4)
    return Artifact(_str(path), _str(md5), _optional(size, _int), _optional(files, _int))


def _annotation(value: Any) -> Annotation:
    key, text, author, date, event = _items(value, 5)
    return Annotation(
        _str(key), _str(text), _optional(author, _person), _optional(date, _date), _str(event)
    )


def _version(value: Any) -> Version:
    (
        model,
        version,
        tag,
        commit,
        author,
        date,
        message,
        model_type,
        artifact,
        archived,
        stages,
        annotations,
        document,
    ) = _items(value, 13)
    return Version(
        model=_str(model),
        version=_semver(version),
        tag=_str(tag),
        commit=_str(commit),
        author=_optional(author, _person),
        date=_optional(date, _date),
        message=_str(message),
        model_type=_optional(model_type, _str),
        artifact=_optional(artifact, _artifact),
        archived=_bool(archived),
        stages=_list(stages, _str),
        annotations=_list(annotations, _annotation),
        document=_str(document),
    )


def _holder(value: Any) -> StageHolder:
    stage, version, commit, since, by, event = _items(value, 6)
    return StageHolder(
        _str(stage),
        _semver(version),
        _str(commit),
        _optional(since, _date),
        _optional(by, _person),
        _str(event),
    )


def _lag(value: Any) -> StageTagLag:
    model, stage, tag, expected, expected_commit, actual_commit = _items(value, 6)
    return StageTagLag(
        _str(model),
        _str(stage),
        _str(tag),
        _optional(expected, _semver),
        _optional(expected_commit, _str),
        _optional(actual_commit, _str),
    )


def _brief(value: Any) -> Brief:
    name, latest, holders, deprecated, active, lags, used = _items(value, 7)
    return Brief(
        name=_str(name),
        latest=_optional(latest, _version),
        holders=_list(holders, _holder),
        deprecated=_bool(deprecated),
        active_versions=_int(active),
        lags=_list(lags, _lag),
        used_stages=_list(used, _str),
    )


def _skipped(value: Any) -> Skipped:
    tag, reason = _items(value, 2)
    return Skipped(_str(tag), _str(reason))


def decode(value: Any) -> Entry:
    """A model's entry from what ``encode`` made; ValueError if it is anything else."""
    brief, skipped = _items(value, 2)
    return _optional(brief, _brief), _list(skipped, _skipped)


# --- the file ----------------------------------------------------------------------------------


class StateCache:
    """Models, briefly (and what their tags could not say), by group key and digest. The
    entries stay encoded until a command asks for one."""

    def __init__(self, path: Path, stage_order: Sequence[str]) -> None:
        self.path = path
        self.stages = list(stage_order)
        self.groups: dict[str, tuple[str, Any]] = {}
        self.changed = False

    @classmethod
    def load(cls, git_dir: Path, stage_order: Sequence[str]) -> StateCache:
        cache = cls(git_dir / "git-model" / "state.cache", stage_order)
        try:
            data = read_file(cache.path, str(cache.path), MAX_BYTES) or b""
            check, _, body = data.partition(b"\n")
            if check.decode("ascii") != hashlib.sha256(body).hexdigest():
                return cache  # none yet, or damaged: rebuilt as it is used
            content = json.loads(body)
        except (InvalidFile, ValueError, RecursionError):
            return cache
        if (
            isinstance(content, dict)
            and content.get("format") == FORMAT
            and content.get("stages") == cache.stages
            and isinstance(content.get("groups"), dict)
        ):
            cache.groups = {
                key: (found[0], found[1])
                for key, found in content["groups"].items()
                if isinstance(found, list) and len(found) == 2 and isinstance(found[0], str)
            }
        return cache

    def get(self, key: str, tags_digest: str) -> Entry | None:
        found = self.groups.get(key)
        if found is None or found[0] != tags_digest:
            return None
        try:
            return decode(found[1])
        except ValueError:
            return None  # read again from the tags, and replaced

    def put(self, key: str, tags_digest: str, entry: Entry) -> None:
        self.groups[key] = (tags_digest, encode(entry))
        self.changed = True

    def keep_only(self, keys: Iterable[str]) -> None:
        """Forget the models that have no tags any more."""
        wanted = set(keys)
        gone = [k for k in self.groups if k not in wanted]
        for key in gone:
            del self.groups[key]
        self.changed = self.changed or bool(gone)

    def save(self) -> None:
        """Write the cache atomically; a failure only means the next command rebuilds."""
        if not self.changed:
            return
        content = {"format": FORMAT, "stages": self.stages, "groups": self.groups}
        body = json.dumps(content, separators=(",", ":")).encode()
        with suppress(OSError):
            self.path.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
                Path(tmp).replace(self.path)
            finally:
                Path(tmp).unlink(missing_ok=True)
