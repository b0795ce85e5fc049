"""``hooks``: install the push hooks, and run them.

``install`` writes a small shell script where Git runs the repository's hooks (``git
rev-parse --git-path hooks``: ``core.hooksPath`` when set): ``pre-receive`` with
``--server`` (in the repository that receives pushes), else ``pre-push`` (in a clone). A
hook already there is kept, renamed ``NAME.chained``: the script runs it first, on the
same input, and either refusing refuses the push. The script runs git-model by absolute
path: the ``git-model`` command beside the Python that ran ``install`` (else the first
on PATH), so that the hook does not depend on the PATH of whoever pushes.

``run`` reads the refs a push changes, as Git hands them to the hook on standard input
(bounded: a hook's input comes from whoever pushes), and has ``receiving.review`` check
them: a server's ``pre-receive`` against its own tags (the pushed objects are read from
Git's quarantine, where receive-pack keeps them until the hook accepts), a clone's
``pre-push`` against the remote's, listed with ``ls-remote`` (objects this clone lacks
are fetched first, without creating a ref). With ``unpushed``, for pre-commit, which
does not pass the pushed refs on: every registry tag here that the remote lacks.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from git_model.errors import GitModelError, HookInTheWay, UsageError, writing
from git_model.gitcmd import OBJECT_ID_RE, Git, TagRecord
from git_model.names import RegistryTag
from git_model.receiving import Lister, Update, review
from git_model.results import HooksInstalled, PushReview

SERVER_HOOK, CLIENT_HOOK = "pre-receive", "pre-push"
MARK = "# git-model hook"
# A hook's input is a line per ref; a push of every tag of a 50,000-tag registry is 6 MB.
MAX_INPUT = 64 << 20
_ZERO_RE = re.compile(r"0+")
_SCRIPT = """#!/bin/sh
{mark}: written by `git model hooks install{option}`; run it again to update it.
# Refuses pushes that break the registry's rules (docs/workflows/hooks.md). The hook that
# was here before, if any, is kept as {hook}.chained: it runs first, with the same input,
# and if either refuses, the push is refused.
if [ -x "$0.chained" ]; then
    input=$(mktemp) || exit 1
    trap 'rm -f "$input"' EXIT
    cat > "$input" || exit 1
    "$0.chained" "$@" < "$input" || exit $?
    exec < "$input"
fi
{command} hooks run {hook} "$@"
"""


def install(*, server: bool, repo: Path | str | None = None) -> HooksInstalled:
    """Install the server's ``pre-receive`` hook, or a clone's ``pre-push`` hook, keeping
    (and chaining) the hook that is there."""
    git = Git.discover(None if repo is None else Path(repo))
    if not server and git.work_tree is None:
        raise UsageError(
            "this is a bare repository: it receives pushes rather than making them",
            "install its hook with `git model hooks install --server`",
        )
    hook = SERVER_HOOK if server else CLIENT_HOOK
    command = installed_command()
    hooks = git.hooks_dir()
    path, chained = hooks / hook, hooks / f"{hook}.chained"
    script = _SCRIPT.format(
        mark=MARK, option=" --server" if server else "", hook=hook, command=_quoted(command)
    )
    updated = False
    with writing(path, "make the hooks directory writable, or set core.hooksPath"):
        hooks.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            updated = _ours(path)
            if not updated:
                if os.path.lexists(chained):
                    raise HookInTheWay(str(chained))
                path.replace(chained)
        fresh = hooks / f".{hook}.git-model"
        fresh.write_text(script)
        fresh.chmod(0o755)
        fresh.replace(path)
    kept = chained if os.path.lexists(chained) else None
    return HooksInstalled(hook, path, command, kept, updated)


def installed_command() -> Path:
    """The git-model command a hook runs: the one beside this Python, else PATH's."""
    beside = Path(sys.executable).parent / "git-model"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("git-model")
    if found is None:
        raise GitModelError(
            "cannot find the git-model command for the hook to run",
            "install git-model so that its `git-model` command exists, then install again",
        )
    return Path(found).absolute()


