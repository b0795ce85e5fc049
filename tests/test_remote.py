"""A registry shared through a Git remote: a real bare "server" repository, real clones of
it, and a real local-directory DVC remote that every clone reaches through the committed
``.dvc/config``. Publishing (``--push``), fetching moved stage tags, racing writers,
reading a remote without cloning, and downloading artifacts (``get``, ``artifact_path``).
Nothing is mocked; Git hooks stand in for "someone else, at that very moment"."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from git_model import api
from git_model.errors import InvalidRemote
from git_model.gitcmd import RefUpdate
from tests.conftest import BIN, Clock, Repo, dvc
from tests.helpers import data, ok, stages
from tests.remotes import Shared, local_refs, make_shared, md5, save_model

EXE = str(BIN / "git-model")


@pytest.fixture
def shared(tmp_path: Path, clock: Clock) -> Shared:
    return make_shared(tmp_path)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Repo:
    """A directory that is not a repository: where a user runs ``--repo SERVER``."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    return Repo(path)


def _register_versions(
    repo: Repo, model: str = "churn", versions: tuple[str, ...] = ("0.1.0", "0.2.0", "0.3.0")
) -> None:
    """Versions without artifacts, one commit each, published with --push."""
    for version in versions:
        repo.commit(f"{model} {version}", files={f"{model}.txt": version})
        ok(repo, "register", model, "--version", version, "--push")


def _register_artifacts(
    repo: Repo, versions: tuple[str, ...] = ("0.1.0", "0.2.0")
) -> dict[str, str]:
    """Versions of churn, each with its own artifact, published with --push; their md5s."""
    found = {}
    for version in versions:
        artifact = save_model(repo)
        ok(repo, "register", "churn", "--path", "models/churn.pkl", "--version", version, "--push")
        found[version] = md5(artifact)
    return found


def _one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("git-model: error: "), stderr
    return lines[0]


def _pushes(trace: Path) -> list[list[str]]:
    """The argument lists of every ``git push`` in a GIT_TRACE log."""
    marker = "trace: built-in: git push "
    return [
        shlex.split(line.split(marker, 1)[1])
        for line in trace.read_text().splitlines()
        if marker in line
    ]


def _hook(path: Path, script: str) -> None:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


# --- publishing ------------------------------------------------------------------------------


def test_register_push_publishes_the_artifact_before_the_tag(shared: Shared) -> None:
    """A server hook looks, when the version tag arrives, for the artifact in the DVC
    remote: it is already there. The declaration commit reaches the server through the tag
    alone (the branch was not pushed)."""
    log = shared.root / "pre-receive.log"
    _hook(
        shared.server / "hooks" / "pre-receive",
        f"""while read old new ref; do
  case "$ref" in refs/tags/*@v*)
    md5=$(git cat-file tag "$new" | sed -n 's/^Artifact-Md5: //p')
    object="{shared.storage}/files/md5/$(echo "$md5" | cut -c1-2)/$(echo "$md5" | cut -c3-)"
    if [ -n "$md5" ] && [ -f "$object" ]; then echo "$ref present" >> {log}
    else echo "$ref missing" >> {log}; exit 1; fi;;
  esac
done
""",
    )
    alice = shared.alice
    branch_before = shared.server_git("rev-parse", "main")
    artifact = save_model(alice)
    result = alice.cli("register", "churn", "--path", "models/churn.pkl", "--push")
    assert result.exit_code == 0, result.stderr
    assert "Pushed to origin" in result.stdout

    assert log.read_text() == "refs/tags/churn@v0.1.0 present\n"
    assert shared.stored(md5(artifact)).read_bytes() == artifact.read_bytes()
    declaration = alice.git("rev-parse", "HEAD")
    assert shared.server_refs("churn") == local_refs(alice, "churn")
    assert shared.server_git("rev-parse", "churn@v0.1.0^{commit}") == declaration
    assert shared.server_git("rev-parse", "main") == branch_before
    assert shared.server_git("branch", "--contains", declaration) == ""
    files = shared.server_git("ls-tree", "-r", "--name-only", "churn@v0.1.0").splitlines()
    assert {"dvc.yaml", "models/churn.pkl.dvc", "models/.gitignore"} <= set(files)
    assert "churn:" in shared.server_git("show", "churn@v0.1.0:dvc.yaml")


