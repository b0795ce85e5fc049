"""``dvc artifacts get`` (the real DVC command line) on registries git-model writes and
pushes to a bare server: ``--rev vX.Y.Z`` and ``--stage S`` must fetch exactly the file of
the version git-model says, byte for byte (compared by MD5), for plain and namespaced
models, and after a stage changed hands.

DVC resolves ``--stage`` by taking the newest tag (by tagger date) among every tag of that
stage, assignments and unassignments alike (``dvc/repo/artifacts.py``, ``get_rev``). So
when git-model gives a stage to a new version it writes the unassignment of the old
holder first and then the assignment, each one second later than the model's previous
event: DVC's newest tag is the new holder's assignment.

Known divergence, tested below so that it stays known: after ``git model demote
NAME#prod`` the stage is empty for git-model (``get NAME#prod`` exits 5), but DVC's newest
``prod`` tag is then the unassignment, which DVC follows to its commit: ``dvc artifacts
get --stage prod`` still fetches the demoted version. git-model cannot write a tag that
DVC reads as "empty"; deployment that must honour a demotion should use ``git model
get``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, Clock, Repo
from tests.helpers import data, ok, stages
from tests.remotes import Shared, make_shared, md5, save_model


@pytest.fixture
def shared(tmp_path: Path, clock: Clock) -> Shared:
    return make_shared(tmp_path)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def dvc_get(shared: Shared, out_dir: Path, name: str, *selector: str) -> str:
    """``dvc artifacts get SERVER NAME SELECTOR -o FILE`` in a directory that is no clone;
    the MD5 of what it wrote."""
    target = out_dir / f"{len(list(out_dir.iterdir()))}.bin"
    proc = subprocess.run(
        [
            str(BIN / "dvc"),
            "artifacts",
            "get",
            str(shared.server),
            name,
            *selector,
            "-o",
            target.name,
        ],
        cwd=out_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"dvc artifacts get {name} {' '.join(selector)}: {proc.stderr}"
    return md5(target)


def git_model_get(shared: Shared, out_dir: Path, ref: str) -> str:
    """``git model get REF --repo SERVER``; the MD5 of what it wrote."""
    target = out_dir / f"{len(list(out_dir.iterdir()))}.bin"
    ok(Repo(out_dir), "get", ref, "--repo", str(shared.server), "-o", target.name)
    return md5(target)


def register(
    repo: Repo, name: str, path: str, versions: tuple[str, ...] = ("0.1.0", "0.2.0")
) -> dict[str, str]:
    """Versions of ``name``, each with a new artifact at ``path``, pushed; their MD5s."""
    found = {}
    for version in versions:
        artifact = save_model(repo, path)
        ok(repo, "register", name, "--path", path, "--version", version, "--push")
        found[version] = md5(artifact)
    assert len(set(found.values())) == len(found)
    return found


def test_rev_fetches_exactly_that_versions_file(shared: Shared, out_dir: Path) -> None:
    md5s = register(shared.alice, "churn", "models/churn.pkl")
    for version, expected in md5s.items():
        assert dvc_get(shared, out_dir, "churn", "--rev", f"v{version}") == expected
        assert git_model_get(shared, out_dir, f"churn@{version}") == expected


def test_stage_follows_the_holder_when_the_stage_changes_hands(
    shared: Shared, out_dir: Path
) -> None:
    alice = shared.alice
    md5s = register(alice, "churn", "models/churn.pkl")
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    assert dvc_get(shared, out_dir, "churn", "--stage", "prod") == md5s["0.1.0"]

    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")
    # What DVC reads: the old holder's unassignment, then the later-dated assignment.
    listing = shared.server_git(
        "for-each-ref",
        "--sort=taggerdate",
        "--format=%(refname:strip=2) %(taggerdate:unix) %(*objectname)",
        "refs/tags/churn#prod#*",
        "refs/tags/churn#prod!#*",
    )
    rows = [line.split() for line in listing.splitlines()]
    commit = {v: alice.git("rev-parse", f"churn@v{v}^{{commit}}") for v in md5s}
    assert [(name, target) for name, _, target in rows] == [
        ("churn#prod#1", commit["0.1.0"]),
        ("churn#prod!#2", commit["0.1.0"]),
        ("churn#prod#3", commit["0.2.0"]),
    ]
    dates = [int(date) for _, date, _ in rows]
    assert dates == sorted(set(dates))  # strictly increasing: no tie for DVC to break
    assert dvc_get(shared, out_dir, "churn", "--stage", "prod") == md5s["0.2.0"]
    assert git_model_get(shared, out_dir, "churn#prod") == md5s["0.2.0"]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("fraud/tx-classifier", "models/fraud.pkl"),
        ("fraud:tx-classifier", "fraud/models/tx.pkl"),  # declared in fraud/dvc.yaml
    ],
    ids=["slash-namespace", "dvc-yaml-in-a-directory"],
)
def test_a_namespaced_model(shared: Shared, out_dir: Path, name: str, path: str) -> None:
    alice = shared.alice
    md5s = register(alice, name, path)
    ok(alice, "promote", f"{name}@0.1.0", "--to", "prod", "--push")
    assert dvc_get(shared, out_dir, name, "--rev", "v0.2.0") == md5s["0.2.0"]
    assert dvc_get(shared, out_dir, name, "--stage", "prod") == md5s["0.1.0"]
    assert git_model_get(shared, out_dir, f"{name}#prod") == md5s["0.1.0"]


def test_known_divergence_dvc_still_fetches_a_demoted_version(
    shared: Shared, out_dir: Path
) -> None:
    """git-model: a demoted stage is empty. DVC: the newest ``prod`` tag is the
    unassignment, and DVC follows it to the demoted version's commit."""
    alice = shared.alice
    md5s = register(alice, "churn", "models/churn.pkl")
    ok(alice, "promote", "churn@0.1.0", "--to", "prod", "--push")
    ok(alice, "promote", "churn@0.2.0", "--to", "prod", "--push")
    ok(alice, "demote", "churn#prod", "--push")

    elsewhere = Repo(out_dir)
    assert stages(alice, "churn")["prod"] is None
    remote = data(elsewhere, "show", "churn", "--repo", str(shared.server))
    assert {c["stage"]: c["holder"] for c in remote["stages"]}["prod"] is None
    refused = elsewhere.cli("get", "churn#prod", "--repo", str(shared.server))
    assert refused.exit_code == 5
    assert "no version of churn is in 'prod'" in refused.stderr
    assert list(out_dir.iterdir()) == []

    assert dvc_get(shared, out_dir, "churn", "--stage", "prod") == md5s["0.2.0"]  # the divergence
