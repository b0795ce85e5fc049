"""JSON read safely: bounded nesting, checked before the parser recurses.

Python's ``json`` recurses once per nesting level, so a document nested 100,000 deep
raises RecursionError wherever it is parsed. Documents git-model reads come from tags and
commits anyone may push (a version's metadata, an annotation, a metrics file), so their
depth is checked first, in linear time and without recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # a version's document nests about 6 deep (spec, signature, inputs, field)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def depth_problem(text: str, limit: int = MAX_DEPTH) -> str | None:
    """Why ``text`` nests too deep to parse, or None."""
    if text.count("[") + text.count("{") <= limit:
        return None  # cannot nest deeper than it has brackets
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match[0] in "[{" else -1
        if depth > limit:
            return f"nested deeper than {limit} levels"
    return None


def loads(text: str, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` for untrusted text; ValueError when it is not JSON or too deep."""
    problem = depth_problem(text, limit)
    if problem is not None:
        raise ValueError(problem)
    return json.loads(text)
