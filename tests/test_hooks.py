"""The push hooks: a real bare server repository with git-model's pre-receive hook
installed, receiving real pushes from real clones. Every refusal has a test in which a
plain `git tag -f ... && git push -f` (or a crafted tag) is refused, the hook names the tag
and the reason, and no ref of the server changes; legal pushes, `git model ... --push`
among them, go through. An existing hook is kept and chained; the client's pre-push hook
refuses the same way, where core.hooksPath says; the hook reads only the models pushed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from git_model import api
from git_model.commands.hooks import MARK
from git_model.results import PushReview, Rule
from tests.conftest import BIN, Clock, Repo
from tests.helpers import data, ok, stages, traced_git_calls
from tests.remotes import git_at
from tests.test_architecture import _bulk_tags
from tests.test_signing import POLICY as SIGNED_POLICY
from tests.test_signing import SIGNERS, allowed_line, keygen, use_key

ROOT = Path(__file__).parent.parent
POLICY = """\
stages: [dev, staging, prod]
gates:
  prod:
    after: staging
"""
FORCE_POLICY = f"""\
stages: [dev, staging, prod]
signing:
  allowed_signers: {SIGNERS}
  groups:
    ml-leads: [alice@example.com]
  force: [ml-leads]
gates:
  prod:
    after: staging
