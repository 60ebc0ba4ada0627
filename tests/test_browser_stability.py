"""In a real browser: why a run diverged (the stability chart under the race, the reason on the map and in
the summary) and the points the newer rules look at (Schedule-Free's y and z, SAM's ascent point)."""
import json

import pytest
from browser_kit import ARTIFACTS, browser, open_page, open_presentation, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

RACE = ("/Compare?land=quadratic&lp.condition=10&x0=-9&y0=3&steps=120&runs=sgd,sgd,momentum,sf_sgd,sam"
        "&r0.lr=0.19&r1.lr=0.21&r2.lr=0.05&r3.lr=0.05&r4.lr=0.05")

# every drawn chart: its title and, per trace, name, dash and how many points plotly.js holds
_CHARTS = """() => JSON.stringify(Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
  title: ((gd.layout || {}).title || {}).text || '',
  traces: (gd._fullData || []).map(t => ({name: t.name || '', dash: (t.line || {}).dash || '',
                                          points: t.x ? t.x.length : 0, hover: t.hovertemplate || ''}))})))"""


def _charts(page) -> list[dict]:
    return json.loads(page.evaluate(_CHARTS))


def _stability(page) -> dict:
    page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                           ".some(gd => (((gd.layout || {}).title || {}).text || '').includes('stability limit'))",
                           timeout=120_000)
    return next(chart for chart in _charts(page) if "stability limit" in chart["title"])


def test_the_stability_chart_draws_every_run_against_its_limit_and_the_summary_says_why(server, browser):
    page = open_page(browser, server + RACE)
    page.set_viewport_size({"width": 1366, "height": 768})
    chart = _stability(page)
    curves = [t for t in chart["traces"] if "stability limit" not in t["hover"]]
    limits = [t for t in chart["traces"] if "stability limit" in t["hover"]]
    assert len(curves) == 5 and all(t["points"] > 0 for t in curves)
    assert len(limits) == 3, "gradient descent twice and momentum have a limit; Schedule-Free and SAM do not"
    summary = page.locator('[data-testid="stDataFrame"]').first
    summary.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    assert "Traceback" not in page.content()
    page.locator(".js-plotly-plot").nth(2).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "stability-1366.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "stability-page-1366.png"), full_page=True)
    page.close()


def test_the_map_draws_the_points_schedule_free_and_sam_look_at_and_why_a_run_stopped(server, browser):
    page = open_page(browser, server + RACE)
    race = _charts(page)[0]
    names = [t["name"] for t in race["traces"]]
    assert any(name.endswith(": y (gradient taken here)") for name in names)
    assert any(name.endswith(": z (base sequence)") for name in names)
    assert any(name.endswith(": ascent point θ + ρg/‖g‖") for name in names)
    assert any("diverged<br>step 1: η·λmax = 2.1 > 2" in t["hover"] for t in race["traces"])
    page.close()


@pytest.mark.parametrize("width, height", [(1920, 1080), (1280, 720)])
def test_on_a_projector_the_stability_chart_is_drawn_at_projector_size(server, browser, width, height):
    page = open_presentation(browser, server + RACE + "&pres=1", width, height)
    chart = _stability(page)
    assert len(chart["traces"]) == 8
    font = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                         ".find(gd => (((gd.layout || {}).title || {}).text || '').includes('stability limit'))"
                         "._fullLayout.font.size")
    assert font >= 18
    page.screenshot(path=str(ARTIFACTS / f"stability-pres-{width}.png"))
    page.locator(".live-chart").nth(2).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"stability-pres-{width}-chart.png"))
    page.close()
