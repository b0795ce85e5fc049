"""The documentation is true: its examples run, its tables match the code, the site builds.

How the examples in docs/ are checked (write new examples the same way):

- Shell examples are fenced ``console`` blocks. A line that starts with ``$ `` is a command;
  the lines after it, up to the next command, are what it prints. A command that opens a
  here-document (``cat > train.py <<'EOF'``) goes on to the line that closes it (``EOF``),
  and its lines are shown as a reader pastes them: without the shell's ``> `` prompts.
- Every page in ``EXECUTED_PAGES`` runs from top to bottom as a reader types it into a
  fresh shell: each command runs with ``bash -c`` in the directory where the command before
  it ended (a ``cd`` stays in force, as in a terminal; shell variables do not carry over,
  and no page sets one), with this interpreter's ``bin`` directory first on PATH, an
  isolated HOME and a Git identity. A page in ``STARTS_EMPTY`` begins in an empty
  directory, as a new user does; every other page in a repository with one commit, which
  its first lines say. Git's ``init.defaultBranch`` is ``DEFAULT_BRANCH``, not ``main``:
  a page that names a branch creates it. The clock starts at 09:00 on the fixture's day
  and advances one minute before each command. What a page needs besides (a bare "server"
  repository, DVC storage, a teammate's clone) it creates beside the repository
  (``../server.git``), and it runs a command elsewhere in a subshell, which leaves the
  reader where they were: ``(cd ../teammate && git model show)``.
- Python examples are of two kinds. A ``pycon`` block is a session at the interpreter's
  ``>>>`` prompt (a notebook's cell): every ``pycon`` block of a page runs in one
  interpreter, in the shell's current directory, in page order with the commands, and
  prints what it shows (compared as a command's output is). A ``python`` block under an
  HTML comment ``<!-- file: NAME -->`` is a file the page tells the reader to save: it is
  written to NAME in the shell's current directory, and a command then runs it. A
  ``python`` block without that comment is not run.
- A command must exit 0, unless the block is marked: an HTML comment ``<!-- exit: N -->``
  on the last non-blank line before the block means every command in it must exit N.
- Where a page shows output, the command must print exactly that (stdout and stderr in
  one stream, in the order a terminal shows them), compared after collapsing runs of
  blanks and replacing hexadecimal object ids (7 to 40 hex digits) by a placeholder.
  ``...`` in shown output matches any text, including several lines. A command shown
  without output is run, but its output is not compared.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
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
    "workflows/hooks.md",
    "workflows/ci.md",
    "workflows/pull-requests.md",
    "workflows/adopting.md",
    "python-api.md",
)
# The pages a new user types first: they begin in an empty directory, with `git init`.
STARTS_EMPTY = frozenset({"getting-started.md"})
PYTHON_API_PAGE = "python-api.md"
# Not `main`, nor `master`: a page must not depend on what Git calls a new branch.
DEFAULT_BRANCH = "trunk"
# The sample model card is what `git model card REF` prints after PAGE's examples ran.
SAMPLE_CARD_PAGE, SAMPLE_CARD_REF = "metadata.md", "churn@1.0.1"
SAMPLE_CARD = "examples/churn-model-card.md"
START = BASE_TIME + 9 * 3600  # 09:00 on the fixture's day

_BLOCK_RE = re.compile(
    r"^```(?P<language>console|pycon|python)[ \t]*\n(?P<body>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_EXIT_RE = re.compile(r"<!--\s*exit:\s*(?P<code>\d+)\s*-->")
_FILE_RE = re.compile(r"<!--\s*file:\s*(?P<name>[\w.-]+)\s*-->")
_OBJECT_ID_RE = re.compile(r"\b[0-9a-f]{7,40}\b")


@dataclass(frozen=True)
class Example:
    """One command of a page, with the exit code and output the page promises."""

    page: str
    line: int
    command: str
    exit_code: int
    output: str | None  # None: not shown, so not compared


@dataclass(frozen=True)
class PythonSession:
    """A ``pycon`` block: statements at ``>>>``, each followed by what it prints."""

    page: str
    line: int
    text: str


@dataclass(frozen=True)
class SavedFile:
    """A ``python`` block the page tells the reader to save as ``name``."""

    page: str
    line: int
    name: str
    text: str


Step = Example | PythonSession | SavedFile


# `<<WORD`, `<<'WORD'`, `<<"WORD"`, `<<-WORD` (not the here-string `<<<`)
_HEREDOC_RE = re.compile(r"(?<!<)<<(?P<dash>-?)[ \t]*(?P<quote>['\"]?)(?P<word>\w+)(?P=quote)")


def _here_documents(page: str, line: int, command: str, rest: list[str]) -> int:
    """How many of the ``rest`` lines the here-documents ``command`` opens take, up to and
    including the line that closes the last one."""
    taken = 0
    for opened in _HEREDOC_RE.finditer(command):
        word, dash = opened["word"], opened["dash"]
        for text in rest[taken:]:
            taken += 1
            if (text.lstrip("\t") if dash else text) == word:
                break
        else:
            prompted = bool(rest) and rest[0].startswith(">")
            how = "; show it as a reader pastes it, without '> ' prompts" if prompted else ""
            raise AssertionError(f"{page}:{line}: the here-document {word} is never closed{how}")
    return taken


def _block_examples(page: str, body: str, first_line: int, exit_code: int) -> list[Example]:
    found: list[Example] = []
    lines = body.splitlines()
    offset = 0
    while offset < len(lines):
        line = lines[offset]
        number = first_line + offset
        if line.startswith("$ "):
            taken = _here_documents(page, number, line[2:], lines[offset + 1 :])
            command = "\n".join([line[2:], *lines[offset + 1 : offset + 1 + taken]])
            found.append(Example(page, number, command, exit_code, None))
            offset += taken
        elif not found:
            raise AssertionError(f"{page}:{number}: output before any command")
        else:
            last = found[-1]
            shown = line if last.output is None else f"{last.output}\n{line}"
            found[-1] = Example(page, last.line, last.command, exit_code, shown)
        offset += 1
    return [
        Example(e.page, e.line, e.command, e.exit_code, (e.output or "").strip("\n") or None)
        for e in found
    ]


def steps(page: str, text: str | None = None) -> list[Step]:
    """Every command, Python session and file to save of the page, in page order."""
    if text is None:
        text = (DOCS / page).read_text(encoding="utf-8")
    found: list[Step] = []
    for block in _BLOCK_RE.finditer(text):
        before = text[: block.start()].rstrip().splitlines()
        marker = before[-1].strip() if before else ""
        first_line = text.count("\n", 0, block.start("body")) + 1
        language, body = block["language"], block["body"]
        if language == "console":
            code = _EXIT_RE.fullmatch(marker)
            found += _block_examples(page, body, first_line, int(code["code"]) if code else 0)
        elif language == "pycon":
            found.append(PythonSession(page, first_line, body))
        elif saved := _FILE_RE.fullmatch(marker):
            found.append(SavedFile(page, first_line, saved["name"], body))
    return found


def examples(page: str, text: str | None = None) -> list[Example]:
    """Every command in the page's console blocks, in page order."""
    return [step for step in steps(page, text) if isinstance(step, Example)]


