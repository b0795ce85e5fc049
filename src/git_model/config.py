"""The registry's configuration: ``git-model.yaml`` at the repository root (optional).

.. code-block:: yaml

    stages: [dev, staging, prod]   # ordered, first to last
    types: [model]                  # allowed model types; omit to allow any
    models: models                  # where the models' YAML files are (models/NAME.yaml)
    gates: ...                      # promotion policy (git_model.policy; docs/policies.md)
    overrides: ...

YAML is read safely and strictly: no aliases, bounded size and depth, no unknown keys.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from git_model.errors import (
    ConfigError,
    ConfigExists,
    InvalidFile,
    UnknownStage,
    UnknownType,
    quoted,
)
from git_model.names import MAX_STAGE_NAME, is_stage_name
from git_model.policy import Policy, parse_policy
from git_model.safeyaml import load_yaml_blob, read_file, write_file

CONFIG_FILE = "git-model.yaml"
DEFAULT_STAGES = ("dev", "staging", "prod")
DEFAULT_MODELS_DIR = "models"


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    stages: tuple[str, ...] = DEFAULT_STAGES
    types: tuple[str, ...] | None = None
    models_dir: str = DEFAULT_MODELS_DIR
    policy: Policy = field(default_factory=Policy, compare=False)  # as this file declares it

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
        if self.models_dir == DEFAULT_MODELS_DIR:
            lines.append("# models: models   # where each model's YAML file is: models/NAME.yaml")
        else:
            lines.append(f"models: {self.models_dir}")
        return "\n".join(lines) + "\n"


def _names(key: str, value: object) -> tuple[str, ...]:
    """A list of distinct names; ValueError says what is wrong with it."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"`{key}` must be a non-empty list of names")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not is_stage_name(item):
            shown = quoted(item) if isinstance(item, str) else repr(item)
            raise ValueError(
                f"`{key}` holds {shown}, which is not a name (letters, digits, '-', '_', '/'; "
                f"at most {MAX_STAGE_NAME} characters)"
            )
        if item in names:
            raise ValueError(f"`{key}` lists {item!r} twice")
        names.append(item)
    return tuple(names)


def _stages(value: object) -> tuple[str, ...]:
    """The stages, none of them a path prefix of another: NAME#dev and NAME#dev/canary
    cannot both be tags (a ref cannot also be a directory)."""
    stages = _names("stages", value)
    for stage in stages:
        nested = next((s for s in stages if s.startswith(f"{stage}/")), None)
        if nested is not None:
            raise ValueError(
                f"`stages` lists {stage!r} and {nested!r}: Git cannot hold tag NAME#{stage} "
                f"beside NAME#{nested} (a ref cannot also be a directory); rename one"
            )
    return stages


def _directory(value: object) -> str:
    normal = posixpath.normpath(value.strip()) if isinstance(value, str) and value.strip() else ""
    if not normal or normal.startswith(("/", "..")) or normal == ".":
        raise ValueError("`models` must be a directory inside the repository, e.g. models")
    return normal


def make_config(
    stages: object = DEFAULT_STAGES, types: object = None, models: object = DEFAULT_MODELS_DIR
) -> RegistryConfig:
    """A configuration from lists of names (types None: any); ValueError if invalid."""
    return RegistryConfig(
        stages=_stages(stages),
        types=None if types is None else _names("types", types),
        models_dir=_directory(models),
    )


def load_config(root: Path) -> RegistryConfig:
    """The configuration in the working tree at ``root``, or the defaults when there is
    no file. Its gates are parsed (a mistake in them is an error here too) but are not the
    ones in force: see ``reading.policy``."""
    path = root / CONFIG_FILE
    try:
        data = load_yaml_blob(str(path), read_file(path, str(path)), lines=True)
    except InvalidFile as exc:
        raise ConfigError(exc.path, exc.detail) from None
    return parse_config(str(path), data, "the working tree's git-model.yaml")


def parse_config(label: str, data: Any, source: str, commit: str | None = None) -> RegistryConfig:
    """A configuration file's content (None: no file); ``label`` names it in errors,
    ``source`` and ``commit`` say where its policy comes from."""
    if data is None:
        return RegistryConfig(policy=Policy(source=source, commit=commit))
    if not isinstance(data, dict):
        raise ConfigError(label, "must be a mapping with `stages:` and `types:`")
    unknown = sorted(set(data) - {"stages", "types", "models", "gates", "overrides", "signing"})
    if unknown:
        raise ConfigError(label, f"unknown key(s): {', '.join(map(str, unknown))}")
    try:
        config = make_config(
            data.get("stages", DEFAULT_STAGES),
            data.get("types"),
            data.get("models", DEFAULT_MODELS_DIR),
        )
    except ValueError as exc:
        raise ConfigError(label, str(exc)) from None
    return replace(config, policy=parse_policy(data, config.stages, label, source, commit))


def write_config(root: Path, config: RegistryConfig) -> Path:
    path = root / CONFIG_FILE
    write_file(path, config.render(), ConfigExists(str(path)), "make the repository writable")
    return path
