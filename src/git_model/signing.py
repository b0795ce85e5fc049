"""Signatures on registry tags: who may sign, and whether a tag's signature proves what the
registry needs it to prove.

Git signs and checks signatures (``git tag -s``, ``git verify-tag``); what it does not do is
decide whether a signature is the right one for a registry event. Here a tag passes only
when all of these hold:

1. it is an annotated tag object whose ``tag`` header is the name it sits at and whose
   ``object`` is the commit the event is about (a signed object replayed under another
   name, or re-pointed, fails);
2. it is not dated before its commit (Git checks a key's validity at the tag's own date);
3. it carries a signature that Git verifies against the allowed signers (SSH, namespace
   ``git``, minus the revocation file) or the keyring (OpenPGP);
4. the principal Git names, not the tagger the tag claims, is one the stage allows.

The allowed-signers and revocation files are read from the policy commit (the registry's
main branch as committed), never from the working tree or the commit being checked; with
none configured, nothing passes.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git_model.errors import GatesFailed, GitModelError, VerificationFailed
from git_model.gitcmd import Git, split_signature
from git_model.names import Action, RegistryTag
from git_model.policy import Policy, Signer
from git_model.safeyaml import read_file
from git_model.state import Event, Version

MAX_SIGNERS_FILE = 1 << 20
_SSH_GOOD_RE = re.compile(r'Good "(?P<ns>[^"]*)" signature for (?P<who>.+?) with (?P<key>.+)')
_SSH_NOBODY_RE = re.compile(r'Good "[^"]*" signature with (?P<key>.+)')
_GPG_GOOD_RE = re.compile(r"\[GNUPG:\] GOODSIG (?P<id>\S+) (?P<uid>.*)")
_GPG_VALID_RE = re.compile(r"\[GNUPG:\] VALIDSIG (?P<fpr>\S+)")
_EMAIL_RE = re.compile(r"<([^<>]+)>")
_KEY_TYPES = re.compile(r"(ssh-|ecdsa-|sk-)\S+")


@dataclass(frozen=True, slots=True)
class Trust:
    """What signatures are checked against: ``git -c`` settings naming the allowed
    signers (and revocation) files, their text, and where they were read from."""

    settings: tuple[tuple[str, str], ...]
    allowed: str  # the allowed-signers file's text
    source: str


@contextmanager
def trust_in_force(git: Git, policy: Policy, allowed_signers: Path | None) -> Iterator[Trust]:
    """The allowed signers (and revoked keys) in force, as files for ``git verify-tag``:
    ``allowed_signers`` if given, else the file ``signing.allowed_signers`` names at the
    policy commit. Fails closed: none configured, or a configured file missing."""
    signing = policy.signing
    where = f"the policy commit ({policy.source})"
    if allowed_signers is not None:
        data = read_file(allowed_signers, f"--allowed-signers {allowed_signers}", MAX_SIGNERS_FILE)
        if data is None:
            raise VerificationFailed(
                f"the allowed-signers file {allowed_signers} does not exist",
                "pass the path of an existing file",
            )
        text = data.decode(errors="replace")
        source = f"{allowed_signers} (--allowed-signers)"
    elif signing.allowed_signers is not None and policy.commit is not None:
        text = _blob(git, policy.commit, signing.allowed_signers, where)
        source = f"{signing.allowed_signers} at {policy.source.split(' at ', 1)[-1]}"
        source += f" ({policy.commit[:7]})"
    else:
        raise VerificationFailed(
            "no allowed-signers file is configured, so no signature can be verified",
            "name one in git-model.yaml on the policy branch (signing: allowed_signers: "
            "PATH, see docs/signing.md), or pass --allowed-signers FILE",
        )
    revoked = None
    if signing.revocation is not None:
        if policy.commit is None:
            raise VerificationFailed(
                f"the revocation file {signing.revocation} cannot be read: no policy commit",
                "commit git-model.yaml and the file on the policy branch",
            )
        revoked = _blob(git, policy.commit, signing.revocation, where)
    with tempfile.TemporaryDirectory(prefix="git-model-trust-") as tmp:
        allowed_path = Path(tmp) / "allowed_signers"
        allowed_path.write_text(text)
        settings = [("gpg.ssh.allowedSignersFile", str(allowed_path))]
        if revoked is not None:
            revoked_path = Path(tmp) / "revoked"
            revoked_path.write_text(revoked)
            settings.append(("gpg.ssh.revocationFile", str(revoked_path)))
        yield Trust(tuple(settings), text, source)


def _blob(git: Git, commit: str, path: str, where: str) -> str:
    data = git.read_blobs([f"{commit}:{path}"])[0]
    if data is None:
        raise VerificationFailed(
            f"{path}, which git-model.yaml names under signing:, is not in {where}; "
            "nothing can be verified without it",
            f"commit {path} on the policy branch, or correct the setting",
        )
    if len(data) > MAX_SIGNERS_FILE:
        raise VerificationFailed(
            f"{path} in {where} is larger than {MAX_SIGNERS_FILE:,} bytes",
            "keep one line per signer in it",
        )
    return data.decode(errors="replace")


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """One tag, checked: what it is, who signed it (as Git verified), and the verdict."""

    tag: str
    what: str  # "registration", "promotion to prod", ...
    passed: bool
    reason: str
    signed: bool
    principal: str | None = None
    key: str | None = None
    tagger: str | None = None


def check_tag(
    git: Git,
    trust: Trust,
    tag: str,
    oid: str,
    *,
    commit: str,
    what: str,
    allowed: frozenset[str] | None,
) -> SignatureCheck:
    """Whether the tag ``tag`` (object ``oid``) proves ``what`` on ``commit``, signed by
    one of ``allowed`` (None: any principal the allowed signers know)."""
    body = git.read_objects([oid], "tag")[oid] if oid else None
    if body is None:
        return SignatureCheck(tag, what, False, "a lightweight tag: it carries no signature", False)
    headers, _, message = body.partition(b"\n\n")
    fields = dict(_headers(headers))
    tagger = fields.get("tagger", "")
    claimed = tagger.rsplit(">", 1)[0] + ">" if ">" in tagger else tagger
    fail = _object_problem(fields, tag, commit) or _date_problem(
        tagger, git.read_objects([commit], "commit")[commit]
    )
    _, signed = split_signature(message)
    if fail is not None:
        return SignatureCheck(tag, what, False, fail, signed, tagger=claimed)
    if not signed:
        return SignatureCheck(tag, what, False, "not signed", False, tagger=claimed)
    code, said = git.verify_tag(oid, trust.settings)
    principal, key, problem = _verdict(code, said)
    if problem is not None:
        return SignatureCheck(tag, what, False, problem, True, principal, key, claimed)
    assert principal is not None  # noqa: S101  (a verdict without a problem names one)
    if allowed is not None and principal not in allowed:
        listed = ", ".join(sorted(allowed)) or "nobody"
        reason = f"signed by {principal}, who may not sign {what} (allowed: {listed})"
        return SignatureCheck(tag, what, False, reason, True, principal, key, claimed)
    reason = f"good signature by {principal}"
    if principal not in claimed:
        reason += f" (the tagger line says {claimed})"
    return SignatureCheck(tag, what, True, reason, True, principal, key, claimed)


def _headers(block: bytes) -> Iterator[tuple[str, str]]:
    for line in block.decode(errors="replace").splitlines():
        name, _, value = line.partition(" ")
        yield name, value


def _object_problem(fields: dict[str, str], tag: str, commit: str) -> str | None:
    if fields.get("tag") != tag:
        return (
            f"the tag object was made as {fields.get('tag')!r}, not {tag!r}: "
            "a signed tag replayed under another name"
        )
    if fields.get("type") != "commit" or fields.get("object") != commit:
        return f"the tag object points at {fields.get('object', '?')[:12]}, not {commit[:12]}"
    return None


def _date_problem(tagger: str, commit: bytes | None) -> str | None:
    """A tag dated before its commit was backdated (Git checks a key's validity at the
    tag's date, so backdating can borrow an expired key's)."""
    tagged = _timestamp(tagger)
    committer = next(
        (v for k, v in _headers((commit or b"").partition(b"\n\n")[0]) if k == "committer"), ""
    )
    made = _timestamp(committer)
    if tagged is not None and made is not None and tagged < made:
        return f"dated {made - tagged} s before its commit was made: backdated"
    return None


def _timestamp(ident: str) -> int | None:
    parts = ident.rsplit(" ", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].lstrip("-").isdigit() else None


def _verdict(code: int, said: str) -> tuple[str | None, str | None, str | None]:
    """(principal, key, problem) from ``git verify-tag --raw``'s report."""
    found = _ssh_verdict(code, said) or _gpg_verdict(code, said)
    if found is not None:
        return found
    lines = [ln.strip() for ln in said.splitlines() if ln.strip() and "[GNUPG:]" not in ln]
    return None, None, f"the signature does not verify: {lines[-1] if lines else 'no report'}"


