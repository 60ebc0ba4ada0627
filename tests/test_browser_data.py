"""The data-landscape page in a real browser: Debian's Chromium driven by Playwright.

Checks what only a browser shows: every chart paints (the landscape pictures included), the
batch-size slider moves with the keyboard and the charts follow, the animation plays, a
hostile link shows a warning. Screenshots go to test-artifacts/data*.png.
"""
import json
import statistics
import time

import pytest
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

_PLOTS = "() => document.querySelectorAll('.js-plotly-plot').length"
_IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
# JS: the SGD trail on the full-batch map (its last coordinates), to see it change
_SGD_TRAIL = """() => { const gd = document.querySelectorAll('.js-plotly-plot')[0];
  const t = gd.data.find(t => t.mode === 'lines' && String(t.name).startsWith('SGD'));
  return t ? String(t.name) + JSON.stringify(t.x) : ''; }"""
_HEADS = """() => { const gd = document.querySelectorAll('.js-plotly-plot')[0];
  return JSON.stringify(gd.data.filter(t => t.mode === 'markers' && !t.name).map(t => [Array.from(t.x), Array.from(t.y)])); }"""


def _open(browser, url):
    page = open_page(browser, url)
    page.wait_for_function(f"() => ({_PLOTS})() >= 5", timeout=120_000)
    return page


def _shoot_chart(page, index: int, filename: str):
    """Screenshot the viewport with chart ``index`` scrolled into it (the page scrolls inside its
    own container, so a full-page shot shows only the top)."""
    page.wait_for_function(_IDLE, timeout=60_000)
    page.evaluate(f"() => document.querySelectorAll('.js-plotly-plot')[{index}].scrollIntoView({{block: 'center'}})")
    time.sleep(0.3)
    page.screenshot(path=str(ARTIFACTS / filename))


def _slider(page, label: str):
    block = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(has_text=label).first
    return block.locator('input[type="range"]')


def test_the_data_page_paints_every_chart(server, browser):
    page = _open(browser, f"{server}/Data_landscape")
    assert page.evaluate(_PLOTS) == 5  # full-batch map, curves, minibatch surface, data, noise ball
    # the landscape pictures: the full-batch map, the minibatch surface, both noise-ball panels
    assert page.locator(".js-plotly-plot svg image").count() >= 4
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "data.png"))
    # the page scrolls inside its own container: shoot each chart where it is
    for i, name in enumerate(("map", "curves", "minibatch", "scatter", "noise-ball")):
        _shoot_chart(page, i, f"data-{name}.png")
    page.close()


def test_the_keyboard_moves_the_batch_size_and_the_charts_follow(server, browser):
    page = _open(browser, f"{server}/Data_landscape?problem=linear&batch=10&steps=200")
    before = page.evaluate(_SGD_TRAIL)
    thumb = _slider(page, "Batch size")
    thumb.focus()
    for _ in range(5):
        thumb.press("ArrowRight")
    page.wait_for_function(f"() => ({_SGD_TRAIL})().includes('batch 15')", timeout=120_000)
    after = page.evaluate(_SGD_TRAIL)
    assert after != before and "batch 15" in after
    assert thumb.input_value() == "15"
    page.wait_for_function("() => window.location.search.includes('batch=15')", timeout=30_000)
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "data-batch-15.png"), full_page=True)
    page.close()


_RINGED = """() => { const gd = document.querySelectorAll('.js-plotly-plot')[3];
  const t = gd.data.find(t => t.name === 'this minibatch'); return t ? JSON.stringify(t.x) : ''; }"""


def test_stepping_through_iterations_moves_the_minibatch_and_its_surface(server, browser):
    page = _open(browser, f"{server}/Data_landscape?problem=linear&batch=5&steps=300&it=10")
    block = page.locator('[data-testid="stMain"] [data-testid="stSlider"]').filter(has_text="Iteration").first
    thumb = block.locator('input[type="range"]')
    latencies = []
    for _ in range(5):
        before = (page.evaluate(_RINGED), page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[2]"
                                                         ".layout.images[0].source.length"))
        thumb.focus()
        began = time.perf_counter()
        thumb.press("ArrowRight")
        page.wait_for_function(f"() => ({_RINGED})() !== {json.dumps(before[0])}", timeout=60_000)
        latencies.append(time.perf_counter() - began)
        # let the rerun finish before the next key press, or Streamlit may fold two presses into one
        page.wait_for_function(_IDLE, timeout=60_000)
    assert thumb.input_value() == "15"
    assert "Traceback" not in page.content()
    _shoot_chart(page, 2, "data-iteration-15.png")
    metrics = {"iteration_key_to_new_minibatch_seconds": latencies, "median_seconds": statistics.median(latencies[1:])}
    (ARTIFACTS / "data-browser-metrics.json").write_text(json.dumps(metrics, indent=2))
    print("iteration key press to the next minibatch drawn, median:", f"{metrics['median_seconds'] * 1000:.0f} ms")
    page.close()


def test_logistic_regression_shows_the_decision_boundary_and_plays(server, browser):
    page = _open(browser, f"{server}/Data_landscape?problem=logistic&batch=4&opt=adam&steps=400&it=120")
    names = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap("
                          "gd => gd.data.map(t => String(t.name)))")
    assert "current boundary" in names and "best boundary (full batch)" in names
    page.locator(".live-player-play").first.click()
    time.sleep(0.6)
    first = page.evaluate(_HEADS)
    time.sleep(1.0)
    second = page.evaluate(_HEADS)
    assert first != second, "the heads did not move while playing"
    page.locator(".live-player-pause").first.click()
    page.screenshot(path=str(ARTIFACTS / "data-logistic.png"))
    for i, name in ((0, "map"), (2, "minibatch"), (4, "noise-ball")):
        _shoot_chart(page, i, f"data-logistic-{name}.png")
    page.close()


def test_a_hostile_link_shows_a_warning_not_a_traceback(server, browser):
    page = _open(browser, f"{server}/Data_landscape?problem=%3Cscript%3E&batch=1e308&opt=newton&lr=nan&steps=-4")
    alerts = page.locator('[data-testid="stAlert"]')
    alerts.first.wait_for(timeout=60_000)
    text = " ".join(alerts.all_inner_texts())
    assert "Unknown data set" in text and "first-order" in text
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "data-hostile-link.png"), full_page=True)
    page.close()
