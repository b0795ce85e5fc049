"""Signed registrations and promotions, verified: real SSH keys made with ssh-keygen, real
``git tag -s`` signatures, real ``git verify-tag``; the allowed-signers file committed on
the policy branch. Each pitfall that ``git tag -v`` alone gets wrong has its own test:
the principal (not the tagger) decides, a replayed tag object fails, a backdated tag is
flagged, missing trust fails closed, unsigned / lightweight / unknown-key / wrong
namespace tags fail. GPG is tested where ``gpg`` is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from git_model.gitcmd import Git
from git_model.policy import Policy, Signing
from git_model.signing import check_tag, trust_in_force
from tests.conftest import Clock, Repo
from tests.helpers import data, ok, stages

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

SIGNERS = ".git-model/allowed_signers"
POLICY = f"""\
stages: [dev, staging, prod]
signing:
  allowed_signers: {SIGNERS}
  groups:
    ml-leads: [alice@example.com]
gates:
  prod:
    signers: [ml-leads]
"""


def keygen(directory: Path, name: str) -> Path:
    """A new passphrase-less ed25519 key pair; the private key's path."""
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    where = tmp_path / "keys"
    where.mkdir()
    return {name: keygen(where, name) for name in ("alice", "bob", "mallory")}


def allowed_line(principal: str, key: Path) -> str:
    return f"{principal} {key.with_suffix('.pub').read_text().strip()}\n"


def use_key(repo: Repo, key: Path) -> None:
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "user.signingkey", str(key))


@pytest.fixture
def team(repo: Repo, keys: dict[str, Path]) -> Repo:
    """Alice and Bob are allowed signers, only Alice (ml-leads) may sign into prod; churn
    v1.0.0 is registered, signed by Alice."""
    signers = allowed_line("alice@example.com", keys["alice"])
    signers += allowed_line("bob@example.com", keys["bob"])
    repo.commit("Policy", files={"git-model.yaml": POLICY, SIGNERS: signers})
    use_key(repo, keys["alice"])
    ok(repo, "register", "churn", "--version", "1.0.0", "--sign")
    return repo


def checks(repo: Repo, ref: str, *args: str) -> tuple[int, dict[str, tuple[bool, str]]]:
    """``verify --json``: the exit code and, per tag, (passed, reason)."""
    result = repo.cli("verify", ref, "--json", *args)
    found = json.loads(result.stdout)
    return result.exit_code, {c["tag"]: (c["passed"], c["reason"]) for c in found["checks"]}


# --- signing, and what verify reports ---------------------------------------------------------


