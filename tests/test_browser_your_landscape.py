"""Your own landscape on a projector, in a real browser: the demo's controls and the map on one screen.

Screenshots go to test-artifacts/yours-presentation-*.png.
"""
import json
import time

import pytest
from browser_kit import ARTIFACTS, browser, open_presentation, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# JS: the trails the map draws and its legend (a learning-rate change alters both)
_FINGERPRINT = """() => { const gd = document.querySelector('.js-plotly-plot');
  return JSON.stringify([gd.data.filter(t => t.mode === 'lines').map(t => Array.from(t.x || []).slice(-2)),
    [...gd.querySelectorAll('.legendtext')].map(t => t.textContent)]); }"""


@pytest.mark.parametrize("width, height", [(1920, 1080), (1280, 720)])
def test_presentation_mode_keeps_the_formula_the_optimizers_and_every_rate_on_screen(server, browser, width, height):
    page = open_presentation(browser, f"{server}/Your_landscape?runs=sgd,momentum,adam&steps=200&pres=1", width, height)
    main = page.locator('[data-testid="stMain"]')
    controls = [main.get_by_label("f(x, y) =", exact=True).and_(page.locator("input")),
                main.locator('[data-testid="stMultiSelect"]').filter(has_text="Optimizers")]
    rates = [main.locator('[data-testid="stSlider"]').filter(has_text=name)
             for name in ("Gradient descent", "SGD with momentum", "Adam")]
    for control in controls + rates:
        box = control.first.bounding_box()
        assert box and box["y"] + box["height"] <= height, f"below the screen's foot: {control}"
    player = page.locator(".live-player").first.bounding_box()
    assert player["y"] + player["height"] <= height, "the play controls are below the screen's foot"
    chart = page.locator(".live-chart").first.bounding_box()
    assert chart["width"] > 0.6 * width, "the map's column should take most of the page's width"

    before = page.evaluate(_FINGERPRINT)
    rates[-1].first.locator('input[type="range"]').press("ArrowRight")  # Adam's learning rate, from the projector
    page.wait_for_function(f"() => ({_FINGERPRINT})() !== {json.dumps(before)}", timeout=60_000)
    assert "lr.adam=" in page.url and "pres=1" in page.url
    page.screenshot(path=str(ARTIFACTS / f"yours-presentation-{width}x{height}.png"))
    page.close()


# JS, before the page's scripts: each live chart's place in the page and the number of animation frames
# the browser had run when the chart finished its first drawing (each chart sets data-revision then)
_FIRST_DRAWS = """
window.__firstDraws = [];
let frames = 0;
const tick = () => { frames += 1; requestAnimationFrame(tick); };
requestAnimationFrame(tick);
new MutationObserver((changes) => {
  const charts = [...document.querySelectorAll('.live-chart')];
  for (const change of changes) {
    const place = charts.indexOf(change.target);
    if (place >= 0 && !window.__firstDraws.some(([drawn]) => drawn === place)) window.__firstDraws.push([place, frames]);
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-revision']});
"""


def test_a_new_tab_draws_its_map_first_and_its_charts_one_by_one_with_a_frame_between(server, browser):  # noqa: F811
    """The map first, on screen before the 3-D view (seconds in a software renderer) and the curves start:
    drawn in one task, as they were once plotly.js had loaded, the map appeared only with the last."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.add_init_script(_FIRST_DRAWS)

    def slow_plotly(route):  # as on a first visit: every chart has arrived before plotly.js has loaded
        time.sleep(4)
        route.continue_()

    page.route("**/plotly-*.min.js", slow_plotly)
    page.goto(f"{server}/Your_landscape?runs=sgd,adam&steps=100")
    page.wait_for_function("() => window.__firstDraws.length >= 3 "
                           "&& window.__firstDraws.length === document.querySelectorAll('.live-chart').length",
                           timeout=240_000)
    draws = page.evaluate("() => window.__firstDraws")
    places, frames = [place for place, _ in draws], [frame for _, frame in draws]
    assert places[0] == 0, f"charts were first drawn in the order {places}: the map should come first"
    assert all(later > earlier for earlier, later in zip(frames, frames[1:])), f"no frame between two charts: {frames}"
    page.close()
