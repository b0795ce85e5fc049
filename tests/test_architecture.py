"""The shape the code must keep: layers, one Git module, lazy heavy imports, and a constant
number of Git processes per command whatever the registry's size."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import subprocess
import sys
import typing
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.helpers import git_calls, ok

SRC = Path(__file__).parent.parent / "src" / "git_model"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> dict[str, set[str]]:
    return {str(p.relative_to(SRC)): _imports(p) for p in SRC.rglob("*.py")}


def test_only_the_git_module_runs_processes_and_nothing_imports_gitpython_or_gto() -> None:
    for module, imports in _modules().items():
        roots = {name.split(".")[0] for name in imports}
        assert not roots & {"git", "gto", "scmrepo", "dulwich"}, module
        if module != "artifacts.py":
            assert "dvc" not in roots, f"{module} imports DVC; only artifacts.py may"
        if module != "gitcmd.py":
            assert "subprocess" not in roots, f"{module} runs processes; only gitcmd.py may"


def test_dvc_is_imported_only_inside_the_functions_that_move_data() -> None:
    tree = ast.parse((SRC / "artifacts.py").read_text())
    for node in tree.body:  # module level: only `if TYPE_CHECKING:` may name DVC
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            assert not any(str(n).startswith("dvc") for n in names), ast.unparse(node)


def test_the_core_never_imports_the_cli_layer_or_prints() -> None:
    for module, imports in _modules().items():
        if module.startswith("cli/") or module == "__main__.py":  # the entry points
            continue
        roots = {name.split(".")[0] for name in imports}
        assert not roots & {"typer", "rich", "click"}, module
        assert "git_model.cli" not in imports, module
        tree = ast.parse((SRC / module).read_text())
        calls = [
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        ]
        assert "print" not in calls, module


def _imported_modules(repo: Repo, *args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "git_model", *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "git_model.cli" in names  # the measurement itself works
    return names


@pytest.mark.parametrize(
    "args", [["--help"], ["show"], ["show", "churn"], ["history"], ["report", "--help"]]
)
def test_reading_commands_do_not_import_dvc_gto_gitpython_or_jinja2(
    repo: Repo, args: list[str]
) -> None:
    ok(repo, "register", "churn")
    (repo.path / "git-model.yaml").write_text("stages: [dev, prod]\n")
    names = _imported_modules(repo, *args)
    roots = {name.split(".")[0] for name in names}
    assert not roots & {"dvc", "gto", "git", "scmrepo", "dulwich"}
    # The report's templates and Markdown are loaded by `report` alone.
    assert not roots & {"jinja2", "markupsafe", "markdown_it"}


def test_the_report_loads_jinja2_and_still_not_dvc(repo: Repo) -> None:
    ok(repo, "register", "churn")
    roots = {name.split(".")[0] for name in _imported_modules(repo, "report")}
    assert "jinja2" in roots  # the measurement sees it when it is loaded
    assert not roots & {"dvc", "gto", "git"}


def test_help_does_not_even_import_yaml(repo: Repo) -> None:
    (repo.path / "git-model.yaml").write_text("stages: [dev, prod]\n")
    assert not any(n.startswith("ruamel") for n in _imported_modules(repo, "--help"))


# --- Git processes per command ------------------------------------------------------------


def _bulk_tags(repo: Repo, count: int) -> None:
    """Add ``count`` registry tags of other models (and old versions) with fast-import."""
    head = repo.git("rev-parse", "HEAD")
    stream = []
    for i in range(count):
        model = f"bulk-{i % 50}"
        name = f"{model}@v{i // 50}.0.0" if i % 3 else f"{model}#dev#{i}"
        message = f"bulk tag {i}\n"
        stream.append(
            f"tag {name}\nfrom {head}\ntagger Bulk <bulk@example.com> {1767225600 + i} +0000\n"
            f"data {len(message)}\n{message}"
        )
    repo.git("fast-import", "--quiet", input="".join(stream) + "done\n")


COMMANDS = [
    ("show",),
    ("show", "churn"),
    ("history", "churn"),
    ("history",),
    ("describe", "churn#dev"),
    ("promote", "churn@latest", "--to", "prod"),
    ("demote", "churn#prod"),
    ("archive", "churn@0.1.0", "--demote"),
]


def test_git_processes_per_command_do_not_grow_with_the_registry(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def measure() -> list[Counter[str]]:
        ok(repo, "register", "churn", "--version", "0.1.0")
        repo.commit("second")
        ok(repo, "register", "churn", "--version", "0.2.0")
        ok(repo, "promote", "churn@0.1.0", "--to", "dev")
        repo.commit("third")
        counts = [git_calls(repo, monkeypatch, "register", "churn")]
        counts += [git_calls(repo, monkeypatch, *args) for args in COMMANDS]
        for ref in repo.git("tag", "-l", "churn*").splitlines():
            repo.git("tag", "-d", ref)
        return counts

    small = measure()
    _bulk_tags(repo, 600)
    large = measure()
    assert small == large
    reads = dict(zip(COMMANDS, small[1:], strict=True))
    # Reading one model is one for-each-ref of its tags, whatever the number of tags.
    for args in (("show", "churn"), ("history", "churn"), ("describe", "churn#dev")):
        assert reads[args]["for-each-ref"] == 1, args
    # Reading every model lists the tags' names, then reads in full what the cache lacks.
    for args in (("show",), ("history",)):
        assert reads[args]["for-each-ref"] <= 2, args
    # A write reads the clone's configuration once (whether to sign, the policy branch).
    assert max(sum(c.values()) for c in small) <= 11
    assert all(c["config"] <= 1 for c in small)


def test_reading_every_model_from_a_warm_cache_is_one_listing(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(repo, "register", "churn")
    _bulk_tags(repo, 300)
    cold = ok(repo, "show", "--json")
    assert git_calls(repo, monkeypatch, "show") == Counter({"rev-parse": 1, "for-each-ref": 1})
    assert ok(repo, "show", "--json") == cold


# --- the Python API's surface -----------------------------------------------------------------


def _types_in(hint: object, found: dict[str, type]) -> None:
    """Every git_model class a type hint names, and, for a dataclass, its fields' hints."""
    for arg in typing.get_args(hint):
        _types_in(arg, found)
    if not isinstance(hint, type) or not hint.__module__.startswith("git_model."):
        return
    if found.setdefault(hint.__name__, hint) is not hint:
        raise AssertionError(f"two types named {hint.__name__}: {found[hint.__name__]}, {hint}")
    if dataclasses.is_dataclass(hint):
        for field_hint in typing.get_type_hints(hint).values():
            if not (isinstance(field_hint, type) and field_hint.__name__ in found):
                _types_in(field_hint, found)


