"""Files Git leaves in its directory when it stops while changing refs, and who holds them.

Git changes a file by writing ``FILE.lock``, which it creates only if it does not exist
(that is the lock), and renaming it over ``FILE``; it rewrites ``packed-refs`` through
``packed-refs.new``, under ``packed-refs.lock``. A Git process killed in between leaves
these files, and every later write that needs them fails with "File exists". A crash of
the machine can also leave a loose ref whose content never reached the disk: Git then
ignores that ref and refuses to write it. DVC, which ``register --path`` and ``get`` run,
leaves one file of its own the same way: its lock table, rewritten in place.

Whether a process still holds such a file is read from ``/proc`` (Linux), best effort. It
is held by every Git process (its program named ``git`` or ``git-*``; not this one, nor the
``git`` that started it as ``git model``) whose working directory or an open file is in the
repository's Git directory or one of its work trees, and by any process that has the file
itself open. A Git process that may not be inspected (another user's) matters only when it
runs as the file's owner, since the process that made a file owns it. Then, and where there
is no ``/proc``, nobody can tell: the file counts as abandoned once it is ``AGE_LIMIT``
seconds old.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from git_model.gitcmd import Git

PROC = Path("/proc")
# Without a way to see the processes, an older leftover counts as abandoned. Git holds a
# ref's lock for milliseconds; the longest hold in practice is `git commit`'s index.lock
# while its editor is open.
AGE_LIMIT = 3600
_WHOLE_REF_SIZES = (41, 65)  # a SHA-1 or SHA-256 object id and a newline
_WHOLE_REF_RE = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?(?:\s.*)?|ref:\s*\S.*", re.DOTALL)


class LeftoverKind(Enum):
    LOCK = "lock"  # FILE.lock: Git is changing FILE, or stopped while it did
    UNFINISHED = "unfinished"  # packed-refs.new: a rewrite of packed-refs, not finished
    BROKEN_REF = "broken-ref"  # a loose ref cut short: no object id, no "ref: ..."
    DVC_LOCK_TABLE = "dvc-lock-table"  # .dvc/tmp/rwlock cut short: DVC reads no JSON there


# DVC rewrites its table of who reads and writes what in place (not through a rename): a
# DVC process killed meanwhile (in `register --path`, `get`) leaves it empty or cut short,
# and every later DVC command stops at it ("JSON structure is corrupted").
DVC_LOCK_TABLE = Path(".dvc", "tmp", "rwlock")
_DVC_LOCK_TABLE_LIMIT = 1024 * 1024
_DELETES = "deleting refs (demote, archive), git pack-refs and git gc"
# The files beside the refs, shared by every work tree...
_SHARED = (
    ("packed-refs.lock", LeftoverKind.LOCK, _DELETES),
    ("packed-refs.new", LeftoverKind.UNFINISHED, _DELETES),
    ("config.lock", LeftoverKind.LOCK, "changing Git's configuration (git config)"),
    ("shallow.lock", LeftoverKind.LOCK, "fetching into this shallow clone (fetch, --push)"),
)
# ...and each work tree's own.
_OWN = (
    ("HEAD.lock", LeftoverKind.LOCK, "commits and checkouts (register --path commits)"),
    ("index.lock", LeftoverKind.LOCK, "staging and committing files (register --path)"),
)


@dataclass(frozen=True, slots=True)
class Holder:
    """A process that may hold a leftover."""

    pid: int
    command: str


@dataclass(frozen=True, slots=True)
class Leftover:
    """A file in Git's way, what it blocks, and who may hold it."""

    path: str  # relative to the repository's top directory
    kind: LeftoverKind
    blocks: str  # what fails while it is there
    held_by: tuple[Holder, ...] | None  # None: nobody can tell
    age: int  # seconds since it was last written

    @property
    def removable(self) -> bool:
        """No process holds it, or nobody can tell and it is older than ``AGE_LIMIT``."""
        return self.held_by == () or (self.held_by is None and self.age >= AGE_LIMIT)


def find(git: Git, proc: Path = PROC) -> list[Leftover]:
    """Every leftover of the repository, and who holds each (``proc``: where ``/proc`` is)."""
    found = []
    now = time.time()
    for path, kind, blocks in _candidates(git):
        try:
            stat = path.stat()
        except FileNotFoundError:  # the Git process that held it is done
            continue
        found.append((path, kind, blocks, stat.st_uid, max(int(now - stat.st_mtime), 0)))
    if not found:
        return []
    places = tuple({os.path.realpath(p) for p in (git.git_dir, git.common_dir, *git.work_trees())})
    processes = _processes(proc)
    return [
        Leftover(
            os.path.relpath(path, git.root),
            kind,
            blocks,
            _held_by(os.path.realpath(path), owner, processes, places),
            age,
        )
        for path, kind, blocks, owner, age in found
    ]


def commit_blocker(git: Git) -> str | None:
    """The file that would stop a commit in this work tree (HEAD.lock, index.lock), relative
    to the repository's top directory; None when there is none."""
    for name, _, _ in _OWN:
        if (git.git_dir / name).exists():
            return os.path.relpath(git.git_dir / name, git.root)
    return None


