"""Reading the registry: the repository and its configuration, one model or all of them,
from this repository's tags or a remote's listing; resolving what a user typed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from git_model.config import (
    RegistryConfig,
    load_config,
)
from git_model.errors import (
    ModelNotFound,
    NotARepository,
    StageEmpty,
    VersionNotFound,
)
from git_model.gitcmd import (
    Git,
    TagRecord,
    absolute_url,
    check_remote,
    ls_remote,
)
from git_model.names import (
    ModelRef,
    check_model_name,
    model_ref_patterns,
)
from git_model.results import StageCell
from git_model.state import (
    Model,
    Version,
    build_model,
    classify,
)


def open_registry(repo: Path | str | None) -> tuple[Git, RegistryConfig]:
    git = Git.discover(None if repo is None else Path(repo))
    return git, load_config(git.root)


TagLister = Callable[[Sequence[str]], list[TagRecord]]


def model_from(records: list[TagRecord], name: str, stage_order: Sequence[str]) -> Model | None:
    """One model from its tags (None when it has no version)."""
    by_model, _ = classify(records)
    tags = by_model.get(name)
    model = build_model(name, tags, stage_order) if tags else None
    return model if model is not None and model.versions else None


def read_model(git: Git, name: str, stage_order: Sequence[str] = ()) -> Model | None:
    """One model, from one for-each-ref of its tags only."""
    return model_from(git.list_tags(model_ref_patterns(name)), name, stage_order)


@dataclass(frozen=True, slots=True)
class Reader:
    config: RegistryConfig
    list_tags: TagLister
    url: str  # where DVC finds the repository
    git: Git | None  # the local repository, when it is what is read


def open_reader(repo: Path | str | None, source: str | None) -> Reader:
    """What reads the registry: this repository's tags, or with ``source`` a remote's
    listing (``git ls-remote``: names and commits; no taggers, dates or messages)."""
    try:
        git = Git.discover(None if repo is None else Path(repo))
    except NotARepository:
        if source is None:
            raise
        url = absolute_url(check_remote(source), Path.cwd())
        return Reader(RegistryConfig(), lambda patterns: ls_remote(url, patterns), url, None)
    config = load_config(git.root)
    if source is not None:
        url = git.remote_url(source)
        return Reader(config, lambda patterns: ls_remote(url, patterns), url, None)
    return Reader(
        config, lambda patterns: git.list_tags(patterns or ("refs/tags",)), str(git.root), git
    )


def require_model(git: Git, config: RegistryConfig, name: str) -> Model:
    model = read_model(git, check_model_name(name), config.stages)
    if model is None:
        raise ModelNotFound(name)
    return model


def stage_columns(config: RegistryConfig, models: Sequence[Model]) -> tuple[str, ...]:
    extra = sorted({s for m in models for s in m.used_stages} - set(config.stages))
    return (*config.stages, *extra)


def cells(model: Model, stages: Sequence[str]) -> tuple[StageCell, ...]:
    return tuple(StageCell(s, model.holder(s)) for s in stages)


def resolve(model: Model, ref: ModelRef) -> Version:
    if ref.stage is not None:
        holder = model.holder(ref.stage)
        found = model.find(holder.version) if holder is not None else None
        if found is None:
            raise StageEmpty(model.name, ref.stage)
        return found
    if ref.version is not None:
        found = model.find(ref.version)
        if found is None:
            raise VersionNotFound(model.name, ref.version.tag)
        return found
    # NAME@latest (a bare NAME means the same where a version is expected)
    if model.latest is None:
        raise VersionNotFound(model.name, "latest (every version is archived)")
    return model.latest