def normalize(text: str) -> str:
    """Output as compared: object ids replaced, blanks collapsed, no blank edges."""
    lines = [" ".join(_OBJECT_ID_RE.sub("<id>", line).split()) for line in text.splitlines()]
    return "\n".join(lines).strip("\n")


def matches(shown: str, actual: str) -> bool:
    """True when ``actual`` is what ``shown`` promises (``...`` matches anything)."""
    pattern = ".*?".join(re.escape(part) for part in normalize(shown).split("..."))
    return re.fullmatch(pattern, normalize(actual), re.DOTALL) is not None


class Shell:
    """A reader's terminal: each command starts in the directory the one before ended in."""

    def __init__(self, cwd: Path, state: Path) -> None:
        self.cwd = cwd
        self._state = state  # where each command leaves its last working directory

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}}
        env.update(
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONUNBUFFERED="1",  # stdout and stderr interleave as they do in a terminal
        )
        keep_cwd = shlex.quote(f"pwd > {shlex.quote(str(self._state))}")
        proc = subprocess.run(
            ["bash", "-c", f"trap {keep_cwd} EXIT\n{command}"],
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=120,
        )
        self.cwd = Path(self._state.read_text().strip())
        return proc


@pytest.fixture
def shell(tmp_path: Path, clock: Clock) -> Callable[[str], Shell]:
    """A fresh shell for a page: in an empty directory or in a repository with one commit,
    as the page says, with a default branch that is not `main`."""
    subprocess.run(["git", "config", "--global", "init.defaultBranch", DEFAULT_BRANCH], check=True)

    def start(page: str) -> Shell:
        if page in STARTS_EMPTY:
            cwd = tmp_path / "work"
            cwd.mkdir()
        else:
            cwd = tmp_path / "repo"
            cwd.mkdir()
            repo = Repo(cwd)
            repo.git("init", "-q")
            repo.commit("initial")
        return Shell(cwd, tmp_path / ".shell-cwd")

    return start


