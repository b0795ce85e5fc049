"""Markdown a person reads: a comparison ready to paste into a pull request, and a model
card (Mitchell et al.) with a Hugging Face-compatible YAML header. Pure text; the card
lists the sections nobody wrote instead of inventing them."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from git_model.metadata import (
    Field,
    Metadata,
    Scalar,
    lineage_change,
    metric_deltas,
    param_changes,
    signature_change,
)
from git_model.policy import Evaluation
from git_model.results import Comparison, ModelCard, Move, PlanReport
from git_model.state import Version

# GitHub refuses a comment longer than this many characters; a plan stays under it.
COMMENT_LIMIT = 65_536
# The hidden first line of a plan's comment: CI finds its own comment by it, to edit it.
PLAN_MARKER = "<!-- git-model:plan -->"

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


def comparison(a: Version, b: Version) -> Comparison:
    """Two versions side by side: metrics with deltas, params that changed, artifact size,
    training time, signature compatibility, data lineage."""
    meta_a, meta_b = a.metadata(), b.metadata()
    return Comparison(
        a=a,
        b=b,
        metrics=metric_deltas(meta_a, meta_b),
        params=param_changes(meta_a, meta_b),
        size_a=a.artifact.size if a.artifact else None,
        size_b=b.artifact.size if b.artifact else None,
        training_time_a=meta_a.training_time if meta_a else None,
        training_time_b=meta_b.training_time if meta_b else None,
        signature=signature_change(meta_a, meta_b),
        lineage=lineage_change(meta_a, meta_b),
        recorded=meta_a is not None and meta_b is not None,
    )


def check_title(ev: Evaluation) -> str:
    """One line: the version, the stage, and what its gates say."""
    verdict = "pass" if ev.passed else f"{len(ev.failed)} of {len(ev.results)} gates fail"
    if not ev.results:
        verdict = f"no gates for {ev.stage}"
    return f"{ev.model} {ev.version.tag} → {ev.stage}: {verdict}"


def check_markdown(ev: Evaluation) -> str:
    """Every gate of a stage for one version, as Markdown for a pull request."""
    mark = ":white_check_mark:" if ev.passed else ":x:"
    lines = [f"### {mark} {check_title(ev)}", "", f"Policy: {ev.cited}", ""]
    if ev.results:
        lines += ["| Gate | Expected | Actual | Holder | |", "|---|---|---|---|---|"]
        lines += [
            f"| `{r.gate}` | {r.expected} | {r.actual} | {r.holder or ''} | "
            f"{'pass' if r.passed else '**fail**'} |"
            for r in ev.results
        ]
    return "\n".join(lines)


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
        facts.append(("Artifact", f"{art.path} ({art.identity}, {human_size(art.size)})"))
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


def plan_verdict(report: PlanReport) -> tuple[str, str]:
    """Whether the plan can be applied, in one line; and its mark (a GitHub emoji code)."""
    moves = len(report.moves)
    if report.conflicts:
        stages = ", ".join(f"{m.model}#{m.stage}" for m in report.conflicts)
        return ":warning:", f"conflict: {stages} moved since the request; request it again"
    if report.failing:
        return ":x:", f"{len(report.failing)} of {moves} moves fail a gate"
    if not moves:
        return ":white_check_mark:", "nothing to apply: the tags already say what this asks"
    plural = "s" if moves > 1 else ""
    return ":white_check_mark:", f"{moves} move{plural} ready to apply, every gate passes"


def move_status(move: Move, bold: str = "**") -> str:
    """What stands in a move's way: a conflict, failing gates; or that its gates pass."""
    if move.conflict:
        held = move.holder.version.tag if move.holder else "nobody"
        asked = move.replaces.tag if move.replaces else "nobody"
        return f"{bold}conflict{bold}: held by {held}, the request replaces {asked}"
    if not move.gates.results:
        return "no gates"
    if move.gates.passed:
        return f"pass ({len(move.gates.results)} gates)"
    return f"{bold}fail{bold} ({', '.join(r.gate for r in move.gates.failed)})"