def _ours(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return MARK.encode() in file.read(4096)
    except OSError:
        return False


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def run(
    hook: str,
    data: bytes,
    *,
    remote: str | None = None,
    repo: Path | str | None = None,
) -> PushReview:
    """Check a push as the hook ``hook`` receives it: ``data``, its standard input; for
    ``pre-push``, ``remote`` the URL (or name) of the remote pushed to."""
    git = Git.discover(None if repo is None else Path(repo))
    if hook == SERVER_HOOK:
        return review(git, hook, server_updates(data), git.list_tags)
    if remote is None:
        raise UsageError(
            "a pre-push hook needs the remote it pushes to",
            "pass the remote's name and URL, as Git does: hooks run pre-push REMOTE URL",
        )
    return review(git, hook, client_updates(data), remote_tags(git, remote))


def unpushed(remote: str, *, repo: Path | str | None = None) -> PushReview:
    """Check the registry tags this clone holds and ``remote`` lacks, as a push of them
    would be checked (``git push --tags`` pushes them)."""
    git = Git.discover(None if repo is None else Path(repo))
    url = git.remote_url(remote)
    theirs = {t.name for t in git.ls_remote(url, ("refs/tags/*",)).tags}
    updates = [
        Update(f"refs/tags/{name}", None, oid)
        for name, oid in git.list_tag_names()
        if name not in theirs and RegistryTag.parse(name) is not None
    ]
    return review(git, CLIENT_HOOK, updates, remote_tags(git, url))


def remote_tags(git: Git, remote: str) -> Lister:
    """The tags of ``remote`` that match patterns, read from their objects (fetched first
    where this clone lacks them, without creating a ref)."""

    def listed(patterns: Sequence[str]) -> list[TagRecord]:
        wanted = {t.name: t.object for t in git.ls_remote(remote, patterns).tags}
        records = git.read_tag_objects(wanted)
        missing = sorted(set(wanted) - {r.name for r in records})
        if missing:
            git.fetch_objects(remote, [f"refs/tags/{name}" for name in missing])
            records = git.read_tag_objects(wanted)
        return records

    return listed


def server_updates(data: bytes) -> list[Update]:
    """``pre-receive``'s input: ``OLD NEW REF`` lines."""
    found = _lines(data, "OLD NEW REF", oids=(0, 1))
    return [Update(ref, _oid(old), _oid(new)) for old, new, ref in found]


def client_updates(data: bytes) -> list[Update]:
    """``pre-push``'s input: ``LOCAL-REF LOCAL-OID REMOTE-REF REMOTE-OID`` lines."""
    found = _lines(data, "LOCAL-REF LOCAL-OID REMOTE-REF REMOTE-OID", oids=(1, 3))
    return [Update(ref, _oid(old), _oid(new)) for _, new, ref, old in found]


def _lines(data: bytes, form: str, oids: tuple[int, int]) -> list[list[str]]:
    """The input's lines, split into the words of ``form`` (the words at ``oids`` object
    ids); anything else is refused."""
    if len(data) > MAX_INPUT:
        raise UsageError(
            f"the hook's input is larger than {MAX_INPUT:,} bytes",
            "push fewer refs at once",
        )
    width = len(form.split())
    found = []
    lines = data.decode(errors="replace").split("\n")
    for number, line in enumerate(lines[:-1] if lines[-1] == "" else lines, start=1):
        words = line.split(" ")
        if (
            len(words) != width
            or not all(OBJECT_ID_RE.fullmatch(words[i]) for i in oids)
            or not all(words)
        ):
            raise UsageError(
                f"line {number} of the hook's input is not `{form}`: {line[:100]!r}",
                "run the hook as Git does: it writes that input",
            )
        found.append(words)
    return found


def _oid(text: str) -> str | None:
    """An object id; None for Git's all-zero id (no object: created, or deleted)."""
    return None if _ZERO_RE.fullmatch(text) else text
