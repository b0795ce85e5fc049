"""Reading the registry: the repository and its configuration, one model or all of them,
from this repository's tags or a remote's listing; resolving what a user typed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from git_model.cache import Entry, StateCache, digest
from git_model.config import (
    CONFIG_FILE,
    RegistryConfig,
    load_config,
    parse_config,
)
from git_model.desired import STAGES_DIR, Request, model_of, parse_state
from git_model.errors import (
    ConfigError,
    ModelNotFound,
    NotARepository,
    StageEmpty,
    UsageError,
    VersionNotFound,
    closest,
)
from git_model.gitcmd import (
    Git,
    TagRecord,
    absolute_url,
    check_remote,
    ls_remote,
)
from git_model.names import (
    Action,
    ModelRef,
    RegistryTag,
    check_model_name,
    head_ref,
    is_model_name,
    model_ref_patterns,
    respelled,
)
from git_model.policy import Policy, parse_duration
from git_model.results import StageCell
from git_model.safeyaml import load_yaml_blob
from git_model.state import (
    Brief,
    Head,
    Listing,
    Model,
    Version,
    build_group,
    build_model,
    classify,
    group_key,
    split_document,
)

# The gates in force are read from git-model.yaml as committed on the policy branch: the
# branch `git config gitmodel.policyBranch` names, else the remote's default branch as last
# fetched, else the branch `git init` makes first here (init.defaultBranch), else main,
# else master. Never from the working tree, never from the commit being promoted, never
# from whichever branch is checked out.
POLICY_SETTING = "gitmodel.policyBranch"
DEFAULT_BRANCH_SETTING = "init.defaultBranch"
REMOTE_DEFAULT = "refs/remotes/origin/HEAD"


def policy_branches(default_branch: str | None) -> tuple[str, ...]:
    """Where the policy is looked for, in order, when no branch is configured for it."""
    named = [f"refs/heads/{default_branch}"] if default_branch else []
    return tuple(dict.fromkeys([REMOTE_DEFAULT, *named, "refs/heads/main", "refs/heads/master"]))


def config_in_force(git: Git) -> tuple[RegistryConfig, str | None]:
    """``git-model.yaml`` as committed on the policy branch (its ``policy`` says where it
    was read), and that branch (None: there is none, so the defaults are in force)."""
    found = policy_branch(git)
    if found is None:
        searched = policy_branches(git.config_value(DEFAULT_BRANCH_SETTING))
        names = ", ".join(r.split("/", 2)[-1] for r in searched)
        return RegistryConfig(policy=Policy(source=f"no policy branch (none of {names})")), None
    ref, commit = found
    label = f"{CONFIG_FILE} at {ref} ({commit[:7]})"
    blob = git.read_blobs([f"{commit}:{CONFIG_FILE}"])[0]
    data = load_yaml_blob(label, blob, lines=True)
    return parse_config(label, data, f"{CONFIG_FILE} at {ref}", commit), ref


def policy_in_force(git: Git, config: RegistryConfig) -> tuple[Policy, str | None]:
    """The policy in force, and a warning when the working tree's file declares other
    gates (they are not in force until that file is committed on the policy branch)."""
    committed, branch = config_in_force(git)
    policy, mine = committed.policy, config.policy
    if (mine.gates, mine.overrides) == (policy.gates, policy.overrides):
        return policy, None
    if branch is None:
        return policy, (
            f"the working tree's {CONFIG_FILE} declares gates, but none are in force: "
            f"{policy.source}; commit it on the repository's main branch and name that "
            f"branch: git config {POLICY_SETTING} BRANCH"
        )
    return policy, (
        f"the working tree's {CONFIG_FILE} declares other gates than {branch}'s, which are "
        f"the ones in force: commit the change and merge it into {branch} to put it in force"
    )


def policy_branch(git: Git) -> tuple[str, str] | None:
    """The policy branch (as configured, or the ref found) and its commit; None when
    there is none. A configured branch that names nothing is an error."""
    configured = git.config_value(POLICY_SETTING)
    if configured:
        commit = git.resolve_commit(configured)
        if commit is None:
            raise ConfigError(
                f"git config {POLICY_SETTING}",
                f"names {configured!r}, which is no branch here (fetch it, or change the setting)",
            )
        return configured, commit
    searched = policy_branches(git.config_value(DEFAULT_BRANCH_SETTING))
    present = git.read_refs(searched)  # one listing for all of them
    return next(((r, present[r]) for r in searched if r in present), None)


def desired_at(git: Git, config: RegistryConfig, commit: str) -> tuple[Request, ...]:
    """Every request of the desired-state files at ``commit`` (read as Git objects)."""
    paths = [p for p in git.list_files(commit, STAGES_DIR) if model_of(p) is not None]
    blobs = git.read_blobs([f"{commit}:{p}" for p in paths])
    requests: list[Request] = []
    for path, blob in zip(paths, blobs, strict=True):
        label = f"{path} at {commit[:7]}"
        data = load_yaml_blob(label, blob, lines=True)
        made = git.changed_at(commit, path)
        parsed = parse_state(label, model_of(path) or "", data, config.stages)
        requests += [dataclasses.replace(r, made=made) for r in parsed]
    return tuple(requests)


def moment(git: Git, when: str) -> int:
    """The time (seconds) ``when`` names: a duration ago (``7d``, ``12h``), a date or a
    date and time (ISO 8601, UTC unless it says), or a commit or tag (its date)."""
    ago = parse_duration(when)
    if ago is not None:
        return git.ident().timestamp - ago
    try:
        parsed = datetime.fromisoformat(when)
    except ValueError:
        parsed = None
    if parsed is not None:
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())
    if not when.startswith("-"):
        found = git.date_of(when)
        if found is not None:
            return found
    raise UsageError(
        f"--at {when!r} is neither a duration, a date nor a commit or tag",
        "write e.g. --at 7d, --at 2026-01-31, --at 2026-01-31T12:00 or --at churn@v1.2.0",
    )


def until(records: Sequence[TagRecord], moment: int | None) -> list[TagRecord]:
    """The tags made up to ``moment`` (all of them without one): the registry as it was."""
    if moment is None:
        return list(records)
    return [r for r in records if r.tagger is None or r.tagger.timestamp <= moment]


def open_registry(repo: Path | str | None) -> tuple[Git, RegistryConfig]:
    git = Git.discover(None if repo is None else Path(repo))
    return git, load_config(git.root)


TagLister = Callable[[Sequence[str]], list[TagRecord]]


def model_from(
    records: list[TagRecord], name: str, stage_order: Sequence[str], head: Head | None = None
) -> Model | None:
    """One model from its tags (None when it has no version)."""
    by_model, unreadable = classify(records)
    tags = by_model.get(name)
    model = build_model(name, tags, stage_order, unreadable, head) if tags else None
    return model if model is not None and model.versions else None


def read_model(git: Git, name: str, stage_order: Sequence[str] = ()) -> Model | None:
    """One model, from one for-each-ref of its tags only."""
    return model_from(git.list_tags(model_ref_patterns(name)), name, stage_order)


def read_for_write(git: Git, name: str, stage_order: Sequence[str]) -> Model:
    """One model as a write sees it (without versions, when it has none yet): its head ref
    first, then its tags. A write moves the head from this value with a compare-and-swap,
    so it fails if any other write to the model completed after this read began."""
    ref = head_ref(check_model_name(name))
    head = Head(git.read_refs([ref]).get(ref))
    by_model, unreadable = classify(git.list_tags(model_ref_patterns(name)))
    return build_model(name, by_model.get(name, []), stage_order, unreadable, head)


@dataclass(frozen=True, slots=True)
class Reader:
    config: RegistryConfig
    list_tags: TagLister
    url: str  # where DVC finds the repository
    git: Git | None  # the local repository, when it is what is read
    source: str | None = None  # the remote read instead (--repo)

    def missing(self, name: str) -> ModelNotFound:
        """The error for ``name``, a model without a version here, with what was meant."""
        if self.git is not None:
            return missing_model(self.git, self.config, name)
        listed = TagNames.of(r.name for r in self.list_tags(()))
        return _missing(name, listed, self.config.stages, self.source)


def open_reader(repo: Path | str | None, source: str | None) -> Reader:
    """What reads the registry: this repository's tags, or with ``source`` a remote's
    listing (``git ls-remote``: names and commits; no taggers, dates or messages)."""
    try:
        git = Git.discover(None if repo is None else Path(repo))
    except NotARepository:
        if source is None:
            raise
        url = absolute_url(check_remote(source), Path.cwd())
        return Reader(
            RegistryConfig(), lambda patterns: ls_remote(url, patterns).tags, url, None, source
        )
    config = load_config(git.root)
    if source is not None:
        url = git.remote_url(source)
        return Reader(config, lambda patterns: ls_remote(url, patterns).tags, url, None, source)
    return Reader(
        config, lambda patterns: git.list_tags(patterns or ("refs/tags",)), str(git.root), git
    )


# Above this many models to rebuild, one listing of every tag beats patterns per model.
_PATTERNS_UP_TO = 64


def listing(git: Git, config: RegistryConfig) -> Listing:
    """Every model, briefly, for commands that list them all: the tags' names and objects
    are listed (Git's cheapest listing), each model found unchanged in the cache is
    reused, and only the others are read in full."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, oid in git.list_tag_names():
        key = group_key(name)
        if key is not None:
            groups.setdefault(key, []).append((name, oid))
    cache = StateCache.load(git.git_dir, config.stages)
    digests = {key: digest(tags) for key, tags in groups.items()}
    found: dict[str, Entry] = {}
    for key in groups:
        hit = cache.get(key, digests[key])
        if hit is not None:
            found[key] = hit
    missing = [key for key in groups if key not in found]
    if missing:
        if len(missing) <= _PATTERNS_UP_TO and all(is_model_name(k) for k in missing):
            records = git.list_tags([p for k in missing for p in model_ref_patterns(k)])
        else:
            records = git.list_tags()
        by_key: dict[str, list[TagRecord]] = {}
        for record in records:
            key = group_key(record.name)
            if key in digests and key not in found:
                by_key.setdefault(key, []).append(record)
        for key in missing:
            group = build_group(by_key.get(key, []), config.stages)
            entry = (group.model.brief() if group.model else None, group.skipped)
            found[key] = entry
            cache.put(key, digests[key], entry)
    cache.keep_only(groups)
    cache.save()
    entries = [found[key] for key in sorted(found)]
    models = sorted((b for b, _ in entries if b is not None), key=lambda b: b.name)
    return Listing(tuple(models), tuple(s for _, skipped in entries for s in skipped))


def with_documents(git: Git, versions: Sequence[Version]) -> dict[str, Version]:
    """The versions (by tag) with their metadata documents, read in one process."""
    messages = git.read_messages([v.tag for v in versions])
    filled = {}
    for version in versions:
        document = split_document(messages.get(version.tag, ""))[2] or ""
        filled[version.tag] = dataclasses.replace(version, document=document)
    return filled


def require_model(git: Git, config: RegistryConfig, name: str) -> Model:
    model = read_model(git, check_model_name(name), config.stages)
    if model is None:
        raise missing_model(git, config, name)
    return model


@dataclass(frozen=True, slots=True)
class TagNames:
    """What the names of registry tags say, without reading a tag: which models have a
    version, their versions, and the stages they use."""

    models: frozenset[str]
    versions: tuple[RegistryTag, ...]
    stages: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str]) -> TagNames:
        parsed = [tag for tag in map(RegistryTag.parse, names) if tag is not None]
        versions = tuple(t for t in parsed if t.action is Action.REGISTER)
        return cls(
            frozenset(t.model for t in versions),
            versions,
            frozenset(t.stage for t in parsed if t.stage is not None),
        )


