"""Every error the registry reports: what is wrong, how to fix it, and its exit code.

Each error carries its facts as attributes (for programs using the API) and renders as
one line: ``<what is wrong>; <how to fix it>``. Exit codes are assigned in one table,
``EXIT_CODES``, which ``docs/exit-codes.md`` lists (a test keeps the two in step).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_QUOTED_UP_TO = 200


def quoted(value: str) -> str:
    """A value as a message quotes it: on one line, and cut short (with its length) when
    it is long."""
    if len(value) <= _QUOTED_UP_TO:
        return repr(value)
    return f"{value[: _QUOTED_UP_TO // 2]!r}... ({len(value)} characters)"


def listed(items: Sequence[str], limit: int = 3) -> str:
    """Items as a message lists them: the first ``limit``, then how many more."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def plain(value: str) -> str:
    """A value as it is when it is a short line of printable text, else quoted."""
    return value if value.isprintable() and len(value) <= _QUOTED_UP_TO else quoted(value)


def closest(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate someone who typed ``value`` probably meant: the same name in another
    case (``Iris``: ``iris``), else the most similar (difflib: ``irsi``, ``iris``), else the
    one that starts with it or that it starts with (``production``: ``prod``); None when
    none is close."""
    import difflib  # noqa: PLC0415 (start-up: only a command that fails needs it)

    folded = value.casefold()
    options = {c.casefold(): c for c in candidates}
    if not folded or not options:
        return None
    if folded in options:
        return options[folded]
    similar = difflib.get_close_matches(folded, list(options), n=1)
    prefixed = [o for o in options if o.startswith(folded) or (len(o) > 2 and folded.startswith(o))]
    found = similar or difflib.get_close_matches(folded, prefixed, n=1, cutoff=0)
    return options[found[0]] if found else None


def did_you_mean(suggestion: str, aside: str) -> str:
    """The fix that offers what was probably meant first."""
    return f"did you mean `{suggestion}`? ({aside})"


class GitModelError(Exception):
    """Base of every error the registry raises on purpose."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}"

    def also(self, fact: str) -> GitModelError:
        """The same error, saying what else happened before it."""
        self.message = f"{self.message} ({fact})"
        return self


# --- the repository ---------------------------------------------------------------


class NotARepository(GitModelError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} is not inside a Git repository",
            "run the command inside a repository, or create one with `git init`",
        )
        self.path = path


class NoCommits(GitModelError):
    def __init__(self) -> None:
        super().__init__(
            "the repository has no commits yet",
            "commit the model's files first, then register that commit",
        )


class IdentityMissing(GitModelError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Git does not know who you are ({detail})",
            'set it with `git config user.name "Your Name"` and '
            "`git config user.email you@example.com`",
        )
        self.detail = detail


class GitFailed(GitModelError):
    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit code {returncode}"
        super().__init__(
            f"`git {' '.join(args[:2])}` failed: {first}",
            "fix the repository problem Git reports, then re-run",
        )
        self.args_ = tuple(args)
        self.returncode = returncode
        self.stderr = stderr


# --- what the user typed -------------------------------------------------------------


class UsageError(GitModelError):
    """Arguments that cannot go together, or miss a part; for the command-line parser, an
    unknown command or option, a missing argument, a value it cannot take."""

    def __init__(self, message: str, hint: str, suggestion: str | None = None) -> None:
        super().__init__(message, hint)
        self.suggestion = suggestion


_NAME_RULE = (
    "use letters, digits, '-', '_' and '/', starting and ending with a letter or digit, e.g. "
)
_NAME_HINTS = {
    "model name": _NAME_RULE + "'churn' or 'fraud/tx-classifier'",
    "stage name": _NAME_RULE + "'prod'",
    "annotation key": "start with a letter, then letters, digits, '_', '.' or '-', e.g. 'uat'",
}


class InvalidName(GitModelError):
    """A name outside the grammar, or (``limit``) longer than a name of its kind may be."""

    def __init__(self, value: str, kind: str = "model name", limit: int | None = None) -> None:
        if limit is None:
            super().__init__(
                f"{quoted(value)} is not a valid {kind}",
                _NAME_HINTS.get(kind, _NAME_RULE + "'classifier'"),
            )
        else:
            super().__init__(
                f"{quoted(value)} is too long for a {kind}",
                f"use at most {limit} characters",
            )
        self.value = value
        self.kind = kind
        self.limit = limit


