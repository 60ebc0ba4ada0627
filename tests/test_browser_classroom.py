"""In front of a class, in a real browser (headless Chromium via Playwright; files land in test-artifacts/):
a chart saved for slides (the modebar's camera downloads a PNG at twice the chart's size, named after what
it shows, from one map and from a chart of maps side by side), the 3-D view's player, and presentation mode's
controls on a projector's screen."""
import imageio.v3 as iio
import pytest
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401

_IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def _save_png(page, chart, name: str):
    """Click the camera of ``chart`` (a locator of its plotly graph); the downloaded file's name and pixels."""
    chart.hover()  # the modebar shows on hover
    camera = chart.locator('.modebar-btn[data-title^="Download plot"]')
    with page.expect_download(timeout=60_000) as info:
        camera.click()
    download = info.value
    path = ARTIFACTS / name
    download.save_as(path)
    return download.suggested_filename, iio.imread(path)


def _drawn_size(chart) -> tuple[int, int]:
    return tuple(chart.evaluate("gd => [gd._fullLayout.width, gd._fullLayout.height]"))


@pytest.mark.parametrize("link, saved_name", [
    ("/Compare?land=himmelblau&runs=adam,momentum", "himmelblau-map-overlay.png"),
    ("/Basins?land=himmelblau&opts=sgd,adam&res=32&steps=100", "basins-himmelblau-sgd-adam.png"),
], ids=["compare map", "basin maps"])
def test_a_charts_camera_saves_a_named_png_twice_its_size(server, browser, link, saved_name):
    page = open_page(browser, server + link)
    page.wait_for_function(_IDLE, timeout=120_000)
    chart = page.locator(".live-chart").first
    name, pixels = _save_png(page, chart, f"png-{saved_name}")
    width, height = _drawn_size(chart)
    assert name == saved_name
    assert pixels.shape[:2] == (2 * height, 2 * width)
    assert pixels[..., :3].std() > 10  # a picture, not a blank page
    page.close()


@pytest.mark.parametrize("path, control", [("Anatomy", "learning rate"), ("Sweep", "Colour by"), ("Basins", "Optimizers"),
                                           ("Data_landscape", "Batch size B")])
def test_on_a_1280_by_720_projector_the_demos_controls_and_the_chart_are_on_screen(server, browser, path, control):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server}/{path}?pres=1")
    page.wait_for_selector(".js-plotly-plot", timeout=240_000)
    page.wait_for_function(_IDLE, timeout=240_000)
    page.wait_for_timeout(800)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    label = page.locator('[data-testid="stMain"] [data-testid="stWidgetLabel"]').filter(has_text=control).first
    box = label.bounding_box()
    assert box and box["y"] + box["height"] <= 720, f"{control} is below the screen's foot"
    chart = page.locator('[data-testid="stMain"] .js-plotly-plot').first.bounding_box()
    assert chart["y"] < 720 - 200, "the main chart starts too low to be seen"
    assert chart["x"] + chart["width"] <= 1280
    page.screenshot(path=str(ARTIFACTS / f"presentation-{path.lower()}-1280x720.png"))
    page.close()


def test_the_3d_view_has_the_maps_player_and_plays(server, browser):
    page = open_page(browser, f"{server}/Compare?land=rosenbrock&runs=adam,momentum&view=surface&steps=200")
    page.wait_for_function(_IDLE, timeout=120_000)
    chart = page.locator(".live-chart").first
    page.wait_for_function("() => { const gd = document.querySelector('.live-chart'); return gd && gd.__player; }",
                           timeout=60_000)
    head = "gd => JSON.stringify(gd.data.filter(t => t.type === 'scatter3d' && t.mode === 'markers').map(t => t.x))"
    before = chart.evaluate(head)
    page.locator(".live-player-play").first.click()
    page.wait_for_function("() => document.querySelector('.live-chart').__player.index > 2", timeout=60_000)
    page.wait_for_function(f"() => {{ const gd = document.querySelector('.live-chart'); return ({head})(gd) !== {before!r}; }}",
                           timeout=60_000)
    page.locator(".live-player-pause").first.click()
    page.screenshot(path=str(ARTIFACTS / "compare-3d-player.png"))
    page.close()
