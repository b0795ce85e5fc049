"""The command line feels like Git's: the parser's refusals are one line that says what was
meant, so are mistyped models, stages and references; errors are JSON with --json; writes
are silent with -q; NO_COLOR is honoured; help has examples and real placeholders and is
never cut; shells complete models, versions and stages; `ls` and `help`; and what `show`
leaves out or cannot sort by is said."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import typer

from git_model import api
from git_model.cli import app
from git_model.cli.completion import SCRIPTS, Shell
from tests.conftest import BASE_TIME, Clock, Repo
from tests.helpers import data, git_calls, ok, stages
from tests.remotes import save_model

# --- what was meant ---------------------------------------------------------------------

PARSER = [
    (
        ["promte", "churn@0.1.0"],
        "'promte' is not a git-model command",
        "did you mean `promote`? (`git model -h` lists the commands)",
    ),
    (
        ["show", "--al"],
        "`git model show` has no option '--al'",
        "did you mean `--all`? (`git model show -h` lists its options)",
    ),
    (["--bogus"], "`git model` has no option '--bogus'", "`git model -h` lists its options"),
    (
        ["describe", "churn", "--repo", "origin"],
        "`git model describe` has no option '--repo'",
        "`git model describe -h` lists its options",
    ),
    (
        ["promote", "churn", "--no-sgn"],
        "`git model promote` has no option '--no-sgn'",
        "did you mean `--no-sign`?",
    ),
    (["register"], "missing argument 'NAME'", "usage: git model register [OPTIONS] NAME"),
    (
        ["register", "churn", "--bump", "huge"],
        "invalid value for '--bump': 'huge' is not one of 'major', 'minor', 'patch', 'auto'",
        "usage: git model register [OPTIONS] NAME",
    ),
    (
        ["promote", "churn@0.1.0", "--to"],
        "option '--to' requires an argument",
        "usage: git model promote [OPTIONS] NAME@VERSION|NAME#STAGE",
    ),
]


@pytest.mark.parametrize(("args", "what", "fix"), PARSER, ids=[" ".join(p[0]) for p in PARSER])
def test_the_parser_refuses_in_one_line_that_says_what_was_meant(
    repo: Repo, args: list[str], what: str, fix: str
) -> None:
    result = repo.cli(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    [line] = result.stderr.splitlines()
    assert line.startswith(f"git-model: error: {what}; {fix}")


def test_mistyped_models_stages_and_references_say_what_was_meant(repo: Repo) -> None:
    ok(repo, "register", "iris")
    cases = [
        (["show", "irsi"], 5, "did you mean `iris`?"),
        (["show", "Iris"], 5, "did you mean `iris`?"),
        (["promote", "irsi@0.1.0", "--to", "prod"], 5, "did you mean `iris`?"),
        (["promote", "iris@0.1.0", "--to", "production"], 4, "did you mean `prod`?"),
        (["demote", "iris#stagin"], 4, "did you mean `staging`?"),
        (["describe", "iris:0.1.0"], 4, "did you mean `iris@0.1.0`?"),
        (["describe", "iris/v0.1.0"], 4, "did you mean `iris@v0.1.0`?"),
        (["describe", "iris/prod"], 5, "did you mean `iris#prod`?"),
        (["archive", "iris:latest"], 5, "did you mean `iris@latest`?"),
    ]
    before = repo.refs()
    for args, code, meant in cases:
        result = repo.cli(*args)
        assert result.exit_code == code, (args, result.stderr)
        assert meant in result.stderr, (args, result.stderr)
        assert "git model register" not in result.stderr  # no model iris/prod to create
    assert repo.refs() == before
    nothing_close = repo.cli("show", "ghost").stderr
    assert "did you mean" not in nothing_close
    assert "`git model register ghost` to create it" in nothing_close


def test_a_model_with_a_namespace_is_not_taken_for_a_reference(repo: Repo) -> None:
    ok(repo, "register", "fraud")
    repo.commit("the transactions model")
    ok(repo, "register", "fraud/tx")
    assert data(repo, "show", "fraud/tx")["name"] == "fraud/tx"
    assert "did you mean `fraud/tx`?" in repo.cli("show", "fraud/rx").stderr  # no stage 'rx'
    assert "did you mean `fraud#prod`?" in repo.cli("show", "fraud/prod").stderr


def test_saying_what_was_meant_costs_one_listing_of_the_tags_names(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(repo, "register", "iris")
    calls = git_calls(repo, monkeypatch, "show", "irsi", exit_code=5)
    assert calls == Counter({"rev-parse": 1, "for-each-ref": 2})


def test_with_json_an_error_is_one_json_object_on_standard_error(repo: Repo) -> None:
    ok(repo, "register", "iris")
    result = repo.cli("show", "irsi", "--json")
    assert (result.exit_code, result.stdout) == (5, "")
    [line] = result.stderr.splitlines()
    assert json.loads(line) == {
        "error": "no model named 'irsi' is registered",
        "fix": "did you mean `iris`? (`git model show` lists the models)",
        "exit_code": 5,
        "type": "ModelNotFound",
        "model": "irsi",
        "source": None,
        "suggestion": "iris",
    }
    refused = repo.cli("show", "--al", "--json")
    assert refused.exit_code == 2
    parsed = json.loads(refused.stderr)
    assert (parsed["type"], parsed["exit_code"], parsed["suggestion"]) == ("UsageError", 2, "--all")
    stage = json.loads(repo.cli("promote", "iris", "--to", "qa", "--json").stderr)
    assert (stage["stage"], stage["stages"], stage["exit_code"]) == (
        "qa",
        ["dev", "staging", "prod"],
        4,
    )


def test_the_policy_commands_say_what_was_meant(repo: Repo) -> None:
    ok(repo, "register", "iris")
    repo.commit("iris 0.2.0")
    ok(repo, "register", "iris")
    ok(repo, "register", "churn")
    ok(repo, "promote", "iris@0.1.0", "--to", "prod")
    ok(repo, "promote", "iris@0.2.0", "--to", "prod")
    cases = [
        (["check", "iris@0.2.0", "--to", "production"], 4, "did you mean `prod`?"),
        (["check", "irsi@0.2.0", "--to", "prod"], 5, "did you mean `iris`?"),
        (["rollback", "iris#prd"], 4, "did you mean `prod`?"),
        (["rollback", "Iris#prod"], 5, "did you mean `iris`?"),
        (["promote", "iris@0.2.0", "churn@0.1.0", "--to", "stagin"], 4, "did you mean `staging`?"),
        (["promote", "iris@0.2.0", "chrun@0.1.0", "--to", "dev"], 5, "did you mean `churn`?"),
        (["archive", "irsi@0.1.0", "--demote"], 5, "did you mean `iris`?"),
        (["history", "irsi#prod"], 5, "did you mean `iris`?"),
        (["describe", "iris/prod", "--at", "1h"], 5, "did you mean `iris#prod`?"),
        (["describe", "iris#production"], 5, "did you mean `iris#prod`?"),
        (["verify", "iris#Prod"], 5, "did you mean `iris#prod`?"),
        (["verify", "irsi@0.1.0"], 5, "did you mean `iris`?"),
    ]
    before = repo.refs()
    for args, code, meant in cases:
        result = repo.cli(*args)
        assert (result.exit_code, result.stdout) == (code, ""), (args, result.stderr)
        assert meant in result.stderr, (args, result.stderr)
    assert repo.refs() == before


def test_a_registry_read_with_repo_says_what_was_meant_and_how_to_list_it(
    repo: Repo, tmp_path: Path
) -> None:
    ok(repo, "register", "iris")
    ok(repo, "promote", "iris@0.1.0", "--to", "prod")
    server = tmp_path / "server.git"
    repo.git("init", "-q", "--bare", str(server))
    repo.git("push", "-q", str(server), "--tags")
    model = repo.cli("show", "irsi", "--repo", str(server))
    assert model.exit_code == 5
    assert f"did you mean `iris`? (`git model show --repo {server}` lists the models)" in (
        model.stderr
    )
    stage = repo.cli("get", "iris#production", "--repo", str(server))
    assert stage.exit_code == 5
    assert "did you mean `iris#prod`?" in stage.stderr


def test_a_model_read_before_it_existed_is_not_offered_as_what_was_meant(
    repo: Repo, clock: Clock
) -> None:
    clock.set(BASE_TIME + 3600)
    ok(repo, "register", "iris")
    refused = repo.cli("show", "iris", "--at", "2026-01-01T00:30")
    assert refused.exit_code == 5
    assert "did you mean" not in refused.stderr


def test_the_policy_commands_refuse_in_json_with_json(repo: Repo) -> None:
    repo.commit("policy", files={"git-model.yaml": "gates:\n  prod:\n    after: staging\n"})
    ok(repo, "register", "iris")
    gated = repo.cli("promote", "iris@0.1.0", "--to", "prod", "--json")
    assert (gated.exit_code, gated.stdout) == (15, "")
    refused = json.loads(gated.stderr)
    assert (refused["type"], refused["exit_code"], refused["stage"]) == ("GatesFailed", 15, "prod")
    assert refused["fix"].startswith("run `git model check iris@0.1.0 --to prod`")
    nobody = json.loads(repo.cli("rollback", "iris#dev", "--json").stderr)
    assert (nobody["type"], nobody["exit_code"], nobody["model"], nobody["stage"]) == (
        "NotAFormerHolder",
        5,
        "iris",
        "dev",
    )
    ok(repo, "promote", "iris@0.1.0", "--to", "dev")
    holds = json.loads(repo.cli("archive", "iris@0.1.0", "--json").stderr)
    assert (holds["type"], holds["exit_code"], holds["stages"]) == ("HoldsStages", 6, ["dev"])


# --- quiet, colours -----------------------------------------------------------------------


def test_quiet_writes_print_nothing(repo: Repo) -> None:
    writes = [
        ("register", "churn"),
        ("promote", "churn@0.1.0", "--to", "dev"),
        ("annotate", "churn@0.1.0", "uat=passed"),
        ("demote", "churn#dev"),
        ("archive", "churn@0.1.0"),
        ("deprecate", "churn"),
    ]
    for args in writes:
        assert ok(repo, *args, "-q") == "", args
    assert json.loads(ok(repo, "register", "other", "--quiet", "--json"))["model"] == "other"


def test_quiet_policy_writes_print_nothing(repo: Repo) -> None:
    repo.commit("policy", files={"git-model.yaml": "gates:\n  prod:\n    after: staging\n"})
    ok(repo, "register", "iris")
    ok(repo, "register", "churn")
    repo.commit("iris 0.2.0")
    ok(repo, "register", "iris")
    writes = [
        ("promote", "iris@0.1.0", "churn@0.1.0", "--to", "dev"),
        ("promote", "iris@0.1.0", "--to", "prod", "--force", "--reason", "first release"),
        ("promote", "iris@0.2.0", "--to", "prod", "--force", "--reason", "retrained"),
        ("rollback", "iris#prod", "-m", "worse in production"),
        ("archive", "iris@0.2.0", "--demote"),
    ]
    for args in writes:
        result = repo.cli(*args, "-q")
        assert (result.exit_code, result.stdout) == (0, ""), (args, result.stderr)
    assert stages(repo, "iris") == {"dev": "0.1.0", "staging": None, "prod": "0.1.0"}


def test_quiet_fetch_still_warns_on_standard_error(repo: Repo, tmp_path: Path) -> None:
    server = tmp_path / "server.git"
    repo.git("init", "-q", "--bare", str(server))
    repo.git("tag", "ghost@v1.0.0")  # lightweight: a registry tag is annotated
    repo.git("push", "-q", str(server), "ghost@v1.0.0")
    repo.git("tag", "-d", "ghost@v1.0.0")
    result = repo.cli("fetch", str(server), "-q")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "not fetched from" in result.stderr


def test_quiet_get_prints_nothing(dvc_repo: Repo, tmp_path: Path) -> None:
    save_model(dvc_repo)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert ok(dvc_repo, "get", "churn@latest", "-o", str(tmp_path / "m.pkl"), "-q") == ""
    assert (tmp_path / "m.pkl").exists()


def test_no_color_turns_the_colours_off(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "prod")
    repo.git("tag", "-d", "churn#prod")  # a stage tag that lags: a yellow warning
    monkeypatch.setenv("FORCE_COLOR", "1")  # as on a terminal
    assert "\x1b[33mwarning:" in repo.run("show").stderr
    monkeypatch.setenv("NO_COLOR", "1")
    plain = repo.run("show")
    assert plain.stderr.startswith("warning: stage tag churn#prod")
    assert not re.search(r"\x1b\[(3|9)\d", plain.stdout + plain.stderr)  # no colour at all


# --- help -----------------------------------------------------------------------------------


def _commands() -> dict[str, Any]:
    group: Any = typer.main.get_command(app)
    return dict(group.commands)


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_has_examples_and_real_placeholders(repo: Repo, name: str) -> None:
    text = ok(repo, name, "-h")
    assert "Examples:" in text
    assert re.search(rf"^    git model {name}\b", text, re.MULTILINE), text
    assert not re.search(r"[{}]|<str>|\bTEXT\b", text), text


def test_the_list_of_commands_gives_each_description_whole(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = " ".join(ok(repo, "-h").partition("Commands:")[2].split())
    assert "..." not in text
    for name, command in _commands().items():
        first = " ".join((command.help or "").split("\n\n")[0].split())
        sentence = first[: first.find(". ") + 1] if ". " in first else first
        assert f"{name} {sentence}" in text
    assert "ls Another name of `git model show`." in text


def test_messages_are_never_cut_on_a_terminal(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    why = "retrained on the January data after the fraud team found the holiday outliers " * 2
    ok(repo, "register", "churn", "-m", why.strip())
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, 80 columns wide
    monkeypatch.setenv("COLUMNS", "80")
    for args in (["show", "churn"], ["history", "churn"]):
        shown = repo.run(*args).stdout
        assert why.strip() in shown, args
        assert "…" not in shown


def test_ls_is_show_and_help_prints_what_dash_h_prints(repo: Repo) -> None:
    ok(repo, "register", "churn")
    assert ok(repo, "ls") == ok(repo, "show")
    assert ok(repo, "ls", "churn", "--json") == ok(repo, "show", "churn", "--json")
    assert ok(repo, "help", "promote") == ok(repo, "promote", "-h")
    assert ok(repo, "help") == ok(repo, "-h")
    assert ok(repo, "help", "ls").startswith("Usage: git model ls [OPTIONS] [NAME]")
    refused = repo.cli("help", "promte")
    assert refused.exit_code == 2
    assert "did you mean `promote`?" in refused.stderr


# --- what show leaves out, or cannot sort by ------------------------------------------------


def test_what_show_leaves_out_is_counted(repo: Repo) -> None:
    ok(repo, "register", "churn")
    ok(repo, "deprecate", "churn")
    assert ok(repo, "show") == (
        "No models to show: 1 deprecated model is hidden (add --all to see it).\n"
    )
    assert data(repo, "show")["hidden"] == 1
    repo.commit("iris")
    ok(repo, "register", "iris")
    repo.commit("iris again")
    ok(repo, "register", "iris")
    ok(repo, "archive", "iris@0.1.0")
    assert ok(repo, "show").splitlines()[-1] == "1 deprecated model is hidden (add --all to see it)"
    assert ok(repo, "show", "iris").splitlines()[-1] == (
        "1 archived version is hidden (add --all to see it)"
    )
    assert data(repo, "show", "iris")["hidden"] == 1
    assert "hidden" not in ok(repo, "show", "iris", "--all")
    assert data(repo, "show", "--all")["hidden"] == 0


def test_a_metric_no_version_recorded_is_said_with_those_recorded(repo: Repo) -> None:
    repo.commit(
        "metrics",
        files={
            "metrics.json": '{"auc": 0.91, "loss": 0.2}',
            "models/churn.yaml": "metrics: [metrics.json]\n",
        },
    )
    ok(repo, "register", "churn")
    warning = (
        "warning: none of the versions shown recorded a metric named 'acu'; "
        "did you mean `auc`? (they recorded auc, loss)"
    )
    for args in (["show", "--sort", "acu"], ["show", "churn", "--sort", "acu"]):
        result = repo.cli(*args)
        assert result.exit_code == 0
        assert result.stderr.strip() == warning
        view = data(repo, *args)
        assert (view["missing_metrics"], view["known_metrics"]) == (["acu"], ["auc", "loss"])
    assert repo.cli("show", "--sort", "auc").stderr == ""
    history = repo.cli("history", "--metric", "auc", "--metric", "f1")
    assert "metric named 'f1'; they recorded auc, loss" in history.stderr
    assert "'auc'" not in history.stderr
    assert data(repo, "history", "--metric", "auc")["missing_metrics"] == []


# --- completion -----------------------------------------------------------------------------


def test_completion_offers_models_then_their_versions_and_stages(repo: Repo) -> None:
    ok(repo, "register", "churn")
    repo.commit("retrain")
    ok(repo, "register", "churn", "--version", "1.0.0")
    ok(repo, "register", "fraud/tx")
    complete = partial(api.complete, repo=repo.path)
    assert complete("", "model") == ("churn", "fraud/tx")
    assert complete("ch") == ("churn",)
    assert complete("fr") == ("fraud/tx",)
    assert complete("fraud/") == ("fraud/tx",)
    assert complete("churn@") == ("churn@1.0.0", "churn@0.1.0", "churn@latest")
    assert complete("churn#") == ("churn#dev", "churn#staging", "churn#prod")
    assert complete("churn#p") == ("churn#prod",)
    assert complete("st", "stage") == ("staging",)
    assert complete("ghost@") == complete("ch*") == complete("chu#rn@") == ()


def _completing(
    repo: Repo, *words: str, importtime: bool = False
) -> subprocess.CompletedProcess[str]:
    """What git-model answers bash, asked to complete the last of ``words``."""
    python = [sys.executable, "-X", "importtime"] if importtime else [sys.executable]
    return subprocess.run(
        [*python, "-m", "git_model"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "_GIT_MODEL_COMPLETE": "complete_bash",
            "COMP_WORDS": " ".join(("git-model", *words)),
            "COMP_CWORD": str(len(words)),
        },
    )


def test_completing_reads_the_tags_names_once_and_never_loads_dvc(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(repo, "register", "churn")
    trace = repo.path.parent / "trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    answer = _completing(repo, "promote", "churn#")
    assert answer.stdout.split() == ["churn#dev", "churn#staging", "churn#prod"]
    ran = [line for line in trace.read_text().splitlines() if "trace: built-in: git " in line]
    assert [line.split("built-in: git ")[1].split()[0] for line in ran] == [
        "rev-parse",
        "for-each-ref",
    ]
    monkeypatch.delenv("GIT_TRACE")
    imported = _completing(repo, "show", "c", importtime=True).stderr
    assert not re.search(r"\| dvc\b", imported)
    assert _completing(repo, "pro").stdout.split() == ["promote"]
    assert _completing(repo, "promote", "churn@0.1.0", "--to", "st").stdout.split() == ["staging"]
    assert _completing(repo, "check", "churn", "--to", "p").stdout.split() == ["prod"]
    assert _completing(repo, "rollback", "ch").stdout.split() == ["churn"]
    assert _completing(repo, "history", "churn#d").stdout.split() == ["churn#dev"]


GIT_BASH_COMPLETION = Path("/usr/share/bash-completion/completions/git")


@pytest.mark.skipif(not GIT_BASH_COMPLETION.exists(), reason="no bash completion for Git here")
def test_bash_completes_git_model_through_gits_completion(repo: Repo) -> None:
    ok(repo, "register", "churn")
    script = f"""
