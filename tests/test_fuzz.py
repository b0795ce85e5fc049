"""Fuzzing what the registry reads from tags anyone may write: Git's tag listing, the
message and its trailers, the JSON documents, and the replay of a model's tags. Whatever
the input, each parser returns (or refuses with its own error) and never raises anything
else; the red-team inputs that once crashed a read are the first examples."""

from __future__ import annotations

import contextlib
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from git_model import safejson
from git_model.gitcmd import MAX_MESSAGE, TAG_FORMAT, Ident, TagRecord, parse_tag_listing
from git_model.metadata import Metadata
from git_model.state import build_state, split_document, split_trailers, with_trailers

FUZZ = settings(max_examples=300, deadline=None)
FIELDS = TAG_FORMAT.count("%00")

# What Git prints as a tag's date: anything that fits in a field, the red team's first.
dates = st.one_of(
    st.sampled_from(
        [
            "1767225600 +9999",
            "253402300800 +0000",
            "18446743973709551617 +0000",  # -99999999999, as Git reads it back
            "1767225600 +2400",
            "",
            "0 +0000",
            "1767225600 -1260",
        ]
    ),
    st.builds(
        lambda s, z: f"{s} {z}",
        st.integers(min_value=-(10**20), max_value=10**20),
        st.from_regex(r"[+-][0-9]{4}", fullmatch=True),
    ),
    st.text(
        alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
        max_size=30,
    ),
)
no_nul = st.text(
    alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=60
)
names = st.one_of(
    st.sampled_from(
        [
            "m@v1.0.0",
            "m#prod",
            "m#prod#1",
            "m#prod!#2",
            "m@v1.0.0!#3",
            "m@deprecated#4",
            "m@v1.0.0#note#5",
            "foo@created",
            "m@v1.0.0#note",
            "m#dev/canary#6",
        ]
    ),
    st.from_regex(r"[a-z]{1,3}[@#][a-z0-9.!#@/]{0,12}", fullmatch=True),
    no_nul,
)
messages = st.one_of(
    st.sampled_from(
        [
            "x\n\n" + "[" * 100_000 + "]" * 100_000 + "\n\nWritten-By: git-model\nDocument: json\n",
            "Written-By: git-model",
            "\n\n\n",
            "m\n\n{}\n\nWritten-By: git-model\nFollows: none\nDocument: json",
        ]
    ),
    no_nul,
)


@st.composite
def listings(draw: st.DrawFn) -> bytes:
    """for-each-ref output with TAG_FORMAT: NUL-terminated fields, a newline per record."""
    out = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        kind = draw(st.sampled_from(["tag", "commit", "blob", ""]))
        fields = [
            draw(names),
            kind,
            "a" * 40,
            draw(st.sampled_from(["b" * 40, ""])),
            draw(st.sampled_from(["commit", "blob", ""])),
            draw(no_nul),
            draw(no_nul),
            draw(dates),
            draw(messages),
        ]
        out.append("".join(f"{f}\0" for f in fields) + "\n")
    return "".join(out).encode()


@FUZZ
@given(listings())
@example(b"")
@example(b"m@v1.0.0\0tag\0" + b"a" * 40 + b"\0" + b"b" * 40 + b"\0commit\0M\0m@x\0-1 +0000\0hi\0\n")
def test_the_tag_listing_parser_reads_anything_git_prints(out: bytes) -> None:
    records = parse_tag_listing(out)
    assert len(records) == out.count(b"\0") // FIELDS
    for record in records:
        if record.tagger is not None:
            record.tagger.timestamp.bit_length()  # a real int, within the bounds
            assert 0 <= record.tagger.timestamp <= 253_402_214_399
        if record.problem is not None:
            assert record.message == ""
    build_state(records, ("dev", "staging", "prod"))  # and the replay never fails


@FUZZ
@given(st.binary(max_size=2_000))
def test_the_tag_listing_parser_survives_any_bytes(out: bytes) -> None:
    build_state(parse_tag_listing(out))


def test_a_message_over_the_bound_is_not_carried() -> None:
    huge = b"x" * (MAX_MESSAGE + 1)
    line = (
        b"m#prod#1\0tag\0"
        + b"a" * 40
        + b"\0"
        + b"b" * 40
        + b"\0commit\0M\0m@x\0"
        + (b"1767225600 +0000\0" + huge + b"\0\n")
    )
    [record] = parse_tag_listing(line)
    assert record.message == ""
    assert record.problem is not None and "larger than" in record.problem


@FUZZ
@given(messages)
def test_messages_and_trailers_parse_whatever_the_text(message: str) -> None:
    text, trailers = split_trailers(message)
    assert isinstance(text, str) and isinstance(trailers, dict)
    split_document(message)


@FUZZ
@given(
    st.text(max_size=200).filter(lambda t: t.strip()),
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Z][A-Za-z-]{0,10}", fullmatch=True),
            st.text(alphabet=st.characters(blacklist_categories=("Cc", "Zl", "Zp")), max_size=20),
        ),
        max_size=4,
    ),
    st.one_of(st.none(), st.just(json.dumps({"schema": 1, "spec": {}}))),
)
def test_what_git_model_writes_reads_back(
    message: str, trailers: list[tuple[str, str]], document: str | None
) -> None:
    pairs = [(k, v) for k, v in trailers if k not in ("Written-By", "Document") and v.strip() == v]
    _, found, doc = split_document(with_trailers(message, pairs, document))
    assert found["Written-By"] == "git-model"
    assert {key for key, _ in pairs} <= set(found)
    assert doc == document


json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.one_of(json_like.map(json.dumps), st.text(max_size=300)))
@example("[" * 100_000)
@example("[" * 100_000 + "]" * 100_000)
@example('{"a": "' + "[" * 1000 + '"}')  # brackets in a string do not nest
@example('"\\' + "[" * 40)  # an unterminated string
def test_documents_are_parsed_or_refused_never_recursed_into(text: str) -> None:
    with contextlib.suppress(ValueError):
        safejson.loads(text)
    Metadata.from_json(text)


@given(st.integers(min_value=0, max_value=200))
def test_the_depth_bound_is_exact(depth: int) -> None:
    text = "[" * depth + "]" * depth
    assert (safejson.depth_problem(text) is None) == (depth <= safejson.MAX_DEPTH)
    assert safejson.depth_problem(json.dumps({"k": "[" * depth})) is None


def test_a_tag_record_without_a_tagger_replays() -> None:
    record = TagRecord("m@v1.0.0", "tag", "a" * 40, "b" * 40, "commit", None, "")
    assert build_state([record]).models[0].versions[0].date is None
    assert Ident("a", "b", 0, "+0000").timestamp == 0
