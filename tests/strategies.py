"""Hypothesis strategies shared by the parser tests."""

from __future__ import annotations

from hypothesis import strategies as st

from git_model.semver import MAX_LENGTH, SemVer

numbers = st.integers(min_value=0, max_value=10**6)
# "lock" is drawn often: a version ending in ".lock" is one Git cannot store as a tag.
alnum_ids = st.one_of(
    st.just("lock"),
    st.from_regex(r"[0-9a-zA-Z-]*[a-zA-Z-][0-9a-zA-Z-]*", fullmatch=True).filter(bool),
)
prerelease = st.lists(st.one_of(alnum_ids, numbers.map(str)), max_size=3).map(tuple)
build = st.lists(
    st.one_of(st.just("lock"), st.from_regex(r"[0-9a-zA-Z-]+", fullmatch=True)), max_size=3
).map(tuple)
# Every semantic version a tag may carry (MAX_LENGTH characters at most).
versions = st.builds(SemVer, numbers, numbers, numbers, prerelease, build).filter(
    lambda v: len(str(v)) <= MAX_LENGTH
)
# The versions git-model registers: Git can store their tags.
writable_versions = versions.filter(lambda v: not str(v).endswith(".lock"))
