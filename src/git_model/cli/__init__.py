"""``git model``: parses arguments, makes one API call, renders what it returns."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from git_model.cli.completion import SCRIPTS, Shell
from git_model.cli.parser import (
    COMPLETE_VAR,
    PROG,
    Command,
    Group,
    command_help,
    command_names,
)
from git_model.errors import GitModelError, UsageError
from git_model.semver import Bump

if TYPE_CHECKING:
    from git_model.api import Completing
    from git_model.results import Change

# Commands import the API and the renderer when they run, so that `--help` pays for
# neither (start-up time is part of the product). Errors, the parser's included, are
# reported by the group (cli/parser.py): commands let them through.

# The placeholders that help and usages show for references to versions and stages.
VERSION_REF = "NAME@VERSION|NAME#STAGE"
STAGE_REF = "NAME#STAGE"


class BumpChoice(StrEnum):
    """--bump: a part of the version, or `auto` (decided from the recorded metadata)."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    AUTO = "auto"


app = typer.Typer(
    name=PROG,
    cls=Group,
    help="A model registry that lives in your Git repository: versions are tags, "
    "stages are moving tags, and every change is kept in history.",
    epilog=f"Run `{PROG} help COMMAND` (or `{PROG} COMMAND -h`) for a command's help.",
    no_args_is_help=True,
    add_completion=False,  # `git model completion SHELL` prints the script instead
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs ~40 ms per start
    context_settings={"help_option_names": ["-h", "--help"]},
)
command = partial(app.command, cls=Command)


def _completer(kind: Completing) -> Callable[[str], list[str]]:
    """What completes an argument of this kind: names and references from the tags."""

    def complete(incomplete: str) -> list[str]:
        from git_model import api  # noqa: PLC0415

        try:
            return list(api.complete(incomplete, kind))
        except GitModelError:  # outside a repository, a broken git-model.yaml: nothing
            return []

    return complete


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print nothing on success (warnings and errors still appear)."
    ),
]
PushOption = Annotated[
    bool,
    typer.Option(
        "--push",
        help="Publish the change to the remote in one atomic push (artifact first, then the "
        "tags), after fetching what others changed there; refused if someone else changed "
        "the same tags meanwhile.",
    ),
]
RemoteOption = Annotated[
    str, typer.Option("--remote", metavar="REMOTE", help="The remote --push and fetch use.")
]
SignOption = Annotated[
    bool | None,
    typer.Option(
        "--sign/--no-sign",
        help="Have Git sign the tags this write makes (user.signingkey, gpg.format; see "
        "docs/signing.md). Default: git config gitmodel.sign, else tag.gpgSign.",
        show_default=False,
    ),
]
MessageOption = Annotated[
    str | None,
    typer.Option(
        "--message",
        "-m",
        metavar="MESSAGE",
        help="Why: recorded in the tag message and in history.",
    ),
]
ModelArgument = partial(typer.Argument, metavar="NAME", autocompletion=_completer("model"))
RefArgument = partial(typer.Argument, metavar=VERSION_REF, autocompletion=_completer("ref"))
StageOption = partial(typer.Option, metavar="STAGE", autocompletion=_completer("stage"))


def _pairs(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE arguments as a mapping."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(
                f"{pair!r} is not KEY=VALUE", "write e.g. uat=passed (uat= removes it)"
            )
        values[key.strip()] = value
    return values


def _report(result: Change, as_json: bool, quiet: bool) -> None:
    from git_model.cli import render  # noqa: PLC0415

    if as_json:
        render.print_json(result)
    else:
        with render.quiet(quiet):
            render.change(result)


def _version_callback(value: bool) -> None:
    if value:
        import git_model  # noqa: PLC0415

        typer.echo(f"git-model {git_model.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print git-model's version and exit.",
        ),
    ] = False,
) -> None:
    """A model registry that lives in your Git repository."""


