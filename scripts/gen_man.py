"""Write man/git-model.1 from the CLI itself, so that `git model --help` (which makes Git
open the manual page) says what `git model -h` says.

Run: .venv/bin/python scripts/gen_man.py            (rewrites man/git-model.1)
     .venv/bin/python scripts/gen_man.py --check    (fails when the file is out of date)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from git_model.cli import app
from git_model.cli.parser import ALIASES

PAGE = Path(__file__).resolve().parent.parent / "man" / "git-model.1"


def _roff(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("-", "\\-")
    return "\n".join(
        ("\\&" + line) if line.startswith((".", "'")) else line for line in escaped.splitlines()
    )


def _help(text: str) -> str:
    """A command's help: its paragraphs, and those click must not rewrap (after a line
    holding only \\b: the examples) line by line."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b\n"):
            paragraphs.append(f".nf\n{_roff(paragraph[2:])}\n.fi")
        else:
            paragraphs.append(_roff(paragraph))
    return "\n\n".join(paragraphs)


def _option(param: Any) -> str:
    names = ", ".join(f"\\fB{_roff(n)}\\fR" for n in param.opts)
    if not getattr(param, "is_flag", False):
        value = param.metavar or max(param.opts, key=len)[2:].upper()
        names += f" \\fI{_roff(value)}\\fR"
    return f".TP\n{names}\n{_roff(param.help or '')}"


def render() -> str:
    group: Any = typer.main.get_command(app)
    lines = [
        '.TH GIT\\-MODEL 1 "" "git-model" "git-model manual"',
        ".SH NAME",
        "git\\-model \\- " + _roff((group.help or "").splitlines()[0].rstrip(".")),
        ".SH SYNOPSIS",
        "\\fBgit model\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]",
        ".SH DESCRIPTION",
        _roff(" ".join((group.help or "").split())),
        ".PP",
        "Run \\fBgit model \\-h\\fR or \\fBgit model \\fICOMMAND\\fB \\-h\\fR for the same help "
        "in the terminal.",
        ".SH COMMANDS",
    ]
    commands = {}
    for name, command in group.commands.items():  # a group's commands: `hooks install`
        inner = getattr(command, "commands", None)
        commands |= {f"{name} {sub}": c for sub, c in inner.items()} if inner else {name: command}
    for name, command in commands.items():
        arguments = " ".join(
            f"\\fI{_roff(p.metavar)}\\fR" for p in command.params if p.param_type_name == "argument"
        )
        lines += [f".SS git model {name} {arguments}".rstrip(), _help(command.help or "")]
        for param in command.params:
            if param.param_type_name == "argument":
                lines.append(f".TP\n\\fI{_roff(param.metavar)}\\fR\n{_roff(param.help or '')}")
            else:
                lines.append(_option(param))
    for alias, name in ALIASES.items():
        lines += [f".SS git model {alias}", f"Another name of \\fBgit model {name}\\fR."]
    lines += [
        ".SH EXIT STATUS",
        "See docs/exit\\-codes.md: 0 on success; each kind of refusal has its own code.",
        ".SH SEE ALSO",
        "\\fBgit\\-tag\\fR(1), \\fBgit\\-for\\-each\\-ref\\fR(1), \\fBgit\\-update\\-ref\\fR(1)",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not PAGE.exists() or PAGE.read_text() != text:
            print(f"{PAGE.name} is out of date: run python scripts/gen_man.py")
            return 1
        return 0
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