source {GIT_BASH_COMPLETION}
eval "$(git model completion bash)"
complete_line() {{
    COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
    read -ra COMP_WORDS <<< "$1"
    [[ "$1" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
    COMPREPLY=()
    if [[ ${{COMP_WORDS[0]}} == git ]]; then __git_wrap__git_main; else _git_model_standalone; fi
    echo "${{COMPREPLY[*]}}"
}}
complete_line "git model pro"
complete_line "git model promote ch"
complete_line "git model promote churn#"
complete_line "git-model describe churn@"
"""
    proc = subprocess.run(
        ["bash", "-c", script], cwd=repo.path, capture_output=True, text=True, check=True
    )
    assert proc.stdout.splitlines() == [
        "promote",
        "churn",
        "churn#dev churn#staging churn#prod",
        "churn@0.1.0 churn@latest",
    ]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="no zsh here")
def test_zsh_completes_git_model(repo: Repo) -> None:
    ok(repo, "register", "churn")
    script = """
compdef() { :; }
_arguments() { print -r -- "$*"; }
eval "$(git model completion zsh)"
words=(model promote churn#); CURRENT=3; _git-model
"""
    proc = subprocess.run(
        ["zsh", "-f", "-c", script], cwd=repo.path, capture_output=True, text=True, check=True
    )
    assert proc.stdout.split() == ["*:", ':(("churn#dev"', '"churn#staging"', '"churn#prod"))']


@pytest.mark.skipif(shutil.which("fish") is None, reason="no fish here")
def test_fish_completes_git_model(repo: Repo) -> None:
    ok(repo, "register", "churn")
    script = (
        "git model completion fish | source\n"
        'complete -C "git model promote churn@"\n'
        'complete -C "git-model sh"\n'
    )
    proc = subprocess.run(
        ["fish", "--no-config", "-c", script],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["churn@0.1.0", "churn@latest"]
    assert lines[2].startswith("show\t")


@pytest.mark.parametrize("shell", list(Shell))
def test_the_completion_command_prints_code_the_shell_reads(shell: Shell, repo: Repo) -> None:
    assert ok(repo, "completion", shell.value) == SCRIPTS[shell]
    if shutil.which(shell.value) is None:
        pytest.skip(f"no {shell.value} here")
    flag = "--no-execute" if shell is Shell.FISH else "-n"
    subprocess.run([shell.value, flag], input=SCRIPTS[shell], text=True, check=True, cwd=repo.path)