"""
LAX = "stages: [dev, staging, prod]\n"


@dataclass
class Team:
    """A bare server with git-model's pre-receive hook, and Alice's clone."""

    root: Path
    server: Path
    alice: Repo

    def refs(self) -> str:
        """Every ref of the server and its object: compare before and after a push."""
        return git_at(self.server, "for-each-ref", "--format=%(refname) %(objectname)")

    def clone(self, name: str) -> Repo:
        git_at(self.root, "clone", "-q", str(self.server), name)
        return Repo(self.root / name)

    def commit_of(self, tag: str) -> str:
        return self.alice.git("rev-parse", f"{tag}^{{commit}}")


def push(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", *args], cwd=repo.path, capture_output=True, text=True, check=False
    )


def refused(team: Team, repo: Repo, *args: str) -> str:
    """Push, expect the server to refuse it and change no ref; what the hook said."""
    before = team.refs()
    proc = push(repo, *args)
    assert proc.returncode != 0, proc.stderr
    assert "pre-receive hook declined" in proc.stderr, proc.stderr
    assert team.refs() == before
    return proc.stderr


def accepted(repo: Repo, *args: str) -> None:
    proc = push(repo, *args)
    assert proc.returncode == 0, proc.stderr


def craft(
    repo: Repo, name: str, target: str, *, ours: bool = True, trailers: str = "", sign: bool = False
) -> None:
    """An annotated tag made by hand; ``ours``: with git-model's trailer block, as if
    git-model wrote it."""
    block = f"Written-By: git-model\n{trailers}Follows: none\n" if ours else ""
    message = f"by hand\n\n{block}"
    repo.git("tag", "-f", "-s" if sign else "-a", name, target, "-F", "-", input=message)


def make_team(tmp_path: Path, policy: str = POLICY, files: dict[str, str] | None = None) -> Team:
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    alice = Repo(tmp_path / "alice")
    alice.path.mkdir()
    alice.git("init", "-q")
    alice.commit("Policy", files={"git-model.yaml": policy, **(files or {})})
    alice.git("remote", "add", "origin", str(server))
    alice.git("push", "-q", "-u", "origin", "main")
    installed = Repo(server).cli("hooks", "install", "--server")
    assert installed.exit_code == 0, installed.stderr
    return Team(tmp_path, server, alice)


@pytest.fixture
def team(tmp_path: Path, clock: Clock) -> Team:
    """churn v1.0.0 promoted through dev, staging and prod (events #1-#3) and v1.1.0
    registered on a later commit, all with `git model ... --push` through the hook."""
    team = make_team(tmp_path)
    alice = team.alice
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    for stage in ("dev", "staging", "prod"):
        clock.tick(60)
        ok(alice, "promote", "churn@1.0.0", "--to", stage, "--push")
    alice.commit("retrain")
    ok(alice, "register", "churn", "--version", "1.1.0", "--push")
    return team


# --- installing ---------------------------------------------------------------------------


def test_the_server_hook_is_a_script_that_runs_this_git_model(tmp_path: Path, clock: Clock) -> None:
    team = make_team(tmp_path)
    hook = team.server / "hooks" / "pre-receive"
    text = hook.read_text()
    assert os.access(hook, os.X_OK)
    assert MARK in text
    assert f"'{BIN / 'git-model'}' hooks run pre-receive" in text
    again = Repo(team.server).cli("hooks", "install", "--server")
    assert again.stdout.startswith(f"Updated the pre-receive hook: {hook}")
    assert not (team.server / "hooks" / "pre-receive.chained").exists()
    installed = json.loads(Repo(team.server).cli("hooks", "install", "--server", "--json").stdout)
    assert installed == {
        "hook": "pre-receive",
        "path": str(hook),
        "command": str(BIN / "git-model"),
        "chained": None,
        "updated": True,
    }


def test_a_bare_repository_takes_the_server_hook_only(tmp_path: Path, clock: Clock) -> None:
    team = make_team(tmp_path)
    result = Repo(team.server).cli("hooks", "install")
    assert result.exit_code == 2
    assert "install its hook with `git model hooks install --server`" in result.stderr


# --- what passes --------------------------------------------------------------------------


def test_legal_pushes_pass(team: Team, clock: Clock) -> None:
    alice = team.alice
    clock.tick(60)
    ok(alice, "promote", "churn@1.1.0", "--to", "dev", "--push", "-m", "next")
    ok(alice, "annotate", "churn@1.0.0", "uat=passed", "--push")
    ok(alice, "demote", "churn#dev", "--push")
    ok(alice, "promote", "churn@1.1.0", "--to", "staging", "--push")
    ok(alice, "promote", "churn@1.1.0", "--to", "prod", "--push")
    ok(alice, "rollback", "churn#prod", "--push")
    alice.commit("third")
    ok(alice, "register", "churn", "--version", "1.2.0", "--push")
    ok(alice, "archive", "churn@1.2.0", "--push")
    ok(alice, "register", "fraud", "--push")
    ok(alice, "deprecate", "fraud", "--push")
    assert stages(alice, "churn") == {"dev": None, "staging": "1.1.0", "prod": "1.0.0"}
    # Branches and tags that are not the registry's pass untouched, as do names with an
    # @ or a # that the registry does not read.
    alice.commit("docs", files={"README.md": "read me\n"})
    alice.git("tag", "v2026.1")
    alice.git("tag", "-a", "release-1", "-m", "a release")
    alice.git("tag", "churn@foo")
    accepted(alice, "origin", "main", "v2026.1", "release-1", "churn@foo")
    accepted(alice, "origin", ":refs/tags/v2026.1", "HEAD:refs/heads/feature")
    # Pushes by hand that follow the rules pass too: the events of a promotion with the
    # stage tag they move, the way git model --push sends them.
    written = data(alice, "promote", "churn@1.1.0", "--to", "dev")["refs"]
    accepted(alice, "origin", *(f"+{r['ref']}" for r in written))


def test_a_pure_gto_stage_tag_is_an_assignment_and_passes_where_gates_allow(team: Team) -> None:
    alice = team.alice
    ok(alice, "register", "fraud", "--push")
    commit = team.commit_of("fraud@v0.1.0")
    craft(alice, "fraud#dev", commit, ours=False)
    accepted(alice, "origin", "fraud#dev")
    craft(alice, "fraud#prod", commit, ours=False)
    said = refused(team, alice, "origin", "fraud#prod")
    assert (
        "git-model: refused fraud#prod: fraud v0.1.0 may not enter 'prod': after: expected "
        "holds or held staging, got never held staging; check them with git model check "
        "fraud@0.1.0 --to prod; forcing is not allowed in a push here"
    ) in said


# --- versions -----------------------------------------------------------------------------


def test_a_version_tag_moved_by_hand_is_refused(team: Team) -> None:
    alice = team.alice
    alice.git("tag", "-f", "-a", "churn@v1.0.0", "-m", "moved", "HEAD")
    said = refused(team, alice, "-f", "origin", "churn@v1.0.0")
    commit = git_at(team.server, "rev-parse", "churn@v1.0.0^{commit}")
    assert (
        f"git-model: refused churn@v1.0.0: a version tag never moves (this one is 1.0.0 at "
        f"{commit[:12]}): register the other commit as a new version (git model register churn)"
    ) in said
    assert said.count("git-model: refused") == 1, said  # nothing else follows from it


def test_a_version_tag_deleted_is_refused(team: Team) -> None:
    said = refused(team, team.alice, "origin", ":refs/tags/churn@v1.0.0")
    assert (
        "git-model: refused churn@v1.0.0: a version tag is never deleted: archive the "
        "version instead (git model archive churn@1.0.0)"
    ) in said


@pytest.mark.parametrize("older", [False, True], ids=["later", "backdated"])
def test_a_second_version_on_one_commit_is_refused(team: Team, older: bool) -> None:
    """Whether the new tag is dated after the registered one or before it (then the state
    would keep it and drop v1.0.0): either way it is refused."""
    alice = team.alice
    commit = team.commit_of("churn@v1.0.0")
    when = 1_000_000_000 if older else None
    alice.git("tag", "-a", "churn@v2.0.0", "-m", "again", commit, date=when)
    said = refused(team, alice, "origin", "churn@v2.0.0")
    assert (
        f"git-model: refused churn@v2.0.0: commit {commit[:12]} already holds churn@v1.0.0: "
        "one commit holds one version of a model"
    ) in said


# --- events -------------------------------------------------------------------------------


def test_an_event_tag_moved_or_deleted_is_refused(team: Team) -> None:
    alice = team.alice
    alice.git("tag", "-f", "-a", "churn#dev#1", "-m", "moved", team.commit_of("churn@v1.1.0"))
    said = refused(team, alice, "-f", "origin", "churn#dev#1")
    assert "git-model: refused churn#dev#1: an event tag never moves" in said
    said = refused(team, alice, "origin", ":refs/tags/churn#prod#3")
    assert "git-model: refused churn#prod#3: an event tag is never deleted" in said


def test_an_event_out_of_counter_order_is_refused(team: Team) -> None:
    alice = team.alice
    v11 = team.commit_of("churn@v1.1.0")
    craft(alice, "churn#dev!#2", team.commit_of("churn@v1.0.0"))
    said = refused(team, alice, "origin", "churn#dev!#2")
    assert (
        "git-model: refused churn#dev!#2: its counter #2 is not above churn's last event, #3: "
        "a new event takes #4 or more"
    ) in said
    craft(alice, "churn@v1.1.0#note#4", v11)
    craft(alice, "churn@v1.1.0!#4", v11)
    said = refused(team, alice, "origin", "churn@v1.1.0#note#4", "churn@v1.1.0!#4")
    assert (
        "git-model: refused churn@v1.1.0!#4: its counter #4 is also churn@v1.1.0#note#4's" in said
    )


# --- stages -------------------------------------------------------------------------------


def test_a_stage_the_configuration_does_not_list_is_refused(team: Team) -> None:
    alice = team.alice
    v11 = team.commit_of("churn@v1.1.0")
    craft(alice, "churn#qa#4", v11)
    craft(alice, "churn#qa", v11)
    said = refused(team, alice, "origin", "churn#qa#4", "churn#qa")
    for tag in ("churn#qa#4", "churn#qa"):
        assert (
            f"git-model: refused {tag}: stage 'qa' is not one of the registry's stages (dev, "
            "staging, prod, in git-model.yaml at refs/heads/main): add it to `stages:` there"
        ) in said


def test_a_stage_tag_moved_by_hand_is_refused(team: Team) -> None:
    alice = team.alice
    alice.git("tag", "-f", "-a", "churn#prod", "-m", "hotfix", team.commit_of("churn@v1.1.0"))
    said = refused(team, alice, "-f", "origin", "churn#prod")
    assert (
        "git-model: refused churn#prod: not git-model's stage tag (its message lacks the "
        "`Written-By: git-model` trailer), so it would move prod without an event; the events "
        "put v1.0.0 there"
    ) in said
    # Posing as git-model's changes nothing: the events still say v1.0.0.
    craft(alice, "churn#prod", team.commit_of("churn@v1.1.0"))
    said = refused(team, alice, "-f", "origin", "churn#prod")
    assert "git-model: refused churn#prod: the stage tag points at " in said
    assert "but the events put v1.0.0 in prod" in said
    said = refused(team, alice, "origin", ":refs/tags/churn#prod")
    assert "git-model: refused churn#prod: the stage tag is absent, but the events" in said


def test_events_pushed_without_their_stage_tag_are_refused(team: Team) -> None:
    alice = team.alice
    ok(alice, "promote", "churn@1.1.0", "--to", "dev")  # here only: #4 and #5, and churn#dev
    said = refused(team, alice, "origin", "churn#dev!#4", "churn#dev#5")
    assert "git-model: refused churn#dev: the stage tag points at " in said
    assert "but the events put v1.1.0 in dev: push the stage tag where its events say" in said
    accepted(alice, "origin", "churn#dev!#4", "churn#dev#5", "+refs/tags/churn#dev")


# --- gates --------------------------------------------------------------------------------


def lax(repo: Repo) -> None:
    """Make this clone believe in a policy without gates (a branch of its own)."""
    repo.git("checkout", "-q", "-b", "lax")
    repo.commit("No gates", files={"git-model.yaml": LAX})
    repo.git("config", "gitmodel.policyBranch", "lax")


def test_a_promotion_that_fails_its_gates_is_refused(team: Team) -> None:
    alice = team.alice
    lax(alice)
    ok(alice, "promote", "churn@1.1.0", "--to", "prod")  # passes the clone's own policy
    said = refused(team, alice, "origin", "churn#prod!#4", "churn#prod#5", "+refs/tags/churn#prod")
    assert (
        "git-model: refused churn#prod#5: churn v1.1.0 may not enter 'prod': after: expected "
        "holds or held staging, got never held staging"
    ) in said
    # The gates are the server's main branch's: a push cannot bring its own.
    said = refused(
        team, alice, "origin", "+lax:main", "churn#prod!#4", "churn#prod#5", "+refs/tags/churn#prod"
    )
    assert "git-model: refused churn#prod#5: churn v1.1.0 may not enter 'prod'" in said


def test_a_forced_promotion_is_refused_unless_forcing_is_allowed(team: Team) -> None:
    alice = team.alice
    result = alice.cli(
        "promote", "churn@1.1.0", "--to", "prod", "--force", "--reason", "hotfix", "--push"
    )
    assert result.exit_code == 19
    assert result.stderr.startswith(
        "git-model: error: origin's pre-receive hook refused the push: churn#prod#5: churn "
        "v1.1.0 may not enter 'prod': after: expected holds or held staging, got never held "
        "staging; it records a --force, but nobody may force past the gates in a push here"
    )
    assert "nothing was written here" in result.stderr
    assert stages(alice, "churn")["prod"] == "1.0.0"


def test_a_rollback_passes_the_gates_a_rollback_skips(team: Team, clock: Clock) -> None:
    alice = team.alice
    for stage in ("dev", "staging", "prod"):
        clock.tick(60)
        ok(alice, "promote", "churn@1.1.0", "--to", stage, "--push")
    ok(alice, "rollback", "churn#prod", "--push")
    assert stages(alice, "churn")["prod"] == "1.0.0"
    # A `Rollback:` trailer on what is no rollback (v1.2.0 never held prod) is a promotion.
    alice.commit("third")
    ok(alice, "register", "churn", "--version", "1.2.0", "--push")
    v12, v10 = team.commit_of("churn@v1.2.0"), team.commit_of("churn@v1.0.0")
    craft(alice, "churn#prod!#11", v10)
    craft(alice, "churn#prod#12", v12, trailers="Rollback: 1.0.0\n")
    craft(alice, "churn#prod", v12)
    said = refused(
        team, alice, "origin", "churn#prod!#11", "churn#prod#12", "+refs/tags/churn#prod"
    )
    assert "git-model: refused churn#prod#12: churn v1.2.0 may not enter 'prod': after:" in said


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    where = tmp_path / "keys"
    where.mkdir()
    return {name: keygen(where, name) for name in ("alice", "bob")}


def signers_file(keys: dict[str, Path]) -> str:
    return allowed_line("alice@example.com", keys["alice"]) + allowed_line(
        "bob@example.com", keys["bob"]
    )


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_a_forced_promotion_passes_when_signed_by_one_allowed_to_force(
    tmp_path: Path, clock: Clock, keys: dict[str, Path]
) -> None:
    team = make_team(tmp_path, FORCE_POLICY, {SIGNERS: signers_file(keys)})
    alice = team.alice
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    forced = ("--to", "prod", "--force", "--reason", "hotfix")
    unsigned = alice.cli("promote", "churn@1.0.0", *forced, "--push")
    assert unsigned.exit_code == 19
    assert "it records a --force, which counts only when signed by one of alice@example.com" in (
        unsigned.stderr
    )
    use_key(alice, keys["bob"])
    by_bob = alice.cli("promote", "churn@1.0.0", *forced, "--push", "--sign")
    assert by_bob.exit_code == 19
    assert (
        "it records a --force signed by bob@example.com, who may not force (allowed: "
        "alice@example.com)"
    ) in by_bob.stderr
    use_key(alice, keys["alice"])
    ok(alice, "promote", "churn@1.0.0", *forced, "--push", "--sign")
    bob = team.clone("bob")
    assert stages(bob, "churn")["prod"] == "1.0.0"
    # A force must name every gate that fails: a policy stricter than the clone's is not
    # overridden by a --force recorded against the clone's.
    alice.commit("retrain")
    ok(alice, "register", "churn", "--version", "1.1.0", "--push")
    lax(alice)
    v11, v10 = team.commit_of("churn@v1.1.0"), team.commit_of("churn@v1.0.0")
    craft(alice, "churn#prod!#3", v10, sign=True)
    craft(alice, "churn#prod#4", v11, trailers="Forced: soak\nReason: none\n", sign=True)
    craft(alice, "churn#prod", v11, sign=True)
    said = refused(team, alice, "origin", "churn#prod!#3", "churn#prod#4", "+refs/tags/churn#prod")
    assert "it records a --force past soak, not past after" in said


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_a_move_into_a_stage_with_signers_must_be_signed_by_one(
    tmp_path: Path, clock: Clock, keys: dict[str, Path]
) -> None:
    team = make_team(tmp_path, SIGNED_POLICY, {SIGNERS: signers_file(keys)})
    alice = team.alice
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    lax(alice)  # this clone's own policy has no signers gate: the server's has
    ok(alice, "promote", "churn@1.0.0", "--to", "prod")
    said = refused(team, alice, "origin", "churn#prod#1", "churn#prod")
    assert (
        "git-model: refused churn#prod#1: churn v1.0.0 may not enter 'prod': signers: expected "
        "signed by ml-leads, got not signed (pass --sign); sign the move"
    ) in said
    use_key(alice, keys["bob"])
    promote_again(alice)
    said = refused(team, alice, "origin", "churn#prod#1", "churn#prod")
    assert "got signed by bob@example.com" in said
    # Alice signs the event, but the stage tag beside it is not signed.
    use_key(alice, keys["alice"])
    promote_again(alice)
    craft(alice, "churn#prod", team.commit_of("churn@v1.0.0"))
    said = refused(team, alice, "origin", "churn#prod#1", "churn#prod")
    assert "git-model: refused churn#prod: the stage tag of prod, whose gates name its " in said
    assert "not signed" in said
    promote_again(alice)
    accepted(alice, "origin", "churn#prod#1", "churn#prod")


def promote_again(alice: Repo) -> None:
    """Forget the promotion to prod this clone could not push, and make it again, signed."""
    alice.git("tag", "-d", "churn#prod#1", "churn#prod")
    alice.git("update-ref", "-d", "refs/git-model/models/churn@head")
    ok(alice, "promote", "churn@1.0.0", "--to", "prod", "--sign")


# --- tags git-model cannot read, and what a hook is handed ---------------------------------


def test_a_registry_tag_git_model_cannot_read_is_refused(team: Team) -> None:
    alice = team.alice
    alice.git("tag", "churn#dev#9")
    said = refused(team, alice, "origin", "churn#dev#9")
    assert (
        "git-model: refused churn#dev#9: not a registry tag git-model can read (lightweight "
        "tag (registry tags are annotated)): registry tags are annotated tags on a commit"
    ) in said
    # Messages beyond what a reader reads: the object is read and the message found too
    # large; a far larger object is not read at all.
    alice.git("tag", "-a", "churn#dev#10", "-F", "-", input="x" * ((1 << 20) + 10))
    alice.git("tag", "-a", "churn#dev#11", "-F", "-", input="x" * (4 << 20))
    said = refused(team, alice, "origin", "churn#dev#10", "churn#dev#11")
    assert "refused churn#dev#10: not a registry tag git-model can read (its message (" in said
    assert "bytes) is larger than 1,048,576 bytes)" in said
    assert "refused churn#dev#11: not a registry tag git-model can read (its tag object (" in said
    assert "bytes) is larger than 1,114,112 bytes)" in said


def run_hook(repo: Repo, stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(BIN / "git-model"), "hooks", "run", *args],
        cwd=repo.path,
        input=stdin,
        capture_output=True,
        check=False,
    )


@pytest.mark.parametrize(
    "stdin",
    [
        b"garbage\n",
        b"0 1 refs/tags/churn@v1.0.0\n",
        b"x" * 100_000,
        ("0" * 40 + " " + "f" * 40 + " refs/tags/a b\n").encode(),
        ("0" * 40 + " " + "f" * 40 + " \n").encode(),
        b"\xff\xfe\n",
    ],
    ids=["word", "short-ids", "long-line", "space-in-ref", "no-ref", "not-utf8"],
)
def test_input_that_git_never_gives_is_refused_in_one_line(team: Team, stdin: bytes) -> None:
    proc = run_hook(Repo(team.server), stdin, "pre-receive")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("git-model: error: "), proc.stderr


def test_a_hook_refuses_what_it_cannot_read(team: Team) -> None:
    missing = ("0" * 40 + " " + "ab" * 20 + " refs/tags/churn@v9.0.0\n").encode()
    proc = run_hook(Repo(team.server), missing, "pre-receive")
    assert proc.returncode == 19
    assert b"refused churn@v9.0.0: its object is not in the repository" in proc.stderr
    huge = run_hook(Repo(team.server), b"\n" * ((64 << 20) + 1), "pre-receive")
    assert huge.returncode == 2
    assert b"the hook's input is larger than 67,108,864 bytes" in huge.stderr
    nothing = run_hook(Repo(team.server), b"", "pre-receive")
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (0, b"", b"")
    closed = subprocess.run(
        ["sh", "-c", '"$0" hooks run pre-receive <&-', str(BIN / "git-model")],
        cwd=team.server, capture_output=True, check=False,
    )  # fmt: skip
    assert (closed.returncode, closed.stderr) == (0, b"")


def test_the_hook_reads_only_the_models_pushed(tmp_path: Path, clock: Clock) -> None:
    """The Git processes a hook starts do not grow with the registry: the same at 20 and at
    600 more tags (of other models), and the model's tags are read with one listing."""
    team = make_team(tmp_path)
    alice = team.alice
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    ok(alice, "promote", "churn@1.0.0", "--to", "dev")
    oids = {tag: alice.git("rev-parse", f"refs/tags/{tag}") for tag in ("churn#dev#1", "churn#dev")}
    stdin = "".join(f"{'0' * 40} {oid} refs/tags/{tag}\n" for tag, oid in oids.items())
    git_at(alice.path, "push", "-q", str(team.server), "--no-verify", "main")

    def calls() -> Counter[str]:
        server = Repo(team.server)
        objects = f"GIT_ALTERNATE_OBJECT_DIRECTORIES={alice.path / '.git' / 'objects'}"
        trace = tmp_path / "trace.log"
        trace.unlink(missing_ok=True)
        proc = subprocess.run(
            ["env", objects, f"GIT_TRACE={trace}", str(BIN / "git-model"), "hooks", "run",
             "pre-receive"],
            cwd=server.path, input=stdin, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return traced_git_calls(trace)

    small = calls()
    _bulk_tags(Repo(team.server), 600)
    assert calls() == small
    assert small["for-each-ref"] == 2  # the policy branch, and the pushed model's tags


def test_programs_get_the_same_checks_from_the_api(team: Team) -> None:
    version = git_at(team.server, "rev-parse", "refs/tags/churn@v1.0.0")
    deleted = f"{version} {'0' * 40} refs/tags/churn@v1.0.0\n".encode()
    review = api.run_hook("pre-receive", deleted, repo=team.server)
    assert isinstance(review, PushReview) and not review.passed
    assert (review.hook, review.updates, review.checked) == ("pre-receive", 1, ("churn@v1.0.0",))
    assert [(r.tag, r.rule) for r in review.refusals] == [("churn@v1.0.0", Rule.VERSION_DELETED)]
    assert review.policy is not None and review.policy.startswith(
        "git-model.yaml at refs/heads/main ("
    )
    branch = f"{'0' * 40} {version} refs/heads/elsewhere\n".encode()
    assert api.run_hook("pre-receive", branch, repo=team.server).policy is None
    assert api.check_unpushed("origin", repo=team.alice.path).passed


# --- chaining -----------------------------------------------------------------------------


def test_an_existing_hook_is_kept_and_both_run(tmp_path: Path, clock: Clock) -> None:
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    log = tmp_path / "hook.log"
    hook = server / "hooks" / "pre-receive"
    hook.write_text(
        f'#!/bin/sh\nwhile read old new ref; do echo "$ref" >> {log}; done\n'
        'case "$(git rev-parse --verify -q refs/heads/frozen)" in ?*)\n'
        '  echo "the old hook says: frozen" >&2; exit 1;; esac\n'
    )
    hook.chmod(0o755)
    installed = Repo(server).cli("hooks", "install", "--server")
    assert f"The hook that was there runs first: {server / 'hooks' / 'pre-receive.chained'}" in (
        installed.stdout
    )
    alice = Repo(tmp_path / "alice")
    alice.path.mkdir()
    alice.git("init", "-q")
    alice.commit("Policy", files={"git-model.yaml": POLICY})
    alice.git("remote", "add", "origin", str(server))
    alice.git("push", "-q", "origin", "main")
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    assert log.read_text().splitlines() == [
        "refs/heads/main",
        "refs/tags/churn@v1.0.0",
        "refs/git-model/models/churn@head",
    ]
    # git-model's hook still refuses what it refuses...
    alice.commit("retrain")
    alice.git("tag", "-f", "-a", "churn@v1.0.0", "-m", "moved", "HEAD")
    proc = push(alice, "-f", "origin", "churn@v1.0.0")
    assert proc.returncode != 0 and "refused churn@v1.0.0" in proc.stderr
    # ... and the old hook what it refuses, whatever git-model thinks of the push.
    alice.git("push", "-q", "origin", "main:frozen")
    proc = push(alice, "origin", "main")
    assert proc.returncode != 0 and "the old hook says: frozen" in proc.stderr
    again = Repo(server).cli("hooks", "install", "--server")
    assert again.stdout.startswith("Updated the pre-receive hook")
    assert "The hook that was there runs first" in again.stdout
    # A foreign hook where git-model's was, beside a chained one: neither is lost.
    hook.write_text("#!/bin/sh\nexit 0\n")
    clash = Repo(server).cli("hooks", "install", "--server")
    assert clash.exit_code == 6
    assert "pre-receive.chained already exists, and the hook beside it is not git-model's" in (
        clash.stderr
    )


# --- the client's hook --------------------------------------------------------------------


def bare_server(tmp_path: Path, name: str = "plain.git") -> Path:
    """A server without any hook: what the client's hook stands in for."""
    server = tmp_path / name
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    return server


def test_the_client_hook_refuses_as_the_server_would(tmp_path: Path, clock: Clock) -> None:
    server = bare_server(tmp_path)
    alice = Repo(tmp_path / "alice")
    alice.path.mkdir()
    alice.git("init", "-q")
    alice.commit("Policy", files={"git-model.yaml": POLICY})
    alice.git("remote", "add", "origin", str(server))
    alice.git("push", "-q", "-u", "origin", "main")
    installed = alice.cli("hooks", "install")
    assert installed.stdout.startswith(
        f"Installed the pre-push hook: {alice.path / '.git' / 'hooks' / 'pre-push'}"
    )
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    ok(alice, "promote", "churn@1.0.0", "--to", "dev", "--push")
    before = git_at(server, "for-each-ref", "--format=%(refname) %(objectname)")
    forced = alice.cli(
        "promote", "churn@1.0.0", "--to", "prod", "--force", "--reason", "now", "--push"
    )
    assert forced.exit_code == 19
    assert forced.stderr.startswith(
        "git-model: error: this clone's pre-push hook refused the push: churn#prod#2: churn "
        "v1.0.0 may not enter 'prod'"
    )
    alice.commit("retrain")
    alice.git("tag", "-f", "-a", "churn@v1.0.0", "-m", "moved", "HEAD")
    proc = push(alice, "-f", "origin", "churn@v1.0.0")
    assert proc.returncode != 0
    assert "git-model: refused churn@v1.0.0: a version tag never moves" in proc.stderr
    assert git_at(server, "for-each-ref", "--format=%(refname) %(objectname)") == before


def test_the_client_hook_reads_the_remote_it_pushes_to(tmp_path: Path, clock: Clock) -> None:
    """Bob wrote to the model on the server; Alice, who has not fetched, pushes an event
    with a counter Bob used: her hook reads the server's tags (fetching their objects) and
    refuses."""
    server = bare_server(tmp_path)
    alice = Repo(tmp_path / "alice")
    alice.path.mkdir()
    alice.git("init", "-q")
    alice.commit("Policy", files={"git-model.yaml": POLICY})
    alice.git("remote", "add", "origin", str(server))
    alice.git("push", "-q", "-u", "origin", "main")
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    git_at(tmp_path, "clone", "-q", str(server), "bob")
    bob = Repo(tmp_path / "bob")
    ok(bob, "promote", "churn@1.0.0", "--to", "dev", "--push")
    ok(alice, "hooks", "install")
    craft(alice, "churn#staging#1", alice.git("rev-parse", "churn@v1.0.0^{commit}"))
    proc = push(alice, "origin", "churn#staging#1")
    assert proc.returncode != 0
    assert "refused churn#staging#1: its counter #1 is not above churn's last event, #1" in (
        proc.stderr
    )
    assert alice.git("tag", "-l", "churn#dev#1") == ""  # the objects came, no tag


def test_the_client_hook_goes_where_core_hooks_path_says(tmp_path: Path, clock: Clock) -> None:
    server = bare_server(tmp_path)
    alice = Repo(tmp_path / "alice")
    alice.path.mkdir()
    alice.git("init", "-q")
    alice.commit("Policy", files={"git-model.yaml": POLICY})
    alice.git("remote", "add", "origin", str(server))
    alice.git("push", "-q", "origin", "main")
    alice.git("config", "core.hooksPath", ".githooks")
    existing = alice.path / ".githooks" / "pre-push"
    existing.parent.mkdir()
    existing.write_text(f"#!/bin/sh\ncat > {tmp_path / 'seen'}\n")
    existing.chmod(0o755)
    installed = alice.cli("hooks", "install")
    assert f"Installed the pre-push hook: {existing}" in installed.stdout
    assert not (alice.path / ".git" / "hooks" / "pre-push").exists()
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    assert "refs/tags/churn@v1.0.0" in (tmp_path / "seen").read_text()
    proc = push(alice, "origin", ":refs/tags/churn@v1.0.0")
    assert proc.returncode != 0
    assert "git-model: refused churn@v1.0.0: a version tag is never deleted" in proc.stderr


def test_the_unpushed_check_for_pre_commit(tmp_path: Path, clock: Clock) -> None:
    team = make_team(tmp_path)
    alice = team.alice
    ok(alice, "register", "churn", "--version", "1.0.0", "--push")
    clean = run_hook(alice, b"", "pre-push", "--unpushed")
    assert clean.returncode == 0, clean.stderr
    craft(alice, "churn#qa#1", team.commit_of("churn@v1.0.0"))
    proc = subprocess.run(
        [str(BIN / "git-model"), "hooks", "run", "pre-push", "--unpushed", "--json"],
        cwd=alice.path, capture_output=True, text=True, check=False,
        env={**os.environ, "PRE_COMMIT_REMOTE_NAME": "origin"},
    )  # fmt: skip
    assert proc.returncode == 19
    review = json.loads(proc.stdout)
    assert review["checked"] == ["churn#qa#1"]
    assert [(r["tag"], r["rule"]) for r in review["refusals"]] == [("churn#qa#1", "unknown-stage")]
    wrong = run_hook(alice, b"", "pre-receive", "--unpushed")
    assert wrong.returncode == 2


# --- pre-commit and validate --------------------------------------------------------------


def test_pre_commit_hooks_are_declared_and_run_real_commands() -> None:
    hooks = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert by_id["git-model-validate"]["entry"] == "git-model validate"
    assert by_id["git-model-validate"]["stages"] == ["pre-commit"]
    assert by_id["git-model-pre-push"]["entry"] == "git-model hooks run pre-push --unpushed"
    assert by_id["git-model-pre-push"]["stages"] == ["pre-push"]
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False


def test_validate_reads_the_configuration_and_every_models_file(repo: Repo) -> None:
    (repo.path / "models" / "fraud").mkdir(parents=True)
    (repo.path / "models" / "churn.yaml").write_text("owner: alice\ndescription: churn\n")
    (repo.path / "models" / "fraud" / "tx.yaml").write_text("type: onnx\n")
    (repo.path / "git-model.yaml").write_text(POLICY)
    good = repo.cli("validate")
    assert good.exit_code == 0
    assert good.stdout.splitlines() == [
        "ok    git-model.yaml",
        "ok    models/churn.yaml",
        "ok    models/fraud/tx.yaml",
        "Every file reads (stages: dev, staging, prod)",
    ]
    (repo.path / "models" / "churn.yaml").write_text("owner: alice\ncolour: blue\n")
    (repo.path / "models" / "bad name.yaml").write_text("")
    (repo.path / "git-model.yaml").write_text("stages: [dev, prod]\ngates:\n  qa: {}\n")
    bad = repo.cli("validate")
    assert bad.exit_code == 9
    assert "FAIL  git-model.yaml:3: `gates.qa`: 'qa' is not one of the stages (dev, prod)" in (
        bad.stdout
    )
    assert "FAIL  models/churn.yaml: unknown key(s) colour" in bad.stdout
    assert "FAIL  'bad name' is not a model name, so no command reads this file" in bad.stdout
    assert "3 of 4 files do not read" in bad.stdout