_VERSION_HINT = "write MAJOR.MINOR.PATCH with an optional leading 'v', e.g. 1.3.0, v2.0.0-rc.1"


class InvalidVersion(GitModelError):
    def __init__(
        self, value: str, problem: str = "is not a semantic version", hint: str = _VERSION_HINT
    ) -> None:
        super().__init__(f"{quoted(value)} {problem}", hint)
        self.value = value
        self.problem = problem


class InvalidReference(GitModelError):
    def __init__(self, value: str, expected: str, suggestion: str | None = None) -> None:
        super().__init__(
            f"{quoted(value)} does not name {expected}",
            did_you_mean(suggestion, "a version is NAME@VERSION, a stage NAME#STAGE")
            if suggestion
            else "write NAME@VERSION (churn@1.3.0), NAME@latest or NAME#STAGE (churn#prod)",
        )
        self.value = value
        self.expected = expected
        self.suggestion = suggestion


class NotARegistryTag(GitModelError):
    def __init__(self, ref: str) -> None:
        super().__init__(
            f"{quoted(ref)} is not a registry tag (NAME@vX.Y.Z, NAME#STAGE, NAME#STAGE#N, ...)",
            "a job for registry tags can skip this ref",
        )
        self.ref = ref


class TagNotFound(GitModelError):
    def __init__(self, ref: str) -> None:
        super().__init__(
            f"no readable registry tag {quoted(ref)} here",
            "fetch the tags (`git model fetch`; in CI, a checkout with tags) or run "
            "`git model doctor` to see why it is skipped",
        )
        self.ref = ref


class UnknownStage(GitModelError):
    def __init__(self, stage: str, stages: Sequence[str]) -> None:
        suggestion = closest(stage, stages)
        super().__init__(
            f"stage {stage!r} is not one of the registry's stages ({', '.join(stages)})",
            did_you_mean(suggestion, f"or add {stage!r} to `stages:` in git-model.yaml")
            if suggestion
            else "pick one of those, or add it to `stages:` in git-model.yaml",
        )
        self.stage = stage
        self.stages = tuple(stages)
        self.suggestion = suggestion


class UnknownType(GitModelError):
    def __init__(self, model_type: str, types: Sequence[str]) -> None:
        super().__init__(
            f"model type {model_type!r} is not allowed here ({', '.join(types)})",
            "pick one of those, or add it to `types:` in git-model.yaml",
        )
        self.model_type = model_type
        self.types = tuple(types)


class NoNextStage(GitModelError):
    def __init__(self, model: str, version: str, stage: str) -> None:
        super().__init__(
            f"{model} {version} is in {stage!r}, the last stage; there is no next one",
            "name the stage with --to",
        )
        self.model = model
        self.version = version
        self.stage = stage


# --- what the registry holds ----------------------------------------------------------


def _show(model: str | None, source: str | None) -> str:
    """The ``git model show`` that lists what an error is about: with ``source``, the
    registry the command read with ``--repo``, which works outside a clone too."""
    command = "git model show" + (f" {model}" if model else "")
    return f"`{command}`" if source is None else f"`{command} --repo {shlex.quote(source)}`"


class ModelNotFound(GitModelError):
    """No model of that name has a version; ``suggestion`` is what was probably meant (a
    registered model, or a reference such as ``iris#prod`` written ``iris/prod``)."""

    def __init__(
        self, model: str, source: str | None = None, suggestion: str | None = None
    ) -> None:
        if suggestion is not None:
            hint = did_you_mean(suggestion, f"{_show(None, source)} lists the models")
        elif source is None:
            hint = (
                f"run `git model show` to list models, or `git model register {model}` to create it"
            )
        else:
            hint = f"run {_show(None, source)} to list its models"
        where = "" if source is None else f" in {plain(source)}"
        super().__init__(f"no model named {model!r} is registered{where}", hint)
        self.model = model
        self.source = source
        self.suggestion = suggestion


class VersionNotFound(GitModelError):
    def __init__(self, model: str, version: str, source: str | None = None) -> None:
        super().__init__(
            f"{model} has no version {version}",
            f"run {_show(model, source)} to list its versions",
        )
        self.model = model
        self.version = version
        self.source = source


