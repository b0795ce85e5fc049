"""`git model report` without a browser: the same registry gives the same bytes, what
people wrote stays text, nothing in the page points outside it, and the page has a section,
a chart per metric and a details block per version; where it is written; the terminal's
charts (`show`/`history NAME --metric`). The browser's view is tests/test_report_browser.py."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from git_model import api
from git_model.errors import EXIT_CODES, CannotWrite, ModelNotFound, OutputExists, UsageError
from git_model.report.markdown import to_html
from git_model.report.page import ident
from tests import reporting
from tests.conftest import Repo
from tests.helpers import data, ok, run_ci_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry every test reads (none writes to it)."""
    base = tmp_path_factory.mktemp("report")
    return reporting.build(base / "repo", tmp_path_factory.mktemp("home")).path


@pytest.fixture(scope="module")
def page(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("page") / "report.html"
    api.report(out, repo=registry)
    return out.read_text(encoding="utf-8")


class Elements(HTMLParser):
    """Every element of a page: its tag and attributes, and the ids."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.found if name == tag]

    @property
    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.found if "id" in attrs}


def test_the_same_registry_gives_the_same_bytes(registry: Path, page: str, tmp_path: Path) -> None:
    again = api.report(tmp_path / "again.html", repo=registry)
    assert again.path.read_text(encoding="utf-8") == page
    assert "generated" not in page
    stamped = api.report(
        tmp_path / "stamped.html", generated_at="2026-02-01 CI run 7", repo=registry
    )
    text = stamped.path.read_text(encoding="utf-8")
    assert "generated 2026-02-01 CI run 7" in text
    assert text.replace(" · generated 2026-02-01 CI run 7", "") == page


def test_what_people_wrote_stays_text(page: str) -> None:
    elements = Elements(page)
    tags = {name for name, _ in elements.found}
    assert not tags & {"script", "img", "iframe", "object", "embed", "link", "base", "form"}
    for name, attrs in elements.found:
        handlers = [a for a in attrs if a.startswith("on")]
        assert not handlers, (name, attrs)
        assert not attrs.get("href", "").lower().startswith("javascript"), (name, attrs)
    # Each probe is on the page, as the text it was (in the description, the card, the
    # messages, an annotation).
    for probe in ("&lt;script&gt;window.probed = 1&lt;/script&gt;", "onerror=", "onclick="):
        assert probe in page
    assert page.count("&lt;script&gt;window.probed = 1&lt;/script&gt;") >= 3


def test_the_page_points_at_nothing_outside_it(page: str) -> None:
    elements = Elements(page)
    for name, attrs in elements.found:
        assert "src" not in attrs, (name, attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("#"), (name, attrs)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:|//)", page, re.IGNORECASE)
    style = page[page.index("<style>") : page.index("</style>")]
    assert "url(" not in style and "@import" not in style
    [csp] = [m for m in elements.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp["content"]


def test_markdown_links_only_to_the_web_mail_and_the_page() -> None:
    assert '<a href="https://example.com/a">a</a>' in to_html("[a](https://example.com/a)")
    assert '<a href="#m-churn">c</a>' in to_html("[c](#m-churn)")
    for link in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "../secret"):
        assert "<a" not in to_html(f"[x]({link})"), link
    assert "<img" not in to_html("![chart](https://example.com/tracker.png)")
    assert to_html("<b onclick=x>hi</b>") == "<p>&lt;b onclick=x&gt;hi&lt;/b&gt;</p>\n"


def test_a_section_per_model_a_chart_per_metric_a_details_per_version(page: str) -> None:
    elements = Elements(page)
    assert {"m-churn", "m-fraud_2ftx"} <= elements.ids
    charts = {
        (attrs["data-metric"], int(attrs["data-points"]))
        for attrs in elements.all("svg")
        if "chart" in attrs.get("class", "").split()
    }
    # churn: auc (4 versions), loss (2); fraud/tx: recall (2 of its 3 versions).
    assert charts == {("auc", 4), ("loss", 2), ("recall", 2)}
    assert reporting.versions_with("recall")["fraud/tx"] == 2
    details = [a["id"] for a in elements.all("details")]
    assert len(details) == len(reporting.CHURN) + len(reporting.FRAUD)
    assert "v-fraud_2ftx-0.2.0" in details
    timelines = [a for a in elements.all("svg") if a.get("class") == "timeline"]
    assert [int(a["data-lanes"]) for a in timelines] == [3, 3]
    for attrs in elements.all("a"):  # every link within the page lands somewhere
        assert attrs["href"][1:] in elements.ids, attrs["href"]
    # Gates drawn where they exist: churn's auc chart has prod's and staging's thresholds.
    auc = page[
        page.index('data-metric="auc"') : page.index("</svg>", page.index('data-metric="auc"'))
    ]
    assert auc.count('class="gate') == 2 and "prod &gt;= 0.75" in auc
    assert page.count('class="card ') == 6  # a card per stage per model


def _first_card(page: str, stage_class: str) -> str:
    start = page.index(f'<div class="card {stage_class}">')
    return page[start : page.index("</div></div>", start)]


def test_a_stage_card_says_who_holds_it_since_when(page: str) -> None:
    prod = _first_card(page, "s3")
    assert "v0.2.0" in prod and "since 2026-01-01 14:00" in prod and "Test User" in prod


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_element_ids_are_safe_and_tell_names_apart(a: str, b: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9._-]+", ident(a))
    assert (ident(a) == ident(b)) == (a == b)


def test_where_the_page_is_written(registry: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    written = api.report(f"{site}/", model="churn", repo=registry)
    assert written.path == site / "index.html"
    assert (written.models, written.versions, written.charts) == (1, 4, 2)
    assert written.size == len(written.path.read_bytes())
    assert api.report(site, repo=registry).path == site / "index.html"  # a directory that is
    other = tmp_path / "notes.html"
    other.write_text("<p>mine</p>")
    with pytest.raises(OutputExists):
        api.report(other, repo=registry)
    assert other.read_text() == "<p>mine</p>"
    assert api.report(other, force=True, repo=registry).path == other
    assert api.report(other, repo=registry).path == other  # a report git-model wrote
    assert not list(tmp_path.glob(".*partial"))
    with pytest.raises(ModelNotFound):
        api.report(tmp_path / "x.html", model="chrun", repo=registry)


def test_at_shows_the_registry_as_it_was(registry: Path, tmp_path: Path) -> None:
    then = api.report(tmp_path / "then.html", at="2026-01-01T09:30", repo=registry)
    text = then.path.read_text(encoding="utf-8")
    assert "as it was at 2026-01-01 09:30 UTC" in text
    assert then.events < api.report(tmp_path / "now.html", repo=registry).events
    assert "empty" in _first_card(text, "s3")  # nobody in prod yet
    assert "v0.1.0" in _first_card(text, "s2")


def test_the_command_prints_the_path_and_json(registry: Path, tmp_path: Path) -> None:
    repo = Repo(registry)
    out = tmp_path / "r.html"
    said = ok(repo, "report", "-o", str(out), "--model", "fraud/tx")
    assert said.startswith(f"Wrote {out} (") and "1 model, 3 versions, 1 chart)" in said
    result = data(repo, "report", "-o", str(out))
    assert (result["path"], result["models"], result["charts"]) == (str(out), 2, 3)
    refused = repo.cli("report", "-o", str(registry / "git-model.yaml"))
    assert refused.exit_code == EXIT_CODES[OutputExists]
    assert "already exists" in refused.stderr


def test_show_and_history_draw_a_metric_by_version(registry: Path) -> None:
    repo = Repo(registry)
    shown = ok(repo, "show", "churn", "--metric", "auc", "--all")
    chart = shown[shown.index("auc by version") :].splitlines()
    assert chart[0] == "auc by version (bars from 0.7 to 0.81)"
    bars = {line.split()[0]: line.split()[2] for line in chart[1:]}
    assert list(bars) == ["v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0"]  # lowest version first
    assert set("".join(bars.values())) == {"#"}  # not a terminal: plain characters
    assert len(bars["v0.4.0"]) == 30 and len(bars["v0.1.0"]) < len(bars["v0.3.0"])
    assert chart[2].endswith("  staging, prod")  # v0.2.0 holds both
    assert chart[1].endswith("(dev), (staging), archived")
    history = ok(repo, "history", "churn", "--metric", "loss")
    assert history.splitlines()[-3:] == [
        "loss by version (bars from 0.399 to 0.52)",
        "v0.1.0  0.52  ##############################  (dev), (staging), archived",
        "v0.2.0  0.41  ###                             staging, prod",
    ]
    view = data(repo, "show", "churn", "--metric", "auc")  # archived versions left out
    assert [p["version"] for p in view["series"][0]["points"]] == ["0.2.0", "0.3.0", "0.4.0"]
    missing = repo.cli("show", "churn", "--metric", "acu")
    assert "did you mean `auc`?" in missing.stderr and "by version" not in missing.stdout
    every = repo.cli("show", "--metric", "auc")
    assert every.exit_code == EXIT_CODES[UsageError]
    assert data(repo, "history", "--metric", "auc")["series"] == []  # every model: no chart


def test_the_pages_workflow_writes_the_site_from_a_fresh_clone(
    registry: Path, tmp_path: Path
) -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-pages-report.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["**@*", "**#*"]  # `on:` reads as True
    steps = workflow["jobs"]["report"]["steps"]
    [script] = [s["run"] for s in steps if s.get("name") == "Write the report"]
    assert steps[-2]["with"]["path"] == "site"
    clone = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(registry), str(clone)], check=True)
    ran = run_ci_script(clone, script)
    assert ran.returncode == 0, ran.stderr
    said = ran.stdout.splitlines()[-1]
    assert said.startswith("Wrote site/index.html (") and said.endswith("7 versions, 3 charts)")
    assert (clone / "site" / "index.html").read_text().startswith("<!DOCTYPE html>")


def test_an_empty_registry_and_a_path_that_cannot_be_written(repo: Repo, tmp_path: Path) -> None:
    written = api.report(tmp_path / "empty.html", repo=repo.path)
    assert (written.models, written.versions, written.events, written.charts) == (0, 0, 0, 0)
    assert "No models registered yet" in written.path.read_text(encoding="utf-8")
    refused = repo.cli("report", "-o", str(tmp_path / "missing" / "r.html"))
    assert refused.exit_code == EXIT_CODES[CannotWrite]
    assert "cannot write" in refused.stderr and "No such file or directory" in refused.stderr
    assert not (tmp_path / "missing").exists()


def test_an_artifact_kept_in_git_shows_its_blob(repo: Repo, tmp_path: Path) -> None:
    """A version names its artifact by what identifies its bytes: DVC's md5, or (a file
    committed to Git, as adopted registries keep them) its Git blob."""
    repo.commit(
        "Train churn",
        files={
            "dvc.yaml": "artifacts:\n  churn:\n    path: models/churn.pkl\n",
            "models/churn.pkl": "weights\n",
        },
    )
    ok(repo, "register", "churn")
    blob = repo.git("rev-parse", "HEAD:models/churn.pkl")
    html = api.report(tmp_path / "r.html", repo=repo.path).path.read_text()
    assert f"<code>Git blob {blob}</code>" in html
    assert "md5 <code>None</code>" not in html
