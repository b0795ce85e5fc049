"""The one module that runs Git.

Everything the registry knows is a Git ref or object, and every read and write of them
goes through this module, which drives the ``git`` binary with plumbing commands:

- reading: one ``git for-each-ref`` for all the tags a command needs (never one process
  per tag);
- writing: tag objects with one ``git hash-object -t tag -w --stdin-paths``, then every
  ref change of a command in one ``git update-ref --stdin -z`` transaction, which applies
  the changes in the order given (so callers put immutable event tags first).

GitPython is not used: importing it costs more than a whole ``git model show``, and the
plumbing commands above are all the registry needs. User input reaches Git only after
validation, as full ``refs/tags/...`` names or after ``--end-of-options``.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git_model.errors import (
    BrokenRef,
    ConcurrentUpdate,
    GitFailed,
    GitModelError,
    IdentityMissing,
    InvalidRemote,
    NotARepository,
    PushRefused,
    RegistryBusy,
    RemoteError,
    SigningFailed,
)
from git_model.names import HEAD_REFS

ZERO_OID = "0" * 40

# Fields read for every tag, NUL-separated; the record count is len(_FIELDS). TAG_FORMAT and
# NAMES_FORMAT are public: the benchmarks time the same listings as the floor of a read.
_FIELDS = (
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(*objecttype)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(taggerdate:raw)",
    "%(contents)",
)
TAG_FORMAT = "%00".join(_FIELDS) + "%00"
# The cheapest listing: names and objects, no tag object read (for the state cache).
NAMES_FORMAT = "%(objectname) %(refname:strip=2)"
_SIGNATURE_RE = re.compile(
    rb"(?:^|\n)-----BEGIN (?:PGP SIGNATURE|PGP MESSAGE|SIGNED MESSAGE|SSH SIGNATURE)-----\n"
)
# What `git verify-tag --raw` may print: a few lines; more is not a signer's report.
MAX_VERIFY_OUTPUT = 64 * 1024
_IDENT_RE = re.compile(r"(?P<name>.*) <(?P<email>[^<>]*)> (?P<ts>-?\d+) (?P<tz>[+-]\d{4})")
_STAMP_RE = re.compile(r"[0-9]{1,12}")
_ZONE_RE = re.compile(r"[+-][0-9]{4}")
# What a tag may hold. A version's message carries its metadata document (a few KB; a
# model with thousands of inputs in its signature, a few hundred KB): a larger message is
# not git-model's, and is skipped unread. Dates are shown from 1970 to 9999.
MAX_MESSAGE = 1 << 20
MAX_TIMESTAMP = 253_402_214_399  # 9999-12-30T23:59:59Z: a day's margin for time zones
# A tag object read by id (a push's, before it is a ref): its message, and headers that a
# tag git-model can read keeps short; a larger object is not read at all.
MAX_TAG_OBJECT = MAX_MESSAGE + (64 << 10)
OBJECT_ID_RE = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_IMMUTABLE_SPEC = re.compile(r"[0-9a-f]{40}:")
_LOCK_ERROR_RE = re.compile(r"cannot lock ref '(?P<ref>[^']+)': (?P<why>.*)")
# Files in Git's way: a lock ("Unable to create 'PATH.lock': File exists."), packed-refs.new
# ("unable to create file PATH: File exists"), a loose ref cut short.
_IN_THE_WAY_RE = re.compile(r"[Uu]nable to create (?:file )?'?(?P<path>.+?)'?: File exists")
_BROKEN_REF_RE = re.compile(r"unable to resolve reference '(?P<ref>[^']+)': reference broken")


@dataclass(frozen=True, slots=True)
class Ident:
    """Who is writing, and when (Git's committer identity and date)."""

    name: str
    email: str
    timestamp: int
    tz: str


@dataclass(frozen=True, slots=True)
class TagRecord:
    """One tag as ``for-each-ref`` reports it. Lightweight tags have no tagger."""

    name: str
    object_type: str
    object: str
    target: str
    target_type: str
    tagger: Ident | None
    message: str
    problem: str | None = None  # why the tag cannot be read (then it has no message)
    signed: bool = False  # its object carries a signature (taken off the message; unverified)

    @property
    def annotated(self) -> bool:
        return self.object_type == "tag"


@dataclass(frozen=True, slots=True)
class NewTag:
    """An annotated tag object to write."""

    name: str
    target: str
    tagger: Ident
    message: str

    def encode(self) -> bytes:
        message = self.message.strip() + "\n"
        return (
            f"object {self.target}\ntype commit\ntag {self.name}\n"
            f"tagger {self.tagger.name} <{self.tagger.email}> "
            f"{self.tagger.timestamp} {self.tagger.tz}\n\n{message}"
        ).encode()


@dataclass(frozen=True, slots=True)
class RefUpdate:
    """One ref change: create (old is None), update, delete (new is None), or verify (new
    equal to old: the ref must still hold that value; both None: it must not exist). A
    ``moving`` ref (a stage tag, a model's head) may be replaced on a remote, with a lease;
    any other ref is only ever created."""

    ref: str
    new: str | None
    old: str | None
    moving: bool = False

    def command(self) -> bytes:
        if self.new == self.old:
            return f"verify {self.ref}\0{self.old or ZERO_OID}\0".encode()
        if self.old is None:
            return f"create {self.ref}\0{self.new}\0".encode()
        if self.new is None:
            return f"delete {self.ref}\0{self.old}\0".encode()
        return f"update {self.ref}\0{self.new}\0{self.old}\0".encode()


def _parse_ident(text: str) -> Ident | None:
    match = _IDENT_RE.fullmatch(text.strip())
    if match is None or _date_problem(match["ts"], match["tz"]) is not None:
        return None
    return Ident(match["name"], match["email"], int(match["ts"]), match["tz"])


def _date_problem(stamp: str, zone: str) -> str | None:
    """What is wrong with a raw Git date (seconds and zone), or None when it can be shown:
    a time from 1970 to 9999 in a zone less than a day from UTC."""
    if not _STAMP_RE.fullmatch(stamp) or not _ZONE_RE.fullmatch(zone):
        return f"its date {f'{stamp} {zone}'[:40]!r} is not a Git date"
    if not 0 <= int(stamp) <= MAX_TIMESTAMP:
        return f"its date ({stamp[:40]} seconds after 1970) is outside the years 1970 to 9999"
    if int(zone[1:3]) > 23 or int(zone[3:5]) > 59:
        return f"its time zone {zone} is not one (zones are less than a day from UTC)"
    return None


def split_signature(message: bytes) -> tuple[bytes, bool]:
    """A tag message without the signature Git appends to it when it signs the tag (the
    first line that opens an OpenPGP, X.509 or SSH signature, as Git finds it)."""
    found = _SIGNATURE_RE.search(message)
    return (message[: found.start() + 1], True) if found else (message, False)


def parse_tag_listing(out: bytes) -> list[TagRecord]:
    """``for-each-ref --format=TAG_FORMAT`` output to records. Git prints every field as a
    C string, so no field holds a NUL and a tag's content cannot shift the framing. What a
    tag may hold is bounded here: a tag whose message is larger than MAX_MESSAGE, or whose
    tagger date cannot be shown, comes back with its ``problem`` and without its message,
    so that readers skip it instead of failing on it or carrying its bytes further."""
    fields = out.split(b"\0")
    width = len(_FIELDS)
    records = []
    # Each record ends with a NUL and then for-each-ref's newline, which starts the next
    # record's first field.
    for start in range(0, len(fields) - width + 1, width):
        *header, body = fields[start : start + width]
        name, otype, oid, target, ttype, tname, temail, tdate = (
            f.decode(errors="replace") for f in header
        )
        tagger, problem = None, None
        if otype == "tag" and tdate:  # (a very old tag may have no tagger line)
            stamp, _, zone = tdate.partition(" ")
            problem = _date_problem(stamp, zone)
            if problem is None:
                tagger = Ident(tname, temail, int(stamp), zone)
        if len(body) > MAX_MESSAGE:
            problem = f"its message ({len(body):,} bytes) is larger than {MAX_MESSAGE:,} bytes"
        body, signed = split_signature(body) if otype == "tag" and not problem else (body, False)
        records.append(
            TagRecord(
                name=name.lstrip("\n"),
                object_type=otype,
                object=oid,
                target=target or oid,
                target_type=ttype or otype,
                tagger=tagger,
                message=body.decode(errors="replace") if otype == "tag" and not problem else "",
                problem=problem,
                signed=signed,
            )
        )
    return records


def tag_record(name: str, oid: str, body: bytes) -> TagRecord:
    """A tag object's content (``cat-file``) as ``parse_tag_listing`` reports a tag, with
    the same bounds: a message larger than MAX_MESSAGE, or a tagger date that cannot be
    shown, leaves a ``problem`` and no message."""
    head, _, message = body.partition(b"\n\n")
    fields: dict[str, str] = {}
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        fields.setdefault(key.decode(errors="replace"), value.decode(errors="replace"))
    tagger, problem = None, None
    if "tagger" in fields:
        match = _IDENT_RE.fullmatch(fields["tagger"])
        problem = (
            _date_problem(match["ts"], match["tz"])
            if match
            else "its tagger line is not a name, an email and a date"
        )
        if match and problem is None:
            tagger = Ident(match["name"], match["email"], int(match["ts"]), match["tz"])
    if len(message) > MAX_MESSAGE:
        problem = f"its message ({len(message):,} bytes) is larger than {MAX_MESSAGE:,} bytes"
    text, signed = split_signature(message) if problem is None else (b"", False)
    return TagRecord(
        name=name,
        object_type="tag",
        object=oid,
        target=fields.get("object", ""),
        target_type=fields.get("type", ""),
        tagger=tagger,
        message=text.decode(errors="replace"),
        problem=problem,
        signed=signed,
    )


def _config_quoted(value: str) -> str:
    """A value for a Git configuration file: quoted, its quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def git_says(stderr: str, returncode: int) -> str:
    """The line of Git's error output that says what went wrong, whole: its first
    ``fatal:`` line (a failed push ends with a line that only says it failed), else its
    first line."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return next((line for line in lines if line.startswith("fatal:")), None) or (
        lines[0] if lines else f"exit code {returncode}"
    )


