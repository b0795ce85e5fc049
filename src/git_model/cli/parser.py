"""How ``git model`` reads its command line, where typer's defaults are not Git's.

- Every error is one line on standard error, ``git-model: error: <what is wrong>; <how to
  fix it>`` (with ``--json``, one JSON object), with its code from ``errors.EXIT_CODES``:
  the registry's errors and the parser's refusals alike (an unknown command or option, a
  missing argument, a value it cannot take), which offer the command or option meant.
- ``ls`` is another name of ``show``; ``git model -h`` gives each command's description
  whole; usages show each argument's placeholder as it is (``NAME@VERSION``).

This module is imported on every start: it imports nothing heavy.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, cast

import typer

# typer 0.28 vendors click (the project pins typer below 0.29): its parser and errors.
from typer._click import Command as ClickCommand
from typer._click import Context, HelpFormatter
from typer._click.exceptions import NoArgsIsHelpError, NoSuchOption
from typer._click.exceptions import UsageError as ParserError
from typer.core import TyperCommand, TyperGroup

from git_model.errors import GitModelError, UsageError, closest, did_you_mean, exit_code, quoted

PROG = "git model"
COMPLETE_VAR = "_GIT_MODEL_COMPLETE"  # what a shell sets to ask for completions
ALIASES = {"ls": "show"}
_ARGS = "git_model.args"  # the command line as the group received it, in ctx.meta


def fail(error: GitModelError, as_json: bool) -> NoReturn:
    """Print ``error`` as one line on standard error (with ``as_json``, an object with its
    data attributes) and exit with its code."""
    code = exit_code(error)
    if as_json:
        data = {k: v for k, v in vars(error).items() if k not in ("message", "hint")}
        fields = {"error": error.message, "fix": error.hint, "exit_code": code}
        fields["type"] = type(error).__name__
        line = json.dumps({**fields, **data}, ensure_ascii=False, default=str)
    else:
        line = f"git-model: error: {error}"
    typer.echo(line, err=True)
    raise typer.Exit(code)


def command_names(ctx: Context, incomplete: str = "") -> list[str]:
    """The commands whose names start with ``incomplete`` (for completion)."""
    names = cast(TyperGroup, ctx.find_root().command).list_commands(ctx)
    return [name for name in names if name.startswith(incomplete)]


def unknown_command(ctx: Context, name: str) -> UsageError:
    guess = closest(name, [*command_names(ctx), *ALIASES])
    aside = f"`{PROG} -h` lists the commands"
    return UsageError(
        f"{quoted(name)} is not a git-model command",
        did_you_mean(guess, aside) if guess else aside,
        guess,
    )


def command_help(ctx: Context, name: str | None) -> str:
    """What ``git model NAME -h`` prints (without NAME: what ``git model -h`` prints)."""
    root = ctx.find_root()
    if name is None:
        return root.get_help()
    command = cast(TyperGroup, root.command).get_command(root, name)
    if command is None:
        raise unknown_command(ctx, name)
    return command.get_help(Context(command, info_name=name, parent=root))


def _refusal(exc: ParserError) -> UsageError:
    """The parser's refusal as the registry's errors read: what is wrong; how to call it."""
    ctx = exc.ctx
    command = ctx.command_path if ctx is not None else PROG
    if isinstance(exc, NoSuchOption) and ctx is not None:
        # Compared without their dashes, which every option shares (--repo is not --help).
        options = {o.lstrip("-"): o for p in ctx.command.get_params(ctx) for o in p.opts}
        options |= {o.lstrip("-"): o for p in ctx.command.get_params(ctx) for o in p.secondary_opts}
        meant = closest(exc.option_name.lstrip("-"), options)
        guess = options[meant] if meant else None
        aside = f"`{command} -h` lists its options"
        return UsageError(
            f"`{command}` has no option {quoted(exc.option_name)}",
            did_you_mean(guess, aside) if guess else aside,
            guess,
        )
    what = exc.format_message().rstrip(".")
    usage = " ".join(ctx.command.collect_usage_pieces(ctx)) if ctx is not None else "COMMAND"
    return UsageError(
        what[:1].lower() + what[1:], f"usage: {command} {usage} (`{command} -h` says more)"
    )


@contextmanager
def _in(ctx: Context) -> Iterator[None]:
    """The parser's errors with the context they happened in (click leaves some without)."""
    try:
        yield
    except ParserError as exc:
        exc.ctx = exc.ctx or ctx
        raise


@contextmanager
def _reported(args: Sequence[str]) -> Iterator[None]:
    """Errors from the parser and the registry, reported as ``fail`` does."""
    try:
        yield
    except NoArgsIsHelpError:
        raise  # `git model` alone: the help
    except ParserError as exc:
        fail(_refusal(exc), "--json" in args)
    except GitModelError as exc:
        fail(exc, "--json" in args)


class Command(TyperCommand):
    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with _in(ctx):
            return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """The usage, with each argument's placeholder as it is: typer wraps a required
        one in braces."""
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


class Group(TyperGroup):
    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        given = tuple(args)  # (parsing consumes the list)
        with _reported(given):
            ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[_ARGS] = given
        return ctx

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with _in(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        with _reported(ctx.meta.get(_ARGS, ())):
            return super().invoke(ctx)

    def get_command(self, ctx: Context, cmd_name: str) -> ClickCommand | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, ClickCommand | None, list[str]]:
        name = args[0]
        unknown = not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:  # (completing: nothing to report)
            raise unknown_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Each command with the first sentence of its help, whole (click cuts it to fit
        one line), and the other names of commands."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=sys.maxsize)))
        rows += [(alias, f"Another name of `{PROG} {name}`.") for alias, name in ALIASES.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