class StageEmpty(GitModelError):
    """No version holds the stage; ``suggestion`` is the reference to a stage the model's
    versions hold that was probably meant (``churn#production``: ``churn#prod``)."""

    def __init__(
        self, model: str, stage: str, source: str | None = None, suggestion: str | None = None
    ) -> None:
        super().__init__(
            f"no version of {model} is in {stage!r}",
            did_you_mean(suggestion, f"{_show(model, source)} shows where its versions are")
            if suggestion
            else f"run {_show(model, source)} to see where its versions are",
        )
        self.model = model
        self.stage = stage
        self.source = source
        self.suggestion = suggestion


class RevisionNotFound(GitModelError):
    def __init__(self, rev: str) -> None:
        super().__init__(
            f"{quoted(rev)} does not name a commit in this repository",
            "pass a branch, tag or commit that exists (see `git log`)",
        )
        self.rev = rev


class VersionExists(GitModelError):
    def __init__(self, model: str, version: str, existing: str) -> None:
        super().__init__(
            f"{model} {version} is already registered (tag {existing}); a version is never "
            "registered twice",
            "pick another with --version, or let --bump choose the next one",
        )
        self.model = model
        self.version = version
        self.existing = existing


class CommitAlreadyRegistered(GitModelError):
    """``uncommitted``: files with uncommitted changes that may be a retrained model."""

    def __init__(
        self,
        model: str,
        commit: str,
        version: str,
        archived: bool,
        uncommitted: Sequence[str] = (),
    ) -> None:
        if uncommitted:
            one = len(uncommitted) == 1
            retrained = (
                f"if {listed(uncommitted)} (uncommitted) {'is' if one else 'are'} the retrained "
                f"model, commit {'it' if one else 'them'} first and register that commit"
            )
        else:
            retrained = "commit the retrained model first and register that commit"
        if archived:
            hint = (
                f"{retrained} (to register the same files again, make an empty commit with "
                "`git commit --allow-empty` and register it)"
            )
        else:
            hint = f"promote {model}@{version} instead, or {retrained}"
        held = f"{model} {version}" + (" (archived)" if archived else "")
        super().__init__(
            f"commit {commit[:12]} already holds {held}; a commit holds one version of a "
            "model, for good",
            hint,
        )
        self.model = model
        self.commit = commit
        self.version = version
        self.archived = archived
        self.uncommitted = tuple(uncommitted)


class AlreadyInStage(GitModelError):
    def __init__(self, model: str, version: str, stage: str) -> None:
        super().__init__(
            f"{model} {version} is already in {stage!r}; nothing to do",
            f"run `git model show {model}` to see the current stages",
        )
        self.model = model
        self.version = version
        self.stage = stage


class VersionArchived(GitModelError):
    def __init__(self, model: str, version: str) -> None:
        super().__init__(
            f"{model} {version} is archived; archived versions take no stage",
            f"register a new version of {model} (it may point at the same files)",
        )
        self.model = model
        self.version = version


class ModelDeprecated(GitModelError):
    def __init__(self, model: str) -> None:
        super().__init__(
            f"model {model} is deprecated; it takes no new versions or stage changes",
            "register the model under a new name",
        )
        self.model = model


# --- artifacts ----------------------------------------------------------------------------


class ArtifactError(GitModelError):
    """DVC could not track, push or download an artifact, or what it gave is wrong."""


class ArtifactMissing(GitModelError):
    def __init__(self, path: str, hint: str | None = None) -> None:
        super().__init__(
            f"{quoted(path)} does not exist",
            hint or "save the trained model there first, or pass the right --path",
        )
        self.path = path


class ArtifactNotDeclared(GitModelError):
    def __init__(self, model: str, where: str) -> None:
        super().__init__(
            f"{where} declares no artifact for {model} (no `artifacts: {model}:` in dvc.yaml)",
            f"register it with `git model register {model} --path PATH`",
        )
        self.model = model
        self.where = where


ALLOW_UNCOMMITTED = "--allow-uncommitted registers the commit as it is"


class ArtifactChanged(GitModelError):
    def __init__(self, model: str, path: str, commit: str) -> None:
        super().__init__(
            f"{path} on disk differs from what commit {commit[:12]} records for {model}; "
            "registering would tag a model other than the one you have",
            f"pass --path {path} to commit and register what is on disk, or register the "
            f"commit you mean with --rev; {ALLOW_UNCOMMITTED}",
        )
        self.model = model
        self.path = path
        self.commit = commit


