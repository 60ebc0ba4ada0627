"""Compare's two downloads, as a teacher gets them: the trajectories as CSV, and the race as one
HTML file that plays with no network at all (a classroom with bad Wi-Fi).

Downloads go through the real buttons in headless Chromium; the HTML file is then opened from
disk in a page whose every network request is refused, and its own play button is pressed.
"""
import csv
import io
import time

import landscapes
import numpy as np
import optimizers
import pytest
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

_LINK = "/Compare?land=himmelblau&runs=adam,sgd&r0.lr=0.1&r1.lr=0.01&steps=120&x0=0&y0=0"
_LR = {"adam": 0.1, "sgd": 0.01}
# JS: count the frames plotly.js draws from now on, and remember the last one's name
_COUNT_FRAMES = """() => { const gd = document.querySelector('.js-plotly-plot'); window.__frames = 0;
  gd.on('plotly_animatingframe', (event) => { window.__frames += 1; window.__lastFrame = event.name; }); }"""


def _download(page, label: str, path):
    button = page.get_by_role("button", name=label)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as download:
        button.click()
    download.value.save_as(str(path))
    return path


def test_the_csv_download_holds_every_step_of_every_run_exactly(server, browser):
    page = open_page(browser, f"{server}{_LINK}")
    path = _download(page, "Download trajectories (CSV)", ARTIFACTS / "export-trajectories.csv")
    page.close()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert list(rows[0]) == ["run", "optimizer", "step", "x", "y", "loss", "grad_norm", "lr"]
    surface = landscapes.get("himmelblau")
    for optimizer in ("adam", "sgd"):
        mine = [row for row in rows if row["optimizer"] == optimizer]
        assert [int(row["step"]) for row in mine] == list(range(121)), optimizer
        # the same numbers as the engine, to the last digit: the CSV writes repr() of each float
        assert f"lr {_LR[optimizer]:g}" in mine[0]["run"]
        reference = optimizers.run(optimizer, surface, start=(0.0, 0.0), steps=120, lr=_LR[optimizer])
        path_xy = np.array([[float(row["x"]), float(row["y"])] for row in mine])
        assert np.array_equal(path_xy, reference.path), optimizer
        assert np.array_equal([float(row["loss"]) for row in mine], reference.loss)
        assert mine[-1]["lr"] == ""  # no step leaves the last point


def test_the_html_download_plays_the_race_offline(server, browser):
    page = open_page(browser, f"{server}{_LINK}")
    path = _download(page, "Download the animation (offline HTML)", ARTIFACTS / "export-race.html")
    page.close()
    assert path.stat().st_size < 6_000_000  # plotly.js (~4.8 MB) and the figure, nothing fetched later
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    refused = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()

    context.route("http*://**/*", refuse)  # no network: anything the file would fetch fails
    offline = context.new_page()
    offline.goto(path.as_uri())
    offline.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
    assert offline.locator(".js-plotly-plot .layer-below image, .js-plotly-plot image").count() >= 1, "no landscape"
    offline.evaluate(_COUNT_FRAMES)
    offline.locator(".updatemenu-button").first.click()  # plotly's own play button, kept in the export
    time.sleep(1.0)
    offline.screenshot(path=str(ARTIFACTS / "export-race-offline.png"))  # mid-race
    # plotly's own slider and its "step N" follow the playing race (0 and 99 are its two ends)
    active = offline.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active")
    assert 0 < active < 99, f"the slider stayed at {active} while the race played"
    assert offline.evaluate("() => window.__frames") >= 10, "the exported animation does not play"
    assert offline.evaluate("() => window.__lastFrame") not in (None, "f0")
    assert refused == [], f"the export fetched {refused[:3]}"
    context.close()