def _ssh_verdict(code: int, said: str) -> tuple[str | None, str | None, str | None] | None:
    for line in said.splitlines():
        good = _SSH_GOOD_RE.search(line)
        if good:
            key = good["key"].replace(" key ", " ")
            if good["ns"] != "git":
                return good["who"], key, f"signed in namespace {good['ns']!r}, not 'git'"
            if code == 0:
                return good["who"], key, None
    nobody = _SSH_NOBODY_RE.search(said)
    if nobody:
        key = nobody["key"].replace(" key ", " ")
        return None, key, f"signed with a key no allowed signer has ({key})"
    if "namespace" in said:
        return None, None, "signed for another namespace than 'git': not a Git signature"
    return None


def _gpg_verdict(code: int, said: str) -> tuple[str | None, str | None, str | None] | None:
    gpg, valid = _GPG_GOOD_RE.search(said), _GPG_VALID_RE.search(said)
    if gpg and valid and code == 0:
        email = _EMAIL_RE.search(gpg["uid"])
        return (email[1] if email else gpg["uid"]), f"OpenPGP {valid['fpr']}", None
    if "NO_PUBKEY" in said or "ERRSIG" in said:
        return None, None, "signed with an OpenPGP key that is not in the keyring"
    return None


def signing_key_signer(git: Git, trust_text: str | None) -> Signer:
    """Who the configured signing key will sign as: the principals the allowed-signers
    file gives its public key (SSH). Read before signing, so ``check`` can show it."""
    key = git.config_value("user.signingkey")
    if key is None:
        return Signer(unknown="no signing key is set (git config user.signingkey)")
    if (git.config_value("gpg.format") or "openpgp") != "ssh":
        return Signer(unknown="an OpenPGP key: its principal is known once it signs")
    public = _public_key(git, key)
    if public is None:
        return Signer(unknown=f"cannot read the public key of user.signingkey ({key})")
    if trust_text is None:
        return Signer(unknown="no allowed-signers file to find the key in")
    found = principals_of(trust_text, public)
    return Signer(found, None if found else "a key no allowed signer has")


