"""Markdown a person reads: a comparison ready to paste into a pull request, and a model
card (Mitchell et al.) with a Hugging Face-compatible YAML header. Pure text; the card
lists the sections nobody wrote instead of inventing them."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from git_model.metadata import Field, Metadata, Scalar
from git_model.results import Comparison, ModelCard
from git_model.state import Version

# (section title, key in the model's YAML `card:`), in Mitchell et al.'s order.
CARD_LAYOUT = (
    ("Model Details", None),
    ("Intended Use", "intended_use"),
    ("Factors", "factors"),
    ("Metrics", "metrics"),
    ("Evaluation Data", "evaluation_data"),
    ("Training Data", "training_data"),
    ("Quantitative Analyses", "quantitative_analyses"),
    ("Ethical Considerations", "ethical_considerations"),
    ("Caveats and Recommendations", "caveats_and_recommendations"),
)


def human_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"


def _value(value: Scalar) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _delta(delta: float | None) -> str:
    return "n/a" if delta is None else f"{delta:+.6g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def comparison_markdown(c: Comparison) -> str:
    a, b = c.a, c.b
    name_a = f"{a.model} {a.version.tag}"
    name_b = f"{b.model} {b.version.tag}" if b.model != a.model else b.version.tag
    lines = [f"### {name_a} → {name_b}", ""]
    if not c.recorded:
        lines += ["_One of the versions was registered without metadata._", ""]
    if c.metrics:
        lines += [
            f"| Metric | {a.version.tag} | {b.version.tag} | Change |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {_cell(m.name)} | {_value(m.a)} | {_value(m.b)} | {_delta(m.delta)} |"
            for m in c.metrics
        ]
        lines.append("")
    else:
        lines += ["No metrics recorded.", ""]
    if c.params:
        lines += [f"| Param changed | {a.version.tag} | {b.version.tag} |", "|---|---|---|"]
        lines += [f"| {_cell(p.name)} | {_value(p.a)} | {_value(p.b)} |" for p in c.params]
        lines.append("")
    else:
        lines += ["Params: unchanged.", ""]
    size = f"{human_size(c.size_a)} → {human_size(c.size_b)}"
    if c.size_a and c.size_b:
        size += f" ({(c.size_b - c.size_a) / c.size_a:+.1%})"
    lines.append(f"- **Artifact size:** {size}")
    if c.training_time_a is not None or c.training_time_b is not None:
        lines.append(
            f"- **Training time:** {_value(c.training_time_a)} s → {_value(c.training_time_b)} s"
        )
    if c.signature is None:
        lines.append("- **Signature:** not recorded for both versions")
    else:
        verdict = "compatible" if c.signature.compatible else "**breaking**"
        reasons = f" ({'; '.join(c.signature.reasons)})" if c.signature.reasons else ""
        lines.append(f"- **Signature:** {verdict}{reasons}")
    if c.lineage.changed is None:
        lines.append("- **Data lineage:** not recorded")
    elif c.lineage.changed:
        lines.append(f"- **Data lineage:** changed ({', '.join(c.lineage.inputs)})")
    else:
        lines.append("- **Data lineage:** unchanged")
    return "\n".join(lines) + "\n"


def _fields_table(title: str, fields: Sequence[Field]) -> list[str]:
    if not fields:
        return []
    rows = [f"| {title} | Type | Shape |", "|---|---|---|"]
    for f in fields:
        shape = (
            "any"
            if f.shape is None
            else "(" + ", ".join("*" if d is None else str(d) for d in f.shape) + ")"
        )
        rows.append(f"| {_cell(f.name)} | {f.dtype} | {shape} |")
    return [*rows, ""]


def _header(version: Version, metadata: Metadata | None) -> list[str]:
    """Hugging Face's model-card metadata: the keys it defines, as YAML (in JSON syntax)."""
    spec = metadata.spec if metadata else None
    header: dict[str, object] = {}
    license_text = spec.card_text("license") if spec else None
    if license_text:
        header["license"] = license_text
    if spec and spec.framework:
        header["library_name"] = spec.framework
    header["tags"] = ["git-model", *(spec.labels if spec else ())]
    if metadata and metadata.metrics:
        header["metrics"] = [m.name for m in metadata.metrics]
    header["model_name"] = version.model
    header["model_version"] = str(version.version)
    # Readable Unicode, unless a control or line-break character would not survive it.
    readable = all(ch.isprintable() for ch in json.dumps(header, ensure_ascii=False))
    text = _dump(header, readable)
    if not _reads_back(text, header):
        # ruamel leaves some strings that start with '?' plain (`[git-model, ?*]`), which
        # it then cannot read back: quote every string instead.
        text = _dump(header, readable, quoted=True)
    return ["---", *text.rstrip("\n").splitlines(), "---"]


