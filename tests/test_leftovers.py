"""Files a Git process leaves in its way when it stops while changing refs (a lock,
packed-refs.new, a loose ref cut short): a write they block names the file and the fix and
changes nothing; doctor finds each, says whether a Git process may hold it, and --fix
removes the ones no process holds, never a held one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from git_model import leftovers
from git_model.gitcmd import Git
from tests.conftest import Repo
from tests.helpers import ok
from tests.remotes import save_model

FIX = "if no Git process is running, `git model doctor --fix` removes it"


@pytest.fixture
def packed(repo: Repo) -> Repo:
    """churn v0.1.0 in prod, every ref packed, as a fresh clone has them."""
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "prod")
    repo.git("pack-refs", "--all")
    assert not list((repo.path / ".git" / "refs" / "tags").iterdir())
    return repo


def _diagnosis(repo: Repo, *args: str) -> Any:
    """``doctor --json``, whatever its exit code."""
    return json.loads(repo.cli("doctor", *args, "--json").stdout)


def _leave(repo: Repo, *names: str) -> list[Path]:
    """Files under .git as a Git process that stopped midway leaves them."""
    paths = [repo.path / ".git" / name for name in names]
    for path in paths:
        path.write_bytes(b"")
    return paths


def _refused(repo: Repo, *args: str) -> str:
    """Run a write that a leftover blocks; check it changed nothing; return its error."""
    before = repo.refs()
    result = repo.cli(*args)
    assert result.exit_code == 8, result.stderr
    assert "failed" not in result.stderr
    assert FIX in result.stderr
    assert repo.refs() == before
    return result.stderr


@pytest.mark.parametrize(
    ("left", "named"),
    [
        (("packed-refs.new",), "packed-refs.new"),
        (("packed-refs.lock",), "packed-refs.lock"),
        (("packed-refs.lock", "packed-refs.new"), "packed-refs.lock"),
    ],
)
def test_a_rewrite_of_packed_refs_cut_short_blocks_demote_until_doctor_fix(
    packed: Repo, left: tuple[str, ...], named: str
) -> None:
    paths = _leave(packed, *left)
    assert f".git/{named} exists: another Git process" in _refused(packed, "demote", "churn#prod")

    report = packed.cli("doctor")
    assert report.exit_code == 1
    for name in left:
        assert f"left over: .git/{name} (" in report.stdout
    assert "no Git process holds it: `git model doctor --fix` removes it" in report.stdout
    found = _diagnosis(packed)["leftovers"]
    kinds = {"packed-refs.lock": "lock", "packed-refs.new": "unfinished"}
    assert [(f["path"], f["kind"], f["held_by"]) for f in found] == [
        (f".git/{name}", kinds[name], []) for name in left
    ]
    assert all("demote" in f["blocks"] for f in found)

    fixed = packed.cli("doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    for name in left:
        assert f"removed .git/{name} (" in fixed.stdout
    assert "The registry is consistent." in fixed.stdout
    assert not any(path.exists() for path in paths)
    ok(packed, "demote", "churn#prod")


def test_a_lock_left_on_the_tag_register_writes_blocks_it_until_doctor_fix(repo: Repo) -> None:
    ok(repo, "register", "churn")
    repo.commit("retrain")
    _leave(repo, "refs/tags/churn@v0.2.0.lock")  # a register of this commit that stopped
    assert ".git/refs/tags/churn@v0.2.0.lock exists" in _refused(repo, "register", "churn")
    [found] = _diagnosis(repo)["leftovers"]
    assert (found["path"], found["kind"], found["blocks"]) == (
        ".git/refs/tags/churn@v0.2.0.lock",
        "lock",
        "writes to refs/tags/churn@v0.2.0",
    )
    [removed] = _diagnosis(repo, "--fix")["removed"]
    assert {**removed, "age": 0} == {**found, "age": 0}  # (a second may pass between them)
    assert "churn@v0.2.0" in ok(repo, "register", "churn")


def test_a_stage_tag_cut_short_is_removed_by_doctor_fix_which_then_repairs_it(
    packed: Repo,
) -> None:
    packed.commit("retrain")
    ok(packed, "register", "churn")
    ok(packed, "promote", "churn@0.2.0", "--to", "prod")  # a loose churn#prod over the packed
    # The rename reached the disk, the content did not (a crash of the machine).
    [stage_tag] = _leave(packed, "refs/tags/churn#prod")
    error = _refused(packed, "promote", "churn@0.1.0", "--to", "prod")
    assert ".git/refs/tags/churn#prod is cut short" in error

    [found] = _diagnosis(packed)["leftovers"]
    assert (found["path"], found["kind"]) == (".git/refs/tags/churn#prod", "broken-ref")
    fixed = packed.cli("doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    assert "removed .git/refs/tags/churn#prod (a ref cut short)" in fixed.stdout
    # That uncovered the packed churn#prod, at v0.1.0: the events say v0.2.0.
    assert "repaired stage tag churn#prod: it now says v0.2.0" in fixed.stdout
    assert stage_tag.read_text().strip() == packed.git("rev-parse", "refs/tags/churn#prod")
    assert packed.git("rev-parse", "churn#prod^{commit}") == packed.git(
        "rev-parse", "churn@v0.2.0^{commit}"
    )
    ok(packed, "promote", "churn@0.1.0", "--to", "prod")


def test_register_path_refuses_before_dvc_changes_a_file_while_the_index_is_locked(
    dvc_repo: Repo,
) -> None:
    save_model(dvc_repo)
    _leave(dvc_repo, "index.lock")
    status = dvc_repo.git("status", "--porcelain")
    error = _refused(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    assert ".git/index.lock exists" in error
    assert dvc_repo.git("status", "--porcelain") == status  # no file tracked, nothing declared
    ok(dvc_repo, "doctor", "--fix")
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")


@pytest.mark.parametrize("cut_short", [b"", b'{"write": {"models/churn.pkl": {"pid": 4'])
def test_a_dvc_lock_table_cut_short_is_named_and_removed(dvc_repo: Repo, cut_short: bytes) -> None:
    """DVC rewrites .dvc/tmp/rwlock in place: a DVC process killed meanwhile (a random kill
    of register --path found it) leaves a file every later DVC command stops at."""
    save_model(dvc_repo)
    table = dvc_repo.path / ".dvc" / "tmp" / "rwlock"
    table.parent.mkdir(exist_ok=True)
    table.write_bytes(cut_short)
    refused = dvc_repo.cli("register", "churn", "--path", "models/churn.pkl")
    assert refused.exit_code == 11, refused.stderr
    assert "`git model doctor --fix` removes it" in refused.stderr
    doctor = dvc_repo.cli("doctor", "--json")
    assert doctor.exit_code == 1
    [found] = json.loads(doctor.stdout)["leftovers"]
    assert (found["path"], found["kind"], found["held_by"]) == (
        ".dvc/tmp/rwlock",
        "dvc-lock-table",
        [],
    )
    assert "DVC's lock table cut short" in dvc_repo.cli("doctor").stdout
    ok(dvc_repo, "doctor", "--fix")
    assert not table.exists()
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl")
    table.write_text('{"read": {}, "write": {}}')  # a table DVC wrote whole is no leftover
    assert _diagnosis(dvc_repo)["leftovers"] == []


def test_doctor_finds_every_lock_git_leaves_and_says_what_it_blocks(repo: Repo) -> None:
    blocks = {
        "HEAD.lock": "commits",
        "index.lock": "register --path",
        "config.lock": "git config",
        "shallow.lock": "shallow clone",
        "packed-refs.lock": "demote",
        "packed-refs.new": "demote",
        "refs/heads/main.lock": "writes to refs/heads/main",
        "refs/tags/churn#prod.lock": "writes to refs/tags/churn#prod",
    }
    paths = _leave(repo, *blocks)
    found = {f["path"]: f for f in _diagnosis(repo)["leftovers"]}
    assert set(found) == {f".git/{name}" for name in blocks}
    for name, words in blocks.items():
        assert words in found[f".git/{name}"]["blocks"]
    assert repo.cli("doctor", "--fix").exit_code == 0
    assert not any(path.exists() for path in paths)


def test_a_linked_work_tree_finds_the_leftovers_of_the_git_dir_it_shares(
    packed: Repo, tmp_path: Path
) -> None:
    packed.git("worktree", "add", "-q", str(tmp_path / "linked"))
    linked = Repo(tmp_path / "linked")
    # The shared refs' leftover, this work tree's index lock, and the main work tree's.
    _leave(packed, "packed-refs.new", "worktrees/linked/index.lock")
    [main_index_lock] = _leave(packed, "index.lock")
    assert "../repo/.git/packed-refs.new exists" in _refused(linked, "demote", "churn#prod")
    assert [f["path"] for f in _diagnosis(linked)["leftovers"]] == [
        "../repo/.git/packed-refs.new",
        "../repo/.git/worktrees/linked/index.lock",
    ]
    assert linked.cli("doctor", "--fix").exit_code == 0
    assert main_index_lock.exists()  # it blocks nothing here
    ok(linked, "demote", "churn#prod")


def test_a_leftover_a_running_git_process_may_hold_is_kept_until_it_ends(packed: Repo) -> None:
    [new] = _leave(packed, "packed-refs.new")
    # A Git process at work in the repository (it waits for the rest of its input).
    git = subprocess.Popen(
        ["git", "hash-object", "--stdin"],
        cwd=packed.path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        report = packed.cli("doctor", "--fix")
        assert report.exit_code == 1
        assert f"held by git hash-object --stdin (pid {git.pid}): wait for it" in report.stdout
        assert new.exists()
        [found] = _diagnosis(packed)["leftovers"]
        assert found["held_by"] == [{"pid": git.pid, "command": "git hash-object --stdin"}]
    finally:
        git.communicate(b"")  # end its input; wait for it to exit
    fixed = packed.cli("doctor", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    assert not new.exists()


def test_a_leftover_any_process_has_open_is_held(packed: Repo, tmp_path: Path) -> None:
    [lock] = _leave(packed, "packed-refs.lock")
    fd = os.open(lock, os.O_RDONLY)
    try:  # not Git, and elsewhere, but it has the file open
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            pass_fds=(fd,),
        )
    finally:
        os.close(fd)
    try:
        [found] = _diagnosis(packed, "--fix")["leftovers"]
        assert [h["pid"] for h in found["held_by"]] == [holder.pid]
        assert lock.exists()
    finally:
        holder.communicate(b"")
    assert packed.cli("doctor", "--fix").exit_code == 0


def test_without_proc_nobody_can_tell_and_an_old_leftover_counts_as_abandoned(
    packed: Repo, tmp_path: Path
) -> None:
    [new] = _leave(packed, "packed-refs.new")
    git = Git.discover(packed.path)
    no_proc = tmp_path / "no-proc"
    [young] = leftovers.find(git, proc=no_proc)
    assert young.held_by is None
    assert not young.removable
    past = time.time() - leftovers.AGE_LIMIT - 60
    os.utime(new, (past, past))
    [old] = leftovers.find(git, proc=no_proc)
    assert old.held_by is None
    assert old.age > leftovers.AGE_LIMIT
    assert old.removable
    assert leftovers.remove(git, old)
    assert not new.exists()
