"""The report in a real browser: Debian's Chromium (never a downloaded browser), driven by
playwright, opens the page from disk. Nothing it does logs an error or leaves the disk,
every chart is drawn with a point per version that recorded its metric, what people wrote
never runs, the version blocks open, and every link lands. A full-page screenshot goes to
$GIT_MODEL_ARTIFACTS when set (CI keeps it).

Where Chromium or playwright is missing, these tests skip and say why (`make chromium`
installs the browser as root on Debian)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from git_model import api
from tests import browser, reporting


@dataclass
class Opened:
    """The report as the browser opened it, and what the browser saw on the way."""

    page: Any  # playwright's Page
    path: Path
    console: list[tuple[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    """One browser, one page, for the whole module."""
    missing = browser.missing()
    if missing is not None:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    base = tmp_path_factory.mktemp("browser")
    registry = reporting.build(base / "repo", tmp_path_factory.mktemp("home"))
    written = api.report(base / "report.html", repo=registry.path)
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_page(viewport={"width": 1200, "height": 900})
        seen = Opened(page, written.path)
        page.on("console", lambda m: seen.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: seen.console.append(("pageerror", str(e))))
        page.on("request", lambda r: seen.requests.append(r.url))
        page.goto(written.path.as_uri())
        page.wait_for_load_state("load")
        yield seen
        chromium.close()


def test_no_console_error_and_every_request_is_a_file(opened: Opened) -> None:
    assert [m for m in opened.console if m[0] in ("error", "pageerror")] == []
    assert opened.requests == [opened.path.as_uri()]
    assert all(url.startswith("file://") for url in opened.requests)


def test_each_chart_is_drawn_with_a_point_per_version_that_recorded_it(opened: Opened) -> None:
    page = opened.page
    sections = {"m-churn": "churn", "m-fraud_2ftx": "fraud/tx"}
    drawn = 0
    for section_id, model in sections.items():
        for chart in page.locator(f"#{section_id} svg.chart").all():
            chart.scroll_into_view_if_needed()
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 40
            metric = chart.get_attribute("data-metric") or ""
            points = chart.locator("circle")
            assert points.count() == reporting.versions_with(metric)[model], (model, metric)
            for point in points.all():
                size = point.bounding_box()
                assert size is not None and size["width"] > 0 and size["height"] > 0
            drawn += 1
    assert drawn == 3  # churn: auc, loss; fraud/tx: recall
    for selector in ("svg.spark", "svg.timeline"):
        for svg in page.locator(selector).all():
            svg.scroll_into_view_if_needed()
            box = svg.bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0, selector


def test_what_people_wrote_shows_as_text_and_never_runs(opened: Opened) -> None:
    page = opened.page
    assert page.evaluate("typeof window.probed") == "undefined"
    assert page.locator("script, img, iframe, [onerror], [onclick]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    description = page.locator("#m-churn .md").first.inner_text()
    for probe in reporting.PROBES[:2]:
        assert probe in description
    assert "Bold" in page.locator("#m-churn .md strong").first.inner_text()  # Markdown works


def test_version_details_open(opened: Opened) -> None:
    page = opened.page
    details = page.locator("details#v-churn-0\\.2\\.0")
    assert details.get_attribute("open") is None
    assert not details.locator("dl").is_visible()
    details.locator("summary").click()
    assert details.evaluate("element => element.open") is True
    assert details.locator("dl").is_visible()
    text = details.inner_text()
    assert "churn@v0.2.0" in text and "Commit" in text
    assert "ticket" in text and "OPS-1" in text  # its annotations
    assert "The same as v0.1.0's." in text  # its schema and card: as v0.1.0's, shown there
    first = page.locator("details#v-churn-0\\.1\\.0")
    first.locator("summary").click()
    assert first.locator("table").is_visible()
    assert "tenure" in first.inner_text() and "churn_probability" in first.inner_text()
    assert "Not for pricing." in first.inner_text()  # the model card's Markdown


def test_every_link_lands_on_the_page(opened: Opened) -> None:
    page = opened.page
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) > 20
    for href in set(hrefs):
        assert href.startswith("#"), href
        found = page.evaluate("id => document.getElementById(id) !== null", href[1:])
        assert found, href
    page.locator("nav a", has_text="fraud/tx").click()
    assert page.evaluate("location.hash") == "#m-fraud_2ftx"
    assert page.locator("#m-fraud_2ftx h2").is_visible()


def test_a_full_page_screenshot(opened: Opened, tmp_path: Path) -> None:
    where = Path(os.environ.get("GIT_MODEL_ARTIFACTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    shot = where / "report.png"
    opened.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height = opened.page.evaluate("document.documentElement.scrollHeight")
    assert height > 900  # the whole page, not the viewport