class UncommittedChanges(GitModelError):
    """Files that differ in the work tree from HEAD. With ``commit``: files the version of
    that commit would record (or be declared by) as the commit has them, not as you do."""

    def __init__(
        self, paths: Sequence[str], hint: str | None = None, commit: str | None = None
    ) -> None:
        consequence = (
            f": the version would record commit {commit[:12]}'s, not yours" if commit else ""
        )
        super().__init__(
            f"{', '.join(paths)} ha{'ve' if len(paths) > 1 else 's'} uncommitted changes"
            + consequence,
            hint
            or "commit or stash them first, so that the registration commit holds only the "
            "model's files",
        )
        self.paths = tuple(paths)
        self.commit = commit


class DvcNotCommitted(GitModelError):
    def __init__(self, commit: str) -> None:
        super().__init__(
            f"DVC is set up in this working tree but not in commit {commit[:12]} (.dvc/config is "
            "not committed): no other clone could fetch the artifact of a version there",
            'commit DVC\'s setup first (`git add .dvc .dvcignore && git commit -m "Use DVC"`), '
            "then re-run",
        )
        self.commit = commit


class OutputExists(GitModelError):
    def __init__(self, path: str) -> None:
        super().__init__(f"{plain(path)} already exists", "choose another -o PATH, or pass --force")
        self.path = path


class CannotWrite(GitModelError):
    """A file the registry writes for you (``card -o``, ``get -o``, ``init``, the model's
    YAML file) cannot be written there."""

    def __init__(self, path: str, reason: str, hint: str | None = None) -> None:
        super().__init__(
            f"cannot write {quoted(path)}: {reason}",
            hint or "write it elsewhere: in a directory that exists and that you may write to",
        )
        self.path = path
        self.reason = reason


