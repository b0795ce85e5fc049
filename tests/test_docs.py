"""The documentation is true: its examples run, its tables match the code, the site builds.

How the examples in docs/ are checked (write new examples the same way):

- Shell examples are fenced ``console`` blocks. A line that starts with ``$ `` is a command;
  the lines after it, up to the next command, are what it prints. Lines that start with
  ``> `` (or are just ``>``) right after a command continue it, as a shell's second prompt
  does: a here-document that writes a file is a command and its ``> `` lines.
- Every page in ``EXECUTED_PAGES`` runs from top to bottom in a fresh repository (the
  ``repo`` fixture: one commit, an isolated HOME and Git identity). Each command runs with
  ``bash -c`` in the repository's directory, with this interpreter's ``bin`` directory
  first on PATH. The clock starts at 09:00 on the fixture's day and advances one minute
  before each command. Every command starts in the repository's directory: a page that
  needs more (a bare "server" repository, DVC storage, a teammate's clone) creates it
  beside the repository (``../server.git``) and enters it within one line
  (``cd ../teammate && git model show``); ``cd ..`` runs a command outside any repository.
- A command must exit 0, unless the block is marked: an HTML comment ``<!-- exit: N -->``
  on the last non-blank line before the block means every command in it must exit N.
- Where a page shows output, the command must print exactly that (stdout and stderr in
  one stream, in the order a terminal shows them), compared after collapsing runs of
  blanks and replacing hexadecimal object ids (7 to 40 hex digits) by a placeholder.
  ``...`` in shown output matches any text, including several lines. A command shown
  without output is run, but its output is not compared.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from git_model.cli import app
from git_model.errors import EXIT_CODES
from tests.conftest import BASE_TIME, Clock, Repo

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
EXECUTED_PAGES = (
    "index.md",
    "getting-started.md",
    "commands.md",
    "tag-grammar.md",
    "configuration.md",
    "exit-codes.md",
    "metadata.md",
    "policies.md",
    "signing.md",
    "workflows/terminal.md",
    "workflows/sharing.md",
    "workflows/ci.md",
    "workflows/pull-requests.md",
)
# The sample model card is what `git model card REF` prints after PAGE's examples ran.
SAMPLE_CARD_PAGE, SAMPLE_CARD_REF = "metadata.md", "churn@1.0.1"
SAMPLE_CARD = "examples/churn-model-card.md"
START = BASE_TIME + 9 * 3600  # 09:00 on the fixture's day

_BLOCK_RE = re.compile(r"^```console[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_EXIT_RE = re.compile(r"<!--\s*exit:\s*(?P<code>\d+)\s*-->")
_OBJECT_ID_RE = re.compile(r"\b[0-9a-f]{7,40}\b")


@dataclass(frozen=True)
class Example:
    """One command of a page, with the exit code and output the page promises."""

    page: str
    line: int
    command: str
    exit_code: int
    output: str | None  # None: not shown, so not compared


def _block_examples(page: str, body: str, first_line: int, exit_code: int) -> list[Example]:
    found: list[Example] = []
    continuing = False  # the last line was a command, or a continuation of one
    for offset, line in enumerate(body.splitlines()):
        if line.startswith("$ "):
            found.append(Example(page, first_line + offset, line[2:], exit_code, None))
            continuing = True
        elif continuing and (line == ">" or line.startswith("> ")):
            last = found[-1]
            command = f"{last.command}\n{line[2:]}"
            found[-1] = Example(page, last.line, command, exit_code, None)
        elif not found:
            raise AssertionError(f"{page}:{first_line + offset}: output before any command")
        else:
            continuing = False
            last = found[-1]
            shown = line if last.output is None else f"{last.output}\n{line}"
            found[-1] = Example(page, last.line, last.command, exit_code, shown)
    return [
        Example(e.page, e.line, e.command, e.exit_code, (e.output or "").strip("\n") or None)
        for e in found
    ]


def examples(page: str, text: str | None = None) -> list[Example]:
    """Every command in the page's console blocks, in page order."""
    if text is None:
        text = (DOCS / page).read_text(encoding="utf-8")
    found: list[Example] = []
    for block in _BLOCK_RE.finditer(text):
        before = text[: block.start()].rstrip().splitlines()
        marker = _EXIT_RE.fullmatch(before[-1].strip()) if before else None
        exit_code = int(marker["code"]) if marker else 0
        first_line = text.count("\n", 0, block.start("body")) + 1
        found += _block_examples(page, block["body"], first_line, exit_code)
    return found


def normalize(text: str) -> str:
    """Output as compared: object ids replaced, blanks collapsed, no blank edges."""
    lines = [" ".join(_OBJECT_ID_RE.sub("<id>", line).split()) for line in text.splitlines()]
    return "\n".join(lines).strip("\n")


def matches(shown: str, actual: str) -> bool:
    """True when ``actual`` is what ``shown`` promises (``...`` matches anything)."""
    pattern = ".*?".join(re.escape(part) for part in normalize(shown).split("..."))
    return re.fullmatch(pattern, normalize(actual), re.DOTALL) is not None


