"""After a write is cut short, the tools say exactly what happened and finish the job:
running the command again completes it; a push whose answer was lost is decided by asking
the remote; a transaction Git abandoned part-way says which refs it wrote; and what a
write reports as done is on disk."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, Clock, Repo
from tests.crashing import Fault, Injector, snapshot
from tests.helpers import churn_in_prod, data, ok, stages
from tests.remotes import git_at

HEAD = "refs/git-model/models/churn@head"
needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


@pytest.fixture
def churn(repo: Repo) -> Repo:
    """churn v1.0.0 in prod, v1.1.0 registered."""
    return churn_in_prod(repo)


def _cut_short(repo: Repo, *args: str) -> dict[str, object]:
    """Run a write, then put the head back where it was: what a crash between its tags and
    its head leaves (the stage tags are git-model's, and may be restored too)."""
    head = repo.git("rev-parse", HEAD)
    result = data(repo, *args)
    repo.git("update-ref", HEAD, head)
    return result


def test_running_a_promotion_again_completes_it(churn: Repo) -> None:
    first = _cut_short(churn, "promote", "churn@1.1.0", "--to", "prod")
    old_stage = next(r for r in first["refs"] if r["ref"] == "refs/tags/churn#prod")["old"]
    churn.git("update-ref", "refs/tags/churn#prod", old_stage)  # not moved yet either
    assert stages(churn, "churn")["prod"] == "1.1.0"  # the events are the truth

    again = churn.cli("promote", "churn@1.1.0", "--to", "prod")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("Promoted churn v1.1.0 to prod, replacing v1.0.0\n")
    assert "Already done by the last write to churn (churn#prod!#2, churn#prod#3)" in again.stdout
    assert "Repaired stage tag churn#prod" in again.stdout
    assert churn.git("rev-parse", HEAD) == churn.git("rev-parse", "refs/tags/churn#prod#3")
    # Once another write is made, the promotion is an old one: refused as usual.
    ok(churn, "annotate", "churn@1.1.0", "uat=passed")
    assert churn.cli("promote", "churn@1.1.0", "--to", "prod").exit_code == 6


@pytest.mark.parametrize(
    "args",
    [
        ("register", "churn", "--version", "1.2.0"),
        ("register", "churn"),  # --bump: the version the first run chose
        ("archive", "churn@1.0.0", "--demote"),
        ("demote", "churn#prod"),
        ("deprecate", "churn"),
        ("annotate", "churn@1.0.0", "uat=passed", "owner="),
    ],
)
def test_running_a_write_again_completes_it(churn: Repo, args: tuple[str, ...]) -> None:
    if args[0] == "register":
        churn.commit("third")
    first = _cut_short(churn, *args)
    before = churn.refs()
    again = data(churn, *args)
    assert again["completed"] == [e["tag"] for e in first["events"]]
    assert again["events"] == first["events"]
    # Done: running it yet again is still the same answer, and writes nothing more.
    after = churn.refs()
    assert data(churn, *args)["completed"] == again["completed"]
    assert churn.refs() == after
    assert before != after  # the head moved past the write that was cut short
    # Once another write to the model is made, the same command is refused as usual.
    ok(churn, "annotate", "churn@1.1.0", "checked=yes")
    again = churn.cli(*args)
    assert again.exit_code != 0 or "Already done" not in again.stdout


def test_a_write_made_twice_is_done_the_second_time(churn: Repo) -> None:
    """Retrying a write that did complete (its answer was lost, a CI job was retried)."""
    ok(churn, "promote", "churn@1.1.0", "--to", "prod")
    before = churn.refs()
    again = churn.cli("promote", "churn@1.1.0", "--to", "prod")
    assert again.exit_code == 0
    assert "Already done by the last write to churn" in again.stdout
    assert churn.refs() == before


def test_a_first_registration_cut_short_is_completed(repo: Repo) -> None:
    ok(repo, "register", "churn", "--version", "1.0.0")
    repo.git("update-ref", "-d", HEAD)  # the crash came before the head was created
    again = data(repo, "register", "churn", "--version", "1.0.0")
    assert again["completed"] == ["churn@v1.0.0"]
    assert repo.git("rev-parse", HEAD) == repo.git("rev-parse", "refs/tags/churn@v1.0.0")


def test_another_write_is_not_mistaken_for_a_rerun(churn: Repo) -> None:
    _cut_short(churn, "promote", "churn@1.1.0", "--to", "dev")
    ok(churn, "promote", "churn@1.1.0", "--to", "staging")  # moves the head past it
    result = churn.cli("promote", "churn@1.1.0", "--to", "dev")
    assert result.exit_code == 6
    assert "already in 'dev'" in result.stderr


# --- pushes whose answer is lost --------------------------------------------------------

_DROP = """#!/bin/sh
# After the server commits the push, drop the connection (once), as a network failure would.
[ "$1" = committed ] || exit 0
[ -e "$GIT_DIR/dropped" ] && exit 0
: > "$GIT_DIR/dropped"
{MORE}
kill -9 $PPID
"""


def _server(tmp_path: Path, churn: Repo, more: str = "") -> Path:
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    churn.git("remote", "add", "origin", str(server))
    churn.git("push", "-q", "origin", "HEAD:refs/heads/main")
    ok(churn, "fetch")
    ok(churn, "promote", "churn@1.0.0", "--to", "dev", "--push")
    hook = server / "hooks" / "reference-transaction"
    hook.write_text(_DROP.replace("{MORE}", more))
    hook.chmod(0o755)
    return server


def test_a_push_whose_answer_was_lost_is_decided_by_asking_the_remote(
    churn: Repo, tmp_path: Path
) -> None:
    server = _server(tmp_path, churn)
    result = churn.cli("promote", "churn@1.1.0", "--to", "prod", "--push")
    assert (server / "dropped").exists()  # the connection did drop
    assert result.exit_code == 0, result.stderr
    here = churn.git("rev-parse", "refs/tags/churn#prod")
    assert git_at(server, "rev-parse", "refs/tags/churn#prod") == here
    assert git_at(server, "rev-parse", HEAD) == churn.git("rev-parse", HEAD)


def test_a_push_that_cannot_be_decided_says_it_may_have_been_published(
    churn: Repo, tmp_path: Path
) -> None:
    # The server also becomes unreachable, so that nobody can say what it holds.
    server = _server(tmp_path, churn, more='d=$(cd "$GIT_DIR" && pwd) && mv "$d" "$d.away"')
    before = churn.refs()
    result = churn.cli("promote", "churn@1.1.0", "--to", "prod", "--push")
    assert result.exit_code == 14, result.stderr
    assert "may have been published" in result.stderr
    assert "git model fetch origin" in result.stderr
    assert "nothing was written" not in result.stderr
    assert churn.refs() == before
    Path(f"{server}.away").rename(server)
    ok(churn, "fetch")
    assert stages(churn, "churn")["prod"] == "1.1.0"  # it had been published


# --- a transaction Git abandons part-way ------------------------------------------------


@needs_strace
def test_git_failing_part_way_through_a_transaction_says_what_it_wrote(
    churn: Repo, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Git renames the refs into place one by one: an I/O error at the Nth rename leaves
    the first ones written. The error says how many, the registry reads consistently, and
    doctor --fix completes the stage tags."""
    ok(churn, "promote", "churn@1.1.0", "--to", "dev")
    churn.git("pack-refs", "--all")  # the stage tag's deletion rewrites packed-refs, last
    before = snapshot(churn.path)
    injector = Injector(tmp_path / "inject")
    codes = {}
    n = 1
    while True:
        work = Repo(tmp_path / f"try{n}")
        shutil.copytree(churn.path, work.path, symlinks=True)
        with monkeypatch.context() as patch:
            for key, value in injector.environment(
                "update-ref", Fault("rename", "error=EIO"), n
            ).items():
                patch.setenv(key, value)
            run = work.cli("demote", "churn#dev")
        if not injector.fired:
            break
        codes[n] = run.exit_code
        after = snapshot(work.path)
        if run.exit_code == 13:
            written = re.search(
                r"Git stopped part-way through writing churn .*: (\d) of 3 refs", run.stderr
            )
            assert written, run.stderr
            changed = [ref for ref in set(before) | set(after) if before.get(ref) != after.get(ref)]
            assert len(changed) == int(written[1])
            assert "git model doctor --fix" in run.stderr
            assert data(work, "show", "churn")["stages"][0]["holder"] is None  # the events
            ok(work, "doctor", "--fix")
            assert "refs/tags/churn#dev" not in snapshot(work.path)
        else:
            assert run.exit_code == 10, run.stderr  # the first rename: nothing was written
            assert after == before
        n += 1
    assert sorted(codes.values()) == [10, 13, 13], codes


# --- durability -------------------------------------------------------------------------


@needs_strace
def test_what_a_write_reports_as_done_is_on_disk(churn: Repo, tmp_path: Path) -> None:
    """Every tag object is fsynced before it is linked into place, and every ref lock file
    before it is renamed into place (Git's default syncs neither)."""
    log = tmp_path / "strace.log"
    subprocess.run(
        ["strace", "-f", "-qq", "-o", str(log), "-e", "signal=none",
         "-e", "trace=fsync,fdatasync,link,rename",
         str(BIN / "git-model"), "promote", "churn@1.1.0", "--to", "prod"],
        cwd=churn.path, check=True, capture_output=True,
    )  # fmt: skip
    synced: dict[str, int] = {}
    placed = {"object": 0, "ref": 0}
    for line in log.read_text().splitlines():
        pid, _, call = line.partition(" ")
        call = call.strip()
        if call.startswith(("fsync(", "fdatasync(")):
            synced[pid] = synced.get(pid, 0) + 1
        elif call.startswith("link(") and "tmp_obj_" in call:
            assert synced.pop(pid, 0) >= 1, line  # this object's data first
            placed["object"] += 1
        elif call.startswith("rename(") and ".lock" in call and "/refs/" in call:
            assert synced.get(pid, 0) >= 1, line  # the lock files were synced in prepare
            placed["ref"] += 1
    assert placed == {"object": 3, "ref": 4}, placed  # 2 events + stage tag; + the head
    assert json.loads(churn.cli("doctor", "--json").stdout)["lags"] == []