def test_a_signed_registration_and_promotion_verify(team: Repo) -> None:
    ok(team, "promote", "churn@1.0.0", "--to", "prod", "--sign")
    result = team.cli("verify", "churn#prod", "--json")
    assert result.exit_code == 0, result.stdout
    found = json.loads(result.stdout)
    assert found["trust"].startswith(f"{SIGNERS} at refs/heads/")
    assert [(c["tag"], c["what"], c["principal"], c["passed"]) for c in found["checks"]] == [
        ("churn@v1.0.0", "registration", "alice@example.com", True),
        ("churn#prod#1", "the move into prod", "alice@example.com", True),
        ("churn#prod", "the stage tag of prod", "alice@example.com", True),
    ]
    assert all(c["key"].startswith("ED25519 SHA256:") for c in found["checks"])
    table = team.cli("verify", "churn@1.0.0")
    assert "churn v1.0.0: verified" in table.stdout
    assert "good signature by alice@example.com" in table.stdout
    # Git's own check agrees that the tag is signed, by the key we configured.
    signers = f"gpg.ssh.allowedSignersFile={team.path / SIGNERS}"
    git_says = subprocess.run(
        ["git", "-c", signers, "verify-tag", "churn#prod#1"],
        cwd=team.path, capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    assert 'Good "git" signature for alice@example.com' in git_says


def test_signing_can_be_the_default(team: Repo) -> None:
    team.git("config", "gitmodel.sign", "true")
    ok(team, "promote", "churn@1.0.0", "--to", "prod")
    assert checks(team, "churn#prod")[0] == 0
    ok(team, "demote", "churn#prod", "--no-sign")
    history = data(team, "history", "churn")["events"]
    assert [e["signed"] for e in history] == [False, True, True]
    team.git("config", "gitmodel.sign", "false")
    ok(team, "annotate", "churn@1.0.0", "uat=passed", "--sign")
    ok(team, "archive", "churn@1.0.0", "--sign")
    ok(team, "deprecate", "churn", "--sign")
    newest = data(team, "history", "churn")["events"][:3]
    assert [(e["kind"], e["signed"]) for e in newest] == [
        ("deprecated", True),
        ("archived", True),
        ("annotated", True),
    ]


def test_history_and_describe_say_who_signed(team: Repo, keys: dict[str, Path]) -> None:
    use_key(team, keys["bob"])  # Bob signs, while the tagger line still says Test User
    ok(team, "promote", "churn@1.0.0", "--to", "dev", "--sign")
    plain = team.cli("history", "churn")
    assert "Signed" in plain.stdout and " yes " in plain.stdout  # not verified: no process
    verified = team.cli("history", "churn", "--signers")
    assert "bob@example.com" in verified.stdout and "alice@example.com" in verified.stdout
    described = team.cli("describe", "churn@1.0.0")
    assert "bob@example.com" in described.stdout
    found = data(team, "describe", "churn@1.0.0")["signatures"]
    assert {(s["tag"], s["principal"]) for s in found} == {
        ("churn@v1.0.0", "alice@example.com"),
        ("churn#dev#1", "bob@example.com"),
    }
    assert "the tagger line says Test User <test@example.com>" in found[-1]["reason"]


# --- the signers gate ---------------------------------------------------------------------


def test_the_signers_gate_passes_and_fails(team: Repo, keys: dict[str, Path]) -> None:
    before = team.refs()
    unsigned = team.cli("promote", "churn@1.0.0", "--to", "prod")
    assert unsigned.exit_code == 15
    assert "signers: expected signed by ml-leads, got not signed (pass --sign)" in unsigned.stderr
    forced = team.cli("promote", "churn@1.0.0", "--to", "prod", "--force", "--reason", "now")
    assert forced.exit_code == 15  # who may move prod is not overridden
    assert "are not overridden" in forced.stderr
    use_key(team, keys["bob"])
    by_bob = team.cli("promote", "churn@1.0.0", "--to", "prod", "--sign")
    assert by_bob.exit_code == 15
    assert "got signed by bob@example.com" in by_bob.stderr
    assert team.refs() == before
    check = data_check(team, "--sign")
    assert check == (False, "signed by bob@example.com")
    use_key(team, keys["alice"])
    assert data_check(team, "--sign") == (True, "signed by alice@example.com")
    assert data_check(team, "--no-sign") == (False, "not signed (pass --sign)")
    markdown = team.cli("check", "churn@1.0.0", "--to", "prod", "--sign", "--markdown")
    assert "| `signers` | signed by ml-leads | signed by alice@example.com |" in markdown.stdout
    ok(team, "promote", "churn@1.0.0", "--to", "prod", "--sign")
    assert stages(team, "churn")["prod"] == "1.0.0"


def data_check(repo: Repo, *args: str) -> tuple[bool, str]:
    result = repo.cli("check", "churn@1.0.0", "--to", "prod", "--json", *args)
    [gate] = json.loads(result.stdout)["evaluation"]["results"]
    return gate["passed"], gate["actual"]


def test_a_key_that_lies_about_itself_is_caught_after_signing(
    team: Repo, keys: dict[str, Path], tmp_path: Path
) -> None:
    """user.signingkey's public half says Alice, but the private key is Bob's: the gate's
    look-up is fooled, Git's verification of the signed objects is not; nothing moves."""
    liar = tmp_path / "liar"
    shutil.copy(keys["bob"], liar)
    liar.with_name("liar.pub").write_text(keys["alice"].with_suffix(".pub").read_text())
    liar.chmod(0o600)
    use_key(team, liar)
    before = team.refs()
    refused = team.cli("promote", "churn@1.0.0", "--to", "prod", "--sign")
    assert refused.exit_code in (15, 16), refused.stderr
    assert team.refs() == before


def test_a_rollback_is_gated_by_its_signers_too(team: Repo, keys: dict[str, Path]) -> None:
    ok(team, "promote", "churn@1.0.0", "--to", "prod", "--sign")
    team.commit("retrain")
    ok(team, "register", "churn", "--version", "1.1.0", "--sign")
    ok(team, "promote", "churn@1.1.0", "--to", "prod", "--sign")
    use_key(team, keys["bob"])
    refused = team.cli("rollback", "churn#prod", "--sign")
    assert refused.exit_code == 15 and "signers" in refused.stderr
    use_key(team, keys["alice"])
    ok(team, "rollback", "churn#prod", "--sign")
    assert checks(team, "churn#prod")[0] == 0


# --- the pitfalls of `git tag -v` -----------------------------------------------------------


def test_1_the_principal_decides_not_the_tagger(
    team: Repo, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob signs a move into staging while his tagger line says Alice; once the policy
    on main says only Alice may sign into staging, the move fails verification."""
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Alice")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "alice@example.com")
    use_key(team, keys["bob"])
    ok(team, "promote", "churn@1.0.0", "--to", "staging", "--sign")
    code, found = checks(team, "churn#staging")
    assert code == 0
    assert found["churn#staging#1"] == (
        True,
        "good signature by bob@example.com (the tagger line says Alice <alice@example.com>)",
    )
    strict = POLICY + "  staging:\n    signers: [alice@example.com]\n"
    team.commit("Only Alice signs into staging", files={"git-model.yaml": strict})
    code, found = checks(team, "churn#staging")
    assert code == 17
    passed, reason = found["churn#staging#1"]
    assert not passed
    assert reason == (
        "signed by bob@example.com, who may not sign the move into staging "
        "(allowed: alice@example.com)"
    )


def test_2_a_signed_tag_replayed_under_another_name_fails(team: Repo) -> None:
    ok(team, "promote", "churn@1.0.0", "--to", "staging", "--sign")
    valid = team.git("rev-parse", "refs/tags/churn#staging#1")
    team.git("update-ref", "refs/tags/churn#prod#9", valid)  # re-pointed as a prod event
    assert stages(team, "churn")["prod"] == "1.0.0"  # what the tags now claim
    code, found = checks(team, "churn#prod")
    assert code == 17
    passed, reason = found["churn#prod#9"]
    assert not passed
    assert "made as 'churn#staging#1', not 'churn#prod#9'" in reason
    assert "replayed" in reason


def test_3_a_tag_dated_before_its_commit_is_flagged(team: Repo, clock: Clock) -> None:
    commit = team.git("rev-parse", "churn@v1.0.0^{commit}")
    made = int(team.git("log", "-1", "--format=%ct", commit))
    team.git("tag", "-s", "-m", "backdated", "churn#dev#5", commit, date=made - 86400)
    code, found = checks(team, "churn#dev")
    assert code == 17
    passed, reason = found["churn#dev#5"]
    assert not passed
    assert reason == "dated 86400 s before its commit was made: backdated"


def test_4_missing_trust_fails_closed(team: Repo, tmp_path: Path) -> None:
    with_revocation = POLICY.replace(
        "  groups:", "  revocation: .git-model/revoked_keys\n  groups:"
    )
    team.commit("Revocation file named, not committed", files={"git-model.yaml": with_revocation})
    result = team.cli("verify", "churn@1.0.0")
    assert result.exit_code == 17
    assert ".git-model/revoked_keys, which git-model.yaml names under signing:, is not in" in (
        result.stderr
    )
    team.commit("No signing section", files={"git-model.yaml": "stages: [dev, staging, prod]\n"})
    result = team.cli("verify", "churn@1.0.0")
    assert result.exit_code == 17
    assert "no allowed-signers file is configured" in result.stderr
    # --allowed-signers names one explicitly (a file of the person verifying).
    file = tmp_path / "signers"
    file.write_text((team.path / SIGNERS).read_text())
    assert team.cli("verify", "churn@1.0.0", "--allowed-signers", str(file)).exit_code == 0


def test_4_a_revoked_key_fails(team: Repo, keys: dict[str, Path]) -> None:
    revoked = keys["alice"].with_suffix(".pub").read_text()
    policy = POLICY.replace("  groups:", "  revocation: .git-model/revoked_keys\n  groups:")
    team.commit(
        "Alice's key is revoked",
        files={"git-model.yaml": policy, ".git-model/revoked_keys": revoked},
    )
    code, found = checks(team, "churn@1.0.0")
    assert code == 17
    assert not found["churn@v1.0.0"][0]


def test_5_unsigned_lightweight_unknown_key_and_wrong_namespace_fail(
    team: Repo, keys: dict[str, Path], tmp_path: Path
) -> None:
    team.commit("retrain")
    ok(team, "register", "churn", "--version", "1.1.0", "--no-sign")
    code, found = checks(team, "churn@1.1.0")
    assert (code, found["churn@v1.1.0"]) == (17, (False, "not signed"))

    use_key(team, keys["mallory"])  # a valid signature by a key nobody allowed
    team.commit("mallory's")
    ok(team, "register", "churn", "--version", "1.2.0", "--sign")
    code, found = checks(team, "churn@1.2.0")
    assert code == 17
    assert found["churn@v1.2.0"][1].startswith("signed with a key no allowed signer has (ED25519")

    git = Git.discover(team.path)
    commit = team.git("rev-parse", "HEAD")
    policy = Policy(source="test", commit=commit, signing=Signing(SIGNERS))
    team.git("tag", "light", commit)
    with trust_in_force(git, policy, None) as trust:
        light = check_tag(
            git, trust, "light", team.git("rev-parse", "light"), commit=commit, what="x",
            allowed=None,
        )  # fmt: skip
        assert (light.passed, light.reason) == (False, "a lightweight tag: it carries no signature")

        payload = tmp_path / "payload"
        payload.write_text(
            f"object {commit}\ntype commit\ntag churn#dev#7\n"
            f"tagger Test User <test@example.com> 1767225600 +0000\n\nsigned for files\n"
        )
        subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-n", "file", "-f", str(keys["alice"]),
             str(payload)], check=True,
        )  # fmt: skip
        obj = tmp_path / "object"
        obj.write_bytes(payload.read_bytes() + payload.with_suffix(".sig").read_bytes())
        oid = team.git("hash-object", "-t", "tag", "-w", str(obj))
        wrong = check_tag(git, trust, "churn#dev#7", oid, commit=commit, what="x", allowed=None)
        assert not wrong.passed
        assert wrong.reason == "signed for another namespace than 'git': not a Git signature"


def test_the_allowed_signers_come_from_main_not_the_candidate(
    team: Repo, keys: dict[str, Path]
) -> None:
    """Mallory adds her key to the allowed signers in her own commit, and registers it
    signed: the file on main, which does not list her, decides."""
    team.git("checkout", "-q", "-b", "mallory")
    signers = (team.path / SIGNERS).read_text() + allowed_line(
        "mallory@example.com", keys["mallory"]
    )
    team.commit("Trust me", files={SIGNERS: signers})
    use_key(team, keys["mallory"])
    ok(team, "register", "churn", "--version", "2.0.0", "--sign")
    code, found = checks(team, "churn@2.0.0")
    assert code == 17
    assert found["churn@v2.0.0"][1].startswith("signed with a key no allowed signer has")


def test_verify_checks_the_artifact_against_dvc(dvc_repo: Repo, keys: dict[str, Path]) -> None:
    from tests.remotes import save_model  # noqa: PLC0415

    signers = allowed_line("alice@example.com", keys["alice"])
    dvc_repo.commit("Policy", files={"git-model.yaml": POLICY, SIGNERS: signers})
    use_key(dvc_repo, keys["alice"])
    save_model(dvc_repo, size=3_000)
    ok(dvc_repo, "register", "churn", "--path", "models/churn.pkl", "--sign")
    found = data(dvc_repo, "verify", "churn@latest")
    assert found["artifact"]["passed"]
    assert found["artifact"]["reason"] == "recorded as DVC recorded it, and the cached bytes match"
    cached = Path(found["artifact"]["local"])
    cached.chmod(0o644)
    cached.write_bytes(b"tampered")
    result = dvc_repo.cli("verify", "churn@latest", "--json")
    assert result.exit_code == 17
    assert "it is damaged" in json.loads(result.stdout)["artifact"]["reason"]


@pytest.mark.skipif(shutil.which("gpg") is None, reason="needs gpg (OpenPGP signing)")
def test_openpgp_signatures(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
         "--quick-gen-key", "Carol <carol@example.com>", "ed25519", "sign", "never"],
        check=True, capture_output=True,
    )  # fmt: skip
    repo.commit(
        "Policy",
        files={"git-model.yaml": POLICY, SIGNERS: "# OpenPGP keys are in the keyring\n"},
    )
    repo.git("config", "gpg.format", "openpgp")
    repo.git("config", "user.signingkey", "carol@example.com")
    ok(repo, "register", "churn", "--version", "1.0.0", "--sign")
    code, found = checks(repo, "churn@1.0.0")
    assert code == 0, found
    assert found["churn@v1.0.0"] == (True, "good signature by carol@example.com (the tagger line "
                                           "says Test User <test@example.com>)")  # fmt: skip
    monkeypatch.setenv("GNUPGHOME", str(tmp_path))  # a keyring without Carol's key
    code, found = checks(repo, "churn@1.0.0")
    assert code == 17
    assert found["churn@v1.0.0"][1] == "signed with an OpenPGP key that is not in the keyring"


def test_verify_checks_artifacts_kept_in_git_or_at_a_url(
    team: Repo, tmp_path: Path, keys: dict[str, Path]
) -> None:
    """An adopted registry's artifacts: a file committed to Git (the tag's blob must be the
    commit's) and a URL (the commit must still declare it; `get` checks its bytes)."""
    elsewhere = tmp_path / "bucket" / "web.pt"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"weights at a URL\n")
    declared = (
        f"artifacts:\n  kept:\n    path: models/kept.bin\n  web:\n    path: {elsewhere.as_uri()}\n"
    )
    team.commit("Adopt", files={"dvc.yaml": declared, "models/kept.bin": "weights in Git\n"})
    ok(team, "register", "kept", "--sign")
    ok(team, "register", "web", "--sign")
    blob = team.git("rev-parse", "HEAD:models/kept.bin")
    kept = data(team, "verify", "kept@latest")["artifact"]
    assert (kept["passed"], kept["recorded"]) == (True, blob)
    assert kept["reason"] == "recorded as the commit holds it; Git checks its bytes against that id"
    assert kept["identity"] == f"Git blob {blob}"
    assert f"Artifact models/kept.bin (Git blob {blob}): pass" in ok(team, "verify", "kept@latest")
    web = data(team, "verify", "web@latest")["artifact"]
    assert web["passed"], web
    assert web["recorded"].startswith("md5 ")
    assert "`get` checks what it downloads" in web["reason"]
