"""The HTML report opened from ``file://`` in headless Chromium (:mod:`tests.viz.browser`), with every
network request refused: every plot is drawn, the architecture is there, the console has no error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hypernas.viz import StudyRecord, study_figures, write_report
from tests.viz.browser import browser_page


def test_the_report_opens_offline_with_every_plot(single: StudyRecord, tmp_path: Path) -> None:
    path = write_report(single, tmp_path / "report.html")
    drawn = [f.name for f in study_figures(single) if f.figure is not None]
    with browser_page(lambda url: urlsplit(url).scheme == "file") as page:
        page.goto(path.as_uri())
        for name in drawn:
            page.wait_for_selector(f"#plot-{name} .main-svg")
        assert page.locator(".arch svg").count() >= 1
        assert page.inner_text("h1") == "Study single"


def test_the_guard_fails_a_page_that_reaches_out(tmp_path: Path) -> None:
    page_file = tmp_path / "out.html"
    page_file.write_text('<img src="http://192.0.2.1/pixel.png"><script>console.error("boom")</script>')
    left = r"requests left the machine: \['http://192.0.2.1/pixel.png'\]"
    with pytest.raises(AssertionError, match=left), browser_page() as page:
        page.goto(page_file.as_uri())
        page.wait_for_timeout(200)