@contextmanager
def writing(path: str | Path, hint: str | None = None) -> Iterator[None]:
    """Run the body that writes ``path``; what the system refuses is a CannotWrite."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.filename is not None and str(exc.filename) != str(path):
            reason += f" ({exc.filename})"
        raise CannotWrite(str(path), reason, hint) from None


# --- remotes ------------------------------------------------------------------------------


class InvalidRemote(GitModelError):
    def __init__(self, remote: str) -> None:
        super().__init__(
            f"{remote!r} is not a remote git-model will use",
            "name a configured remote (origin) or a URL or path; options and transport "
            "helpers (`ext::`) are refused",
        )
        self.remote = remote


class RemoteError(GitModelError):
    def __init__(self, remote: str, detail: str) -> None:
        super().__init__(
            f"cannot reach {plain(remote)}: {detail}",
            "check the remote's URL (`git remote -v`), your network and your access",
        )
        self.remote = remote
        self.detail = detail


class TagConflict(GitModelError):
    def __init__(self, remote: str, tags: Sequence[str]) -> None:
        super().__init__(
            f"{listed(tags)} here differ{'s' if len(tags) == 1 else ''} from {remote}'s: this "
            "clone recorded events that were never pushed while others recorded theirs",
            f"drop the local ones (`git tag -d {tags[0]}` ...), then `git model fetch "
            f"{remote}` and redo the change",
        )
        self.remote = remote
        self.tags = tuple(tags)


class PublishUnknown(GitModelError):
    def __init__(self, remote: str, detail: str) -> None:
        super().__init__(
            f"the push to {remote} did not report its result ({detail}), and {remote} cannot "
            "say now whether it took it: the change may have been published",
            f"run `git model fetch {remote}` to see, then re-run the command if it is not there",
        )
        self.remote = remote
        self.detail = detail


class PushedNotApplied(GitModelError):
    def __init__(self, remote: str, ref: str) -> None:
        super().__init__(
            f"the change reached {remote}, but this clone's {ref} changed meanwhile, so the "
            "change is not here yet",
            f"run `git model fetch {remote}` to bring it here",
        )
        self.remote = remote
        self.ref = ref


# --- other writers ---------------------------------------------------------------------


class ConcurrentUpdate(GitModelError):
    def __init__(self, ref: str, detail: str) -> None:
        super().__init__(
            f"{ref} changed while this command ran ({detail}); nothing was written",
            "re-run the command to act on the new state",
        )
        self.ref = ref
        self.detail = detail


class HoldsStages(GitModelError):
    def __init__(self, model: str, version: str, stages: Sequence[str]) -> None:
        held = ", ".join(stages)
        super().__init__(
            f"{model} {version} holds {held}; archiving it would leave {held} empty",
            f"pass --demote to take it out of {held} and archive it in one write, or "
            "promote another version first",
        )
        self.model = model
        self.version = version
        self.stages = tuple(stages)


class NotAFormerHolder(GitModelError):
    def __init__(self, model: str, stage: str, version: str | None) -> None:
        if version is None:
            what = f"no other version of {model} held {stage!r} before (that is not archived)"
            hint = f"promote a version with `git model promote {model}@VERSION --to {stage}`"
        else:
            what = f"{model} {version} never held {stage!r}, so there is nothing to roll back to"
            hint = f"see who held it with `git model history {model}#{stage}`"
        super().__init__(what, hint)
        self.model = model
        self.stage = stage
        self.version = version


class GatesFailed(GitModelError):
    def __init__(
        self,
        what: str,
        stage: str,
        failed: Sequence[str],
        check: str,
        *,
        overridable: bool = True,
        override: str | None = None,
    ) -> None:
        shown = "; ".join(failed[:4]) + (f"; and {len(failed) - 4} more" if len(failed) > 4 else "")
        override = override or (
            "or pass --force --reason TEXT to override them on the record"
            if overridable
            else f"the signers of {stage!r} are not overridden: sign (--sign) with a key the "
            "allowed signers give to a listed principal"
        )
        super().__init__(
            f"{what} may not enter {stage!r}: {shown}",
            f"run `{check}` to see every gate; {override}",
        )
        self.what = what
        self.stage = stage
        self.failed = tuple(failed)


class PushRefused(GitModelError):
    """A hook refused a push: the remote's ``pre-receive`` or this clone's ``pre-push``
    (``refusals``: what it said, one line each, as ``TAG: reason``)."""

    def __init__(self, where: str, refusals: Sequence[str]) -> None:
        shown = "; ".join(refusals[:3]) + (
            f"; and {len(refusals) - 3} more" if len(refusals) > 3 else ""
        )
        super().__init__(
            f"{where} refused the push: {shown or 'its hook gave no reason'}",
            "fix what it names and push again (see docs/workflows/hooks.md); nothing was "
            "written here",
        )
        self.where = where
        self.refusals = tuple(refusals)


class HookInTheWay(GitModelError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} already exists, and the hook beside it is not git-model's: installing "
            "would lose one of the two",
            "merge them into one script (or remove one), then install again",
        )
        self.path = path


class StageMoved(GitModelError):
    """The desired state asks to replace a stage's holder that no longer holds it: the
    stage moved (by hand, or by another merge) since the request was made."""

    def __init__(self, moved: Sequence[str]) -> None:
        shown = "; ".join(moved[:4]) + (f"; and {len(moved) - 4} more" if len(moved) > 4 else "")
        super().__init__(
            f"the stage moved since the promotion was requested: {shown}; nothing was written",
            "request the promotion again from the present holder "
            "(`git model promote REF --to STAGE --request`), or move the stage back",
        )
        self.moved = tuple(moved)


class AlreadyRequested(GitModelError):
    def __init__(self, model: str, version: str, stage: str, base: str) -> None:
        super().__init__(
            f"the desired state on {base} already asks for {model} {version} in {stage!r}",
            "run `git model apply` on that branch to move the tags, or request another version",
        )
        self.model = model
        self.version = version
        self.stage = stage


class BranchExists(GitModelError):
    def __init__(self, branch: str) -> None:
        super().__init__(
            f"the branch {branch} exists already; nothing was written",
            f"open a pull request from it, or delete it (`git branch -D {branch}`) and re-run",
        )
        self.branch = branch


class SigningFailed(GitModelError):
    def __init__(self, tag: str, detail: str) -> None:
        super().__init__(
            f"Git could not sign {tag}: {detail}; nothing was written",
            "set up a signing key (`git config user.signingkey`, and `git config gpg.format "
            "ssh` for an SSH key; see docs/signing.md), or leave --sign out",
        )
        self.tag = tag
        self.detail = detail


class VerificationFailed(GitModelError):
    """``verify`` found a check that fails; or signatures cannot be verified at all (no
    allowed-signers file, or a configured one missing: that fails closed)."""

    def __init__(self, what: str, hint: str, failed: Sequence[str] = ()) -> None:
        super().__init__(what, hint)
        self.failed = tuple(failed)


class TagInTheWay(GitModelError):
    def __init__(self, tag: str, reason: str, remote: str | None = None) -> None:
        where = f" on {remote}" if remote else ""
        remove = f"`git tag -d {tag}`" + (
            f" and `git push {remote} :refs/tags/{tag}`" if remote else ""
        )
        super().__init__(
            f"the tag {tag}{where}, which this command must write, is already taken by "
            f"{reason}; nothing was written",
            f"if nothing needs that tag, remove it ({remove}), then re-run",
        )
        self.tag = tag
        self.reason = reason
        self.remote = remote


class WriteInterrupted(GitModelError):
    def __init__(self, model: str, written: Sequence[str], total: int, detail: str) -> None:
        super().__init__(
            f"Git stopped part-way through writing {model} ({detail}): {len(written)} of "
            f"{total} refs were written, events first, so the registry reads consistently",
            "fix what Git reports (a full disk, an I/O error), then run `git model doctor "
            "--fix` or the command again: either completes the change",
        )
        self.model = model
        self.written = tuple(written)
        self.total = total
        self.detail = detail


_DOCTOR_FIX = "if no Git process is running, `git model doctor --fix` removes it"


class RegistryBusy(GitModelError):
    """A file Git holds while it changes another is there: a lock file, or packed-refs.new.
    ``path`` is relative to the repository's top directory."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} exists: another Git process is at work in this repository, or one stopped "
            "and left it behind; nothing was written",
            f"retry in a moment; {_DOCTOR_FIX}",
        )
        self.path = path


