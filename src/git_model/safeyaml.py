"""YAML read safely: no tags, no aliases, bounded size and depth, errors with file and line.

ruamel.yaml's safe loader has no alias limit (a "billion laughs" file loads quickly and
explodes later) and no depth limit; every YAML file the registry reads goes through here.
"""

from __future__ import annotations

from typing import Any

from git_model.errors import InvalidFile

MAX_BYTES = 256 * 1024
MAX_DEPTH = 20


def load_yaml(path: str, text: str) -> Any:
    """Parse YAML safely: refuse aliases and nesting beyond MAX_DEPTH, name file and line."""
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
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise InvalidFile(where, f"malformed YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise InvalidFile(path, f"malformed YAML: {exc}") from None


def load_yaml_blob(label: str, blob: bytes | None) -> Any:
    """A file read from Git (None: missing) parsed as YAML; ``label`` names it in errors."""
    if blob is None:
        return None
    try:
        return load_yaml(label, blob.decode())
    except UnicodeDecodeError:
        raise InvalidFile(label, "is not UTF-8 text") from None