def _public_key(git: Git, key: str) -> str | None:
    if key.startswith("key::"):
        return key.removeprefix("key::")
    path = Path(key).expanduser()
    if not path.is_absolute():
        path = git.root / path
    for candidate in (path, path.with_name(path.name + ".pub")):
        try:
            data = read_file(candidate, "user.signingkey", 16 * 1024)
        except GitModelError:  # not a readable file: try the public one, then say so
            continue
        text = data.decode(errors="replace").strip() if data else ""
        if _KEY_TYPES.match(text):
            return text
    return None


def principals_of(allowed: str, public: str) -> tuple[str, ...]:
    """The principals an allowed-signers file lists for ``public`` (type and base64)."""
    wanted = public.split()[:2]
    found: list[str] = []
    for line in allowed.splitlines():
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        for i, token in enumerate(tokens[1:], start=1):
            if _KEY_TYPES.fullmatch(token) and tokens[i : i + 2] == wanted:
                found += [p.strip('"') for p in tokens[0].split(",")]
    return tuple(dict.fromkeys(found))


def expected_signer(git: Git, policy: Policy, model: str, stage: str, signs: bool) -> Signer | None:
    """Who would sign a move of ``model`` into ``stage``, for its ``signers`` gate: None
    when the move is not signed (or no gate asks)."""
    if not signs or not policy.for_stage(model, stage).signers:
        return None
    try:
        with trust_in_force(git, policy, None) as trust:
            return signing_key_signer(git, trust.allowed)
    except VerificationFailed as exc:
        return Signer(unknown=exc.message)


def signed_as_allowed(
    git: Git, policy: Policy, model: str, stage: str, version: Version
) -> Callable[[dict[str, str]], None] | None:
    """Where ``stage`` names its signers: a check of the signed tag objects of a move
    into it, before any ref changes (Git's verdict, not the key's file, decides)."""
    names = policy.for_stage(model, stage).signers
    if not names:
        return None
    allowed = policy.signing.principals(names)

    def vouch(written: dict[str, str]) -> None:
        moving = [
            (tag, oid)
            for tag, oid in written.items()
            if (parsed := RegistryTag.parse(tag)) is not None
            and parsed.action is Action.ASSIGN
            and parsed.stage == stage
        ]
        with trust_in_force(git, policy, None) as trust:
            for tag, oid in moving:
                check = check_tag(
                    git, trust, tag, oid, commit=version.commit, what=f"into {stage}",
                    allowed=allowed,
                )  # fmt: skip
                if not check.passed:
                    raise GatesFailed(
                        f"{model} {version.version.tag}",
                        stage,
                        [f"signers: {check.reason}"],
                        f"git model check {model}@{version.version} --to {stage}",
                        overridable=False,
                    )

    return vouch


def who_signed(
    git: Git, policy: Policy, events: Sequence[Event]
) -> tuple[tuple[SignatureCheck, ...], str | None]:
    """The signed ones of ``events``, each verified (one ``git verify-tag`` each: only
    for the events asked about), and why none could be, if so."""
    signed = [e for e in events if e.signed]
    if not signed:
        return (), None
    oids = git.read_refs([f"refs/tags/{e.tag}" for e in signed])
    try:
        with trust_in_force(git, policy, None) as trust:
            return tuple(
                check_tag(
                    git,
                    trust,
                    e.tag,
                    oids.get(f"refs/tags/{e.tag}", ""),
                    commit=e.commit,
                    what=e.kind.value,
                    allowed=None,
                )
                for e in signed
            ), None
    except VerificationFailed as exc:
        return (), f"signatures not verified: {exc.message}"
