"""No tag can crash a read, and no foreign ref can block a write without being named.

Hostile tags are made as anyone can make them: tag objects written with ``git
hash-object`` (and ``--literally`` where Git would refuse them), then given a name with
``git update-ref``. Every command must read past them (skipping them with a reason that
``doctor`` lists), and a tag that sits on a name git-model must write must be named, with
the way to remove it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.helpers import churn_in_prod, data, ok, stages
from tests.remotes import git_at


def hostile_tag(
    repo: Repo,
    name: str,
    *,
    target: str = "HEAD",
    date: str = "1767225600 +0000",
    message: str | bytes = "by hand\n",
    kind: str = "commit",
) -> str:
    """An annotated tag object with whatever tagger date and message, named ``name``."""
    oid = repo.git("rev-parse", target)
    body = message.encode() if isinstance(message, str) else message
    header = f"object {oid}\ntype {kind}\ntag {name}\ntagger Mallory <m@example.com> {date}\n\n"
    path = repo.path.parent / "tag-object"
    path.write_bytes(header.encode() + body)
    tag = repo.git("hash-object", "-t", "tag", "-w", "--literally", str(path))
    repo.git("update-ref", f"refs/tags/{name}", tag)
    return tag


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def churn(repo: Repo) -> Repo:
    """churn v1.0.0 in prod, v1.1.0 registered."""
    return churn_in_prod(repo)


READS = (
    ("show",),
    ("show", "churn"),
    ("show", "--all"),
    ("history",),
    ("history", "churn"),
    ("describe", "churn#prod"),
    ("describe", "churn@1.1.0"),
    ("compare", "churn@1.0.0", "churn@1.1.0"),
    ("card", "churn@1.1.0"),
    ("show", "churn", "--sort", "auc"),
    ("history", "churn", "--metric", "auc"),
)


def _every_read_works(repo: Repo) -> None:
    for args in READS:
        result = repo.run(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr, args


def _doctor_lists(repo: Repo, tag: str, *words: str) -> None:
    skipped = {
        s["tag"]: s["reason"] for s in json.loads(repo.cli("doctor", "--json").stdout)["skipped"]
    }
    assert tag in skipped, skipped
    for word in words:
        assert word in skipped[tag], skipped[tag]


@pytest.mark.parametrize(
    ("date", "why"),
    [
        ("1767225600 +9999", "time zone +9999"),
        ("1767225600 +2400", "time zone +2400"),
        ("253402300800 +0000", "outside the years 1970 to 9999"),
        ("-99999999999 +0000", "is not a Git date"),  # Git reads it back as 2^64 - ...
    ],
)
def test_a_tag_dated_where_no_clock_goes_is_skipped(churn: Repo, date: str, why: str) -> None:
    for name in ("churn#prod#9", "churn@v2.0.0", "churn#staging", "churn@v1.1.0#note#8"):
        hostile_tag(churn, name, date=date)
    _every_read_works(churn)
    for name in ("churn#prod#9", "churn@v2.0.0", "churn#staging", "churn@v1.1.0#note#8"):
        _doctor_lists(churn, name, why)
    assert stages(churn, "churn")["prod"] == "1.0.0"  # the skipped event changed nothing
    # The next write goes past the skipped tags' counters, and names what is in the way.
    ok(churn, "promote", "churn@1.1.0", "--to", "dev")
    assert [t for t in churn.tags() if t.startswith("churn#dev#")] == ["churn#dev#10"]
    blocked = churn.cli("promote", "churn@1.1.0", "--to", "staging")
    assert blocked.exit_code == 6
    assert "churn#staging" in blocked.stderr
    assert "git tag -d churn#staging" in blocked.stderr


def test_a_document_nested_too_deep_is_not_read(churn: Repo) -> None:
    deep = deep_json(100_000)
    hostile_tag(
        churn,
        "churn@v1.1.0#note#7",
        message=f"hi\n\n{deep}\n\nWritten-By: git-model\nDocument: json\n",
    )
    churn.commit("third")
    hostile_tag(
        churn,
        "churn@v1.2.0",
        message=f"hi\n\n{deep}\n\nWritten-By: git-model\nDocument: json\n",
    )
    _every_read_works(churn)
    for args in (("describe", "churn@1.2.0"), ("compare", "churn@1.2.0", "churn#prod")):
        assert churn.run(*args).returncode == 0
    ok(churn, "card", "churn@1.2.0")
    _doctor_lists(churn, "churn@v1.2.0", "read without its metadata document", "deeper than 32")
    _doctor_lists(churn, "churn@v1.1.0#note#7", "read without its annotations", "deeper than 32")
    assert data(churn, "describe", "churn@1.2.0")["version"]["version"] == "1.2.0"


def test_a_huge_message_is_skipped_unread(churn: Repo) -> None:
    hostile_tag(churn, "churn#prod#9", target="churn@v1.1.0^{commit}", message="x" * (50 << 20))
    result = churn.run("history", "churn")
    assert result.returncode == 0
    assert len(result.stdout) < 10_000  # the message is never printed
    _doctor_lists(churn, "churn#prod#9", "larger than 1,048,576 bytes")
    assert stages(churn, "churn")["prod"] == "1.0.0"


def test_a_hostile_tag_pushed_to_a_server_breaks_no_clone(churn: Repo, tmp_path: Path) -> None:
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    churn.git("remote", "add", "origin", str(server))
    churn.git("push", "-q", "origin", "HEAD:refs/heads/main")
    ok(churn, "fetch")  # nothing there yet
    churn.git("push", "-q", "origin", "--tags")
    hostile_tag(churn, "churn#prod#9", date="1767225600 +9999")
    hostile_tag(
        churn,
        "churn@v1.1.0#note#8",
        message=f"n\n\n{deep_json(50_000)}\n\nWritten-By: git-model\nDocument: json\n",
    )
    churn.git("push", "-q", "origin", "refs/tags/churn#prod#9", "refs/tags/churn@v1.1.0#note#8")
    git_at(tmp_path, "clone", "-q", str(server), "fresh")
    fresh = Repo(tmp_path / "fresh")
    _every_read_works(fresh)
    other = tmp_path / "other"
    git_at(tmp_path, "clone", "-q", str(server), "other")
    assert Repo(other).run("fetch").returncode == 0
    ok(fresh, "promote", "churn@1.1.0", "--to", "dev", "--push")
    assert git_at(server, "tag", "-l", "churn#dev#*") == "churn#dev#10"


# --- foreign and conflicting refs --------------------------------------------------------


def test_a_lightweight_or_foreign_tag_on_a_name_to_write_is_named(churn: Repo) -> None:
    churn.git("tag", "churn#staging", "HEAD")  # lightweight
    churn.git("tag", "churn#dev#2", "HEAD")  # lightweight, with a counter
    blob = churn.git("hash-object", "-w", "--stdin", input="not a model")
    churn.git("tag", "-a", "-m", "a blob", "churn@v9.0.0", blob)
    before = churn.refs()

    result = churn.cli("promote", "churn@1.1.0", "--to", "staging")
    assert result.exit_code == 6
    assert "churn#staging" in result.stderr and "lightweight" in result.stderr
    assert "`git tag -d churn#staging`" in result.stderr
    assert churn.refs() == before
    churn.commit("third")
    before = churn.refs()
    result = churn.cli("register", "churn", "--version", "9.0.0")
    assert result.exit_code == 6
    assert "churn@v9.0.0" in result.stderr and "points at a blob" in result.stderr
    assert churn.refs() == before

    # Counters skip past every #N in use, valid or not.
    ok(churn, "promote", "churn@1.1.0", "--to", "dev")
    assert "churn#dev#3" in churn.tags()


def test_fetch_never_replaces_an_annotated_registry_tag_with_a_lightweight_one(
    churn: Repo, tmp_path: Path
) -> None:
    server = tmp_path / "server.git"
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    churn.git("remote", "add", "origin", str(server))
    churn.git("push", "-q", "origin", "HEAD:refs/heads/main", "--tags")
    v110 = churn.git("rev-parse", "churn@v1.1.0^{commit}")
    git_at(server, "update-ref", "refs/tags/churn#prod", v110)  # a lightweight stage tag there
    local = churn.git("rev-parse", "refs/tags/churn#prod")
    result = churn.cli("fetch")
    assert result.exit_code == 0, result.stderr
    assert churn.git("rev-parse", "refs/tags/churn#prod") == local
    assert "churn#prod" in result.stderr and "lightweight" in result.stderr
    assert data(churn, "fetch")["ignored"] == ["churn#prod"]


def test_stages_that_are_path_prefixes_of_each_other_are_refused(repo: Repo) -> None:
    result = repo.cli("init", "--stages", "dev,dev/canary,prod")
    assert result.exit_code == 2
    assert "'dev' and 'dev/canary'" in result.stderr
    (repo.path / "git-model.yaml").write_text("stages: [dev, dev/canary]\n")
    result = repo.cli("show")
    assert result.exit_code == 9
    assert "a ref cannot also be a directory" in result.stderr


def test_a_gto_simple_assignment_after_counted_events_is_an_event(repo: Repo) -> None:
    """GTO: m#prod#1 (v1), then `gto assign --simple` m#prod (v2): prod is v2, no lag."""
    v1 = repo.git("rev-parse", "HEAD")
    repo.git(
        "tag", "-a", "-m", "Registering artifact m version v1.0.0", "m@v1.0.0", v1, date=1767225600
    )
    repo.git(
        "tag",
        "-a",
        "-m",
        "Assigning stage prod to artifact m version v1.0.0",
        "m#prod#1",
        v1,
        date=1767225700,
    )
    v2 = repo.commit("v2")
    repo.git(
        "tag", "-a", "-m", "Registering artifact m version v2.0.0", "m@v2.0.0", v2, date=1767225800
    )
    repo.git(
        "tag",
        "-a",
        "-m",
        "Assigning stage prod to artifact m version v2.0.0",
        "m#prod",
        v2,
        date=1767225900,
    )
    assert stages(repo, "m")["prod"] == "2.0.0"
    doctor = repo.cli("doctor")
    assert doctor.exit_code == 0, doctor.stderr
    assert "warning" not in repo.cli("show").stderr
    # The next write keeps GTO's assignment as a counted event before moving the tag.
    ok(repo, "promote", "m@1.0.0", "--to", "prod")
    history = data(repo, "history", "m", "--oldest-first")["events"]
    copies = [
        e
        for e in history
        if e["message"].startswith("Assigning stage prod") and e["version"] == "2.0.0"
    ]
    assert [e["counter"] for e in copies] == [None, 2] or [e["counter"] for e in copies] == [2]
    assert stages(repo, "m")["prod"] == "1.0.0"
    assert repo.cli("doctor").exit_code == 0
