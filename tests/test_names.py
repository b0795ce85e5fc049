"""The tag grammar and what users type: property-tested, with GTO's own parser as oracle."""

from __future__ import annotations

import subprocess

import pytest
from gto.tag import parse_name as gto_parse_name
from hypothesis import example, given, settings
from hypothesis import strategies as st

from git_model.errors import InvalidName, InvalidReference, InvalidVersion
from git_model.names import (
    MAX_MODEL_NAME,
    MAX_STAGE_NAME,
    MAX_TAG_NAME,
    Action,
    ModelRef,
    RegistryTag,
    check_model_name,
    check_stage_name,
    check_version,
    is_model_name,
    is_stage_name,
    model_ref_patterns,
    respelled,
    version_tag,
)
from git_model.semver import MAX_LENGTH, SemVer
from tests.strategies import versions, writable_versions

# Short names mostly, and names up to the limits.
names = st.one_of(
    st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9_/-]{0,12}[a-zA-Z0-9])?", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9_/-]{0,62}[a-zA-Z0-9])?", fullmatch=True),
).filter(is_stage_name)
dirnames = st.from_regex(r"[a-zA-Z0-9_-]{1,30}(/[a-zA-Z0-9_-]{1,30}){0,2}", fullmatch=True)
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
        return RegistryTag(model, action, version=draw(writable_versions), counter=counter)
    if action in (Action.REGISTER, Action.DEREGISTER):
        return RegistryTag(model, action, version=draw(writable_versions), counter=counter)
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


separators = st.sampled_from(["/", ":"])


@given(model_names, versions, st.booleans(), separators)
def test_a_version_written_with_a_slash_or_colon_is_said_to_be_meant_with_at(
    model: str, version: SemVer, with_v: bool, separator: str
) -> None:
    written = version.tag if with_v else str(version)
    with pytest.raises(InvalidReference) as refused:
        ModelRef.parse(f"{model}{separator}{written}")
    assert refused.value.suggestion == f"{model}@{written}"
    assert ModelRef.parse(refused.value.suggestion) == ModelRef(model, version=version)


@given(model_names, names, separators)
def test_a_stage_written_with_a_slash_or_colon_is_said_to_be_meant_with_hash(
    model: str, stage: str, separator: str
) -> None:
    text = f"{model}{separator}{stage}"
    assert respelled(text, {model}, {stage}) == f"{model}#{stage}"
    assert respelled(text, {model}, ()) is None  # not a stage: perhaps a model of its own
    assert respelled(f"{model}{separator}latest", {model}) == f"{model}@latest"


@given(st.text(max_size=30), st.sets(model_names, max_size=3), st.sets(names, max_size=3))
def test_what_a_respelling_suggests_is_a_reference_to_a_known_model_or_a_version(
    text: str, models: set[str], stages: set[str]
) -> None:
    meant = respelled(text, models, stages)
    if meant is not None:
        ref = ModelRef.parse(meant)
        assert ref.version is not None or ref.model in models
        assert ref.stage is None or ref.stage in stages


def test_one_model_patterns_do_not_match_other_models() -> None:
    assert model_ref_patterns("fraud/tx") == (
        "refs/tags/fraud/tx@*",
        "refs/tags/fraud/tx#*",
        "refs/tags/fraud/tx#*/**",
    )
    assert model_ref_patterns("sub:churn")[0] == "refs/tags/sub=churn@*"


# --- bounds: every ref Git writes for a name fits a file name -----------------------


def _ref_fits(ref: str) -> None:
    """Git accepts the ref, and each of its files (with Git's lock file) fits 255 bytes."""
    proc = subprocess.run(["git", "check-ref-format", ref], check=False)
    assert proc.returncode == 0, ref
    assert all(len(f"{part}.lock".encode()) <= 255 for part in ref.split("/")), ref


LONGEST_VERSION = SemVer(1, 0, 0, ("a" * (MAX_LENGTH - 6),))


@pytest.mark.parametrize(
    "model",
    ["m" * MAX_MODEL_NAME, f"{'d' * 60}:{'m' * (MAX_MODEL_NAME - 61)}", "/".join("a" * 64)],
)
def test_the_longest_names_make_tags_that_fit(model: str) -> None:
    assert is_model_name(model)
    assert len(str(LONGEST_VERSION)) == MAX_LENGTH
    stage = "s" * MAX_STAGE_NAME
    counter = 10**49  # 50 digits
    tags = [
        RegistryTag(model, Action.REGISTER, version=LONGEST_VERSION),
        RegistryTag(model, Action.DEREGISTER, version=LONGEST_VERSION, counter=counter),
        RegistryTag(model, Action.ANNOTATE, version=LONGEST_VERSION, counter=counter),
        RegistryTag(model, Action.ASSIGN, stage=stage),
        RegistryTag(model, Action.UNASSIGN, stage=stage, counter=counter),
        RegistryTag(model, Action.DEPRECATE, counter=counter),
    ]
    for tag in tags:
        assert len(str(tag)) <= MAX_TAG_NAME
        assert RegistryTag.parse(str(tag)) == tag
        _ref_fits(tag.ref)
    _ref_fits(f"refs/git-model/models/{model.replace(':', '=')}@head")  # a per-model ref


@pytest.mark.parametrize(
    ("value", "check", "limit"),
    [
        ("a" * (MAX_MODEL_NAME + 1), check_model_name, MAX_MODEL_NAME),
        ("a" * 10_000, check_model_name, MAX_MODEL_NAME),
        ("/".join("a" * 200), check_model_name, MAX_MODEL_NAME),
        ("s" * (MAX_STAGE_NAME + 1), check_stage_name, MAX_STAGE_NAME),
    ],
)
def test_names_longer_than_the_limit_are_refused(value: str, check: object, limit: int) -> None:
    assert callable(check)
    with pytest.raises(InvalidName) as info:
        check(value)
    assert info.value.limit == limit
    message = str(info.value)
    assert f"at most {limit} characters" in message
    assert len(message) < 300  # a long name is cut short, not printed whole


@given(st.text(alphabet="ab/", min_size=MAX_MODEL_NAME + 1, max_size=400))
def test_no_name_beyond_the_limit_is_a_name(text: str) -> None:
    assert not is_model_name(text)
    assert not is_stage_name(text)
    assert RegistryTag.parse(f"{text}@v1.0.0") is None


def test_tags_beyond_the_limits_are_not_registry_tags() -> None:
    too_long_version = "1.0.0-" + "a" * (MAX_LENGTH - 5)
    assert RegistryTag.parse(f"churn@v{too_long_version}") is None
    assert RegistryTag.parse(f"churn#prod#{'9' * 5000}") is None  # int() refuses 4300 digits
    assert RegistryTag.parse("m" * MAX_MODEL_NAME + "#prod") is not None
    assert RegistryTag.parse("m" * (MAX_MODEL_NAME + 1) + "#prod") is None


@settings(max_examples=40, deadline=None)
@given(versions)
@example(SemVer(1, 0, 0, ("x", "lock")))
@example(SemVer(1, 0, 0, (), ("build", "lock")))
@example(SemVer(1, 0, 0, ("lock",)))
def test_a_version_is_registered_exactly_when_git_can_store_its_tag(version: SemVer) -> None:
    ref = version_tag("churn", version).ref
    stored = subprocess.run(["git", "check-ref-format", ref], check=False).returncode == 0
    try:
        assert check_version(str(version)) == version
        accepted = True
    except InvalidVersion as exc:
        assert "Git refuses a tag name that ends in '.lock'" in str(exc)
        accepted = False
    assert accepted == stored, ref
