"""The registry's configuration: ``git-model.yaml`` at the repository root (optional).

.. code-block:: yaml

    stages: [dev, staging, prod]   # ordered, first to last
    types: [model]                  # allowed model types; omit to allow any

YAML is read safely and strictly: no aliases, bounded size and depth, no unknown keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from git_model.errors import ConfigError, ConfigExists, UnknownStage, UnknownType
from git_model.names import is_stage_name

CONFIG_FILE = "git-model.yaml"
DEFAULT_STAGES = ("dev", "staging", "prod")
MAX_BYTES = 256 * 1024
MAX_DEPTH = 20


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    stages: tuple[str, ...] = DEFAULT_STAGES
    types: tuple[str, ...] | None = None

    def check_stage(self, stage: str) -> str:
        if stage not in self.stages:
            raise UnknownStage(stage, self.stages)
        return stage

    def check_type(self, model_type: str) -> str:
        if self.types is not None and model_type not in self.types:
            raise UnknownType(model_type, self.types)
        return model_type

    def next_stage(self, stage: str | None) -> str | None:
        """The stage after ``stage`` (the first one after None), or None after the last."""
        if stage is None:
            return self.stages[0]
        index = self.stages.index(stage)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None

    def render(self) -> str:
        lines = [
            "# git-model registry configuration (docs/configuration.md)",
            "# Stages, first to last. A version moves through them with `git model promote`.",
            f"stages: [{', '.join(self.stages)}]",
        ]
        if self.types is None:
            lines.append("# types: [model]   # allowed model types; omit to allow any")
        else:
            lines.append(f"types: [{', '.join(self.types)}]")
        return "\n".join(lines) + "\n"


def load_yaml(path: Path, text: str) -> Any:
    """Parse YAML safely: refuse aliases and nesting beyond MAX_DEPTH, name file and line."""
    from ruamel.yaml import YAML  # noqa: PLC0415  (lazy: only when a file exists)
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415
    from ruamel.yaml.events import (  # noqa: PLC0415
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
    )

    if len(text.encode()) > MAX_BYTES:
        raise ConfigError(str(path), f"larger than {MAX_BYTES // 1024} KiB")
    yaml = YAML(typ="safe", pure=True)
    try:
        depth = 0
        for event in yaml.parse(text):
            if isinstance(event, AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise ConfigError(f"{path}:{line}", "YAML aliases (*name) are not allowed")
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else "?"
                    raise ConfigError(f"{path}:{line}", f"nested deeper than {MAX_DEPTH}")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(where, f"malformed YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise ConfigError(str(path), f"malformed YAML: {exc}") from None


def _names(key: str, value: object) -> tuple[str, ...]:
    """A list of distinct names; ValueError says what is wrong with it."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"`{key}` must be a non-empty list of names")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not is_stage_name(item):
            raise ValueError(
                f"`{key}` holds {item!r}, which is not a name (letters, digits, '-', '_', '/')"
            )
        if item in names:
            raise ValueError(f"`{key}` lists {item!r} twice")
        names.append(item)
    return tuple(names)


def make_config(stages: object = DEFAULT_STAGES, types: object = None) -> RegistryConfig:
    """A configuration from lists of names (types None: any); ValueError if invalid."""
    return RegistryConfig(
        stages=_names("stages", stages),
        types=None if types is None else _names("types", types),
    )


def load_config(root: Path) -> RegistryConfig:
    """The configuration at ``root``, or the defaults when there is no file."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RegistryConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read ({exc})") from None
    data = load_yaml(path, text)
    if data is None:
        return RegistryConfig()
    if not isinstance(data, dict):
        raise ConfigError(str(path), "must be a mapping with `stages:` and `types:`")
    unknown = sorted(set(data) - {"stages", "types"})
    if unknown:
        raise ConfigError(str(path), f"unknown key(s): {', '.join(map(str, unknown))}")
    try:
        return make_config(data.get("stages", DEFAULT_STAGES), data.get("types"))
    except ValueError as exc:
        raise ConfigError(str(path), str(exc)) from None


def write_config(root: Path, config: RegistryConfig) -> Path:
    path = root / CONFIG_FILE
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(config.render())
    except FileExistsError:
        raise ConfigExists(str(path)) from None
    return path