def test_the_api_exports_its_functions_and_the_types_they_use_and_nothing_else() -> None:
    """``from git_model.api import *`` is the documented surface (docs/python-api.md): each
    public function (its own, and those of git_model.commands it exposes), and each type a
    program meets through one (a result, a value in a result, an option), so that it can
    be named in an annotation. Nothing of the machinery behind them (Git, plans, readers)
    is in it."""
    from git_model import api  # noqa: PLC0415

    functions = {
        name: obj
        for name, obj in vars(api).items()
        if inspect.isfunction(obj)
        and (obj.__module__ == api.__name__ or obj.__module__.startswith("git_model.commands."))
        and name[0] != "_"
    }
    types: dict[str, type] = {}
    for function in functions.values():
        for hint in typing.get_type_hints(function).values():
            _types_in(hint, types)
    assert sorted(api.__all__) == sorted({*functions, *types}), (
        f"missing: {sorted({*functions, *types} - set(api.__all__))}; "
        f"not part of the surface: {sorted(set(api.__all__) - {*functions, *types})}"
    )
    assert len(api.__all__) == len(set(api.__all__))
    exported: dict[str, object] = {}
    exec("from git_model.api import *", exported)  # noqa: S102  (a literal statement)
    assert sorted(n for n in exported if n != "__builtins__") == sorted(api.__all__)
