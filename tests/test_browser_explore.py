"""The Sweep and Basins pages in a real browser: maps paint, a click on a cell draws that run,
the keyboard changes a control and the map follows. Screenshots go to test-artifacts/."""
import json
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SWEEP = "/Sweep?land=rosenbrock&opt=momentum&res=48&steps=150&cmp=sgd,momentum,adam&budget=5"
BASINS = "/Basins?land=himmelblau&opts=sgd,momentum&res=96&steps=150"

# JS (decoded arrays live in _fullData; gd.data keeps the typed-array specs): pixel position (page coordinates) of a point of the click layer, found by its trace name
# or legend group; plotly's axis helpers turn data into pixels on log axes too.
_POINT = """([key, which]) => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const trace = (gd._fullData || []).find(t => t.name === key || t.legendgroup === key);
    if (!trace) continue;
    const index = Math.floor(trace.x.length * which);
    const layout = gd._fullLayout;
    const xa = layout[(trace.xaxis || 'x').replace('x', 'xaxis')], ya = layout[(trace.yaxis || 'y').replace('y', 'yaxis')];
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.c2p(trace.x[index]), box.top + ya._offset + ya.c2p(trace.y[index]),
            trace.x[index], trace.y[index]];
  }
  return null; }"""
# JS: a fingerprint of the first heatmap's numbers, to see the map repaint with new data
_HEAT = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => (g._fullData || []).some(t => t.type === 'heatmap'));
  if (!gd) return 'none';
  const z = gd._fullData.find(t => t.type === 'heatmap').z; let sum = 0, k = 0;
  for (const row of z) for (const v of row) { k += 1; if (Number.isFinite(v)) sum += v * (k % 97 + 1); }
  return `${k}:${sum}`; }"""


_MAP_PAINTED = ".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm image"


def _painted_maps(page, wanted: int, timeout_ms: int = 60_000) -> int:
    """How many heatmaps the page shows, once ``wanted`` are painted or ``timeout_ms`` has passed: ``open_page``
    returns when a chart has drawn and the script is idle, and a map may be painted a moment later (a clean clone's
    CI found none at once on a new server, in a run after many that passed)."""
    try:
        page.wait_for_function(f"() => document.querySelectorAll({_MAP_PAINTED!r}).length >= {wanted}", timeout=timeout_ms)
    except PlaywrightError:
        pass
    return page.locator(_MAP_PAINTED).count()


def _click_cell(page, key: str, which: float):
    position = page.evaluate(_POINT, [key, which])
    assert position, f"no click layer {key!r} on the page"
    page.mouse.move(position[0], position[1])
    time.sleep(0.3)
    page.mouse.click(position[0], position[1])
    return position


def test_the_sweep_page_paints_and_a_clicked_cell_draws_that_run(server, browser):
    page = open_page(browser, f"{server}{SWEEP}")
    assert _painted_maps(page, 1) >= 1, "no heatmap painted"
    assert "Traceback" not in page.content()
    assert page.get_by_text("Best run:").count() == 1
    page.screenshot(path=str(ARTIFACTS / "sweep.png"), full_page=True)
    _, _, lr, momentum = _click_cell(page, "runs", 0.37)
    page.get_by_text("Selected run:").first.wait_for(timeout=120_000)
    text = page.get_by_text("Selected run:").first.locator("xpath=..").inner_text()
    assert f"{lr:.3g}" in text and f"{momentum:.3g}" in text, text
    # the run is drawn beside the map: a trajectory line over the landscape picture
    lines = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(g => (g._fullData || [])
        .filter(t => t.mode === 'lines' && t.x && t.x.length > 1).length)""")
    assert any(count >= 1 for count in lines)
    page.screenshot(path=str(ARTIFACTS / "sweep-clicked.png"), full_page=True)
    # Streamlit scrolls its main block itself, so the lower sections need their own pictures
    page.get_by_text("How wide is each optimizer").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "sweep-lr-ranges.png"))
    page.get_by_text("Grid search or random search").first.scroll_into_view_if_needed()
    time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "sweep-search.png"))
    page.close()


def test_the_sweep_map_follows_the_keyboard(server, browser):
    page = open_page(browser, f"{server}{SWEEP}")
    before = page.evaluate(_HEAT)
    thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(has_text="Steps per run").first \
        .locator('input[type="range"], [role="slider"]').first
    thumb.focus()
    began = time.perf_counter()
    thumb.press("ArrowRight")
    page.wait_for_function(f"() => ({_HEAT})() !== {json.dumps(before)}", timeout=120_000)
    seconds = time.perf_counter() - began
    print(f"sweep: steps slider key press to repainted heatmap {seconds * 1000:.0f} ms")
    assert "steps=160" in page.url
    page.screenshot(path=str(ARTIFACTS / "sweep-after-key.png"), full_page=True)
    page.close()


def test_the_basins_page_paints_and_a_clicked_start_draws_its_run(server, browser):
    page = open_page(browser, f"{server}{BASINS}")
    assert _painted_maps(page, 2) >= 2, "fewer than two basin maps painted"
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "basins.png"), full_page=True)
    _, _, x, y = _click_cell(page, "basin-panel-1", 0.42)
    page.get_by_text("Selected run:").first.wait_for(timeout=120_000)
    text = page.get_by_text("Selected run:").first.locator("xpath=..").inner_text()
    assert "momentum" in text.lower() and f"{x:.3g}" in text and f"{y:.3g}" in text, text
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].some(g => (g._fullData || [])
        .some(t => t.mode === 'lines' && t.x && t.x.length > 1))""", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "basins-clicked.png"), full_page=True)
    page.close()


def test_a_hostile_basins_link_shows_a_warning_not_a_traceback(server, browser):
    page = open_page(browser, f"{server}/Basins?land=%3Cscript%3E&opts=evil,sgd&res=99999&steps=80")
    alerts = page.locator('[data-testid="stAlert"]')
    alerts.first.wait_for(timeout=60_000)
    text = " ".join(alerts.all_inner_texts())
    assert "Unknown landscape" in text and "res" in text
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "basins-hostile-link.png"), full_page=True)
    page.close()