def tag_names(git: Git, patterns: Sequence[str]) -> TagNames:
    """What the names of the tags matching ``patterns`` say (none: nothing is listed)."""
    listed = git.list_tag_names(patterns) if patterns else []
    return TagNames.of(name for name, _ in listed)


def missing_model(git: Git, config: RegistryConfig, name: str) -> ModelNotFound:
    """The error for ``name``, a model without a version, with what was probably meant, from
    the tags' names (listed without reading a tag: one more process, for an error only)."""
    return _missing(name, tag_names(git, ("refs/tags",)), config.stages)


def _missing(
    name: str, known: TagNames, stages: Sequence[str], source: str | None = None
) -> ModelNotFound:
    """``iris/prod`` or ``iris:latest`` is probably a reference to the model ``iris``;
    otherwise the registered name closest to ``name`` (``irsi``, ``Iris``: ``iris``)."""
    meant = respelled(name, known.models, known.stages | set(stages))
    others = sorted(known.models - {name})  # (a model read as it was before it existed)
    return ModelNotFound(name, source, meant or closest(name, others))


def stage_columns(config: RegistryConfig, models: Sequence[Model | Brief]) -> tuple[str, ...]:
    extra = sorted({s for m in models for s in m.used_stages} - set(config.stages))
    return (*config.stages, *extra)


def cells(model: Model | Brief, stages: Sequence[str]) -> tuple[StageCell, ...]:
    return tuple(StageCell(s, model.holder(s)) for s in stages)


def resolve(model: Model, ref: ModelRef, source: str | None = None) -> Version:
    """The version ``ref`` names; ``source``: the remote it was read from (``--repo``)."""
    if ref.stage is not None:
        holder = model.holder(ref.stage)
        found = model.find(holder.version) if holder is not None else None
        if found is None:
            held = closest(ref.stage, [h.stage for h in model.holders])
            meant = held and f"{model.name}#{held}"
            raise StageEmpty(model.name, ref.stage, source, meant)
        return found
    if ref.version is not None:
        found = model.find(ref.version)
        if found is None:
            raise VersionNotFound(model.name, ref.version.tag, source)
        return found
    # NAME@latest (a bare NAME means the same where a version is expected)
    if model.latest is None:
        raise VersionNotFound(model.name, "latest (every version is archived)", source)
    return model.latest