def run(example: Example, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",  # stdout and stderr interleave as they do in a terminal
    )
    return subprocess.run(
        ["bash", "-c", example.command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=120,
    )


def run_page(page: str, repo: Repo, clock: Clock, *, compare: bool = True) -> None:
    """Run every example of ``page`` in ``repo``, checking exit codes (and outputs)."""
    found = examples(page)
    assert found, f"{page} has no console examples"
    clock.set(START)
    for example in found:
        clock.tick(60)
        proc = run(example, repo.path)
        where = f"{page}:{example.line}: $ {example.command}"
        printed = proc.stdout
        assert proc.returncode == example.exit_code, (
            f"{where}\nexited {proc.returncode}, the page says {example.exit_code}:\n{printed}"
        )
        if compare and example.output is not None:
            assert matches(example.output, printed), (
                f"{where}\nthe page shows:\n{example.output}\nthe command printed:\n{printed}"
            )


@pytest.mark.parametrize("page", EXECUTED_PAGES)
def test_the_examples_of_a_page_run_and_print_what_the_page_shows(
    page: str, repo: Repo, clock: Clock
) -> None:
    run_page(page, repo, clock)


def test_the_sample_model_card_is_what_card_prints_for_its_example(
    repo: Repo, clock: Clock
) -> None:
    run_page(SAMPLE_CARD_PAGE, repo, clock, compare=False)
    command = f"git model card {SAMPLE_CARD_REF}"
    proc = run(Example(SAMPLE_CARD_PAGE, 0, command, 0, None), repo.path)
    assert proc.returncode == 0, proc.stdout
    if os.environ.get("REGENERATE_SAMPLE_CARD"):  # after a change to the card's layout
        (DOCS / SAMPLE_CARD).write_text(proc.stdout, encoding="utf-8")
    sample = (DOCS / SAMPLE_CARD).read_text(encoding="utf-8")
    assert normalize(proc.stdout) == normalize(sample), (
        f"docs/{SAMPLE_CARD} is not what `{command}` prints after the examples of "
        f"{SAMPLE_CARD_PAGE}; regenerate it. The command printed:\n{proc.stdout}"
    )


def test_the_example_parser_reads_commands_outputs_and_exit_markers() -> None:
    page = (
        "Text.\n\n```console\n$ git model show\nModel  Latest\n$ true\n```\n\n"
        "<!-- exit: 5 -->\n```console\n$ git model show nope\n```\n\n"
        "```sh\n$ not run\n```\n\n"
        "```console\n$ cat > a.txt <<'EOF'\n> one\n>\n> EOF\n$ cat a.txt\none\n> two\n```\n"
    )
    assert examples("page.md", page) == [
        Example("page.md", 4, "git model show", 0, "Model  Latest"),
        Example("page.md", 6, "true", 0, None),
        Example("page.md", 11, "git model show nope", 5, None),
        Example("page.md", 19, "cat > a.txt <<'EOF'\none\n\nEOF", 0, None),
        Example("page.md", 23, "cat a.txt", 0, "one\n> two"),
    ]
    assert matches("Registered churn v0.1.0 at 3f2c1a9 ...", "Registered churn v0.1.0 at 0123abc x")
    assert matches("a\n...\nz", "a\nb\nc\nz")
    assert not matches("a\nz", "a\nb\nz")
    assert normalize("x   y  \n\n") == "x y"


# --- tables and lists that must match the code ----------------------------------------------


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of the first Markdown table in ``text``, as lists of cell texts."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    # The first line is the header, the second the |---| separator.
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[2:]]


def test_exit_codes_page_lists_exactly_the_codes_of_the_code() -> None:
    rows = _table_rows((DOCS / "exit-codes.md").read_text(encoding="utf-8"))
    documented = set()
    for row in rows:
        code, names = int(row[0].strip("`")), re.findall(r"`(\w+)`", row[1])
        assert names, f"exit-codes.md: row {row} names no error class"
        documented |= {(name, code) for name in names}
    actual = {(cls.__name__, code) for cls, code in EXIT_CODES.items()}
    assert documented == actual, (
        f"missing from the page: {sorted(actual - documented)}; "
        f"not in EXIT_CODES: {sorted(documented - actual)}"
    )


def _sections(text: str) -> dict[str, str]:
    """Level-2 sections of a page by heading text."""
    parts = re.split(r"^## +(.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _names(param: Any) -> list[str]:
    if param.param_type_name == "argument":
        return [param.name.upper()]
    return [*param.opts, *param.secondary_opts]


def test_commands_page_documents_every_command_argument_and_option() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    sections = _sections(text)
    group: Any = typer.main.get_command(app)
    for param in group.params:
        for name in _names(param):
            assert f"`{name}`" in text, f"commands.md does not mention the option {name}"
    for help_option in group.context_settings["help_option_names"]:
        assert f"`{help_option}`" in text, f"commands.md does not mention {help_option}"
    for name, command in group.commands.items():
        heading = f"`git model {name}`"
        assert heading in sections, f"commands.md has no section '## {heading}'"
        for param in command.params:
            for option in _names(param):
                assert option in sections[heading], (
                    f"commands.md, section {heading}, does not mention {option}"
                )
    documented = {h.removeprefix("`git model ").rstrip("`") for h in sections if "git model" in h}
    assert documented == set(group.commands), "commands.md documents a command the CLI lacks"


# --- the site ---------------------------------------------------------------------------------


def _nav_pages(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def test_every_page_is_in_the_navigation_and_every_entry_exists() -> None:
    from ruamel.yaml import YAML  # noqa: PLC0415

    config = YAML(typ="safe", pure=True).load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = _nav_pages(config["nav"])
    on_disk = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(in_nav) == on_disk
    assert set(EXECUTED_PAGES) <= set(on_disk)


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
