"""The registry's grammar: model and stage names, registry tag names, and what users type.

Tag names follow GTO's grammar (iterative/gto ``gto/constants.py``, ``tag_re``) so that a
registry written here reads the same in GTO and in ``dvc artifacts get``, and a registry
GTO wrote reads here:

==========================  ==========  ==================================================
tag                         action      meaning
==========================  ==========  ==================================================
``churn@v1.3.0``            register    the version tag (annotated, on the model's commit)
``churn@v1.3.0!#7``         deregister  the version was archived (event 7)
``churn#prod``              assign      the moving stage tag: who is in ``prod`` now
``churn#prod#5``            assign      event 5: ``prod`` was given to the tagged commit
``churn#prod!#6``           unassign    event 6: ``prod`` was taken from the tagged commit
``churn@deprecated#8``      deprecate   event 8: the model was deprecated
``churn@v1.3.0#note#9``     annotate    event 9: facts added to the version later (a
                                        git-model tag; GTO and DVC skip it)
==========================  ==========  ==================================================

A name may carry a directory, ``dir/sub:name``, written ``dir/sub=name`` in tags (GTO's
form for models declared in a ``dvc.yaml`` below the repository root).

Names and versions are bounded so that every ref Git may write for them fits common file
systems: a model name has at most MAX_MODEL_NAME characters, a stage name MAX_STAGE_NAME,
a version ``semver.MAX_LENGTH``; the longest tag they make, ``NAME@vX.Y.Z#note#N``, stays
within MAX_TAG_NAME, which leaves room for Git's ``.lock`` file beside it in a 255-byte
file name. Longer tag names are not registry tags.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from git_model.errors import InvalidName, InvalidReference, InvalidVersion
from git_model.semver import MAX_LENGTH, SEMVER_PATTERN, SemVer

NAME_PATTERN = r"[a-zA-Z0-9](?:[a-zA-Z0-9_/-]*[a-zA-Z0-9])?"
DIRNAME_PATTERN = r"[a-zA-Z0-9_./-]+"
NOTE = "#note"  # ``churn@v1.3.0#note#9``: an annotation (outside GTO's grammar on purpose)
SEPARATOR_IN_NAME = ":"
SEPARATOR_IN_TAG = "="

_NAME_RE = re.compile(NAME_PATTERN)
_FULLNAME_RE = re.compile(rf"(?:{DIRNAME_PATTERN}{SEPARATOR_IN_NAME})?{NAME_PATTERN}")
_TAG_RE = re.compile(
    rf"(?P<model>(?:{DIRNAME_PATTERN}{SEPARATOR_IN_TAG})?{NAME_PATTERN})"
    rf"(?:#(?P<stage>{NAME_PATTERN})(?P<unassign>!?)"
    rf"|@v(?P<version>{SEMVER_PATTERN})(?:(?P<note>{NOTE}(?=#[0-9]+$))|(?P<deregister>!?))"
    rf"|@(?P<deprecated>deprecated))"
    rf"(?:#(?P<counter>[0-9]+))?"
)
_VERSION_RE = re.compile(rf"v?{SEMVER_PATTERN}")
LATEST = "latest"
MAX_MODEL_NAME = 128
MAX_STAGE_NAME = 64
LOCK = ".lock"  # Git's lock file beside a ref; no part of a ref name may end with it
# The longest tag git-model writes, NAME@vX.Y.Z#note#N, leaves 50 digits for N.
MAX_TAG_NAME = 255 - len(LOCK)


def _fits_git(name: str) -> bool:
    # What the regular grammar admits but Git refuses in a ref name.
    parts = name.split("/")
    return all(p and not p.startswith(".") and not p.endswith(LOCK) for p in parts) and (
        ".." not in name
    )


def is_model_name(value: str) -> bool:
    return (
        len(value) <= MAX_MODEL_NAME
        and _FULLNAME_RE.fullmatch(value) is not None
        and _fits_git(value)
    )


def is_stage_name(value: str) -> bool:
    return (
        len(value) <= MAX_STAGE_NAME and _NAME_RE.fullmatch(value) is not None and _fits_git(value)
    )


def check_model_name(value: str) -> str:
    if len(value) > MAX_MODEL_NAME:
        raise InvalidName(value, "model name", MAX_MODEL_NAME)
    if not is_model_name(value):
        raise InvalidName(value, "model name")
    return value


def check_name(value: str, kind: str) -> str:
    """A stage or type name: the model-name grammar without a directory."""
    if len(value) > MAX_STAGE_NAME:
        raise InvalidName(value, kind, MAX_STAGE_NAME)
    if not is_stage_name(value):
        raise InvalidName(value, kind)
    return value


def check_stage_name(value: str) -> str:
    return check_name(value, "stage name")


def check_version(text: str) -> SemVer:
    """A version to register: a semantic version whose tag Git can store. The only ones
    it cannot end in ``.lock`` (``1.0.0-x.lock``): nothing else in a version breaks a
    rule of Git's ref names."""
    version = SemVer.parse(text)
    if str(version).endswith(LOCK):
        raise InvalidVersion(
            text,
            f"cannot be a tag: Git refuses a tag name that ends in {LOCK!r}",
            "choose another prerelease or build identifier than 'lock' at the end",
        )
    return version