class _Shown(doctest.OutputChecker):
    """A session's output is compared as a command's is (object ids, blanks, ``...``)."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return matches(want, got)


def _run_session(session: PythonSession, cwd: Path, names: dict[str, Any]) -> None:
    """Run a ``pycon`` block in ``cwd``, in the page's interpreter (its ``names``)."""
    test = doctest.DocTestParser().get_doctest(
        session.text, names, f"{session.page}:{session.line}", session.page, session.line - 1
    )
    report: list[str] = []
    runner = doctest.DocTestRunner(checker=_Shown(), optionflags=doctest.REPORT_ONLY_FIRST_FAILURE)
    with contextlib.chdir(cwd):
        runner.run(test, out=report.append, clear_globs=False)
    names.update(test.globs)
    if runner.failures:
        pytest.fail(f"{session.page}:{session.line} (in {cwd.name}):\n{''.join(report)}")


def run_page(page: str, shell: Shell, clock: Clock, *, compare: bool = True) -> None:
    """Run every example of ``page`` in ``shell``, checking exit codes (and outputs)."""
    found = steps(page)
    assert any(isinstance(step, Example) for step in found), f"{page} has no console examples"
    clock.set(START)
    names: dict[str, Any] = {"__name__": "__main__"}  # the page's Python interpreter
    for step in found:
        if isinstance(step, SavedFile):
            (shell.cwd / step.name).write_text(step.text, encoding="utf-8")
            continue
        clock.tick(60)
        if isinstance(step, PythonSession):
            _run_session(step, shell.cwd, names)
            continue
        where = f"{page}:{step.line} (in {shell.cwd.name}): $ {step.command}"
        proc = shell.run(step.command)
        printed = proc.stdout
        if proc.returncode != step.exit_code:
            pytest.fail(
                f"{where}\nexited {proc.returncode}, the page says {step.exit_code}:\n{printed}"
            )
        if compare and step.output is not None and not matches(step.output, printed):
            pytest.fail(f"{where}\nthe page shows:\n{step.output}\nthe command printed:\n{printed}")


@pytest.mark.parametrize("page", EXECUTED_PAGES)
def test_the_examples_of_a_page_run_and_print_what_the_page_shows(
    page: str, shell: Callable[[str], Shell], clock: Clock
) -> None:
    run_page(page, shell(page), clock)


def test_the_sample_model_card_is_what_card_prints_for_its_example(
    shell: Callable[[str], Shell], clock: Clock
) -> None:
    reader = shell(SAMPLE_CARD_PAGE)
    run_page(SAMPLE_CARD_PAGE, reader, clock, compare=False)
    command = f"git model card {SAMPLE_CARD_REF}"
    proc = reader.run(command)
    assert proc.returncode == 0, proc.stdout
    if os.environ.get("REGENERATE_SAMPLE_CARD"):  # after a change to the card's layout
        (DOCS / SAMPLE_CARD).write_text(proc.stdout, encoding="utf-8")
    sample = (DOCS / SAMPLE_CARD).read_text(encoding="utf-8")
    assert normalize(proc.stdout) == normalize(sample), (
        f"docs/{SAMPLE_CARD} is not what `{command}` prints after the examples of "
        f"{SAMPLE_CARD_PAGE}; regenerate it. The command printed:\n{proc.stdout}"
    )


