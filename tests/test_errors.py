"""Every wrong input: one line on stderr that names the fix, a non-zero exit code from the
documented table, and every ref exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from git_model.errors import EXIT_CODES, GitModelError, exit_code
from git_model.gitcmd import Git
from tests.conftest import Repo
from tests.helpers import data, ok


@pytest.fixture
def registry(repo: Repo) -> Repo:
    """churn 1.0.0 (prod) and 1.1.0, other 0.1.0 archived, old-model deprecated."""
    ok(repo, "register", "churn", "--version", "1.0.0")
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    repo.commit("retrain")
    ok(repo, "register", "churn", "--version", "1.1.0")
    ok(repo, "register", "other")
    ok(repo, "archive", "other@0.1.0")
    # (Asking a model for what its most recent write just did is reported done, not
    # refused: tests/test_recovery.py. Here each refusal is about an older write.)
    ok(repo, "annotate", "other@0.1.0", "why=superseded")
    repo.commit("old")
    ok(repo, "register", "old-model")
    ok(repo, "deprecate", "old-model")
    ok(repo, "annotate", "old-model@0.1.0", "why=retired")
    return repo


BAD = [
    # (arguments, exit code, words the message must contain)
    (["show", "chrun"], 5, ["no model named 'chrun'", "git model show"]),
    (["describe", "churn@9.9.9"], 5, ["churn has no version v9.9.9", "show churn"]),
    (["describe", "churn#staging"], 5, ["no version of churn is in 'staging'"]),
    (["promote", "churn@9.9.9", "--to", "prod"], 5, ["no version v9.9.9"]),
    (["promote", "ghost@1.0.0", "--to", "prod"], 5, ["no model named 'ghost'"]),
    (["register", "churn", "--version", "1.1.0"], 6, ["already registered", "--bump"]),
    (["register", "churn", "--version", "1.1.0+other"], 6, ["already registered"]),
    (["register", "churn", "--rev", "HEAD~2"], 6, ["already holds churn v1.0.0", "promote"]),
    (
        ["register", "other", "--rev", "HEAD~1"],
        6,
        ["holds other v0.1.0 (archived)", "--allow-empty"],
    ),
    (["register", "churn", "--rev", "HEAD~2", "--version", "1.0"], 4, ["not a semantic version"]),
    (["init", "--stages", ""], 2, ["non-empty list"]),
    (["init", "--types", "a,a"], 2, ["lists 'a' twice"]),
    (["init", "--stages", "dev,pr od"], 2, ["not a name"]),
    (["register", "-churn"], 2, []),  # click: an option it does not know
    (["register", "churn!"], 4, ["not a valid model name", "letters, digits"]),
    (["register", "a//b"], 4, ["not a valid model name"]),
    (["register", "churn", "--version", "1.2"], 4, ["not a semantic version", "MAJOR.MINOR"]),
    (["register", "churn", "--version", "2.0.0", "--bump", "major"], 2, ["cannot be combined"]),
    (["register", "churn", "--rev", "no-such-branch"], 5, ["does not name a commit"]),
    (["register", "churn", "--rev", "--upload-pack=touch /tmp/x"], 5, ["does not name a commit"]),
    (["promote", "churn@1.1.0", "--to", "pr od"], 4, ["not a valid stage name"]),
    (["promote", "churn@1.1.0", "--to", "production"], 4, ["dev, staging, prod", "git-model.yaml"]),
    (["promote", "churn@1.0.0", "--to", "prod"], 6, ["already in 'prod'"]),
    (["promote", "churn@1.1"], 4, ["does not name a version"]),
    (["promote", "other@0.1.0", "--to", "dev"], 7, ["archived", "register a new version"]),
    (["archive", "other@0.1.0"], 7, ["archived"]),
    (["demote", "churn#staging"], 5, ["no version of churn is in 'staging'"]),
    (["demote", "churn#qa"], 4, ["'qa' is not one of the registry's stages"]),
    (["demote", "churn@1.0.0"], 2, ["names no stage", "NAME#STAGE"]),
    (["register", "old-model"], 7, ["deprecated", "new name"]),
    (["promote", "old-model@0.1.0", "--to", "dev"], 7, ["deprecated"]),
    (["deprecate", "old-model"], 7, ["deprecated"]),
]


@pytest.mark.parametrize(("args", "code", "words"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_is_refused_cleanly(
    registry: Repo, args: list[str], code: int, words: list[str]
) -> None:
    before = registry.refs()
    result = registry.cli(*args)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("git-model: error: ")
    assert "; " in lines[0]  # what is wrong; how to fix it
    for word in words:
        assert word in result.stderr
    assert registry.refs() == before
    assert not Path("/tmp/x").exists() or "upload-pack" not in " ".join(args)


def test_stage_events_on_a_commit_without_a_version_make_no_model(repo: Repo) -> None:
    repo.git("tag", "-a", "-m", "by hand", "ghost#prod#1")
    before = repo.refs()
    result = repo.cli("deprecate", "ghost")
    assert result.exit_code == 5
    assert "no model named 'ghost'" in result.stderr
    assert repo.refs() == before
    assert data(repo, "show")["models"] == []
    skipped = data(repo, "doctor")["skipped"]
    assert skipped == [
        {
            "tag": "ghost#prod#1",
            "reason": f"its commit {repo.git('rev-parse', 'HEAD')[:12]} holds no version",
        }
    ]


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = Repo(tmp_path)
    result = plain.cli("show")
    assert result.exit_code == 3
    assert "not inside a Git repository" in result.stderr
    assert "git init" in result.stderr


def test_no_commits_yet(empty_repo: Repo) -> None:
    result = empty_repo.cli("register", "churn")
    assert result.exit_code == 3
    assert "no commits yet" in result.stderr
    assert empty_repo.refs() == ""
    assert "No models registered yet" in ok(empty_repo, "show")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("stages: [dev, dev]\n", "lists 'dev' twice"),
        ("stages: dev\n", "non-empty list"),
        ("stagez: [dev]\n", "unknown key(s): stagez"),
        ("stages: [dev, 'pr od']\n", "not a name"),
        ("stages: [dev\n", "git-model.yaml:2: malformed YAML"),
        ("a: &x [1]\nb: *x\n", "git-model.yaml:2: YAML aliases"),
        ("[" * 30 + "]" * 30 + "\n", "nested deeper than 20"),
        ("- 1\n", "must be a mapping"),
    ],
)
def test_bad_config_names_the_file_and_line(repo: Repo, text: str, where: str) -> None:
    (repo.path / "git-model.yaml").write_text(text)
    before = repo.refs()
    result = repo.cli("register", "churn")
    assert result.exit_code == 9
    assert where in result.stderr
    assert repo.refs() == before


def test_a_huge_config_is_refused_before_parsing(repo: Repo) -> None:
    (repo.path / "git-model.yaml").write_text("# " + "x" * 300_000 + "\n")
    result = repo.cli("show")
    assert result.exit_code == 9
    assert "larger than 256 KiB" in result.stderr


def _not_a_regular_file(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(kind)


NOT_REGULAR = ["/dev/zero", "/dev/null", "fifo", "directory"]


@pytest.mark.parametrize("kind", NOT_REGULAR)
def test_a_config_that_is_not_a_regular_file_is_refused(repo: Repo, kind: str) -> None:
    _not_a_regular_file(repo.path / "git-model.yaml", kind)
    result = repo.cli("show")
    assert result.exit_code == 9
    assert result.stderr.startswith("git-model: error: ")
    assert "git-model.yaml: is not a regular file" in result.stderr


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("/dev/zero", "a symbolic link takes it outside the repository's work tree"),
        ("/dev/null", "a symbolic link takes it outside the repository's work tree"),
        ("fifo", "is not a regular file"),
        ("directory", "is not a regular file"),
    ],
)
def test_a_model_yaml_file_that_is_not_a_regular_file_is_refused(
    repo: Repo, kind: str, problem: str
) -> None:
    _not_a_regular_file(repo.path / "models" / "churn.yaml", kind)
    before = repo.refs()
    result = repo.cli("register", "churn")
    assert result.exit_code == 9
    assert f"models/churn.yaml: {problem}" in result.stderr
    assert repo.refs() == before


def test_every_error_class_has_an_exit_code() -> None:
    def subclasses(cls: type[GitModelError]) -> set[type[GitModelError]]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    assert subclasses(GitModelError) <= set(EXIT_CODES)
    assert exit_code(GitModelError("x", "y")) == 1


def test_a_blank_message_is_refused_by_every_write(repo: Repo) -> None:
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "dev")
    repo.commit("two")
    before = repo.refs()
    writes = [
        ["register", "churn"],
        ["promote", "churn@0.1.0", "--to", "prod"],
        ["demote", "churn#dev"],
        ["archive", "churn@0.1.0"],
        ["deprecate", "churn"],
        ["annotate", "churn@0.1.0", "uat=passed"],
    ]
    for args in writes:
        for blank in ("", "   ", "\n\t \n"):
            result = repo.cli(*args, "-m", blank)
            assert result.exit_code == 2, (args, result.stderr)
            assert result.stderr == (
                "git-model: error: the message is empty; say why with -m, or leave -m out\n"
            )
    assert repo.refs() == before


@pytest.mark.parametrize(
    ("model", "files", "where"),
    [
        (
            "churn",
            {"models/churn.yaml": "path: ../../x\n"},
            "models/churn.yaml: path: '../../x' is not a path inside the repository",
        ),
        (
            "churn",
            {"models/churn.yaml": "path: /etc/passwd\n"},
            "models/churn.yaml: path: '/etc/passwd' is not a path inside the repository",
        ),
        (
            "churn",
            {"models/churn.yaml": 'path: "a\\nb"\n'},
            "models/churn.yaml: path: 'a\\nb' holds a control character",
        ),
        (
            "churn",
            {"models/churn.yaml": "metrics: [../m.json]\n"},
            "models/churn.yaml: metrics[0]: '../m.json' is not a path inside the repository",
        ),
        (
            "churn",
            {"dvc.yaml": "artifacts:\n  churn:\n    path: ../x.pkl\n"},
            "artifacts.churn.path: '../x.pkl' is not a path inside the repository",
        ),
        (
            "sub:churn",
            {"sub/dvc.yaml": "artifacts:\n  churn:\n    path: ../../x.pkl\n"},
            "artifacts.churn.path: '../../x.pkl' is not a path inside the repository",
        ),
        (
            "churn",
            {"dvc.yaml": 'artifacts:\n  churn:\n    path: "x\\r.pkl"\n'},
            "artifacts.churn.path: 'x\\r.pkl' holds a control character",
        ),
        (
            "churn",
            {"dvc.yaml": "metrics:\n  - ../../m.json\n"},
            "metrics: '../../m.json' is not a path inside the repository",
        ),
        (
            "churn",
            {"dvc.yaml": 'stages:\n  train:\n    cmd: x\n    metrics:\n      - "m\\n.json"\n'},
            "stages.train.metrics: 'm\\n.json' holds a control character",
        ),
    ],
)
def test_paths_in_yaml_files_must_be_one_line_inside_the_repository(
    repo: Repo, model: str, files: dict[str, str], where: str
) -> None:
    repo.commit("declare the model", files)
    before = repo.refs()
    result = repo.cli("register", model)
    assert result.exit_code == 9, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("git-model: error: ")
    assert where in line
    assert repo.refs() == before


@pytest.mark.parametrize("spec", ["HEAD:missing\nHEAD:model.bin", "HEAD:model.bin\r"])
def test_git_is_never_asked_for_a_path_with_a_line_break(repo: Repo, spec: str) -> None:
    git = Git.discover(repo.path)
    with pytest.raises(GitModelError) as refused:
        git.read_blobs([spec])
    assert "holds a line break" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_path_with_a_line_break_is_refused_as_path(repo: Repo) -> None:
    before = repo.refs()
    result = repo.cli("register", "churn", "--path", "a\nb.pkl")
    assert result.exit_code == 2
    assert result.stderr == (
        "git-model: error: --path 'a\\nb.pkl' holds a control character; rename the artifact "
        "so that its path is one line of text\n"
    )
    assert repo.refs() == before


@pytest.mark.parametrize(
    ("out", "force", "reason"),
    [
        ("/nonexistent/card.md", False, "No such file or directory"),
        ("models", True, "Is a directory"),
        ("model.bin/card.md", False, "Not a directory"),  # its directory is a file
        ("model.bin/card.md", True, "Not a directory"),
    ],
)
def test_a_card_that_cannot_be_written_is_one_clean_error(
    repo: Repo, out: str, force: bool, reason: str
) -> None:
    ok(repo, "register", "churn")
    (repo.path / "models").mkdir()
    result = repo.cli("card", "churn@0.1.0", "-o", out, *(["--force"] if force else []))
    assert result.exit_code == 9, result.stderr
    assert result.stderr == (
        f"git-model: error: cannot write {out!r}: {reason}; write it elsewhere: in a "
        "directory that exists and that you may write to\n"
    )
    assert not Path("/nonexistent").exists()