@command()
def init(
    stages: Annotated[
        str | None,
        typer.Option(
            metavar="STAGES",
            help="Stages, first to last, comma-separated (default: dev,staging,prod).",
        ),
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(metavar="TYPES", help="Allowed model types, comma-separated (default: any)."),
    ] = None,
) -> None:
    """Write git-model.yaml, the registry's configuration, at the repository root.

    Examples:

    \b
      git model init
      git model init --stages dev,canary,prod --types sklearn,onnx
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.init(stages=_split(stages), types=_split(types))
    render.initialized(result)


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


@command()
def register(
    name: Annotated[str, ModelArgument(help="The model's name, e.g. churn or fraud/tx.")],
    rev: Annotated[
        str | None,
        typer.Option(
            metavar="REV",
            help="The commit that holds the model (branch, tag or hash; default HEAD).",
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="VERSION",
            help="The version to register, e.g. 1.3.0 or v2.0.0-rc.1.",
        ),
    ] = None,
    bump: Annotated[
        BumpChoice | None,
        typer.Option(
            metavar="major|minor|patch|auto",
            help="Register the latest version with this part incremented; auto: major for "
            "a breaking signature, minor for changed metrics or data, patch otherwise.",
        ),
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            metavar="PATH",
            help="The model's artifact (file or directory), tracked with DVC and declared in "
            "dvc.yaml; committed first if HEAD does not declare it yet.",
        ),
    ] = None,
    model_type: Annotated[
        str | None,
        typer.Option(
            "--type", metavar="TYPE", help="The model's type (one of `types:` in git-model.yaml)."
        ),
    ] = None,
    allow_uncommitted: Annotated[
        bool,
        typer.Option(
            "--allow-uncommitted",
            help="Register the commit as it is even though the working tree holds another "
            "artifact, model YAML file or metrics or params file; the version records "
            "which files differed.",
        ),
    ] = False,
    message: MessageOption = None,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Register a new version of a model: an annotated tag NAME@vX.Y.Z on a commit.

    Without --version or --bump, the latest version's minor part is bumped (the first
    version of a model is then 0.1.0). With --path, the version records the artifact's
    DVC hash and size. Registering HEAD is refused when the working tree holds other files
    than the commit records for the model.

    Examples:

    \b
      git model register churn -m "baseline: logistic regression"
      git model register churn --path models/churn.pkl --bump auto --push
    """
    from git_model import api  # noqa: PLC0415

    result = api.register(
        name,
        rev=rev,
        version=version,
        bump="auto" if bump is BumpChoice.AUTO else (Bump(bump.value) if bump else None),
        path=path,
        message=message,
        model_type=model_type,
        push=remote if push else None,
        sign=sign,
        allow_uncommitted=allow_uncommitted,
    )
    _report(result, as_json, quiet)


AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="WHEN",
        help="As it was then, replayed from the events: a duration ago (7d, 12h), a date "
        "(2026-01-31, 2026-01-31T12:00, UTC unless it says), or a commit or tag (its date).",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Override gates that fail; needs --reason. The gates overridden and the reason "
        "are recorded in the event tag, and shown by history and describe.",
    ),
]
ReasonOption = Annotated[
    str | None,
    typer.Option(
        "--reason",
        metavar="REASON",
        help="Why gates are overridden (with --force), on the record.",
    ),
]