_OUR_HOOK_SAYS = ("git-model: refused ", "git-model: error: ")


def hook_says(stderr: str) -> list[str]:
    """What git-model's hooks said in a push's error output (the server's lines come
    prefixed with ``remote:``): their refusals and errors, at most 20."""
    found = []
    for raw in stderr.splitlines():
        line = raw.strip().removeprefix("remote:").strip()
        said = next((line[len(p) :] for p in _OUR_HOOK_SAYS if line.startswith(p)), None)
        if said:
            found.append(said)
    return found[:20]


# What git-model writes is on disk before it reports success: tag objects, the commit
# `register --path` makes, and refs are fsynced (Git's default syncs none of them).
_DURABLE = ("-c", "core.fsync=loose-object,reference,index")

# Transport helpers run arbitrary commands (`ext::sh -c ...`); never let a URL reach one.
_LOCK_FAILED_RE = re.compile(r"cannot lock ref '([^'\n]+)': ([^\n]*)")
_SAFE = ("-c", "protocol.ext.allow=never")


def check_remote(remote: str) -> str:
    """A remote name, URL or path that is safe to hand to Git."""
    if not remote or remote.startswith("-") or "::" in remote:
        raise InvalidRemote(remote)
    return remote


@dataclass(frozen=True, slots=True)
class RemoteRefs:
    """What ``ls-remote`` says of a remote's registry: its tags (annotated ones are those
    with a peeled line; no tagger or message) and its models' heads (full name -> object)."""

    tags: list[TagRecord]
    heads: dict[str, str]


