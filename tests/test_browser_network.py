"""The Network page in a real browser (Debian's Chromium through Playwright): the decision boundary paints and
plays, each of the four views paints, batch normalization switches on, and presentation mode keeps the demo's
controls and a large chart at projector sizes. Screenshots: test-artifacts/network-*.png."""
import time

import pytest
from browser_kit import ARTIFACTS, browser, open_page, open_presentation, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

_IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
_PLOTS = "() => document.querySelectorAll('.js-plotly-plot').length"
_TITLES = "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => (gd.layout.title || {}).text || '')"
# the boundary chart's current heat map, to see the animation change it
_HEAT = """() => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
  .find(g => String((g.layout.title || {}).text).startsWith('Decision boundary'));
  if (!gd) return '';
  const text = JSON.stringify(gd.data[0].z); let sum = 0;
  for (let i = 0; i < text.length; i++) sum = (sum * 31 + text.charCodeAt(i)) % 1000000007;
  return text.length + ':' + sum; }"""
_STEP = "() => (document.querySelector('.live-player-step') || {}).innerText || ''"


def _shoot(page, title_start: str, filename: str):
    page.wait_for_function(_IDLE, timeout=120_000)
    page.evaluate("(start) => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                  ".find(gd => String((gd.layout.title || {}).text).startsWith(start)).scrollIntoView({block: 'center'})",
                  title_start)
    time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / filename))


def _wait_for_title(page, start: str):
    page.wait_for_function(f"() => ({_TITLES})().some(t => t.startsWith({start!r}))", timeout=240_000)


def test_the_boundary_paints_and_plays_and_every_view_paints(server, browser):
    page = open_page(browser, f"{server}/Network?steps=300", timeout_ms=300_000)
    page.set_viewport_size({"width": 1366, "height": 768})
    _wait_for_title(page, "Random slice")
    assert "Traceback" not in page.content()
    assert page.locator(".js-plotly-plot .heatmaplayer, .js-plotly-plot .contourlayer").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "network.png"))
    # play the training: the boundary's heat map changes frame by frame
    player = page.locator(".live-player-play").first
    player.scroll_into_view_if_needed()
    page.locator(".live-player-range").first.fill("0")
    time.sleep(0.5)
    first, first_step = page.evaluate(_HEAT), page.evaluate(_STEP)
    player.click()
    time.sleep(1.5)
    assert page.evaluate(_STEP) != first_step, "the step readout did not move while playing"
    assert page.evaluate(_HEAT) != first, "the boundary did not change while playing"
    _shoot(page, "Decision boundary", "network-boundary.png")
    _shoot(page, "Random slice", "network-slice.png")
    for label, title, name in (("2 · the path's plane", "The path's own plane", "plane"),
                               ("3 · straight line", "From θ₀ to θ*", "line"),
                               ("4 · two seeds", "Two solutions", "modes")):
        page.locator("[data-testid=stMain] button").filter(has_text=label).first.click()
        _wait_for_title(page, title)
        _shoot(page, title, f"network-{name}.png")
    assert "Traceback" not in page.content()
    page.close()


def test_batch_normalization_on_trains_and_says_what_the_test_loss_uses(server, browser):
    page = open_page(browser, f"{server}/Network?steps=200&bn=1&batch=32", timeout_ms=300_000)
    _wait_for_title(page, "Random slice")
    assert "running averages" in page.content()
    _shoot(page, "Decision boundary", "network-batch-norm.png")
    page.close()


@pytest.mark.parametrize("width, height", [(1920, 1080), (1280, 720)])
def test_presentation_mode_keeps_the_demo_s_controls_and_full_width_boundaries(server, browser, width, height):
    page = open_presentation(browser, f"{server}/Network?pres=1&steps=300", width, height, timeout_ms=300_000)
    _wait_for_title(page, "Random slice")
    main = page.locator('[data-testid="stMain"]')
    for label in ("Data set", "Optimizers", "Activation", "Batch norm"):
        assert main.get_by_text(label, exact=True).first.is_visible(), label
    assert main.locator('[data-testid="stSlider"]').filter(has_text="η of Adam").first.is_visible()
    box = page.evaluate("() => { const gd = Array.from(document.querySelectorAll('.js-plotly-plot')).find(g => "
                        "String((g.layout.title || {}).text).startsWith('Decision boundary')); const r = gd.getBoundingClientRect();"
                        " return [r.width, r.height]; }")
    assert box[0] >= 0.85 * width and 400 <= box[1] <= height, box  # full width, and it fits the screen
    page.wait_for_function(_IDLE, timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / f"network-presentation-{width}x{height}.png"))
    _shoot(page, "Random slice", f"network-presentation-{width}x{height}-slice.png")
    page.close()
