"""Hypothesis strategies shared by the parser tests."""

from __future__ import annotations

from hypothesis import strategies as st

from git_model.semver import SemVer

numbers = st.integers(min_value=0, max_value=10**6)
alnum_ids = st.from_regex(r"[0-9a-zA-Z-]*[a-zA-Z-][0-9a-zA-Z-]*", fullmatch=True).filter(bool)
prerelease = st.lists(st.one_of(alnum_ids, numbers.map(str)), max_size=3).map(tuple)
build = st.lists(st.from_regex(r"[0-9a-zA-Z-]+", fullmatch=True), max_size=3).map(tuple)
versions = st.builds(SemVer, numbers, numbers, numbers, prerelease, build)
