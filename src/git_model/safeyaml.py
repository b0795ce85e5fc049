"""YAML read safely: no tags, no aliases, bounded size and depth, errors with file and line.

ruamel.yaml's safe loader has no alias limit (a "billion laughs" file loads quickly and
explodes later) and no depth limit; every YAML file the registry reads goes through here.
Files of the work tree are read by ``read_file``: regular files only, with a bound.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from pathlib import Path
from typing import Any

from git_model.errors import GitModelError, InvalidFile, quoted, writing

MAX_BYTES = 256 * 1024
MAX_DEPTH = 20


def is_one_line(text: str) -> bool:
    """Whether ``text`` holds no control character (a line break, a tab, an escape...)."""
    return not any(c < " " or "\x7f" <= c <= "\x9f" for c in text)


def repo_path(label: str, key: str, value: str, base: str = "") -> str:
    """A path that the YAML file ``label`` gives at ``key``, relative to the repository's
    directory ``base``: normalised (``models/./a`` is ``models/a``); InvalidFile unless it
    is relative, stays inside the repository, and holds no control character. Such a path
    is safe to hand to Git (one line of ``cat-file --batch``) and to write in a trailer."""
    hint = "write a relative path inside the repository, e.g. models/churn.pkl"
    if not is_one_line(value):
        raise InvalidFile(label, f"{key}: {quoted(value)} holds a control character", hint)
    path = posixpath.normpath(posixpath.join(base, value))
    if not value or posixpath.isabs(value) or path in (".", "..") or path.startswith("../"):
        inside = "is not a path inside the repository"
        raise InvalidFile(label, f"{key}: {quoted(value)} {inside}", hint)
    return path


# A URL as GTO and DVC take one for an artifact's path: a scheme, then "://".
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def is_url(value: str) -> bool:
    """Whether an artifact's ``path`` is a URL (``s3://bucket/key``, ``https://...``,
    ``file:///...``) rather than a path in the repository."""
    return _URL_RE.fullmatch(value) is not None


def artifact_location(label: str, key: str, value: str, base: str = "") -> str:
    """Where the YAML file ``label`` says (at ``key``) an artifact is: a URL exactly as
    written (never normalised: ``s3://b/k`` is not ``s3:/b/k``), else a repository path
    as ``repo_path`` makes it."""
    if is_url(value) and is_one_line(value):
        return value
    return repo_path(label, key, value, base)


def read_file(path: Path, label: str, limit: int = MAX_BYTES) -> bytes | None:
    """A file of the work tree (or of the Git directory), read safely: None when there is
    none; InvalidFile when it is no regular file (a FIFO would never answer, a device such
    as /dev/zero never end, a directory has no text), is larger than ``limit`` bytes, or
    cannot be read. Nothing but a regular file is opened, and never more than ``limit``
    bytes are read, whatever the file becomes meanwhile."""
    too_large = InvalidFile(label, f"larger than {limit // 1024} KiB")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidFile(
                label,
                "is not a regular file (a directory, FIFO or device)",
                "make it a regular file, or remove it",
            )
        if info.st_size > limit:
            raise too_large
        # Non-blocking: were it swapped for a FIFO since, opening it must not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise InvalidFile(label, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:  # it grew since
        raise too_large
    return data


def load_yaml(path: str, text: str, lines: bool = False) -> Any:
    """Parse YAML safely: refuse aliases and nesting beyond MAX_DEPTH, name file and line.
    With ``lines``, mappings and lists remember where their keys are (``.lc``), for
    errors found later (ruamel's round-trip types, which are ``dict`` and ``list``)."""
    from ruamel.yaml import YAML  # noqa: PLC0415  (lazy: only when a file exists)
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415
    from ruamel.yaml.events import (  # noqa: PLC0415
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
    )

    if len(text.encode()) > MAX_BYTES:
        raise InvalidFile(path, f"larger than {MAX_BYTES // 1024} KiB")
    yaml = YAML(typ="safe", pure=True)
    try:
        depth = 0
        for event in yaml.parse(text):
            if isinstance(event, AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise InvalidFile(f"{path}:{line}", "YAML aliases (*name) are not allowed")
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else "?"
                    raise InvalidFile(f"{path}:{line}", f"nested deeper than {MAX_DEPTH}")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
        return YAML(typ="rt", pure=True).load(text) if lines else yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise InvalidFile(where, f"malformed YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:  # the first line says what; the rest where ("<unicode string>")
        raise InvalidFile(path, f"malformed YAML: {str(exc).splitlines()[0]}") from None


def load_yaml_blob(label: str, blob: bytes | None, lines: bool = False) -> Any:
    """A file read from Git (None: missing) parsed as YAML; ``label`` names it in errors."""
    if blob is None:
        return None
    try:
        return load_yaml(label, blob.decode(), lines)
    except UnicodeDecodeError:
        raise InvalidFile(label, "is not UTF-8 text") from None


def write_file(
    path: Path, text: str, exists: GitModelError | None, hint: str | None = None
) -> None:
    """Write ``text`` to ``path``: as a new file, raising ``exists`` if there is one; or,
    with ``exists`` None, over what is there. What the system refuses is a CannotWrite."""
    with writing(path, hint):
        try:
            with path.open("w" if exists is None else "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError as exc:
            raise (exists or exc) from None