def remove(git: Git, leftover: Leftover) -> bool:
    """Remove a leftover; False if it changed meanwhile (a ref Git has rewritten since)."""
    path = git.root / leftover.path
    if leftover.kind is not LeftoverKind.BROKEN_REF:
        path.unlink(missing_ok=True)
        return True
    # Take the ref's lock, as Git does before it writes a ref, so that no Git process
    # rewrites the ref between the check and the removal.
    lock = path.with_name(path.name + ".lock")
    try:
        lock.touch(exist_ok=False)
    except FileExistsError:
        return False
    try:
        if not _broken(path):
            return False
        path.unlink()
        return True
    finally:
        lock.unlink()


def _candidates(git: Git) -> Iterator[tuple[Path, LeftoverKind, str]]:
    for directory, table in ((git.common_dir, _SHARED), (git.git_dir, _OWN)):
        for name, kind, blocks in table:
            if (directory / name).exists():
                yield directory / name, kind, blocks
    # `git commit --only PATH` (register --path's commit) stages into a temporary index.
    for index in git.git_dir.glob("next-index-*.lock"):
        yield index, LeftoverKind.LOCK, "nothing: a temporary index of a commit that stopped"
    dvc_table = git.root / DVC_LOCK_TABLE
    if _cut_short_json(dvc_table):
        yield dvc_table, LeftoverKind.DVC_LOCK_TABLE, "DVC in this work tree (register --path, get)"
    for path in _ref_files(str(git.common_dir / "refs")):
        ref = Path(path).relative_to(git.common_dir).as_posix()
        if ref.endswith(".lock"):
            yield Path(path), LeftoverKind.LOCK, f"writes to {ref.removesuffix('.lock')}"
        else:
            yield Path(path), LeftoverKind.BROKEN_REF, f"reading and writing {ref}"


def _cut_short_json(path: Path) -> bool:
    """Whether ``path`` is a file that holds no JSON object (read up to a bound: DVC's
    table names a few processes; a larger file is no table DVC wrote either)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_DVC_LOCK_TABLE_LIMIT + 1)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False
    try:
        return not isinstance(json.loads(data), dict)
    except ValueError:  # not JSON, not UTF-8, or larger than the bound (cut there)
        return True


def _ref_files(directory: str) -> Iterator[str]:
    """The lock files and the loose refs cut short under ``directory``: one ``lstat`` a
    file, and a read only of a file whose size no whole ref has."""
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _ref_files(entry.path)
        elif entry.name.endswith(".lock") or (
            entry.is_file(follow_symlinks=False) and _broken(entry)
        ):
            yield entry.path


def _broken(file: os.DirEntry[str] | Path) -> bool:
    """Whether a loose ref file holds neither an object id nor ``ref: NAME``."""
    try:
        if file.stat(follow_symlinks=False).st_size in _WHOLE_REF_SIZES:
            return False
        return _WHOLE_REF_RE.fullmatch(Path(file).read_bytes()) is None
    except FileNotFoundError:  # deleted meanwhile
        return False


@dataclass(frozen=True, slots=True)
class _Process:
    holder: Holder
    uid: int
    git: bool
    links: frozenset[str] | None  # its working directory and open files; None: not allowed

    def holds(self, path: str, places: Sequence[str]) -> bool:
        """Whether it has ``path`` open, or is a Git process at work in ``places``."""
        if self.links is None:
            return False
        return path in self.links or (
            self.git and any(_within(link, places) for link in self.links)
        )


def _processes(proc: Path) -> list[_Process] | None:
    """Every process but this one and the ``git model`` that started it; None without
    ``/proc``."""
    if not (proc / "self").is_dir():
        return None
    found = []
    for entry in os.scandir(proc):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with suppress(FileNotFoundError, ProcessLookupError):  # it ended meanwhile
                found.append(_process(Path(entry.path)))
    return [
        p
        for p in found
        if not (p.holder.pid == os.getppid() and p.git and "model" in p.holder.command.split())
    ]


def _process(base: Path) -> _Process:
    uid = base.stat().st_uid
    comm = (base / "comm").read_text().strip()
    argv = (base / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    holder = Holder(int(base.name), b" ".join(argv).decode(errors="replace") or comm)
    exe = _readlink(base / "exe")  # None: another user's process, or a kernel thread
    program = Path(exe.removesuffix(" (deleted)")).name if exe else comm
    git = program == "git" or program.startswith("git-")
    try:
        fds = list((base / "fd").iterdir())
        links = {str((base / "cwd").readlink())}
    except PermissionError:
        return _Process(holder, uid, git, None)
    links.update(link for fd in fds if (link := _readlink(fd)) is not None)
    return _Process(holder, uid, git, frozenset(links))


def _readlink(path: Path) -> str | None:
    try:
        return str(path.readlink())
    except OSError:
        return None


def _within(path: str, places: Sequence[str]) -> bool:
    return any(path == place or path.startswith(place + os.sep) for place in places)


def _held_by(
    path: str, owner: int, processes: list[_Process] | None, places: Sequence[str]
) -> tuple[Holder, ...] | None:
    """The processes that may hold ``path`` (owned by ``owner``); None when nobody can tell:
    no ``/proc``, or a Git process running as the owner may not be inspected."""
    if processes is None:
        return None
    holders = tuple(p.holder for p in processes if p.holds(path, places))
    hidden = any(p.git and p.links is None and p.uid == owner for p in processes)
    return None if hidden and not holders else holders
