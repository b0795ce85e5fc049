"""The tag grammar and what users type: property-tested, with GTO's own parser as oracle."""

from __future__ import annotations

import subprocess

import pytest
from gto.tag import parse_name as gto_parse_name
from hypothesis import given, settings
from hypothesis import strategies as st

from git_model.errors import InvalidName, InvalidReference
from git_model.names import (
    Action,
    ModelRef,
    RegistryTag,
    is_model_name,
    is_stage_name,
    model_ref_patterns,
)
from git_model.semver import SemVer
from tests.strategies import versions

names = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9_/-]{0,12}[a-zA-Z0-9])?", fullmatch=True).filter(
    is_stage_name
)
dirnames = st.from_regex(r"[a-zA-Z0-9_-]{1,6}(/[a-zA-Z0-9_-]{1,6}){0,2}", fullmatch=True)
model_names = st.one_of(names, st.builds(lambda d, n: f"{d}:{n}", dirnames, names)).filter(
    is_model_name
)
counters = st.one_of(st.none(), st.integers(min_value=1, max_value=10**6))


@st.composite
def registry_tags(draw: st.DrawFn) -> RegistryTag:
    model = draw(model_names)
    action = draw(st.sampled_from(list(Action)))
    counter = draw(counters)
    if action is Action.ANNOTATE:  # always an event: it has a counter
        counter = draw(st.integers(min_value=1, max_value=10**6))
        return RegistryTag(model, action, version=draw(versions), counter=counter)
    if action in (Action.REGISTER, Action.DEREGISTER):
        return RegistryTag(model, action, version=draw(versions), counter=counter)
    if action in (Action.ASSIGN, Action.UNASSIGN):
        return RegistryTag(model, action, stage=draw(names), counter=counter)
    return RegistryTag(model, action, counter=counter)


@given(registry_tags())
def test_format_then_parse_round_trips(tag: RegistryTag) -> None:
    assert RegistryTag.parse(str(tag)) == tag


def _gto_view(name: str) -> tuple[object, ...] | None:
    parsed = gto_parse_name(name, raise_on_fail=False)
    if not parsed or "action" not in parsed:
        return None
    version = parsed.get("version")
    return (
        parsed["name"],
        parsed["action"].value,
        version[1:] if version else None,
        parsed.get("stage"),
        parsed.get("counter"),
    )


def _our_view(tag: RegistryTag | None) -> tuple[object, ...] | None:
    if tag is None:
        return None
    return (
        tag.model,
        tag.action.value,
        str(tag.version) if tag.version else None,
        tag.stage,
        tag.counter,
    )


@given(registry_tags())
def test_gto_reads_every_tag_we_write_the_same(tag: RegistryTag) -> None:
    if tag.action is Action.ANNOTATE:
        assert _gto_view(str(tag)) is None  # git-model's own: GTO and DVC skip it
    else:
        assert _gto_view(str(tag)) == _our_view(tag)


TAGGY = st.text(alphabet="ab1-_/=:@#!.v09+", max_size=24)


@given(st.one_of(TAGGY, st.text(max_size=24)))
def test_nothing_outside_the_grammar_parses(text: str) -> None:
    ours = _our_view(RegistryTag.parse(text))
    gto = _gto_view(text)
    if ours is not None:
        # What we read, GTO reads the same way (annotations are ours alone).
        assert ours == gto or (ours[1] == "annotate" and gto is None)
    elif gto is not None:
        # GTO's regex admits a few names that Git cannot store as refs; nothing else.
        assert not is_model_name(str(gto[0])) or (gto[3] and not is_stage_name(str(gto[3])))


@settings(max_examples=40, deadline=None)
@given(registry_tags())
def test_git_accepts_every_tag_name_we_write(tag: RegistryTag) -> None:
    proc = subprocess.run(["git", "check-ref-format", tag.ref], check=False)
    assert proc.returncode == 0, tag.ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("churn@v1.3.0", RegistryTag("churn", Action.REGISTER, version=SemVer(1, 3, 0))),
        ("churn@v1.3.0!#7", RegistryTag("churn", Action.DEREGISTER, SemVer(1, 3, 0), None, 7)),
        ("churn#prod", RegistryTag("churn", Action.ASSIGN, stage="prod")),
        ("churn#prod#5", RegistryTag("churn", Action.ASSIGN, stage="prod", counter=5)),
        ("churn#prod!#6", RegistryTag("churn", Action.UNASSIGN, stage="prod", counter=6)),
        ("churn@deprecated#8", RegistryTag("churn", Action.DEPRECATE, counter=8)),
        (
            "fraud/tx@v2.0.0-rc.1",
            RegistryTag("fraud/tx", Action.REGISTER, SemVer.parse("2.0.0-rc.1")),
        ),
        ("models/sub=churn#dev#1", RegistryTag("models/sub:churn", Action.ASSIGN, None, "dev", 1)),
        ("churn@v1.3.0#note#9", RegistryTag("churn", Action.ANNOTATE, SemVer(1, 3, 0), None, 9)),
    ],
)
def test_parse_examples(text: str, expected: RegistryTag) -> None:
    assert RegistryTag.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text",
    [
        "v1.0.0",
        "churn",
        "churn@1.0.0",  # versions in tags carry their v
        "churn@created",  # crashes GTO; not an event
        "churn@created#3",
        "churn#",
        "-churn@v1.0.0",
        "churn-@v1.0.0",
        "churn@v1.0",
        "churn#prod#x",
        "a//b@v1.0.0",
        "churn#pr od",
        "churn@v1.3.0#note",  # an annotation is always an event: it has a counter
        "churn@v1.3.0!#note#3",
    ],
)
def test_not_registry_tags(text: str) -> None:
    assert RegistryTag.parse(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("churn@1.3.0", ModelRef("churn", version=SemVer(1, 3, 0))),
        ("churn@v1.3.0", ModelRef("churn", version=SemVer(1, 3, 0))),
        ("churn@latest", ModelRef("churn", latest=True)),
        ("churn#prod", ModelRef("churn", stage="prod")),
        ("churn", ModelRef("churn")),
        (
            "fraud/tx-classifier@2.0.0-rc.1",
            ModelRef("fraud/tx-classifier", SemVer.parse("2.0.0-rc.1")),
        ),
    ],
)
def test_model_refs(text: str, expected: ModelRef) -> None:
    assert ModelRef.parse(text) == expected


@given(model_names, st.one_of(versions.map(lambda v: ("@", v.tag)), names.map(lambda s: ("#", s))))
def test_model_ref_round_trips(model: str, suffix: tuple[str, str]) -> None:
    text = model + suffix[0] + suffix[1]
    assert str(ModelRef.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("churn@1.3", InvalidReference),
        ("churn@newest", InvalidReference),
        ("-rf@1.0.0", InvalidName),
        ("churn#pr od", InvalidName),
        ("churn#", InvalidName),
        ("@1.0.0", InvalidName),
        ("", InvalidName),
    ],
)
def test_bad_model_refs(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        ModelRef.parse(text)


def test_one_model_patterns_do_not_match_other_models() -> None:
    assert model_ref_patterns("fraud/tx") == (
        "refs/tags/fraud/tx@*",
        "refs/tags/fraud/tx#*",
        "refs/tags/fraud/tx#*/**",
    )
    assert model_ref_patterns("sub:churn")[0] == "refs/tags/sub=churn@*"