def test_a_page_runs_in_one_shell_where_a_cd_stays_in_force(
    shell: Callable[[str], Shell], clock: Clock, tmp_path: Path
) -> None:
    reader = shell("page.md")  # a page that starts in a repository
    assert reader.run("cd .. && mkdir elsewhere").returncode == 0
    assert reader.cwd == tmp_path
    assert reader.run("(cd repo && git init -q ../new) && cd elsewhere; exit 3").returncode == 3
    assert reader.cwd == tmp_path / "elsewhere"  # where the command ended, even on exit
    branch = reader.run("git -C ../new symbolic-ref --short HEAD").stdout
    assert branch == f"{DEFAULT_BRANCH}\n"


def test_the_race_hook_of_the_sharing_page_runs_once_even_in_the_teammates_clone(
    tmp_path: Path, clock: Clock
) -> None:
    """The sharing page's pre-push hook runs the teammate's promotion, which pushes. Typed
    in the teammate's clone by mistake, the hook is run by the push it makes: it must run
    once, not call itself until the machine gives out."""
    page = examples("workflows/sharing.md")
    hook = [
        e for e in page if "> .git/hooks/pre-push" in e.command or "+x .git/hooks/" in e.command
    ]
    assert hook, "the sharing page no longer writes a pre-push hook: change this test"
    teammate = Repo(tmp_path / "teammate")
    teammate.path.mkdir()
    teammate.git("init", "-q")
    teammate.commit("initial")
    teammate.git("clone", "-q", "--bare", ".", "../server.git")
    teammate.git("remote", "add", "origin", "../server.git")
    assert teammate.run("register", "churn", "--push").returncode == 0
    wrong = Shell(teammate.path, tmp_path / ".shell-cwd")
    for example in hook:
        assert wrong.run(example.command).returncode == 0

    push = subprocess.Popen(  # a process group: whatever the hook starts can be stopped
        [str(BIN / "git-model"), "promote", "churn@0.1.0", "--to", "dev", "--push"],
        cwd=teammate.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        push.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(push.pid, signal.SIGKILL)
        push.communicate()
        pytest.fail("the hook ran itself again and again: it must remove itself first")
    assert not (teammate.path / ".git" / "hooks" / "pre-push").exists()
    log = teammate.git("tag", "-l", "-n1", "churn#prod#*")
    assert log.count("rollback: v0.2.0 times out") == 1, log


def test_the_example_parser_reads_commands_outputs_and_exit_markers() -> None:
    page = (
        "Text.\n\n```console\n$ git model show\nModel  Latest\n$ true\n```\n\n"
        "<!-- exit: 5 -->\n```console\n$ git model show nope\n```\n\n"
        "```sh\n$ not run\n```\n\n"
        "```console\n$ cat > a.txt <<'EOF'\n$ one\n\nEOF\n$ cat a.txt\none\n\n> two\n"
        "$ cat <<-END && cat <<<here\n\tx\n\tEND\n```\n"
    )
    assert examples("page.md", page) == [
        Example("page.md", 4, "git model show", 0, "Model  Latest"),
        Example("page.md", 6, "true", 0, None),
        Example("page.md", 11, "git model show nope", 5, None),
        Example("page.md", 19, "cat > a.txt <<'EOF'\n$ one\n\nEOF", 0, None),
        Example("page.md", 23, "cat a.txt", 0, "one\n\n> two"),
        Example("page.md", 27, "cat <<-END && cat <<<here\n\tx\n\tEND", 0, None),
    ]
    assert matches("Registered churn v0.1.0 at 3f2c1a9 ...", "Registered churn v0.1.0 at 0123abc x")
    assert matches("a\n...\nz", "a\nb\nc\nz")
    assert not matches("a\nz", "a\nb\nz")
    assert normalize("x   y  \n\n") == "x y"


def test_the_parser_reads_python_sessions_and_files_to_save_in_page_order() -> None:
    page = (
        "```pycon\n>>> 1 + 1\n2\n```\n\n"
        "<!-- file: gate.py -->\n```python\nprint('gate')\n```\n\n"
        "```python\nnot_run()\n```\n\n"
        "```console\n$ python3 gate.py\ngate\n```\n"
    )
    assert steps("page.md", page) == [
        PythonSession("page.md", 2, ">>> 1 + 1\n2\n"),
        SavedFile("page.md", 8, "gate.py", "print('gate')\n"),
        Example("page.md", 16, "python3 gate.py", 0, "gate"),
    ]


def test_a_python_session_runs_in_the_shells_directory_and_keeps_its_names(
    shell: Callable[[str], Shell], clock: Clock
) -> None:
    reader = shell("page.md")
    names: dict[str, Any] = {}
    first = PythonSession("page.md", 1, ">>> from pathlib import Path\n>>> here = Path.cwd()\n")
    _run_session(first, reader.cwd, names)
    assert names["here"] == reader.cwd
    shown = ">>> here.name\n'repo'\n>>> 'abc1234 and more'\n'0123abc ...'\n"
    _run_session(PythonSession("page.md", 5, shown), reader.cwd, names)
    with pytest.raises(pytest.fail.Exception, match=r"Expected:\n    'elsewhere'"):
        _run_session(PythonSession("page.md", 9, ">>> here.name\n'elsewhere'\n"), reader.cwd, names)


def test_a_here_document_shown_with_prompts_is_refused() -> None:
    """A reader who pastes ``> one`` writes "> one" into the file: the page must not show it."""
    page = "```console\n$ cat > a.txt <<'EOF'\n> one\n> EOF\n$ cat a.txt\n```\n"
    with pytest.raises(
        AssertionError, match=r"page.md:2: the here-document EOF is never closed; .* without '> '"
    ):
        examples("page.md", page)


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
    commands = {}
    for name, command in group.commands.items():  # a group's commands: `hooks install`
        inner = getattr(command, "commands", None)
        commands |= {f"{name} {sub}": c for sub, c in inner.items()} if inner else {name: command}
    for name, command in commands.items():
        heading = f"`git model {name}`"
        assert heading in sections, f"commands.md has no section '## {heading}'"
        for param in command.params:
            for option in _names(param):
                assert option in sections[heading], (
                    f"commands.md, section {heading}, does not mention {option}"
                )
    documented = {h.removeprefix("`git model ").rstrip("`") for h in sections if "git model" in h}
    assert documented == set(commands), "commands.md documents a command the CLI lacks"


def _python_of(page: str) -> list[tuple[int, str]]:
    """The Python a page runs (its sessions' statements, the files it saves), by line."""
    found: list[tuple[int, str]] = []
    for step in steps(page):
        if isinstance(step, SavedFile):
            found.append((step.line, step.text))
        elif isinstance(step, PythonSession):
            parsed = doctest.DocTestParser().get_examples(step.text)
            found += [(step.line + e.lineno, e.source) for e in parsed]
    return found


def test_the_python_api_page_uses_only_the_public_surface() -> None:
    """What the page shows a program importing is ``git_model.api``'s ``__all__`` and the
    errors: nothing of the machinery behind them, which may change without notice."""
    from git_model import api  # noqa: PLC0415

    public = {"git_model", "git_model.api", "git_model.errors"}
    found = _python_of(PYTHON_API_PAGE)
    assert found, f"{PYTHON_API_PAGE} runs no Python"
    for line, source in found:
        for node in ast.walk(ast.parse(source)):
            where = f"{PYTHON_API_PAGE}:{line}: {ast.unparse(node)}"
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names if a.name.startswith("git_model")]
                assert set(modules) <= public, f"{where}: not part of the documented surface"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("git_model"):
                assert node.module in public, f"{where}: not part of the documented surface"
                if node.module == "git_model":
                    assert [a.name for a in node.names] == ["api"], where
                elif node.module == "git_model.api":
                    assert all(a.name in api.__all__ for a in node.names), where
            elif isinstance(node, ast.Attribute) and ast.unparse(node.value) == "api":
                assert node.attr in api.__all__, f"{where}: not in git_model.api.__all__"


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