class BrokenRef(GitModelError):
    """A loose ref cut short (a crash before Git's write reached the disk): Git reads it as
    missing and refuses to replace it."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} is cut short (Git stopped while writing it): Git can neither read nor "
            "replace it; nothing was written",
            _DOCTOR_FIX,
        )
        self.path = path


# --- configuration ------------------------------------------------------------------


class InvalidFile(GitModelError):
    """A file the registry reads (YAML) that it cannot read safely."""

    def __init__(self, path: str, detail: str, hint: str = "fix the file and re-run") -> None:
        super().__init__(f"{path}: {detail}", hint)
        self.path = path
        self.detail = detail


class ConfigError(InvalidFile):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            path,
            detail,
            "fix the file (see docs/configuration.md), or delete it to use the defaults",
        )


class ConfigExists(GitModelError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} already exists",
            "edit it, or delete it and run `git model init` again",
        )
        self.path = path


# One table, read by the CLI; docs/exit-codes.md lists the same codes.
EXIT_CODES: dict[type[GitModelError], int] = {
    GitModelError: 1,
    UsageError: 2,
    NotARepository: 3,
    NoCommits: 3,
    IdentityMissing: 3,
    InvalidName: 4,
    InvalidVersion: 4,
    InvalidReference: 4,
    NotARegistryTag: 4,
    UnknownStage: 4,
    UnknownType: 4,
    NoNextStage: 4,
    ModelNotFound: 5,
    VersionNotFound: 5,
    StageEmpty: 5,
    RevisionNotFound: 5,
    TagNotFound: 5,
    VersionExists: 6,
    CommitAlreadyRegistered: 6,
    AlreadyInStage: 6,
    VersionArchived: 7,
    ModelDeprecated: 7,
    ConcurrentUpdate: 8,
    RegistryBusy: 8,
    BrokenRef: 8,
    InvalidFile: 9,
    ConfigError: 9,
    ConfigExists: 9,
    GitFailed: 10,
    ArtifactError: 11,
    ArtifactMissing: 5,
    ArtifactNotDeclared: 5,
    ArtifactChanged: 6,
    UncommittedChanges: 6,
    DvcNotCommitted: 6,
    OutputExists: 6,
    CannotWrite: 9,
    InvalidRemote: 4,
    RemoteError: 12,
    TagConflict: 8,
    PushedNotApplied: 8,
    TagInTheWay: 6,
    GatesFailed: 15,
    PushRefused: 19,
    HookInTheWay: 6,
    SigningFailed: 16,
    VerificationFailed: 17,
    NotAFormerHolder: 5,
    HoldsStages: 6,
    WriteInterrupted: 13,
    PublishUnknown: 14,
    StageMoved: 18,
    AlreadyRequested: 6,
    BranchExists: 6,
}


def exit_code(error: GitModelError) -> int:
    """The exit code for an error: its own class's entry, else its nearest base's."""
    for cls in type(error).__mro__:
        if issubclass(cls, GitModelError) and cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1