@command()
def promote(
    refs: Annotated[
        list[str],
        RefArgument(
            metavar=f"{VERSION_REF}...",
            help="What to promote: NAME@VERSION, NAME@latest or NAME#STAGE; several "
            "(of different models, with --to) move together, as one release.",
            show_default=False,
        ),
    ],
    to: Annotated[
        str | None, StageOption(help="The stage to promote to (default: the next stage).")
    ] = None,
    message: MessageOption = None,
    force: ForceOption = False,
    reason: ReasonOption = None,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    request: Annotated[
        bool,
        typer.Option(
            "--request",
            help="Move no tag: make a branch, git-model/promote/NAME-STAGE-vX.Y.Z, from the "
            "policy branch, whose one commit asks for the promotion in the model's "
            "desired-state file, for a reviewed pull request (with --push: pushed, and the "
            "URL to open it printed). After the merge, `git model apply` moves the tags.",
        ),
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Put a version in a stage, if it passes the stage's gates; whoever held the stage is
    recorded as replaced.

    NAME#STAGE promotes whatever holds STAGE. Without --to, the version goes to the
    stage after the last one it is in. Several versions (one per model, with --to) are
    checked first and then promoted in one transaction: all of them, or none. With
    --request, the promotion goes through a pull request instead
    (docs/workflows/pull-requests.md).

    Examples:

    \b
      git model promote churn@1.3.0 --to prod -m "AUC 0.91 vs 0.87"
      git model promote churn#staging
      git model promote churn@1.3.0 fraud/tx@2.0.0 --to prod
      git model promote churn@1.3.0 --to prod --force --reason "hotfix, soak waived"
      git model promote churn@1.3.0 --to prod --request --push
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    where = remote if push else None
    if request:
        if len(refs) > 1 or force or reason or message or sign is not None:
            raise UsageError(
                "--request takes one version, without -m, --force, --reason or --sign",
                "request each model's promotion on its own branch; the merge records the "
                "review, and `git model apply` signs as the clone that runs it is set to",
            )
        asked = api.request_promotion(refs[0], to=to, push=where)
        render.print_json(asked) if as_json else render.promotion_request(asked)
        return
    if len(refs) > 1:
        release = api.promote_all(
            refs, to=to, message=message, force=force, reason=reason, push=where, sign=sign
        )
        if as_json:
            render.print_json(release)
        else:
            with render.quiet(quiet):
                render.release(release)
        return
    result = api.promote(
        refs[0], to=to, message=message, force=force, reason=reason, push=where, sign=sign
    )
    _report(result, as_json, quiet)


@command()
def rollback(
    ref: Annotated[
        str,
        typer.Argument(
            metavar=STAGE_REF,
            help="The stage to roll back: NAME#STAGE.",
            autocompletion=_completer("ref"),
        ),
    ],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="VERSION",
            help="The version to give the stage back to; it must have held the stage "
            "before (default: the one that held it before the current one).",
        ),
    ] = None,
    message: MessageOption = None,
    force: ForceOption = False,
    reason: ReasonOption = None,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Give a stage back to a version that held it before, recorded as a rollback.

    Gates do not stand in the way of a former holder, unless the stage's gates say
    `check_rollbacks: true`.

    Examples:

    \b
      git model rollback churn#prod -m "AUC dropped in production"
      git model rollback churn#prod --to 1.2.0
    """
    from git_model import api  # noqa: PLC0415

    result = api.rollback(
        ref,
        to=to,
        message=message,
        force=force,
        reason=reason,
        push=remote if push else None,
        sign=sign,
    )
    _report(result, as_json, quiet)


@command()
def check(
    ref: Annotated[
        str, RefArgument(help="The version to check: NAME@VERSION, NAME@latest, NAME#STAGE.")
    ],
    to: Annotated[str, StageOption("--to", help="The stage whose gates to evaluate.")],
    as_json: JsonOption = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a Markdown table for a pull request.")
    ] = False,
    sign: Annotated[
        bool | None,
        typer.Option(
            "--sign/--no-sign",
            help="Evaluate the signers gate as for a promotion signed (or not) with your "
            "signing key. Default: as your promotions are (gitmodel.sign, tag.gpgSign).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Evaluate every gate a version must pass to enter a stage, as promote would.

    Exits 0 when every gate passes, 15 when any fails. The gates are read from
    git-model.yaml as committed on the policy branch (docs/policies.md).

    Examples:

    \b
      git model check churn@1.3.0 --to prod
      git model check churn#staging --to prod --markdown > gates.md
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415
    from git_model.errors import EXIT_CODES, GatesFailed  # noqa: PLC0415

    result = api.check(ref, to=to, sign=sign)
    if as_json:
        render.print_json(result)
    else:
        render.check(result, markdown=markdown)
    if not result.evaluation.passed:
        raise typer.Exit(EXIT_CODES[GatesFailed])


@command()
def plan(
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown",
            help="Print the pull-request comment (also a GitHub job summary): a hidden "
            "marker line, the verdict, a table of metrics per move, details folded.",
        ),
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            metavar="REF",
            help="Report drift against the desired state at this branch or commit "
            "(default: the policy branch).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Say what the desired state at HEAD asks that the tags do not say yet: per model and
    stage, the move, every gate, conflicts and drift.

    The gates come from the policy branch, never from HEAD. Exits 0 when every move can
    be applied, 15 when a gate fails, 18 when a stage moved since its request (a
    conflict): a required check for promotion pull requests.

    Examples:

    \b
      git model plan
      git model plan --markdown > plan.md
      git model plan --base origin/main --json
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415
    from git_model.errors import EXIT_CODES, GatesFailed, StageMoved  # noqa: PLC0415

    result = api.plan(base=base)
    if as_json:
        render.print_json(result)
    else:
        render.plan_report(result, markdown=markdown)
    if result.conflicts:
        raise typer.Exit(EXIT_CODES[StageMoved])
    if result.failing:
        raise typer.Exit(EXIT_CODES[GatesFailed])


@command()
def apply(
    push: PushOption = False,
    remote: RemoteOption = "origin",
    approved_by: Annotated[
        list[str] | None,
        typer.Option(
            "--approved-by",
            metavar="NAME",
            help="Who approved the pull request, recorded on each assignment (Approved-By:); "
            "repeat it for each. Also read, comma-separated, from GIT_MODEL_APPROVED_BY.",
            show_default=False,
        ),
    ] = None,
    sign: SignOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move the tags to what the desired state at HEAD asks: every model in one
    transaction, each assignment recording the merge commit and its approvers.

    Run on the main branch after a promotion pull request is merged. Refused, and
    nothing written, when a gate fails (15) or a stage moved since its request (18).
    Run again, it writes nothing.

    Examples:

    \b
      git model apply --push
      git model apply --push --approved-by alice@example.com --approved-by bob@example.com
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.apply(push=remote if push else None, approved_by=approved_by or [], sign=sign)
    render.print_json(result) if as_json else render.applied(result)


@command()
def verify(
    ref: Annotated[
        str, RefArgument(help="The version to verify: NAME@VERSION, NAME@latest, NAME#STAGE.")
    ],
    allowed_signers: Annotated[
        Path | None,
        typer.Option(
            "--allowed-signers",
            metavar="FILE",
            help="Verify against this allowed-signers file instead of the one git-model.yaml "
            "names on the policy branch.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check who signed the tags that make a version what it is, and its artifact.

    The registration, and for each stage the version holds the event that put it there
    and the stage tag: each must be an untampered tag object, dated after its commit,
    with a signature Git verifies, by a principal the stage allows. Exits 0 when all
    pass, 17 when any fails (docs/signing.md).

    Examples:

    \b
      git model verify churn#prod
      git model verify churn@1.3.0 --allowed-signers .github/allowed_signers --json
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415
    from git_model.errors import EXIT_CODES, VerificationFailed  # noqa: PLC0415

    result = api.verify(ref, allowed_signers=allowed_signers)
    if as_json:
        render.print_json(result)
    else:
        render.verification(result)
    if not result.passed:
        raise typer.Exit(EXIT_CODES[VerificationFailed])


@command("check-ref")
def check_ref(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="TAG",
            help="The registry tag a CI job was started for: refs/tags/NAME#STAGE#N, "
            "NAME#STAGE, NAME@vX.Y.Z (as in GITHUB_REF or CI_COMMIT_TAG).",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Say what a pushed registry tag means: the event, model, version, stage, who held
    the stage before, the artifact to deploy, and whether it is still current.

    A deploy job deploys only when `current` is true: a job that runs after a newer
    promotion must not deploy the older version. Exits 4 for a ref that is not a
    registry tag (the job can skip it).

    Examples:

    \b
      git model check-ref "$GITHUB_REF" --json
      git model check-ref 'churn#prod#7'
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.check_ref(ref)
    render.print_json(result) if as_json else render.tag_meaning(result)


@command()
def demote(
    ref: Annotated[
        str,
        typer.Argument(
            metavar=STAGE_REF,
            help="The stage to empty: NAME#STAGE.",
            autocompletion=_completer("ref"),
        ),
    ],
    message: MessageOption = None,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Take a stage from the version that holds it. The stage is left empty.

    Examples:

    \b
      git model demote churn#prod -m "bad predictions since 9:00"
    """
    from git_model import api  # noqa: PLC0415

    result = api.demote(ref, message=message, push=remote if push else None, sign=sign)
    _report(result, as_json, quiet)


@command()
def archive(
    ref: Annotated[str, RefArgument(help="The version to archive: NAME@VERSION or NAME#STAGE.")],
    message: MessageOption = None,
    demote: Annotated[
        bool,
        typer.Option(
            "--demote",
            help="Take it out of the stages it holds too, in the same write (without it, a "
            "version that holds a stage is not archived).",
        ),
    ] = False,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Archive a version: kept in history, never promoted again.

    Examples:

    \b
      git model archive churn@0.1.0 -m "superseded by 0.2.0"
      git model archive churn#staging --demote
    """
    from git_model import api  # noqa: PLC0415

    where = remote if push else None
    result = api.archive(ref, message=message, demote=demote, push=where, sign=sign)
    _report(result, as_json, quiet)


@command()
def deprecate(
    name: Annotated[str, ModelArgument(help="The model to retire.")],
    message: MessageOption = None,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Retire a model: every stage emptied; it takes no new versions or promotions.

    Examples:

    \b
      git model deprecate fraud/tx -m "replaced by the rules engine"
    """
    from git_model import api  # noqa: PLC0415

    result = api.deprecate(name, message=message, push=remote if push else None, sign=sign)
    _report(result, as_json, quiet)


SourceOption = Annotated[
    str | None,
    typer.Option(
        "--repo",
        metavar="SOURCE",
        help="Read another repository's registry: a remote's name, a URL or a path "
        "(nothing is cloned).",
    ),
]


@command()
def show(
    name: Annotated[
        str | None, ModelArgument(help="A model: list its versions instead of all models.")
    ] = None,
    include_all: Annotated[
        bool,
        typer.Option("--all", "-a", help="Include deprecated models and archived versions."),
    ] = False,
    source: SourceOption = None,
    sort: Annotated[
        str | None,
        typer.Option(
            metavar="METRIC", help="Sort by this recorded metric, highest first (e.g. auc)."
        ),
    ] = None,
    ascending: Annotated[
        bool, typer.Option("--ascending", help="With --sort: lowest first (for losses).")
    ] = False,
    label: Annotated[
        str | None,
        typer.Option(metavar="LABEL", help="Only what carries this label (the latest version's)."),
    ] = None,
    stage: Annotated[str | None, StageOption(help="Only what holds this stage.")] = None,
    owner: Annotated[
        str | None,
        typer.Option(metavar="OWNER", help="Only what this owner owns (the latest version's)."),
    ] = None,
    at: AtOption = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            metavar="METRIC",
            help="With NAME: draw METRIC by version under the table (repeatable).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show every model with its latest version and who holds each stage.

    With --repo, the registry is read from the remote's tag listing alone: versions and
    stages, but no authors, dates or messages (fetch for those). `git model ls` is the
    same command.

    Examples:

    \b
      git model show
      git model show churn --all --sort auc
      git model show churn --metric auc
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415
    from git_model.results import ModelView  # noqa: PLC0415

    filters = api.Filters(label=label, owner=owner, stage=stage, sort=sort, ascending=ascending)
    result = api.show(
        name, include_all=include_all, source=source, filters=filters, at=at, metrics=metric or ()
    )
    if as_json:
        render.print_json(result)
    elif isinstance(result, ModelView):
        render.model(result)
    else:
        render.registry(result)


@command()
def history(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar=f"NAME|{STAGE_REF}",
            help="A model: only its events (default: all models). NAME#STAGE: the stage's "
            "timeline.",
            autocompletion=_completer("ref"),
        ),
    ] = None,
    oldest_first: Annotated[
        bool, typer.Option("--oldest-first", help="List the oldest event first.")
    ] = False,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            metavar="METRIC",
            help="Add a column: the value of METRIC that each event's version recorded "
            "(repeatable).",
        ),
    ] = None,
    signers: Annotated[
        bool,
        typer.Option(
            "--signers",
            help="Verify each signed event and show who signed it (one git verify-tag per "
            "signed event listed; docs/signing.md).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Every registry event: who registered, promoted, demoted, archived what, when, why.

    With NAME#STAGE: the stage's timeline, which version held it from when to when, who
    moved it and why.

    Examples:

    \b
      git model history churn --oldest-first
      git model history churn --metric auc
      git model history churn#prod
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    if name is not None and "#" in name:
        timeline = api.timeline(name)
        render.print_json(timeline) if as_json else render.timeline(timeline)
        return
    result = api.history(name, newest_first=not oldest_first, metrics=metric or (), signers=signers)
    if as_json:
        render.print_json(result)
    else:
        render.history(result)


@command()
def describe(
    ref: Annotated[str, RefArgument(help="A version: NAME@VERSION, NAME@latest or NAME#STAGE.")],
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Describe one version: its commit, who registered it when, its stages and events.

    Examples:

    \b
      git model describe churn#prod
      git model describe churn@1.3.0 --json
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.describe(ref, at=at)
    if as_json:
        render.print_json(result)
    else:
        render.detail(result)


@command()
def fetch(
    remote: Annotated[
        str, typer.Argument(metavar="REMOTE", help="The remote to fetch from.")
    ] = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fetch the registry from a remote, including the stage tags that moved there.

    A plain `git fetch` refuses to update a moved tag and says nothing; this brings every
    new event and moved stage tag, then points the local stage tags where the events say.

    Examples:

    \b
      git model fetch
      git model fetch upstream
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.fetch(remote)
    if as_json:
        render.print_json(result)
    else:
        with render.quiet(quiet):
            render.synced(result)
    if result.conflicts:
        raise typer.Exit(8)


@command()
def get(
    ref: Annotated[str, RefArgument(help="The version: NAME@VERSION, NAME@latest or NAME#STAGE.")],
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="Where to write it (a file, or a directory to write it into).",
        ),
    ] = None,
    source: SourceOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite what is at the output path.")
    ] = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Download a version's artifact through DVC and verify it against its recorded hash.

    Examples:

    \b
      git model get churn#prod -o model.pkl
      git model get churn@1.3.0 --repo git@github.com:acme/models.git
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    with render.transfer(f"Downloading {ref}", enabled=not (as_json or quiet)) as progress:
        result = api.get(ref, out=out, source=source, force=force, progress=progress)
    if as_json:
        render.print_json(result)
    else:
        with render.quiet(quiet):
            render.fetched(result)


@command()
def annotate(
    ref: Annotated[str, RefArgument(help="The version: NAME@VERSION, NAME@latest or NAME#STAGE.")],
    pairs: Annotated[
        list[str],
        typer.Argument(
            metavar="KEY=VALUE...",
            help="Facts to attach, e.g. uat=passed (KEY= removes one).",
        ),
    ],
    message: MessageOption = None,
    push: PushOption = False,
    sign: SignOption = None,
    remote: RemoteOption = "origin",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Attach facts to a version after registration, kept in history; its tag never moves.

    Examples:

    \b
      git model annotate churn#prod uat=passed ticket=OPS-1234 -m "UAT signed off"
      git model annotate churn@1.3.0 ticket=
    """
    from git_model import api  # noqa: PLC0415

    where = remote if push else None
    result = api.annotate(ref, _pairs(pairs), message=message, push=where, sign=sign)
    _report(result, as_json, quiet)


@command()
def compare(
    ref_a: Annotated[str, RefArgument(help="The version to compare from, e.g. churn#prod.")],
    ref_b: Annotated[str, RefArgument(help="The version to compare with, e.g. churn@latest.")],
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown, ready for a pull request.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare two versions: metrics, params, size, training time, signature, lineage.

    Examples:

    \b
      git model compare churn#prod churn@latest
      git model compare churn#prod churn@latest --markdown > comparison.md
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.compare(ref_a, ref_b)
    if as_json:
        render.print_json(result)
    elif markdown:
        from git_model.reports import comparison_markdown  # noqa: PLC0415

        render.out.out(comparison_markdown(result), highlight=False, end="")
    else:
        render.comparison(result)


@command()
def card(
    ref: Annotated[str, RefArgument(help="The version: NAME@VERSION, NAME@latest or NAME#STAGE.")],
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write the card to this file."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file at --out.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a version's model card (Markdown, with a Hugging Face YAML header).

    Examples:

    \b
      git model card churn#prod
      git model card churn@1.3.0 -o MODEL_CARD.md
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.card(ref, out=out, force=force)
    if as_json:
        render.print_json(result)
    elif out is not None:
        render.card_written(result, out)
    else:
        render.out.out(result.text, highlight=False, end="")


@command()
def report(
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="Where to write the page (default: report.html); a directory (one that "
            "exists, or a path ending in /) gets index.html in it.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Only this model.", autocompletion=_completer("model")),
    ] = None,
    at: AtOption = None,
    generated_at: Annotated[
        str | None,
        typer.Option(
            "--generated-at",
            metavar="STAMP",
            help="Show STAMP as the generation time (none by default: the same registry "
            "gives the same bytes).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the file at the output path even if it is not a report git-model wrote.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the registry as one HTML page: charts of every metric by version, stage
    timelines, each version's facts; opened from disk, it makes no network request.

    Examples:

    \b
      git model report
      git model report -o site/ --model churn
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.report(out, model=model, at=at, generated_at=generated_at, force=force)
    if as_json:
        render.print_json(result)
    else:
        render.report_written(result)


@command()
def doctor(
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Remove the files left in Git's way that no Git process holds, then repair "
            "stage tags that lag their events.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the registry: unreadable tags, stage tags that lag, files left in Git's way.

    Examples:

    \b
      git model doctor
      git model doctor --fix
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.doctor(fix=fix)
    if as_json:
        render.print_json(result)
    else:
        render.diagnosis(result)
    if not result.healthy:
        raise typer.Exit(1)


@command()
def validate(as_json: JsonOption = False) -> None:
    """Read git-model.yaml and every model's YAML file as the commands read them.

    Exits 0 when every file reads, 9 when one does not (each is named, with its line).
    A commit hook: see .pre-commit-hooks.yaml and docs/workflows/hooks.md.

    Examples:

    \b
      git model validate
      git model validate --json
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415
    from git_model.errors import EXIT_CODES, InvalidFile  # noqa: PLC0415

    result = api.validate()
    if as_json:
        render.print_json(result)
    else:
        render.validation(result)
    if not result.passed:
        raise typer.Exit(EXIT_CODES[InvalidFile])


class HookName(StrEnum):
    """The hooks git-model runs as: a server's, a clone's."""

    PRE_RECEIVE = "pre-receive"
    PRE_PUSH = "pre-push"


hooks = typer.Typer(
    cls=Group,
    help="Install and run the push hooks that refuse pushes that break the registry's "
    "rules (docs/workflows/hooks.md).\n\n"
    "Examples:\n\n"
    "\b\n"
    "  git model hooks install --server\n"
    "  git model hooks install\n"
    "  git model hooks run pre-receive < REFS",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(hooks, name="hooks")
hook_command = partial(hooks.command, cls=Command)


@hook_command("install")
def hooks_install(
    server: Annotated[
        bool,
        typer.Option(
            "--server",
            help="Install the pre-receive hook of the repository that receives pushes (a "
            "bare one, on the server), instead of a clone's pre-push hook.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Install the push hook: a clone's pre-push hook, or the server's pre-receive hook.

    It goes where Git runs the repository's hooks (core.hooksPath when set). A hook
    already there is kept as HOOK.chained and runs first, with the same input; if either
    refuses, the push is refused. Installing again updates git-model's hook.

    Examples:

    \b
      (cd /srv/git/models.git && git model hooks install --server)
      git model hooks install
    """
    from git_model import api  # noqa: PLC0415
    from git_model.cli import render  # noqa: PLC0415

    result = api.install_hooks(server=server)
    render.print_json(result) if as_json else render.hooks_installed(result)


@hook_command("run")
def hooks_run(
    hook: Annotated[
        HookName,
        typer.Argument(
            metavar="pre-receive|pre-push",
            help="The hook to run as: pre-receive (a server's) or pre-push (a clone's).",
        ),
    ],
    remote: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[REMOTE [URL]]",
            help="pre-push: the remote's name and URL, as Git passes them to the hook.",
            show_default=False,
        ),
    ] = None,
    unpushed: Annotated[
        bool,
        typer.Option(
            "--unpushed",
            help="pre-push: check every registry tag here that the remote lacks, instead of "
            "the refs Git lists on standard input (for pre-commit, which does not pass them "
            "on). The remote: REMOTE, else $PRE_COMMIT_REMOTE_NAME, else origin.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a push as Git hands it to the hook, and refuse what breaks the registry's rules.

    Git runs this from the hook that `hooks install` writes: it reads the refs pushed from
    standard input. Each refused tag is named on standard error, with the reason; the exit
    code is then 19, which refuses the whole push.

    Examples:

    \b
      git model hooks run pre-receive < REFS
      git model hooks run pre-push origin ../server.git < REFS
      git model hooks run pre-push origin --unpushed
    """
    import sys  # noqa: PLC0415

    # Git runs this on every push: it imports the hook's module, not the whole API (whose
    # `run_hook` and `check_unpushed` call the same), and the renderer only for --json.
    from git_model.commands import hooks as push_hooks  # noqa: PLC0415
    from git_model.errors import EXIT_CODES, PushRefused  # noqa: PLC0415

    given = remote or []
    if unpushed and hook is not HookName.PRE_PUSH:
        raise UsageError("--unpushed goes with pre-push", "run `hooks run pre-push --unpushed`")
    if unpushed:
        name = given[0] if given else os.environ.get("PRE_COMMIT_REMOTE_NAME") or "origin"
        result = push_hooks.unpushed(name)
    else:
        # (no standard input at all, `<&-`: nothing pushed)
        data = sys.stdin.buffer.read(push_hooks.MAX_INPUT + 1) if sys.stdin else b""
        url = given[-1] if given else None  # the URL, when Git passes both
        result = push_hooks.run(hook.value, data, remote=url)
    if as_json:
        from git_model.cli import render  # noqa: PLC0415

        render.print_json(result)
    for refusal in result.refusals:  # (printed here: rich would add 0.1 s to every refusal)
        typer.echo(f"git-model: refused {refusal}", err=True)
    if not result.passed:
        raise typer.Exit(EXIT_CODES[PushRefused])


@command("help")
def help_command(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="COMMAND",
            help="The command to explain (default: every command).",
            autocompletion=command_names,
        ),
    ] = None,
) -> None:
    """Print a command's help, as `git model COMMAND -h` does.

    Examples:

    \b
      git model help promote
    """
    typer.echo(command_help(ctx, name))


@command()
def completion(
    shell: Annotated[Shell, typer.Argument(metavar="bash|zsh|fish", help="Your shell.")],
) -> None:
    """Print the shell code that completes git model's commands, options, models,
    versions and stages.

    The first lines of the code say where it goes. It asks git-model for the words each
    time: they come from the tags of the repository you are in.

    Examples:

    \b
      echo 'eval "$(git model completion bash)"' >> ~/.bashrc
      echo 'eval "$(git model completion zsh)"' >> ~/.zshrc
      git model completion fish > ~/.config/fish/conf.d/git-model.fish
    """
    typer.echo(SCRIPTS[shell], nl=False)


def main() -> None:
    if os.environ.get(COMPLETE_VAR):  # a shell asks for the words that complete a line
        from typer._completion_classes import completion_init  # noqa: PLC0415

        completion_init()
    app(prog_name=PROG, complete_var=COMPLETE_VAR)