def _metric_gate(move: Move, metric: str) -> str:
    gates = (f"metrics.{metric}", f"not_worse.{metric}")
    found = [r for r in move.gates.results if r.gate in gates]
    if not found:
        return ""
    return "pass" if all(r.passed for r in found) else "**fail**"


def _folded(summary: str, body: Sequence[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _move_markdown(move: Move) -> str:
    holder = move.holder.version.tag if move.holder else "(empty)"
    new = move.version.version.tag
    lines = [f"### {move.model}: {move.stage} {holder} → {new}", ""]
    if move.metrics:
        lines += [f"| Metric | {holder} | {new} | Delta | Gate |", "|---|---:|---:|---:|---|"]
        lines += [
            f"| {_cell(m.name)} | {_value(m.a) if move.holder else ''} | {_value(m.b)} | "
            f"{_delta(m.delta) if move.holder else ''} | {_metric_gate(move, m.name)} |"
            for m in move.metrics
        ]
    else:
        lines.append("No metrics recorded.")
    lines += ["", check_markdown(move.gates), ""]
    params = [f"| Param | {holder} | {new} |", "|---|---|---|"]
    params += [f"| {_cell(p.name)} | {_value(p.a)} | {_value(p.b)} |" for p in move.params]
    lines += _folded("Params", params if move.params else ["Params: unchanged."])
    c = move.comparison
    if c is None or c.signature is None:
        schema = "No signature to compare with (no holder, or one of them recorded none)."
    else:
        schema = "compatible" if c.signature.compatible else "**breaking**"
        schema += "".join(f"\n- {reason}" for reason in c.signature.reasons)
    lines += _folded("Schema", [schema])
    if c is None or c.lineage.changed is None:
        lineage = "Not recorded for both versions."
    elif c.lineage.changed:
        lineage = "Changed: " + ", ".join(f"`{_cell(i)}`" for i in c.lineage.inputs)
    else:
        lineage = "Unchanged: the same data and code."
    lines += _folded("Lineage", [lineage])
    undo = (
        f"git model rollback {move.model}#{move.stage}"
        if move.holder
        else f"git model demote {move.model}#{move.stage}"
    )
    lines += _folded("Rollback", [f"After the merge and apply, this undoes it: `{undo}`"])
    return "\n".join(lines)


def plan_markdown(report: PlanReport, limit: int = COMMENT_LIMIT) -> str:
    """The plan as a pull-request comment (and a job summary): a hidden marker, a verdict,
    a table of the moves, then each move in detail; cut short, with a note, to stay under
    ``limit`` characters (GitHub's limit on a comment)."""
    mark, verdict = plan_verdict(report)
    head = [PLAN_MARKER, f"{mark} **git-model plan:** {verdict}", ""]
    if report.moves:
        head += ["| Model | Stage | Holder | Candidate | Gates |", "|---|---|---|---|---|"]
        head += [
            f"| {m.model} | {m.stage} | {m.holder.version.tag if m.holder else '(empty)'} | "
            f"{m.version.version.tag} | {move_status(m)} |"
            for m in report.moves
        ]
        head.append("")
    head.append(f"Policy: {report.policy}. Already in place: {report.in_place}.")
    sections = [_move_markdown(m) for m in report.moves]
    if report.drift:
        drift = [
            f"### Drift from {report.base}",
            "",
            "These stages disagree with what the desired state there asks (moved by hand, "
            "or merged and not applied yet):",
            "",
            "| Model | Stage | Asked | Holder |",
            "|---|---|---|---|",
        ]
        drift += [
            f"| {d.model} | {d.stage} | {d.asked.tag} | {d.holder.tag if d.holder else '(empty)'} |"
            for d in report.drift
        ]
        sections.append("\n".join(drift))
    note = (
        f"\n_Cut short to stay under {limit:,} characters; run `git model plan` to see "
        "everything._\n"
    )
    text = "\n".join(head) + "\n"
    if len(text) + len(note) > limit:  # the table alone is too long: whole lines of it
        return text[: text.rindex("\n", 0, limit - len(note)) + 1] + note
    for section in sections:
        if len(text) + len(section) + 1 + len(note) > limit:
            return text + note
        text += "\n" + section + "\n"
    return text