def model_in_tag(model: str) -> str:
    return model.replace(SEPARATOR_IN_NAME, SEPARATOR_IN_TAG)


class Action(StrEnum):
    """What a registry tag records, in GTO's words."""

    REGISTER = "register"
    DEREGISTER = "deregister"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    DEPRECATE = "deprecate"
    ANNOTATE = "annotate"  # git-model's own: GTO and DVC do not parse these tags


@dataclass(frozen=True, slots=True)
class RegistryTag:
    """A parsed registry tag name."""

    model: str
    action: Action
    version: SemVer | None = None
    stage: str | None = None
    counter: int | None = None

    @classmethod
    def parse(cls, name: str) -> RegistryTag | None:
        """Parse a tag name (without ``refs/tags/``); None when it is not a registry tag."""
        match = _TAG_RE.fullmatch(name) if len(name) <= MAX_TAG_NAME else None
        if match is None:
            return None
        model = match["model"].replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME)
        stage = match["stage"]
        if not is_model_name(model) or (stage is not None and not is_stage_name(stage)):
            return None
        if match["version"] and len(match["version"]) > MAX_LENGTH:
            return None
        if match["deprecated"]:
            action = Action.DEPRECATE
        elif stage is not None:
            action = Action.UNASSIGN if match["unassign"] else Action.ASSIGN
        elif match["note"]:
            action = Action.ANNOTATE
        else:
            action = Action.DEREGISTER if match["deregister"] else Action.REGISTER
        return cls(
            model,
            action,
            version=SemVer.parse(match["version"]) if match["version"] else None,
            stage=stage,
            counter=int(match["counter"]) if match["counter"] is not None else None,
        )

    def __str__(self) -> str:
        text = model_in_tag(self.model)
        if self.action is Action.DEPRECATE:
            text += "@deprecated"
        elif self.stage is not None:
            text += f"#{self.stage}"
        elif self.version is not None:
            text += f"@{self.version.tag}"
        if self.action is Action.ANNOTATE:
            text += NOTE
        if self.action in (Action.DEREGISTER, Action.UNASSIGN):
            text += "!"
        if self.counter is not None:
            text += f"#{self.counter}"
        return text

    @property
    def ref(self) -> str:
        return f"refs/tags/{self}"

    @property
    def is_stage_tag(self) -> bool:
        """The moving tag ``NAME#STAGE`` (GTO also reads it as a one-off assignment)."""
        return self.action is Action.ASSIGN and self.counter is None


def version_tag(model: str, version: SemVer) -> RegistryTag:
    return RegistryTag(model, Action.REGISTER, version=version)


