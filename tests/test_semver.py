"""SemVer 2.0.0: parsing, formatting, precedence and bumping."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from git_model.errors import InvalidVersion
from git_model.semver import MAX_LENGTH, Bump, SemVer
from tests.strategies import versions

# The regular expression SemVer 2.0.0 itself recommends (semver.org, FAQ).
OFFICIAL = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@given(versions)
def test_format_then_parse_round_trips(version: SemVer) -> None:
    assert SemVer.parse(str(version)) == version
    assert SemVer.parse(version.tag) == version
    assert version.tag == f"v{version}"


@given(st.text(alphabet="0123456789.-+vV abcxyzAZ", max_size=20))
def test_parses_exactly_what_semver_allows(text: str) -> None:
    bare = text[1:] if text.startswith("v") else text
    if OFFICIAL.match(bare):
        assert str(SemVer.parse(text)) == bare
    else:
        with pytest.raises(InvalidVersion):
            SemVer.parse(text)


@pytest.mark.parametrize(
    "text", ["1.2", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "V1.2.3", "vv1.2.3", "", " 1.2.3"]
)
def test_rejects(text: str) -> None:
    with pytest.raises(InvalidVersion) as info:
        SemVer.parse(text)
    assert "MAJOR.MINOR.PATCH" in str(info.value)


def test_a_version_is_at_most_max_length_characters() -> None:
    longest = "1.0.0-" + "a" * (MAX_LENGTH - 6)
    assert str(SemVer.parse(longest)) == longest
    assert str(SemVer.parse(f"v{longest}")) == longest
    for text in (longest + "a", "1.0.0+" + "b" * 10_000):
        with pytest.raises(InvalidVersion) as info:
            SemVer.parse(text)
        assert f"longer than {MAX_LENGTH} characters" in str(info.value)
        assert len(str(info.value)) < 300  # cut short, not printed whole


def test_precedence_follows_the_specification() -> None:
    # The example chain from SemVer 2.0.0, section 11.
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    parsed = [SemVer.parse(v) for v in chain]
    shuffled = parsed[1::2] + parsed[0::2]
    assert sorted(shuffled) == parsed
    assert SemVer.parse("1.0.0+a").same_precedence(SemVer.parse("1.0.0+b"))
    assert not SemVer.parse("1.0.0-rc.1").same_precedence(SemVer.parse("1.0.0"))


@pytest.mark.parametrize(
    ("base", "part", "expected"),
    [
        ("0.0.0", Bump.MINOR, "0.1.0"),
        ("0.0.0", Bump.MAJOR, "1.0.0"),
        ("0.0.0", Bump.PATCH, "0.0.1"),
        ("1.2.3", Bump.MAJOR, "2.0.0"),
        ("1.2.3", Bump.MINOR, "1.3.0"),
        ("1.2.3", Bump.PATCH, "1.2.4"),
        ("1.2.3+build.7", Bump.PATCH, "1.2.4"),
        # A prerelease bumps to its own release where that is the next version.
        ("1.3.0-rc.1", Bump.MINOR, "1.3.0"),
        ("1.3.1-rc.1", Bump.MINOR, "1.4.0"),
        ("2.0.0-rc.1", Bump.MAJOR, "2.0.0"),
        ("2.1.0-rc.1", Bump.MAJOR, "3.0.0"),
        ("1.2.3-rc.1", Bump.PATCH, "1.2.3"),
    ],
)
def test_bump(base: str, part: Bump, expected: str) -> None:
    assert str(SemVer.parse(base).bump(part)) == expected


@given(versions, st.sampled_from(list(Bump)))
def test_bump_always_moves_forward(version: SemVer, part: Bump) -> None:
    bumped = version.bump(part)
    assert bumped.precedence > version.precedence
    assert not bumped.prerelease
    assert not bumped.build