def _remote_refs(out: str) -> RemoteRefs:
    oids: dict[str, str] = {}
    peeled: dict[str, str] = {}
    heads: dict[str, str] = {}
    for line in out.splitlines():
        oid, _, ref = line.partition("\t")
        if ref.startswith(HEAD_REFS) and not ref.endswith("^{}"):
            heads[ref] = oid
        elif not ref.startswith("refs/tags/"):
            continue
        elif ref.endswith("^{}"):
            peeled[ref[len("refs/tags/") : -3]] = oid
        else:
            oids[ref[len("refs/tags/") :]] = oid
    tags = [
        TagRecord(
            name=name,
            object_type="tag" if name in peeled else "commit",
            object=oid,
            target=peeled.get(name, oid),
            target_type="commit",  # what a remote's listing cannot say; assumed
            tagger=None,
            message="",
        )
        for name, oid in oids.items()
    ]
    return RemoteRefs(tags, heads)


def absolute_url(url: str, base: Path) -> str:
    """A local path (relative to ``base``) made absolute; URLs as they are."""
    if "://" in url or (":" in url.split("/", 1)[0] and not Path(url).exists()):
        return url  # scheme://... or scp-like host:path
    return str((base / url).resolve())


def ls_remote(remote: str, patterns: Sequence[str] = (), cwd: Path | None = None) -> RemoteRefs:
    """A remote's registry refs matching ``patterns`` (default: every tag and head), without
    fetching anything."""
    wanted = patterns or ("refs/tags/*", f"{HEAD_REFS}*")
    proc = subprocess.run(
        ["git", *_SAFE, "ls-remote", check_remote(remote), *wanted],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    if proc.returncode != 0:
        raise RemoteError(remote, git_says(proc.stderr, proc.returncode))
    return _remote_refs(proc.stdout)


@contextmanager
def fetched_tag(remote: str, tag: str) -> Iterator[Git]:
    """A scratch bare repository holding one tag of ``remote`` (URL or path), its commit
    and that commit's files (``fetch --depth=1``: no history), for the duration of the
    block; RemoteError when the remote cannot give it."""
    with tempfile.TemporaryDirectory(prefix="git-model-fetch.") as tmp:
        scratch = Path(tmp)
        init = subprocess.run(
            ["git", "init", "--quiet", "--bare", str(scratch)], capture_output=True, check=False
        )
        if init.returncode != 0:
            raise GitFailed(("init", "--bare"), init.returncode, init.stderr.decode())
        git = Git(scratch, None)
        ref = f"refs/tags/{tag}"
        proc = git.run(
            *_SAFE,
            "fetch",
            "--quiet",
            "--no-tags",
            "--depth=1",
            "--no-write-fetch-head",
            "--end-of-options",
            check_remote(remote),
            f"+{ref}:{ref}",
            check=False,
            env={"GIT_TERMINAL_PROMPT": "0"},
        )
        if proc.returncode != 0:
            stderr = proc.stderr.decode(errors="replace")
            raise RemoteError(remote, git_says(stderr, proc.returncode))
        yield git


class Git:
    """A repository, as the ``git`` binary sees it."""

    def __init__(
        self, git_dir: Path, work_tree: Path | None, common_dir: Path | None = None
    ) -> None:
        self.git_dir = git_dir
        self.work_tree = work_tree
        # Where the refs, packed-refs and config are: the main repository's Git directory
        # when this is a linked work tree (whose git_dir holds only its HEAD and index).
        self.common_dir = common_dir or git_dir
        self._blobs: dict[str, tuple[str, bytes] | None] = {}
        self._ident: Ident | None = None
        self._config: dict[str, str] | None = None

    @classmethod
    def discover(cls, path: Path | None = None) -> Git:
        """The repository containing ``path`` (default: the current directory)."""
        where = Path.cwd() if path is None else path
        proc = subprocess.run(
            [
                "git",
                "rev-parse",
                "--path-format=absolute",
                "--git-dir",
                "--git-common-dir",
                "--show-toplevel",
            ],
            cwd=where,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = proc.stdout.splitlines()
        if proc.returncode == 0 and len(lines) == 3:
            return cls(Path(lines[0]), Path(lines[2]), Path(lines[1]))
        if len(lines) == 2 and "work tree" in proc.stderr:  # a bare repository
            return cls(Path(lines[0]), None, Path(lines[1]))
        raise NotARepository(str(where))

    @property
    def root(self) -> Path:
        return self.work_tree if self.work_tree is not None else self.git_dir

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args],
            cwd=self.root,
            input=stdin,
            capture_output=True,
            check=False,
            env=None if env is None else {**os.environ, **env},
        )
        if check and proc.returncode != 0:
            stderr = proc.stderr.decode(errors="replace")
            raise self.file_in_the_way(stderr) or GitFailed(args, proc.returncode, stderr)
        return proc

    # --- reading -----------------------------------------------------------------

    def list_tags(self, patterns: Iterable[str] = ("refs/tags",)) -> list[TagRecord]:
        """Every tag matching ``patterns``, with tagger and message, in one process."""
        return parse_tag_listing(
            self.run("for-each-ref", f"--format={TAG_FORMAT}", *patterns).stdout
        )

    def read_refs(self, refs: Sequence[str]) -> dict[str, str]:
        """The objects these full ref names point at (absent refs are left out)."""
        if not refs:
            return {}
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", *refs).stdout
        wanted = set(refs)
        found = {}
        for line in out.decode(errors="replace").splitlines():
            ref, _, oid = line.partition(" ")
            if ref in wanted:  # a pattern without a glob also matches refs below it
                found[ref] = oid
        return found

    def fetch_refs(self, remote: str, refs: Sequence[str]) -> None:
        """Fetch exactly these refs (full names) from ``remote``, replacing local ones, in
        one process."""
        if not refs:
            return
        proc = self._fetch(remote, [f"+{ref}:{ref}" for ref in refs])
        if proc.returncode != 0:
            stderr = proc.stderr.decode(errors="replace")
            raise self.file_in_the_way(stderr) or RemoteError(
                remote, git_says(stderr, proc.returncode)
            )

    def fetch_objects(self, remote: str, refs: Sequence[str]) -> None:
        """Bring the objects these refs (full names) point at on ``remote``, creating and
        moving no ref here, in one process."""
        if not refs:
            return
        proc = self._fetch(remote, refs)
        if proc.returncode != 0:
            raise RemoteError(
                remote, git_says(proc.stderr.decode(errors="replace"), proc.returncode)
            )

    def _fetch(self, remote: str, refspecs: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        """One quiet ``git fetch`` of ``refspecs`` (given on its standard input), no tags
        followed, no FETCH_HEAD written, never prompting; the caller reads its outcome."""
        return self.run(
            *_SAFE,
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--stdin",
            check_remote(remote),
            stdin="".join(f"{spec}\n" for spec in refspecs).encode(),
            check=False,
            env={"GIT_TERMINAL_PROMPT": "0"},
        )

    def push_refs(
        self, remote: str, updates: Sequence[RefUpdate], remote_values: dict[str, str]
    ) -> list[tuple[str, str]]:
        """Push ``updates`` in one ``git push --atomic``: all of them or none. Moving refs
        carry a lease on the value ``remote_values`` says the remote has (absent: must not
        exist), so a push never overwrites a change it did not see; other refs are created
        only. Returns the refused refs with Git's reason (empty: all pushed)."""
        args = ["push", "--atomic", "--porcelain"]
        refspecs = []
        for u in updates:
            seen = remote_values.get(u.ref)
            if u.new == u.old:
                continue  # a check of this clone's own ref: nothing to publish
            if u.moving:
                if u.new is None and seen is None:
                    continue  # nothing to delete there
                # No "+" on the refspec: it would force the update past the lease.
                args.append(f"--force-with-lease={u.ref}:{seen or ''}")
                refspecs.append(f"{u.new}:{u.ref}" if u.new else f":{u.ref}")
            elif u.new is not None:
                refspecs.append(f"{u.new}:{u.ref}")
        if not refspecs:
            return []
        proc = self.run(
            *_SAFE,
            *args,
            check_remote(remote),
            *refspecs,
            check=False,
            env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
        refused = []
        for line in proc.stdout.decode(errors="replace").splitlines():
            flag, _, rest = line.partition("\t")
            if flag == "!":
                spec, _, reason = rest.partition("\t")
                refused.append((spec.rpartition(":")[2], reason))
        stderr = proc.stderr.decode(errors="replace")
        said = hook_says(stderr)
        if any("hook declined" in why for _, why in refused):
            others = [ln.strip()[7:].strip() for ln in stderr.splitlines()
                      if ln.strip().startswith("remote:")]  # fmt: skip
            raise PushRefused(f"{remote}'s pre-receive hook", said or others[:3])
        if proc.returncode != 0 and not refused:
            if said:
                raise PushRefused("this clone's pre-push hook", said)
            raise RemoteError(remote, git_says(stderr, proc.returncode))
        # When the remote's own transaction fails, Git reports every ref as "atomic
        # transaction failed" and names the one at fault only in the remote's message.
        at_fault = _LOCK_FAILED_RE.search(stderr)
        if at_fault:
            reason = f"stale info: {at_fault.group(2).strip()}"
            refused = [(r, reason if r == at_fault.group(1) else why) for r, why in refused]
        return refused

    def ls_remote(self, remote: str, patterns: Sequence[str] = ()) -> RemoteRefs:
        return ls_remote(remote, patterns, cwd=self.root)

    def remote_url(self, remote: str) -> str:
        """The URL of a configured remote; a URL or path as it is (a path made absolute)."""
        proc = self.run("remote", "get-url", "--", check_remote(remote), check=False)
        url = proc.stdout.decode().strip() if proc.returncode == 0 else remote
        return absolute_url(url, self.root if proc.returncode == 0 else Path.cwd())

    def list_tag_names(self, patterns: Iterable[str] = ("refs/tags",)) -> list[tuple[str, str]]:
        """The (name, object id) of every tag matching ``patterns``, without reading any
        object: Git's cheapest listing."""
        out = self.run("for-each-ref", f"--format={NAMES_FORMAT}", *patterns)
        pairs = []
        for line in out.stdout.decode(errors="replace").splitlines():
            oid, _, name = line.partition(" ")
            pairs.append((name, oid))
        return pairs

    def read_messages(self, tags: Sequence[str]) -> dict[str, str]:
        """The messages of annotated tags (by name), in one ``cat-file --batch``."""
        found = self._read([f"refs/tags/{t}" for t in tags], kinds=(b"tag",))
        messages = {}
        for tag in tags:
            entry = found.get(f"refs/tags/{tag}")
            if entry is not None:
                _, _, message = entry[1].partition(b"\n\n")
                messages[tag] = message.decode(errors="replace")
        return messages

    def read_tag_objects(self, tags: Mapping[str, str]) -> list[TagRecord]:
        """Tags given by name and object id rather than as refs here (a push's, before
        they are refs; a remote's), as ``list_tags`` reports them and with its bounds:
        one ``cat-file --batch-check`` for every object's type and size, one ``--batch``
        for the tag objects within MAX_TAG_OBJECT. Objects this repository lacks, and
        ids that are not object ids, are left out."""
        wanted = sorted({oid for oid in tags.values() if OBJECT_ID_RE.fullmatch(oid)})
        if not wanted:
            return []
        listed = self.run(
            "cat-file", "--batch-check", stdin="".join(f"{o}\n" for o in wanted).encode()
        )
        kinds: dict[str, tuple[str, int]] = {}
        for line in listed.stdout.decode(errors="replace").splitlines():
            oid, kind, length = [*line.split(), "", ""][:3]
            if length.isdigit():
                kinds[oid] = (kind, int(length))
        small = [o for o, (k, size) in kinds.items() if k == "tag" and size <= MAX_TAG_OBJECT]
        bodies = self.read_objects(small, "tag")
        records = []
        for name, oid in tags.items():
            kind, size = kinds.get(oid, ("", 0))
            body = bodies.get(oid)
            if body is not None:
                records.append(tag_record(name, oid, body))
            elif kind == "tag":
                problem = f"its tag object ({size:,} bytes) is larger than {MAX_TAG_OBJECT:,} bytes"
                records.append(TagRecord(name, "tag", oid, "", "", None, "", problem))
            elif kind:  # a lightweight tag: the ref names the object itself
                records.append(TagRecord(name, kind, oid, oid, kind, None, ""))
        return records

    def now(self) -> int:
        """The time now (seconds), as Git tells it: GIT_COMMITTER_DATE when set. Needs no
        committer identity (a server's hook may run where none is configured)."""
        proc = self.run(
            "var",
            "GIT_COMMITTER_IDENT",
            env={"GIT_COMMITTER_NAME": "git-model", "GIT_COMMITTER_EMAIL": "git-model@localhost"},
        )
        ident = _parse_ident(proc.stdout.decode(errors="replace"))
        if ident is None:
            raise GitFailed(("var", "GIT_COMMITTER_IDENT"), 0, "the date Git gave is not one")
        return ident.timestamp

    def hooks_dir(self) -> Path:
        """Where Git runs this repository's hooks from: ``core.hooksPath`` when set (a
        relative one from the top of the working tree), else the Git directory's ``hooks``."""
        out = self.run("rev-parse", "--path-format=absolute", "--git-path", "hooks").stdout
        return Path(out.decode().strip())

    def config_value(self, key: str) -> str | None:
        """A Git configuration value, or None when unset. The whole configuration is read
        once per command (one ``git config --list``), so asking for several is free."""
        if self._config is None:
            proc = self.run("config", "-z", "--list", check=False)
            entries = proc.stdout.decode(errors="replace").split("\0")
            self._config = {}
            for entry in entries:
                name, _, value = entry.partition("\n")
                if name:
                    self._config[name.lower()] = value.strip()
        section, _, rest = key.rpartition(".")
        return self._config.get(f"{section.lower()}.{rest.lower()}") or None

    def date_of(self, rev: str) -> int | None:
        """When ``rev`` was made (seconds): an annotated tag's tagger date, else its
        commit's committer date; None when it names nothing."""
        ref = f"refs/tags/{rev}"
        out = self.run("for-each-ref", "--format=%(refname)%00%(taggerdate:unix)", ref).stdout
        for line in out.decode(errors="replace").splitlines():
            name, _, when = line.partition("\0")
            if name == ref and when.isdigit():
                return int(when)
        commit = self.resolve_commit(rev)
        if commit is None:
            return None
        when = self.run("log", "-1", "--format=%ct", commit).stdout.decode().strip()
        return int(when) if when.isdigit() else None

    def resolve_commit(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None."""
        proc = self.run(
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{rev}^{{commit}}",
            check=False,
        )
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def _read(
        self, specs: Sequence[str], kinds: tuple[bytes, ...] = (b"blob",)
    ) -> dict[str, tuple[str, bytes] | None]:
        """``REV:PATH`` blobs as (object id, content), None where missing or not a file:
        what is not known yet is read in one ``cat-file --batch``. What a full commit id
        names never changes, so it is kept (``HEAD:...`` is read afresh every time)."""
        known = {s: self._blobs[s] for s in specs if s in self._blobs}
        wanted = [s for s in dict.fromkeys(specs) if s not in known]
        if not wanted:
            return known
        out = self.run("cat-file", "--batch", stdin=_batch_requests(wanted))
        data, pos = out.stdout, 0
        for spec in wanted:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            pos = end + 1
            blob = None
            if len(header) == 3:  # "<oid> <type> <size>", then the content
                size = int(header[2])
                if header[1] in kinds:
                    blob = (header[0].decode(), data[pos : pos + size])
                pos += size + 1
            known[spec] = blob
            if _IMMUTABLE_SPEC.match(spec):
                self._blobs[spec] = blob
        return known

    def read_blobs(self, specs: Sequence[str]) -> list[bytes | None]:
        """The contents of ``REV:PATH`` blobs (None: missing or not a file)."""
        found = self._read(specs)
        return [None if (b := found[s]) is None else b[1] for s in specs]

    def blob_ids(self, specs: Sequence[str]) -> list[str | None]:
        """The object ids of ``REV:PATH`` blobs (None: missing or not a file)."""
        found = self._read(specs)
        return [None if (b := found[s]) is None else b[0] for s in specs]

    def object_info(self, specs: Sequence[str]) -> list[tuple[str, str, int] | None]:
        """(object id, type, size) of each ``REV:PATH`` (None: missing), without reading
        the objects: one ``cat-file --batch-check``, however large they are."""
        if not specs:
            return []
        out = self.run("cat-file", "--batch-check", stdin=_batch_requests(specs))
        found: list[tuple[str, str, int] | None] = []
        for line in out.stdout.decode(errors="replace").splitlines()[: len(specs)]:
            oid, kind, size = [*line.split(), "", ""][:3]
            found.append((oid, kind, int(size)) if size.isdigit() else None)
        return found

    def copy_blob(self, oid: str, target: Path) -> None:
        """Write the blob ``oid`` to the new file ``target``, streamed (a model may be
        larger than memory); GitFailed when this repository has no such blob."""
        if not OBJECT_ID_RE.fullmatch(oid):
            raise GitFailed(("cat-file", "blob"), 128, f"{oid!r} is not an object id")
        with target.open("xb") as handle:
            proc = subprocess.run(
                ["git", f"--git-dir={self.git_dir}", "cat-file", "blob", oid],
                cwd=self.root,
                stdout=handle,
                stderr=subprocess.PIPE,
                check=False,
            )
        if proc.returncode != 0:
            raise GitFailed(("cat-file", "blob", oid), proc.returncode, proc.stderr.decode())

    def dirty(self, paths: Sequence[str] = (), *, untracked: bool = True) -> list[str]:
        """Which of ``paths`` (none given: every file) differ from HEAD, staged or not;
        untracked files count unless ``untracked`` is false."""
        out = self.run(
            "status",
            "--porcelain=v1",
            "-z",
            f"--untracked-files={'all' if untracked else 'no'}",
            "--",
            *paths,
        ).stdout.decode(errors="replace")
        entries = iter(out.split("\0"))
        found = []
        for entry in entries:
            if len(entry) > 3:
                found.append(entry[3:])
                if entry[0] in "RC":  # a rename or copy: its source path comes next
                    next(entries, None)
        return found

    def commit_paths(self, paths: Sequence[str], message: str) -> str:
        """Commit exactly ``paths`` as they are in the work tree; leave all else as it is."""
        self.run(*_DURABLE, "add", "--", *paths)
        self.run(*_DURABLE, "commit", "--quiet", "--only", "-m", message, "--", *paths)
        return self.run("rev-parse", "HEAD").stdout.decode().strip()

    def list_files(self, commit: str, under: str) -> list[str]:
        """The paths of the files below the directory ``under`` at ``commit``."""
        out = self.run("ls-tree", "-r", "-z", "--name-only", commit, "--", under).stdout
        return [p for p in out.decode(errors="replace").split("\0") if p]

    def commit_file(self, parent: str, path: str, content: bytes, message: str) -> str:
        """A commit on ``parent`` that changes one file, made with plumbing in a temporary
        index (no work tree, no index of this repository is touched; no ref is moved)."""
        blob = self.run("hash-object", "-w", "--stdin", stdin=content).stdout.decode().strip()
        with tempfile.TemporaryDirectory(prefix="git-model-index.", dir=self.git_dir) as tmp:
            index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", parent, env=index)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
            tree = self.run("write-tree", env=index).stdout.decode().strip()
        made = self.run("commit-tree", tree, "-p", parent, "-F", "-", stdin=message.encode())
        return made.stdout.decode().strip()

    def changed_at(self, commit: str, path: str) -> int | None:
        """When (committer date, seconds) the last commit in ``commit``'s history that
        changed ``path`` was made; None when none did."""
        out = self.run("log", "-1", "--format=%ct", commit, "--", path).stdout.decode().strip()
        return int(out) if out.isdigit() else None

    def is_ancestor(self, commit: str, of: str) -> bool:
        """Whether ``commit`` is ``of`` or one of its ancestors."""
        return self.run("merge-base", "--is-ancestor", commit, of, check=False).returncode == 0

    def symbolic_target(self, ref: str) -> str | None:
        """The ref a symbolic ref points at (``refs/remotes/origin/HEAD``), or None."""
        proc = self.run("symbolic-ref", "--quiet", ref, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def work_trees(self) -> list[Path]:
        """The repository's work trees, the main one first (a bare repository: its Git dir)."""
        out = self.run("worktree", "list", "--porcelain").stdout.decode(errors="replace")
        return [Path(line[9:]) for line in out.splitlines() if line.startswith("worktree ")]

    def ident(self) -> Ident:
        """Who writes now: Git's committer identity, honouring GIT_COMMITTER_DATE. Read
        once: the time a command started is its time throughout."""
        if self._ident is None:
            proc = self.run("var", "GIT_COMMITTER_IDENT", check=False)
            ident = _parse_ident(proc.stdout.decode(errors="replace"))
            if proc.returncode != 0 or ident is None:
                lines = proc.stderr.decode(errors="replace").strip().splitlines()
                raise IdentityMissing(lines[-1] if lines else "no committer identity")
            self._ident = ident
        return self._ident

    # --- writing -----------------------------------------------------------------

    def write_tags(self, tags: Sequence[NewTag], *, sign: bool = False) -> list[str]:
        """Write annotated tag objects (no refs yet); return their object ids. With
        ``sign``, Git itself signs them (``git tag -s``: ``user.signingkey``,
        ``gpg.format``, the agent); git-model never sees a private key."""
        if not tags:
            return []
        if sign:
            return self._write_signed_tags(tags)
        with tempfile.TemporaryDirectory(prefix="git-model-") as tmp:
            paths = []
            for i, tag in enumerate(tags):
                path = Path(tmp) / f"{i}.tag"
                path.write_bytes(tag.encode())
                paths.append(str(path))
            out = self.run(
                *_DURABLE,
                "hash-object",
                "-t",
                "tag",
                "-w",
                "--stdin-paths",
                stdin="\n".join(paths).encode() + b"\n",
            ).stdout
        return out.decode().split()

    def _write_signed_tags(self, tags: Sequence[NewTag]) -> list[str]:
        """``git tag -s`` writes the signed object into this repository's object store,
        and its ref into a scratch repository that reads this one's configuration: so no
        ref here changes until the write's one transaction."""
        objects = (self.common_dir / "objects").resolve()
        with tempfile.TemporaryDirectory(prefix="git-model-sign-") as tmp:
            scratch = Path(tmp) / "scratch.git"
            (scratch / "refs").mkdir(parents=True)
            (scratch / "objects").mkdir()
            (scratch / "HEAD").write_text("ref: refs/heads/scratch\n")
            config = (self.common_dir / "config").resolve()
            (scratch / "config").write_text(
                f"[include]\n\tpath = {_config_quoted(str(config))}\n[core]\n\tbare = true\n"
            )
            for i, tag in enumerate(tags):
                message = Path(tmp) / f"{i}.msg"
                message.write_text(tag.message.strip() + "\n")
                env = {
                    "GIT_DIR": str(scratch),
                    "GIT_OBJECT_DIRECTORY": str(objects),
                    "GIT_COMMITTER_NAME": tag.tagger.name,
                    "GIT_COMMITTER_EMAIL": tag.tagger.email,
                    "GIT_COMMITTER_DATE": f"{tag.tagger.timestamp} {tag.tagger.tz}",
                }
                proc = subprocess.run(
                    ["git", *_DURABLE, "tag", "-s", "--cleanup=verbatim", "-F", str(message),
                     "--", tag.name, tag.target],
                    cwd=tmp, capture_output=True, check=False, env={**os.environ, **env},
                )  # fmt: skip
                if proc.returncode != 0:
                    raise SigningFailed(tag.name, git_says(proc.stderr.decode(errors="replace"),
                                                          proc.returncode))  # fmt: skip
            listing = subprocess.run(
                ["git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags"],
                cwd=tmp, capture_output=True, check=True,
                env={**os.environ, "GIT_DIR": str(scratch), "GIT_OBJECT_DIRECTORY": str(objects)},
            ).stdout.decode()  # fmt: skip
        made = {ref.removeprefix("refs/tags/"): oid for oid, _, ref in
                (line.partition(" ") for line in listing.splitlines())}  # fmt: skip
        return [made[tag.name] for tag in tags]

    def verify_tag(self, oid: str, settings: Sequence[tuple[str, str]]) -> tuple[int, str]:
        """``git verify-tag --raw`` of one tag object, with ``settings`` (``-c KEY=VALUE``:
        the allowed signers, the revocation file); its exit code and what it printed."""
        options = [arg for key, value in settings for arg in ("-c", f"{key}={value}")]
        proc = self.run(*options, "verify-tag", "--raw", "--end-of-options", oid, check=False,
                        env={"LC_ALL": "C"})  # fmt: skip
        said = (proc.stdout + proc.stderr)[:MAX_VERIFY_OUTPUT]
        return proc.returncode, said.decode(errors="replace")

    def read_objects(self, oids: Sequence[str], kind: str) -> dict[str, bytes | None]:
        """Raw objects of type ``kind`` (``tag``, ``commit``) by id, in one ``cat-file
        --batch`` (None: missing, or of another type)."""
        found = self._read(oids, kinds=(kind.encode(),))
        return {oid: None if (b := found[oid]) is None else b[1] for oid in oids}

    def file_in_the_way(self, stderr: str) -> GitModelError | None:
        """The error for a Git failure caused by a file in its way, naming the file: a lock
        or packed-refs.new (a Git process holds it, or one stopped and left it), or a loose
        ref cut short. None when ``stderr`` reports another failure."""
        if match := _IN_THE_WAY_RE.search(stderr):
            return RegistryBusy(os.path.relpath(match["path"], self.root))
        if match := _BROKEN_REF_RE.search(stderr):
            return BrokenRef(os.path.relpath(self.common_dir / match["ref"], self.root))
        return None

    def update_refs(self, updates: Sequence[RefUpdate]) -> None:
        """Apply ref changes all-or-nothing against other writers, in the order given."""
        if not updates:
            return
        stdin = b"start\0" + b"".join(u.command() for u in updates) + b"prepare\0commit\0"
        proc = self.run(
            *_DURABLE,
            "update-ref",
            "--stdin",
            "-z",
            stdin=stdin,
            check=False,
            env={"LC_ALL": "C"},
        )
        if proc.returncode == 0:
            return
        stderr = proc.stderr.decode(errors="replace")
        blocked = self.file_in_the_way(stderr)
        if blocked is not None:
            raise blocked
        match = _LOCK_ERROR_RE.search(stderr)
        if match is None:
            raise GitFailed(("update-ref", "--stdin"), proc.returncode, stderr)
        ref, why = match["ref"], match["why"]
        if "already exists" in why:
            raise ConcurrentUpdate(ref, "someone else created it")
        if "but expected" in why or "unable to resolve" in why or "is missing" in why:
            raise ConcurrentUpdate(ref, "someone else moved or deleted it")
        raise GitFailed(("update-ref", "--stdin"), proc.returncode, stderr)


def _batch_requests(specs: Sequence[str]) -> bytes:
    """``cat-file --batch`` requests, one a line: a line break in one would shift every
    answer after it, so such a request is refused."""
    broken = next((s for s in specs if "\n" in s or "\r" in s), None)
    if broken is not None:
        raise GitModelError(
            f"cannot ask Git for {broken!r}: it holds a line break",
            "rename the file or directory so that its path is one line",
        )
    return "".join(f"{s}\n" for s in specs).encode()
