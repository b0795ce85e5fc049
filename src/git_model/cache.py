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
FORMAT = 3
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

Decoder = Callable[[Any], T]


def _malformed() -> ValueError:
    return ValueError("malformed cache entry")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _malformed()
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise _malformed()
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _malformed()
    return value


def _semver(value: Any) -> SemVer:
    try:
        return SemVer.parse(_str(value))
    except InvalidVersion:
        raise _malformed() from None


def _date(value: Any) -> datetime:
    date = datetime.fromisoformat(_str(value))
    if date.tzinfo is None:
        raise _malformed()
    return date


def _optional(decode: Decoder[T]) -> Decoder[T | None]:
    return lambda value: None if value is None else decode(value)


def _tuple(decode: Decoder[T]) -> Decoder[tuple[T, ...]]:
    def decoded(value: Any) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise _malformed()
        return tuple(decode(v) for v in value)

    return decoded


def _record(make: Callable[..., T], *fields: Decoder[Any]) -> Decoder[T]:
    """A decoder of what ``encode`` wrote as a list: one decoder per field, in order."""

    def decoded(value: Any) -> T:
        if not isinstance(value, list) or len(value) != len(fields):
            raise _malformed()
        return make(*[field(v) for field, v in zip(fields, value, strict=True)])

    return decoded


_person = _optional(_record(Person, _str, _str))
_when = _optional(_date)
_version = _record(
    Version,
    _str,  # model
    _semver,  # version
    _str,  # tag
    _str,  # commit
    _person,  # author
    _when,  # date
    _str,  # message
    _optional(_str),  # model_type
    _optional(_record(Artifact, _str, _str, _optional(_int), _optional(_int))),
    _bool,  # archived
    _tuple(_str),  # stages
    _tuple(_record(Annotation, _str, _str, _person, _when, _str)),
    _str,  # document
)
_brief = _record(
    Brief,
    _str,  # name
    _optional(_version),  # latest
    _tuple(_record(StageHolder, _str, _semver, _str, _when, _person, _str)),
    _bool,  # deprecated
    _int,  # active_versions
    _tuple(
        _record(StageTagLag, _str, _str, _str, _optional(_semver), _optional(_str), _optional(_str))
    ),
    _tuple(_str),  # used_stages
)
# A model's entry from what ``encode`` made; ValueError if it is anything else.
decode: Decoder[Entry] = _record(
    lambda brief, skipped: (brief, skipped),
    _optional(_brief),
    _tuple(_record(Skipped, _str, _str)),
)


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
