"""A cache of the registry's state, for commands that read every model (``show``,
``history``, ``doctor``) on registries with tens of thousands of tags.

Nothing in it is needed for correctness: it is derived from the tags alone, kept per
model and keyed by a digest of that model's tag names and objects, so any change of any
of its refs (made by git-model, GTO, ``git tag`` or a fetch) misses it, and deleting the
file only costs the next command the time to rebuild it. It lives in the repository's Git
directory (``.git/git-model/state.cache``), like Git's own caches, and is never shared.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path

from git_model.state import Brief, Skipped

Entry = tuple[Brief | None, tuple[Skipped, ...]]

# Part of the file's header: bump it whenever what a Brief holds, or how the replay in
# git_model.state computes it, changes, so that caches written before are rebuilt.
FORMAT = 1


def digest(tags: Iterable[tuple[str, str]]) -> str:
    """A model's key: its tags' names and objects, whatever their order."""
    return hashlib.sha1(  # noqa: S324  (a cache key, not security)
        "\n".join(sorted(f"{name} {oid}" for name, oid in tags)).encode()
    ).hexdigest()


class StateCache:
    """Models, briefly (and what their tags could not say), by group key and digest."""

    def __init__(self, path: Path, stage_order: Sequence[str]) -> None:
        self.path = path
        self.header = (FORMAT, tuple(stage_order))
        self.groups: dict[str, tuple[str, Entry]] = {}
        self.changed = False

    @classmethod
    def load(cls, git_dir: Path, stage_order: Sequence[str]) -> StateCache:
        cache = cls(git_dir / "git-model" / "state.cache", stage_order)
        try:
            with cache.path.open("rb") as handle:
                header, groups = pickle.load(handle)  # noqa: S301  (written by us, in .git)
        except (OSError, EOFError, pickle.PickleError, ValueError, TypeError, AttributeError):
            return cache  # none yet, or unreadable: rebuilt as it is used
        if header == cache.header and isinstance(groups, dict):
            cache.groups = groups
        return cache

    def get(self, key: str, tags_digest: str) -> Entry | None:
        found = self.groups.get(key)
        return found[1] if found is not None and found[0] == tags_digest else None

    def put(self, key: str, tags_digest: str, entry: Entry) -> None:
        self.groups[key] = (tags_digest, entry)
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
        with suppress(OSError):
            self.path.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump((self.header, self.groups), handle, pickle.HIGHEST_PROTOCOL)
                Path(tmp).replace(self.path)
            finally:
                Path(tmp).unlink(missing_ok=True)