def _dump(data: object, readable: bool, quoted: bool = False) -> str:
    from ruamel.yaml import YAML  # noqa: PLC0415  (only for a card)

    text = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None
    yaml.width = 1 << 16  # no folded lines: folding mangles escaped characters
    yaml.allow_unicode = readable
    if quoted:
        yaml.default_style = '"'  # type: ignore[assignment]  # (typed None)
    yaml.dump(data, text)
    return text.getvalue()


def _reads_back(text: str, data: object) -> bool:
    from ruamel.yaml import YAML  # noqa: PLC0415  (only for a card)
    from ruamel.yaml.error import YAMLError  # noqa: PLC0415

    try:
        return bool(YAML(typ="safe", pure=True).load(text) == data)
    except YAMLError:
        return False


def _details(version: Version, metadata: Metadata | None) -> list[str]:
    spec = metadata.spec if metadata else None
    who = version.author.name if version.author else "unknown"
    when = version.date.date().isoformat() if version.date else "unknown date"
    facts = [
        ("Developed by", spec.owner if spec and spec.owner else None),
        ("Version", f"{version.version.tag}, registered by {who} on {when}"),
        ("Type", spec.type if spec and spec.type else version.model_type),
        ("Framework", spec.framework if spec else None),
        ("Format", spec.format if spec else None),
        ("Code", f"commit {version.commit}"),
    ]
    if version.artifact:
        art = version.artifact
        facts.append(("Artifact", f"{art.path} (md5 {art.md5}, {human_size(art.size)})"))
    lines = [f"- **{k}:** {v}" for k, v in facts if v]
    if spec and spec.description:
        lines = [spec.description, "", *lines]
    if spec and spec.signature:
        lines += ["", "Signature:", ""]
        lines += _fields_table("Input", spec.signature.inputs)
        lines += _fields_table("Output", spec.signature.outputs)
    return lines


def _metrics_table(metadata: Metadata | None) -> list[str]:
    if not metadata or not metadata.metrics:
        return []
    rows = ["| Metric | Value |", "|---|---:|"]
    rows += [f"| {_cell(m.name)} | {_value(m.value)} |" for m in metadata.metrics]
    return rows


def _training_facts(metadata: Metadata | None) -> list[str]:
    if not metadata or not metadata.lineage:
        return []
    lines = ["Produced by these pipeline stages (from `dvc.lock`):", ""]
    for stage in metadata.lineage:
        deps = ", ".join(f"`{d.path}` ({(d.md5 or '?')[:8]})" for d in stage.deps)
        lines.append(f"- `{stage.name}`: `{stage.cmd}`" + (f", from {deps}" if deps else ""))
    return lines


def model_card(version: Version, metadata: Metadata | None, spec_file: str) -> ModelCard:
    """The card of ``version``, filled from what it recorded; missing sections listed."""
    spec = metadata.spec if metadata else None

    def written(key: str) -> str | None:
        return spec.card_text(key) if spec else None

    derived = {
        "Metrics": _metrics_table(metadata),
        "Quantitative Analyses": _metrics_table(metadata),
        "Training Data": _training_facts(metadata),
    }
    extras = {
        "Intended Use": [f"Out of scope: {t}"] if (t := written("out_of_scope")) else [],
        "Caveats and Recommendations": [f"Limitations: {t}"]
        if (t := written("limitations"))
        else [],
    }
    lines = [
        *_header(version, metadata),
        "",
        f"# Model card: {version.model} {version.version.tag}",
    ]
    missing = []
    for title, key in CARD_LAYOUT:
        lines += ["", f"## {title}", ""]
        if key is None:
            lines += _details(version, metadata)
            continue
        text = written(key)
        paragraphs = ([text] if text else []) + extras.get(title, [])
        body = [line for p in paragraphs for line in (p, "")][:-1]  # blank line between
        facts = derived.get(title, [])
        if not body:
            missing.append(title)
            lines.append(f"_Not written: add `card.{key}` to `{spec_file}`._")
        else:
            lines += body
        if facts:
            lines += ["", *facts]
    if missing:
        lines += ["", "## Missing sections", "", *(f"- {title}" for title in missing)]
    return ModelCard(version.model, version.version, "\n".join(lines) + "\n", tuple(missing))