def test_promote_push_moves_the_stage_on_the_server_under_a_lease(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = shared.alice
    _register_versions(alice)
    trace = shared.root / "trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    head = "refs/git-model/models/churn@head"
    server_head = shared.server_refs_of(head)
    first = data(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    [push] = _pushes(trace)
    refs = {r["ref"]: r["new"] for r in first["refs"]}
    new_head = alice.git("rev-parse", head)
    assert push[:4] == [
        "--atomic",
        "--porcelain",
        "--force-with-lease=refs/tags/churn#prod:",  # must not exist there yet
        f"--force-with-lease={head}:{server_head}",  # nobody wrote to churn since the read
    ]
    assert f"{refs['refs/tags/churn#prod#1']}:refs/tags/churn#prod#1" in push  # create only
    assert push[-2:] == [  # moving, last: the stage tag, then the head
        f"{refs['refs/tags/churn#prod']}:refs/tags/churn#prod",
        f"{new_head}:{head}",
    ]
    assert new_head == refs["refs/tags/churn#prod#1"]  # the write's last event
    assert shared.server_refs("churn") == local_refs(alice, "churn")
    assert shared.server_refs_of(head) == new_head

    trace.unlink()
    old = shared.server_refs("churn")["refs/tags/churn#prod"]
    second = data(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")
    [push] = _pushes(trace)
    refs = {r["ref"]: r["new"] for r in second["refs"]}
    assert [a for a in push if a.startswith("--force-with-lease")] == [
        f"--force-with-lease=refs/tags/churn#prod:{old}",
        f"--force-with-lease={head}:{new_head}",
    ]
    assert push[-4:] == [
        f"{refs['refs/tags/churn#prod!#2']}:refs/tags/churn#prod!#2",
        f"{refs['refs/tags/churn#prod#3']}:refs/tags/churn#prod#3",
        f"{refs['refs/tags/churn#prod']}:refs/tags/churn#prod",
        f"{refs['refs/tags/churn#prod#3']}:{head}",
    ]
    assert shared.server_refs("churn") == local_refs(alice, "churn")
    server_prod = shared.server_git("rev-parse", "churn#prod^{commit}")
    assert server_prod == alice.git("rev-parse", "churn@v0.2.0^{commit}")


@pytest.mark.parametrize("ref", ["refs/tags/churn#prod", "refs/git-model/models/churn@head"])
def test_a_stale_lease_is_refused_whatever_the_ref(shared: Shared, ref: str) -> None:
    """A lease is the only guard of a moving ref on the remote: a push that expects a value
    the remote no longer has must be refused (a "+" on the refspec would force it past)."""
    alice = shared.alice
    _register_versions(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    seen = shared.server_refs_of(ref)
    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")  # it moves on
    now = shared.server_refs_of(ref)
    assert seen is not None and now not in (None, seen)
    other = alice.git("rev-parse", "refs/tags/churn@v0.3.0")
    refused = api.Git.discover(alice.path).push_refs(
        "origin", [RefUpdate(ref, other, seen, moving=True)], {ref: seen}
    )
    assert [r for r, _ in refused] == [ref]
    assert "stale info" in refused[0][1]
    assert shared.server_refs_of(ref) == now


def test_a_promotion_that_loses_the_race_on_the_server_is_refused_and_changes_nothing(
    shared: Shared,
) -> None:
    """Bob's push is on its way when Alice's lands: Bob's pre-push hook (run by his
    ``git push``, after git-model read the server) makes Alice promote, with a real
    git-model process in her clone. Bob's stale push must be refused whole."""
    alice = shared.alice
    _register_versions(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    bob = shared.clone("bob")
    alice_out = shared.root / "alice.json"
    fired = shared.root / "fired"
    _hook(
        bob.path / ".git" / "hooks" / "pre-push",
        f"""[ -e {fired} ] && exit 0
touch {fired}
cd {alice.path} && env -u GIT_DIR -u GIT_WORK_TREE -u GIT_PREFIX \\
  {EXE} promote churn@0.2.0 --to prod --push --json > {alice_out}
""",
    )
    bob_before = local_refs(bob, "churn")

    refused = bob.cli("promote", "churn@0.3.0", "--to", "prod", "--push")

    assert refused.exit_code == 8
    line = _one_line_error(refused.stderr)
    winner = json.loads(alice_out.read_text())
    [assign] = [e["tag"] for e in winner["events"] if e["kind"] == "promoted"]
    assert "Test User promoted v0.2.0 to prod at 2026-01-01T" in line
    assert f"({assign})" in line
    assert "re-run" in line
    # The server holds exactly Alice's promotion; Bob holds only what he fetched from it.
    assert shared.server_refs("churn") == local_refs(alice, "churn")
    assert local_refs(bob, "churn") == shared.server_refs("churn")
    assert set(bob_before.items()) - set(local_refs(bob, "churn").items()) == {
        ("refs/tags/churn#prod", bob_before["refs/tags/churn#prod"])
    }
    assert stages(bob, "churn")["prod"] == "0.2.0"

    again = data(bob, "promote", "churn@0.3.0", "--to", "prod", "--push")
    assert again["replaced"] == "0.2.0"
    assert shared.server_refs("churn") == local_refs(bob, "churn")
    assert stages(shared.clone("carol"), "churn")["prod"] == "0.3.0"


def test_a_release_of_several_models_is_one_atomic_push_or_nothing(shared: Shared) -> None:
    """``promote a@X b@Y --to prod --push`` sends every ref of both models in one atomic
    push. When the second model moved on the server while the push was on its way (Bob
    promotes fraud from his clone, in Alice's pre-push hook), neither model moves
    anywhere: not on the server, not in Alice's clone."""
    alice = shared.alice
    _register_versions(alice, "churn", ("1.0.0",))
    _register_versions(alice, "fraud", ("3.4.0", "3.5.0"))
    trace = shared.root / "trace.log"
    bob = shared.clone("bob")
    fired = shared.root / "fired"
    _hook(
        alice.path / ".git" / "hooks" / "pre-push",
        f"""[ -e {fired} ] && exit 0
touch {fired}
cd {bob.path} && env -u GIT_DIR -u GIT_WORK_TREE -u GIT_PREFIX \\
  {EXE} promote fraud@3.4.0 --to prod --push > /dev/null
""",
    )
    before = {m: local_refs(alice, m) for m in ("churn", "fraud")}
    refused = alice.cli("promote", "churn@1.0.0", "fraud@3.5.0", "--to", "prod", "--push")
    assert refused.exit_code == 8, refused.stderr
    assert "fraud" in _one_line_error(refused.stderr)
    assert "refs/tags/churn#prod" not in shared.server_refs("churn")  # churn did not move
    assert stages(bob, "fraud")["prod"] == "3.4.0"  # the server holds only Bob's change
    assert local_refs(alice, "churn") == before["churn"]
    assert stages(alice, "churn")["prod"] is None

    with pytest.MonkeyPatch.context() as env:
        env.setenv("GIT_TRACE", str(trace))
        release = data(alice, "promote", "churn@1.0.0", "fraud@3.5.0", "--to", "prod", "--push")
    [push] = _pushes(trace)
    assert push[0] == "--atomic"
    pushed = {arg.rsplit(":", 1)[1] for arg in push if not arg.startswith("--") and ":" in arg}
    assert {"refs/tags/churn#prod", "refs/tags/fraud#prod"} <= pushed
    assert [c["model"] for c in release["changes"]] == ["churn", "fraud"]
    for model in ("churn", "fraud"):
        assert shared.server_refs(model) == local_refs(alice, model)
    carol = shared.clone("carol")
    assert stages(carol, "churn")["prod"] == "1.0.0" and stages(carol, "fraud")["prod"] == "3.5.0"


def test_a_pushing_write_first_fetches_what_others_pushed(shared: Shared) -> None:
    """A clone that did not fetch acts on the server's state (``--push`` fetches first) and
    says whom it replaced; the lease only refuses a change made while the command ran."""
    alice = shared.alice
    _register_versions(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    bob = shared.clone("bob")
    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")

    result = bob.cli("promote", "churn@0.3.0", "--to", "prod", "--push")
    assert result.exit_code == 0, result.stderr
    assert "Promoted churn v0.3.0 to prod, replacing v0.2.0" in result.stdout
    assert shared.server_refs("churn") == local_refs(bob, "churn")
    history = [e["tag"] for e in data(bob, "history", "churn", "--oldest-first")["events"]]
    assert history[-5:] == [
        "churn#prod#1",
        "churn#prod!#2",
        "churn#prod#3",
        "churn#prod!#4",
        "churn#prod#5",
    ]


def test_demote_archive_and_deprecate_push_leave_the_server_as_the_writer(
    shared: Shared,
) -> None:
    alice = shared.alice
    _register_versions(alice)
    for ref, stage in (("churn@0.1.0", "dev"), ("churn@0.2.0", "staging"), ("churn@0.3.0", "prod")):
        ok(alice, "promote", ref, "--to", stage, "--push")
    assert shared.server_refs("churn") == local_refs(alice, "churn")

    ok(alice, "demote", "churn#prod", "--push")
    assert "refs/tags/churn#prod" not in shared.server_refs("churn")
    assert shared.server_refs("churn") == local_refs(alice, "churn")

    ok(alice, "archive", "churn@0.2.0", "--demote", "--push")
    assert "refs/tags/churn#staging" not in shared.server_refs("churn")
    assert shared.server_refs("churn") == local_refs(alice, "churn")

    ok(alice, "deprecate", "churn", "--push")
    assert shared.server_refs("churn") == local_refs(alice, "churn")
    stage_tags = [r for r in shared.server_refs("churn") if re.fullmatch(r"refs/tags/churn#\w+", r)]
    assert stage_tags == []
    fresh = shared.clone("carol")
    assert data(fresh, "show", "churn", "--all")["deprecated"] is True
    assert data(fresh, "doctor")["lags"] == []


# --- fetching ---------------------------------------------------------------------------------


def test_git_model_fetch_brings_moved_and_demoted_stage_tags(shared: Shared) -> None:
    alice = shared.alice
    _register_versions(alice, versions=("0.1.0", "0.2.0"))
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    ok(alice, "promote", "churn@0.1.0", "--to", "staging", "--push")
    bob = shared.clone("bob")
    old = bob.git("rev-parse", "churn#prod")
    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")
    ok(alice, "demote", "churn#staging", "--push")

    plain = subprocess.run(
        ["git", "fetch", "--tags"], cwd=bob.path, capture_output=True, text=True, check=False
    )
    assert "would clobber existing tag" in plain.stderr
    assert bob.git("rev-parse", "churn#prod") == old  # Git left the stale stage tag
    assert bob.git("rev-parse", "churn#staging^{commit}")  # and the demoted one
    shown = bob.cli("show")
    assert shown.exit_code == 0
    assert "warning: stage tag churn#prod points at" in shown.stderr
    assert "put v0.2.0 in prod" in shown.stderr
    assert "warning: stage tag churn#staging points at" in shown.stderr
    assert "git model fetch" in shown.stderr

    fetched = bob.cli("fetch")
    assert fetched.exit_code == 0, fetched.stderr
    assert local_refs(bob, "churn") == shared.server_refs("churn")
    assert bob.git("tag", "-l", "churn#staging") == ""
    assert bob.git("rev-parse", "churn#prod^{commit}") == alice.git(
        "rev-parse", "churn@v0.2.0^{commit}"
    )
    again = bob.cli("show")
    assert again.stderr == ""
    assert stages(bob, "churn") == {"dev": None, "staging": None, "prod": "0.2.0"}
    assert bob.cli("fetch").stdout.startswith("The registry is up to date with origin")


COLLISIONS = pytest.mark.parametrize(
    ("local_stage", "their_stage"),
    [("staging", "staging"), ("dev", "staging")],
    ids=["same-tag-name", "same-counter-other-stage"],
)


def _diverge(shared: Shared, local_stage: str, their_stage: str) -> tuple[Repo, str, str]:
    """Carol records an event without pushing it; meanwhile Alice pushes one with the same
    counter (the same tag name, or the same counter on another stage). Returns Carol's
    clone, her event's tag and its object."""
    alice = shared.alice
    _register_versions(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    carol = shared.clone("carol")
    mine = data(carol, "promote", "churn@0.2.0", "--to", local_stage)
    [my_event] = [e["tag"] for e in mine["events"]]
    theirs = data(alice, "promote", "churn@0.3.0", "--to", their_stage, "--push")
    [their_event] = [e["tag"] for e in theirs["events"]]
    assert my_event.rsplit("#", 1)[1] == their_event.rsplit("#", 1)[1]  # the counters collide
    return carol, my_event, carol.git("rev-parse", f"refs/tags/{my_event}")


def test_a_push_publishes_the_stage_tags_of_earlier_unpushed_writes(shared: Shared) -> None:
    """A promotion made without --push, then another write with --push: the events of both
    reach the server, and so must the stage tag the first one moved."""
    alice = shared.alice
    _register_versions(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "dev")  # not pushed
    ok(alice, "promote", "churn@0.2.0", "--to", "prod")  # not pushed either
    ok(alice, "annotate", "churn@0.2.0", "uat=passed", "--push")
    assert shared.server_refs("churn") == local_refs(alice, "churn")
    fresh = shared.clone("fresh")
    shown = fresh.cli("show", "churn")
    assert shown.exit_code == 0 and "warning" not in shown.stderr, shown.stderr
    assert stages(fresh, "churn") == {"dev": "0.1.0", "staging": None, "prod": "0.2.0"}


@COLLISIONS
def test_fetch_keeps_and_reports_unpushed_local_events_that_collide(
    shared: Shared, local_stage: str, their_stage: str
) -> None:
    carol, my_event, my_object = _diverge(shared, local_stage, their_stage)
    fetched = carol.cli("fetch")
    assert fetched.exit_code == 8, fetched.stdout
    assert my_event in fetched.stderr
    assert carol.git("rev-parse", f"refs/tags/{my_event}") == my_object


@COLLISIONS
def test_a_pushing_write_over_unpushed_colliding_events_is_refused_and_changes_nothing(
    shared: Shared, local_stage: str, their_stage: str
) -> None:
    carol, my_event, _ = _diverge(shared, local_stage, their_stage)
    carol_before, server_before = local_refs(carol), shared.server_refs()
    refused = carol.cli("promote", "churn@0.2.0", "--to", "prod", "--push")
    assert refused.exit_code == 8, refused.stdout
    line = _one_line_error(refused.stderr)
    assert my_event in line
    assert "never pushed" in line
    assert local_refs(carol) == carol_before
    assert shared.server_refs() == server_before


# --- racing writers ---------------------------------------------------------------------------

ROUNDS = 15


def _race(clones: list[Repo], versions: list[str]) -> list[tuple[int, Any, str]]:
    """Start one ``promote --push`` per clone at once (real processes); wait for all."""
    procs = [
        subprocess.Popen(
            [EXE, "promote", f"churn@{v}", "--to", "prod", "--push", "--json"],
            cwd=clone.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for clone, v in zip(clones, versions, strict=True)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate()
        results.append((proc.returncode, json.loads(out) if proc.returncode == 0 else None, err))
    return results


def test_racing_promotions_from_two_clones_never_corrupt_the_server(
    shared: Shared, elsewhere: Repo
) -> None:
    """Alice and Bob, each with their own fetched state, promote different versions to
    prod at the same moment against one bare server, 15 times. Every round: each command
    either wins or is refused with exit 8 naming the winner's event, at least one wins,
    no winner's event is missing on the server and nothing else appeared there, the
    server's counters are unique and its stage tag is where its newest event says, and
    both clones hold exactly the server's tags after a fetch. On two cores 6 to 10 rounds
    of the 15 collided (one exit 8) in every run we made, so the run asserts that at least
    one round did."""
    alice = shared.alice
    versions = ["0.1.0", "0.2.0", "0.3.0", "0.4.0"]
    for version in versions:
        alice.commit(version, files={"churn.txt": version})
        ok(alice, "register", "churn", "--version", version)
    alice.git("push", "-q", "origin", "--tags")
    bob = shared.clone("bob")
    clones = [alice, bob]
    collisions = 0
    server_events = {e["tag"] for e in data(bob, "history", "churn")["events"]}
    for round_ in range(ROUNDS):
        # Neither version holds prod yet: the last round's pair were the other two.
        pair = [versions[(2 * round_) % 4], versions[(2 * round_ + 1) % 4]]
        results = _race(clones, pair)
        codes = [code for code, _, _ in results]
        assert set(codes) <= {0, 8}, results
        assert 0 in codes, results
        winners = [change for code, change, _ in results if code == 0]
        won_events = {e["tag"] for w in winners for e in w["events"]}
        new_objects = {
            r["ref"]: r["new"] for w in winners for r in w["refs"] if r["ref"].count("#") == 2
        }
        for code, _, err in results:
            if code == 8:
                collisions += 1
                refused = json.loads(err)  # with --json, an error is a JSON object too
                assert (refused["exit_code"], refused["type"]) == (8, "ConcurrentUpdate")
                line = refused["error"]
                [winner] = winners
                [assign] = [e["tag"] for e in winner["events"] if e["kind"] == "promoted"]
                version = winner["version"]["version"]
                assert f"promoted v{version} to prod" in line
                assert f"({assign})" in line

        # The server, read without a clone and through a fresh clone.
        on_server = shared.server_refs("churn")
        for ref, oid in new_objects.items():
            assert on_server[ref] == oid  # no winner's event lost
        remote = data(elsewhere, "show", "churn", "--repo", str(shared.server))
        fresh = shared.clone(f"fresh-{round_}")
        history = data(fresh, "history", "churn")["events"]  # newest first
        counters = [e["counter"] for e in history if e["counter"] is not None]
        assert len(counters) == len(set(counters))
        newest = history[0]
        assert newest["kind"] == "promoted"
        assert newest["stage"] == "prod"
        assert newest["version"] in pair
        holder = {c["stage"]: c["holder"] for c in remote["stages"]}["prod"]
        assert holder["version"] == newest["version"]
        assert holder["event"] == newest["tag"]
        assert shared.server_git("rev-parse", "churn#prod^{commit}") == newest["commit"]
        assert data(fresh, "doctor")["lags"] == []
        tags = {e["tag"] for e in history}
        assert won_events <= tags
        assert tags - server_events - won_events == set()  # nothing else appeared
        server_events = tags
        shutil.rmtree(fresh.path)

        for clone in clones:
            ok(clone, "fetch")
            assert stages(clone, "churn")["prod"] == newest["version"]
            assert data(clone, "show", "churn")["lags"] == []
            assert local_refs(clone, "churn") == shared.server_refs("churn")
    assert collisions >= 1


# --- reading a remote without cloning ---------------------------------------------------------


def _summary(view: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a remote's listing can tell: versions and stage holders, not who or when."""
    return [
        (
            m["name"],
            m["latest"]["version"],
            m["latest"]["commit"],
            m["versions"],
            m["deprecated"],
            [
                (c["stage"], c["holder"] and (c["holder"]["version"], c["holder"]["event"]))
                for c in m["stages"]
            ],
        )
        for m in view["models"]
    ]


def test_show_repo_reads_a_remote_registry_without_cloning(shared: Shared, elsewhere: Repo) -> None:
    alice = shared.alice
    _register_versions(alice)
    _register_versions(alice, "fraud/tx-classifier", ("1.0.0", "1.1.0"))
    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")
    ok(alice, "promote", "churn@0.3.0", "--to", "staging", "--push")
    ok(alice, "promote", "fraud/tx-classifier@1.0.0", "--to", "prod", "--push")
    mine = data(alice, "show")
    for where, source in (
        (elsewhere, str(shared.server)),
        (elsewhere, f"file://{shared.server}"),
        (alice, f"file://{shared.server}"),
    ):
        remote = data(where, "show", "--repo", source)
        assert _summary(remote) == _summary(mine)
        for m in remote["models"]:
            assert (m["latest"]["author"], m["latest"]["date"]) == (None, None)
            for cell in m["stages"]:
                if cell["holder"]:
                    assert (cell["holder"]["by"], cell["holder"]["since"]) == (None, None)
    assert len(list(elsewhere.path.iterdir())) == 0  # nothing was cloned there

    one = data(elsewhere, "show", "churn", "--repo", str(shared.server))
    local = data(alice, "show", "churn")
    assert one["stages"] == [
        {**c, "holder": c["holder"] and {**c["holder"], "since": None, "by": None}}
        for c in local["stages"]
    ]
    assert [(v["version"], v["commit"], v["stages"]) for v in one["versions"]] == [
        (v["version"], v["commit"], v["stages"]) for v in local["versions"]
    ]
    assert all(v["author"] is None and v["date"] is None for v in one["versions"])
    table = elsewhere.cli("show", "--repo", str(shared.server))
    assert table.exit_code == 0
    assert "fraud/tx-classifier" in table.stdout


@pytest.mark.parametrize("inside", [False, True], ids=["elsewhere", "in-a-clone"])
def test_an_unreachable_remote_is_one_line_and_exit_12(
    shared: Shared, elsewhere: Repo, inside: bool
) -> None:
    where = shared.alice if inside else elsewhere
    for source in (str(shared.root / "nowhere.git"), f"file://{shared.root}/nowhere.git"):
        for command in (["show"], ["show", "churn"], ["get", "churn#prod"]):
            result = where.cli(*command, "--repo", source)
            assert result.exit_code == 12, (command, source, result.stderr)
            assert "cannot reach" in _one_line_error(result.stderr)


@pytest.mark.parametrize(
    "source",
    ["ext::sh -c touch% {pwned}", "--upload-pack=touch {pwned}", "-u"],
    ids=["ext-helper", "upload-pack-option", "short-option"],
)
def test_a_remote_that_would_run_a_command_is_refused(
    shared: Shared, elsewhere: Repo, source: str
) -> None:
    _register_versions(shared.alice, versions=("0.1.0",))
    ok(shared.alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    pwned = shared.root / "pwned"
    bad = source.format(pwned=pwned)
    for where in (elsewhere, shared.alice):
        before = local_refs(shared.alice)
        for command in (["show"], ["show", "churn"], ["get", "churn#prod"]):
            result = where.cli(*command, f"--repo={bad}")
            assert result.exit_code == 4, (command, result.stderr)
            assert "is not a remote git-model will use" in _one_line_error(result.stderr)
        assert local_refs(shared.alice) == before
    with pytest.raises(InvalidRemote):
        api.artifact_path("churn#prod", source=bad, repo=shared.alice.path)
    assert not pwned.exists()
    assert list(elsewhere.path.iterdir()) == []


# --- downloading artifacts --------------------------------------------------------------------


def test_get_in_the_writers_clone_reads_its_dvc_cache(shared: Shared) -> None:
    alice = shared.alice
    md5s = _register_artifacts(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    shutil.rmtree(shared.storage)  # the DVC remote is not needed: the cache has it
    got = data(alice, "get", "churn#prod", "-o", str(shared.root / "from-alice.pkl"))
    assert md5(shared.root / "from-alice.pkl") == md5s["0.1.0"]
    assert got["verified"] is True
    assert got["source"] == str(alice.path)


def test_get_in_a_fresh_clone_downloads_from_the_dvc_remote(shared: Shared) -> None:
    alice = shared.alice
    md5s = _register_artifacts(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    bob = shared.clone("bob")
    assert not (bob.path / ".dvc" / "cache").exists()  # nothing but the DVC remote has it
    result = data(bob, "get", "churn#prod", "-o", "model.pkl")
    assert md5(bob.path / "model.pkl") == md5s["0.1.0"]
    assert bob.path / result["path"] == bob.path / "model.pkl"
    assert result["source"] == str(bob.path)
    assert result["artifact"]["md5"] == md5s["0.1.0"]


@pytest.mark.parametrize("from_server", [False, True], ids=["fresh-clone", "repo-server"])
def test_get_when_neither_the_cache_nor_the_dvc_remote_has_it_is_exit_11(
    shared: Shared, elsewhere: Repo, from_server: bool
) -> None:
    """The DVC remote lost the object and no cache holds it: a one-line error, no file."""
    md5s = _register_artifacts(shared.alice, ("0.1.0",))
    shared.stored(md5s["0.1.0"]).unlink()
    where, extra = elsewhere, ["--repo", str(shared.server)]
    if not from_server:
        where, extra = shared.clone("bob"), []
    result = where.run("get", "churn@0.1.0", *extra, "-o", "model.pkl")  # as users see it
    assert result.returncode == 11, result.stderr
    assert "DVC could not download" in _one_line_error(result.stderr)
    assert not (where.path / "model.pkl").exists()
    assert [p.name for p in where.path.iterdir() if p.name.startswith(".git-model")] == []


def test_get_with_repo_from_a_directory_that_is_no_clone(shared: Shared, elsewhere: Repo) -> None:
    alice = shared.alice
    md5s = _register_artifacts(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    fetched = data(elsewhere, "get", "churn@0.2.0", "--repo", str(shared.server))
    commit = alice.git("rev-parse", "churn@v0.2.0^{commit}")
    assert fetched == {
        "model": "churn",
        "version": "0.2.0",
        "commit": commit,
        "source": str(shared.server),
        "artifact": {
            "path": "models/churn.pkl",
            "md5": md5s["0.2.0"],
            "size": 20_000,
            "files": None,
            "kind": "dvc",
            "blob": None,
            "etag": None,
        },
        "path": str(elsewhere.path / "churn.pkl"),
        "verified": True,
    }
    assert md5(elsewhere.path / "churn.pkl") == md5s["0.2.0"]
    assert sorted(p.name for p in elsewhere.path.iterdir()) == ["churn.pkl"]  # no clone left
    text = elsewhere.cli("get", "churn#prod", "--repo", f"file://{shared.server}", "-o", "p.pkl")
    assert text.exit_code == 0, text.stderr
    assert "Downloaded churn v0.1.0 (models/churn.pkl, 19.5 KiB) to" in text.stdout
    assert f"Verified: md5 {md5s['0.1.0']}" in text.stdout
    assert md5(elsewhere.path / "p.pkl") == md5s["0.1.0"]


def test_get_output_paths_and_overwriting(shared: Shared, elsewhere: Repo) -> None:
    alice = shared.alice
    md5s = _register_artifacts(alice)
    server = str(shared.server)
    into = elsewhere.path / "models"
    into.mkdir()
    result = data(elsewhere, "get", "churn@0.1.0", "--repo", server, "-o", "models")
    assert elsewhere.path / result["path"] == into / "churn.pkl"  # a directory: written into
    assert md5(into / "churn.pkl") == md5s["0.1.0"]

    target = elsewhere.path / "deploy.bin"
    target.write_text("the file in production\n")
    refused = elsewhere.cli("get", "churn@0.2.0", "--repo", server, "-o", "deploy.bin")
    assert refused.exit_code == 6
    assert "deploy.bin already exists" in _one_line_error(refused.stderr)
    assert "--force" in refused.stderr
    assert target.read_text() == "the file in production\n"
    refused = elsewhere.cli("get", "churn@0.2.0", "--repo", server, "-o", "models")
    assert refused.exit_code == 6
    assert md5(into / "churn.pkl") == md5s["0.1.0"]

    ok(elsewhere, "get", "churn@0.2.0", "--repo", server, "-o", "deploy.bin", "--force")
    assert md5(target) == md5s["0.2.0"]
    ok(elsewhere, "get", "churn@latest", "--repo", server, "-o", "models", "--force")
    assert md5(into / "churn.pkl") == md5s["0.2.0"]
    assert sorted(p.name for p in elsewhere.path.rglob("*")) == [
        "churn.pkl",
        "deploy.bin",
        "models",
    ]


def test_a_corrupt_object_in_the_dvc_remote_is_detected_and_leaves_no_file(
    shared: Shared, elsewhere: Repo
) -> None:
    md5s = _register_artifacts(shared.alice, ("0.1.0",))
    stored = shared.stored(md5s["0.1.0"])
    stored.chmod(0o644)
    stored.write_bytes(b"not the model" * 100)
    bob = shared.clone("bob")
    for where, extra in ((elsewhere, ["--repo", str(shared.server)]), (bob, [])):
        result = where.cli("get", "churn@0.1.0", *extra, "-o", "model.pkl")
        assert result.exit_code == 11, result.stderr
        assert "corrupt" in _one_line_error(result.stderr)
        assert not (where.path / "model.pkl").exists()
        assert [p.name for p in where.path.iterdir() if p.name.startswith(".git-model")] == []


def test_get_a_version_without_an_artifact_is_exit_5(shared: Shared, elsewhere: Repo) -> None:
    _register_versions(shared.alice, versions=("0.1.0",))
    for where, extra in ((shared.alice, []), (elsewhere, ["--repo", str(shared.server)])):
        result = where.cli("get", "churn@0.1.0", *extra)
        assert result.exit_code == 5, result.stderr
        assert "declares no artifact for churn" in _one_line_error(result.stderr)
        assert not (where.path / "churn.pkl").exists()


def test_artifact_path_downloads_once_per_version(
    shared: Shared, elsewhere: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = shared.root / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.chdir(elsewhere.path)
    alice = shared.alice
    md5s = _register_artifacts(alice)
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    server = str(shared.server)

    path = api.artifact_path("churn#prod", source=server)
    assert path.is_relative_to(cache / "git-model" / "artifacts")
    assert md5(path) == md5s["0.1.0"]
    shared.storage.rename(shared.storage.with_name("gone"))  # no second download possible
    assert api.artifact_path("churn#prod", source=server) == path
    assert md5(path) == md5s["0.1.0"]

    shared.storage.with_name("gone").rename(shared.storage)
    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")
    newer = api.artifact_path("churn#prod", source=f"file://{shared.server}")
    assert newer != path
    assert md5(newer) == md5s["0.2.0"]
    assert md5(path) == md5s["0.1.0"]
    assert list(elsewhere.path.iterdir()) == []


def _artifact_nowhere(shared: Shared) -> Repo:
    """Alice registered without --push and pushed only the tags: the DVC remote lacks the
    artifact, and Bob's new clone has no copy of it to push."""
    alice = shared.alice
    save_model(alice)
    ok(alice, "register", "churn", "--path", "models/churn.pkl")
    alice.git("push", "-q", "origin", "--tags")
    return shared.clone("bob")


def test_promote_push_of_an_artifact_that_is_nowhere_is_refused(shared: Shared) -> None:
    """Bob's promotion must not point prod at something nobody can download."""
    bob = _artifact_nowhere(shared)
    bob_before, server_before = local_refs(bob), shared.server_refs()
    result = bob.cli("promote", "churn@0.1.0", "--to", "prod", "--push")
    assert result.exit_code == 11
    assert "is not in the DVC remote" in result.stderr
    assert local_refs(bob) == bob_before
    assert shared.server_refs() == server_before
    assert [p for p in shared.storage.rglob("*") if p.is_file()] == []


def test_the_refusal_of_an_artifact_that_is_nowhere_is_one_line(shared: Shared) -> None:
    """As a user sees it (a real process): one line on stderr, like every other error."""
    bob = _artifact_nowhere(shared)
    result = bob.run("promote", "churn@0.1.0", "--to", "prod", "--push")
    assert result.returncode == 11
    assert "is not in the DVC remote" in _one_line_error(result.stderr)


@pytest.fixture
def no_dvc_remote(tmp_path: Path, clock: Clock) -> Shared:
    """As ``shared``, before anyone has configured a DVC remote."""
    return make_shared(tmp_path, dvc_remote=False)


def test_a_push_without_a_dvc_remote_says_none_is_configured_and_how_to_add_one(
    no_dvc_remote: Shared,
) -> None:
    alice = no_dvc_remote.alice
    save_model(alice)
    before = no_dvc_remote.server_refs()
    result = alice.run("register", "churn", "--path", "models/churn.pkl", "--push")
    assert result.returncode == 11, result.stderr
    line = _one_line_error(result.stderr)
    assert "DVC could not push models/churn.pkl: no default DVC remote is configured" in line
    assert "; add one with `dvc remote add -d NAME URL` and commit .dvc/config" in line
    assert no_dvc_remote.server_refs() == before


@pytest.mark.parametrize("from_server", [False, True], ids=["fresh-clone", "repo-server"])
def test_get_without_a_dvc_remote_says_none_is_configured_and_how_to_add_one(
    no_dvc_remote: Shared, elsewhere: Repo, from_server: bool
) -> None:
    """Not "`dvc push` it": with no remote, there is nowhere to push it to."""
    alice = no_dvc_remote.alice
    save_model(alice)
    ok(alice, "register", "churn", "--path", "models/churn.pkl")
    alice.git("push", "-q", "origin", "HEAD", "--tags")
    where, extra = elsewhere, ["--repo", str(no_dvc_remote.server)]
    if not from_server:
        where, extra = no_dvc_remote.clone("bob"), []
    result = where.run("get", "churn@0.1.0", *extra, "-o", "model.pkl")
    assert result.returncode == 11, result.stderr
    line = _one_line_error(result.stderr)
    commit = alice.git("rev-parse", "churn@v0.1.0^{commit}")
    assert f"commit {commit[:12]} configures no default DVC remote; add one with" in line
    assert "`dvc remote add -d NAME URL`" in line
    assert not (where.path / "model.pkl").exists()


def test_the_fix_for_a_missing_dvc_remote_works_as_the_error_says(no_dvc_remote: Shared) -> None:
    """Add a remote and commit it, push the artifact: a version registered before needs the
    remote in the clone (--local, as the error says), one registered after does not."""
    alice = no_dvc_remote.alice
    first = md5(save_model(alice))
    ok(alice, "register", "churn", "--path", "models/churn.pkl")
    storage = str(no_dvc_remote.storage)
    dvc(alice, "remote", "add", "-d", "storage", storage)
    alice.git("commit", "-q", "-m", "The team's DVC storage", ".dvc/config")
    dvc(alice, "push", "-q")
    second = md5(save_model(alice))
    ok(alice, "register", "churn", "--path", "models/churn.pkl", "--push")
    alice.git("push", "-q", "origin", "HEAD", "--tags")
    bob = no_dvc_remote.clone("bob")
    ok(bob, "get", "churn@0.2.0", "-o", "second.pkl")
    assert md5(bob.path / "second.pkl") == second
    refused = bob.run("get", "churn@0.1.0", "-o", "first.pkl")
    assert refused.returncode == 11
    assert "`dvc remote add --local -d NAME URL` in this clone" in refused.stderr
    dvc(bob, "remote", "add", "--local", "-d", "storage", storage)
    ok(bob, "get", "churn@0.1.0", "-o", "first.pkl")
    assert md5(bob.path / "first.pkl") == first


@pytest.mark.parametrize("inside", [False, True], ids=["elsewhere", "in-a-clone"])
def test_what_get_and_show_with_repo_suggest_works_where_they_ran(
    shared: Shared, elsewhere: Repo, inside: bool
) -> None:
    """A model, version or stage missing on the remote: the `git model show` the error
    suggests reads that remote (--repo), so it works outside a clone too."""
    _register_versions(shared.alice, versions=("0.1.0",))
    where, source = (shared.clone("bob"), "origin") if inside else (elsewhere, str(shared.server))
    for command in (
        ["get", "churn#prod"],
        ["get", "churn@9.9.9"],
        ["get", "ghost@latest"],
        ["show", "ghost"],
    ):
        result = where.run(*command, "--repo", source)
        assert result.returncode == 5, result.stderr
        suggested = re.findall(r"`(git model show[^`]*)`", _one_line_error(result.stderr))
        assert suggested, result.stderr
        for line in suggested:
            assert line.endswith(f" --repo {shlex.quote(source)}"), line
            followed = where.run(*shlex.split(line)[2:])
            assert followed.returncode == 0, (line, followed.stderr)


# --- fixes found while documenting ------------------------------------------------------------


def test_a_relative_dvc_remote_url_receives_the_push(shared: Shared) -> None:
    """DVC resolves a relative remote URL against the wrong root when it reads a revision;
    the artifact is pushed by hash from the work tree, where the URL means what it says."""
    alice = shared.alice
    dvc(alice, "remote", "modify", "storage", "url", "../dvc-storage")
    alice.git("commit", "-q", "-am", "The storage, relative to the project")
    artifact = save_model(alice)
    ok(alice, "register", "churn", "--path", "models/churn.pkl", "--push")
    assert shared.stored(md5(artifact)).exists()
    bob = shared.clone("bob")
    ok(bob, "get", "churn@latest", "-o", "model.pkl")
    assert md5(bob.path / "model.pkl") == md5(artifact)


def test_a_directory_artifact_is_pushed_whole_and_downloaded_verified(
    shared: Shared, elsewhere: Repo
) -> None:
    alice = shared.alice
    for name in ("weights.bin", "config.json", "vocab/words.txt"):
        save_model(alice, f"models/bert/{name}", 2_000)
    ok(alice, "register", "bert", "--path", "models/bert", "--push")
    files = sorted(p for p in (alice.path / "models/bert").rglob("*") if p.is_file())
    for path in files:
        assert shared.stored(md5(path)).exists()
    got = data(elsewhere, "get", "bert@latest", "--repo", str(shared.server), "-o", "bert/")
    assert got["artifact"]["files"] == 3
    out = Path(got["path"])
    assert out == elsewhere.path / "bert" / "bert"
    assert sorted(md5(p) for p in out.rglob("*") if p.is_file()) == sorted(map(md5, files))


def test_versions_registered_without_push_go_out_with_their_artifacts(shared: Shared) -> None:
    alice = shared.alice
    artifact = save_model(alice)
    ok(alice, "register", "churn", "--path", "models/churn.pkl")  # not pushed
    assert not shared.stored(md5(artifact)).exists()
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    assert "refs/tags/churn@v0.1.0" in shared.server_refs("churn")
    assert shared.stored(md5(artifact)).exists()


def test_fetch_leaves_a_clashing_models_stage_tags_alone(shared: Shared) -> None:
    carol, _, _ = _diverge(shared, "dev", "staging")
    assert carol.cli("fetch").exit_code == 8  # brings the new events; stage tags follow them
    before = local_refs(carol, "churn")
    for _ in range(2):
        again = carol.cli("fetch")
        assert again.exit_code == 8
        assert "Repaired" not in again.stdout
        assert "Fetched" not in again.stdout
    assert local_refs(carol, "churn") == before
