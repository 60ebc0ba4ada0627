"""Your own landscape on a projector, in a real browser: the demo's controls and the map on one screen.

Screenshots go to test-artifacts/yours-presentation-*.png.
"""
import json

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