def stage_tag(model: str, stage: str) -> RegistryTag:
    return RegistryTag(model, Action.ASSIGN, stage=stage)


def head_ref(model: str) -> str:
    """The model's head: a ref outside ``refs/tags`` (invisible to GTO, DVC and plain
    ``git fetch``) that every git-model write to the model moves, with a compare-and-swap,
    to the last event tag it wrote. Two writes to one model therefore cannot both succeed,
    here or, pushed with a lease, on a shared remote. The ``@head`` suffix keeps model
    ``fraud`` and model ``fraud/tx`` apart (a ref cannot also be a directory)."""
    return f"{HEAD_REFS}{model_in_tag(model)}@head"


HEAD_REFS = "refs/git-model/models/"


def model_ref_patterns(model: str) -> tuple[str, ...]:
    """for-each-ref patterns that match exactly one model's tags (Git seeks the prefix)."""
    base = f"refs/tags/{model_in_tag(model)}"
    # `*` does not cross `/`, so stage names with a `/` need their own pattern.
    return (f"{base}@*", f"{base}#*", f"{base}#*/**")


def respelled(text: str, models: Collection[str] = (), stages: Collection[str] = ()) -> str | None:
    """What ``text`` means when its ``/`` or ``:`` stands for ``@`` or ``#``, as other tools
    write versions and stages (``iris:0.1.0``, ``iris/prod``): NAME@VERSION when what
    follows is a version; when NAME is one of ``models``, NAME@latest or NAME#STAGE for
    one of ``stages``. None otherwise (``fraud/tx`` is a model of its own)."""
    # Each separator may be the one meant: names and stages hold '/' and ':' too.
    for at in (i for i, c in enumerate(text) if c in ("/", SEPARATOR_IN_NAME)):
        head, tail = text[:at], text[at + 1 :]
        if not is_model_name(head):
            continue
        if _VERSION_RE.fullmatch(tail):
            return f"{head}@{tail}"
        if head in models and (tail == LATEST or tail in stages):
            return f"{head}{'@' if tail == LATEST else '#'}{tail}"
    return None


_PREFIX_RE = re.compile(r"[a-zA-Z0-9_./:-]*")


def prefix_patterns(prefix: str) -> tuple[str, ...]:
    """for-each-ref patterns for the tags of every model whose name starts with ``prefix``
    (none when it holds a character that no model name has)."""
    if not _PREFIX_RE.fullmatch(prefix):
        return ()
    base = f"refs/tags/{model_in_tag(prefix)}"
    return (f"{base}*", f"{base}*/**")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """What a user types to point at a version: ``NAME@VERSION``, ``NAME@latest``,
    ``NAME#STAGE``, or a bare ``NAME``."""

    model: str
    version: SemVer | None = None
    stage: str | None = None
    latest: bool = False

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        at, hash_ = text.find("@"), text.find("#")
        if at == -1 and hash_ == -1:
            meant = None if is_model_name(text) else respelled(text)
            if meant is not None:
                raise InvalidReference(text, "a version", meant)
            return cls(check_model_name(text))
        if hash_ == -1 or (at != -1 and at < hash_):
            model, rest = text[:at], text[at + 1 :]
            check_model_name(model)
            if rest == LATEST:
                return cls(model, latest=True)
            try:
                return cls(model, version=SemVer.parse(rest))
            except InvalidVersion:
                raise InvalidReference(text, "a version") from None
        model, stage = text[:hash_], text[hash_ + 1 :]
        check_model_name(model)
        return cls(model, stage=check_stage_name(stage))

    @property
    def is_bare(self) -> bool:
        return self.version is None and self.stage is None and not self.latest

    def __str__(self) -> str:
        if self.stage is not None:
            return f"{self.model}#{self.stage}"
        if self.latest:
            return f"{self.model}@{LATEST}"
        if self.version is not None:
            return f"{self.model}@{self.version.tag}"
        return self.model
