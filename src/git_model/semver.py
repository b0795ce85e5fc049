"""Semantic versions (SemVer 2.0.0): parsing, formatting, precedence and bumping."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering

from git_model.errors import InvalidVersion

_NUMBER = r"0|[1-9]\d*"
_PRERELEASE_ID = r"0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*"
_BUILD_ID = r"[0-9a-zA-Z-]+"
SEMVER_PATTERN = (
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<prerelease>(?:{_PRERELEASE_ID})(?:\.(?:{_PRERELEASE_ID}))*))?"
    rf"(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?"
)
_SEMVER_RE = re.compile(rf"v?{SEMVER_PATTERN}")
# The longest version (without its leading v) a tag may carry: with the longest model name
# and a counter, a tag name still fits a file name (see names.MAX_TAG_NAME).
MAX_LENGTH = 64


class Bump(StrEnum):
    """Which part of a version a new registration increments."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"


def _prerelease_key(ident: str) -> tuple[int, int, str]:
    # Numeric identifiers sort numerically and before alphanumeric ones (SemVer 11.4).
    if ident.isdigit():
        return (0, int(ident), "")
    return (1, 0, ident)


@total_ordering
@dataclass(frozen=True, slots=True)
class SemVer:
    """A version as SemVer 2.0.0 defines it; written ``v1.2.3`` in tags, ``1.2.3`` in prose."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """Parse ``1.2.3``, ``v1.2.3``, ``1.2.3-rc.1+build.5``; raise InvalidVersion otherwise
        (also for a version longer than MAX_LENGTH)."""
        if len(text.removeprefix("v")) > MAX_LENGTH:
            raise InvalidVersion(
                text,
                f"is longer than {MAX_LENGTH} characters",
                "use a shorter version: fewer prerelease or build identifiers",
            )
        match = _SEMVER_RE.fullmatch(text)
        if match is None:
            raise InvalidVersion(text)
        pre = match["prerelease"]
        build = match["build"]
        return cls(
            int(match["major"]),
            int(match["minor"]),
            int(match["patch"]),
            tuple(pre.split(".")) if pre else (),
            tuple(build.split(".")) if build else (),
        )

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def tag(self) -> str:
        """The form used in tag names: ``v1.2.3``."""
        return f"v{self}"

    @property
    def precedence(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """A key that orders versions by SemVer precedence (build metadata ignored)."""
        # A release (no prerelease) outranks any prerelease of the same core version.
        return (
            self.major,
            self.minor,
            self.patch,
            0 if self.prerelease else 1,
            tuple(_prerelease_key(p) for p in self.prerelease),
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return (self.precedence, self.build) < (other.precedence, other.build)

    def same_precedence(self, other: SemVer) -> bool:
        """True when the two differ at most in build metadata."""
        return self.precedence == other.precedence

    def bump(self, part: Bump) -> SemVer:
        """The next version; a prerelease bumps to its own release where that is the next one."""
        if part is Bump.MAJOR:
            if self.prerelease and self.minor == 0 and self.patch == 0:
                return SemVer(self.major, 0, 0)
            return SemVer(self.major + 1, 0, 0)
        if part is Bump.MINOR:
            if self.prerelease and self.patch == 0:
                return SemVer(self.major, self.minor, 0)
            return SemVer(self.major, self.minor + 1, 0)
        if self.prerelease:
            return SemVer(self.major, self.minor, self.patch)
        return SemVer(self.major, self.minor, self.patch + 1)


ZERO = SemVer(0, 0, 0)
