"""The gallery and the anatomy page in headless Chromium: charts paint, 3-D views get their WebGL, steps move arrows.

Screenshots go to test-artifacts/gallery*.png and anatomy*.png, the gallery's load time to
test-artifacts/gallery-metrics.json.
"""
import json
import time

import landscapes
import pytest
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# JS: how many plots are drawn, and how many 3-D scenes hold a live WebGL canvas
_PLOTS = """() => { const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const scenes = plots.filter(p => p._fullLayout && p._fullLayout.scene);
  const live = scenes.filter(p => { const c = p.querySelector('.gl-container canvas');
    if (!c) return false; const gl = c.getContext('webgl') || c.getContext('experimental-webgl');
    return !!gl && !gl.isContextLost(); });
  return {plots: plots.length, scenes: scenes.length, live: live.length}; }"""
# JS: the anatomy map's arrows (line traces and arrowhead annotations)
_ARROWS = """() => { const gd = document.querySelector('.js-plotly-plot');
  return JSON.stringify([gd.data.filter(t => t.mode === 'lines' && t.name !== 'trajectory').map(t => [t.name, t.x, t.y]),
                         (gd.layout.annotations || []).map(a => [a.x, a.y, a.ax, a.ay])]); }"""


def test_the_gallery_paints_every_card_and_its_3d_views(server, browser):
    count = len(landscapes.names())
    errors = []
    began = time.perf_counter()
    page = open_page(browser, f"{server}/Gallery")
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.wait_for_function(f"() => ({_PLOTS})().plots >= {count}", timeout=240_000)
    loaded = time.perf_counter() - began
    counts = page.evaluate(_PLOTS)
    assert counts == {"plots": count, "scenes": 0, "live": 0}  # 3-D views wait for a category: WebGL contexts are few
    assert page.locator(".js-plotly-plot svg image").count() >= count, "a contour image is missing"
    assert page.locator(".js-plotly-plot .heatmaplayer image").count() == count, "a curvature map is missing"
    assert "Traceback" not in page.content()
    assert not [e for e in errors if "WebGL" in e], errors
    page.screenshot(path=str(ARTIFACTS / "gallery.png"))
    (ARTIFACTS / "gallery-metrics.json").write_text(json.dumps({"gallery_load_to_all_charts_seconds": loaded, **counts}, indent=2))
    print(f"gallery: {counts['plots']} charts painted, {counts['live']} live WebGL scenes, in {loaded:.1f} s")
    page.close()


def test_a_gallery_category_draws_live_3d_views_and_the_smallest_eigenvalue_map(server, browser):
    page = open_page(browser, f"{server}/Gallery?cat=saddle&map=smallest")
    names = landscapes.by_category()["saddle"]
    page.wait_for_function(f"() => ({_PLOTS})().live >= {len(names)}", timeout=240_000)
    assert page.evaluate(_PLOTS) == {"plots": 2 * len(names), "scenes": len(names), "live": len(names)}
    page.locator(".st-key-card-saddle").screenshot(path=str(ARTIFACTS / "gallery-saddle-card.png"))
    assert "cat=saddle" in page.url and "map=smallest" in page.url
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "gallery-saddle.png"), full_page=True)
    page.close()


def test_stepping_forward_on_the_anatomy_page_moves_the_arrows(server, browser):
    page = open_page(browser, f"{server}/Anatomy?land=quadratic&opt=nesterov&h.lr=0.03&steps=30&t=3")
    before = page.evaluate(_ARROWS)
    assert json.loads(before)[1], "no arrowheads drawn"
    page.screenshot(path=str(ARTIFACTS / "anatomy.png"), full_page=True)
    page.get_by_role("button", name="step ▶").click()
    page.wait_for_function(f"() => ({_ARROWS})() !== {json.dumps(before)}", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    assert "t=4" in page.url
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "anatomy-next-step.png"), full_page=True)
    back = page.evaluate(_ARROWS)
    page.get_by_role("button", name="◀ step").click()
    page.wait_for_function(f"() => ({_ARROWS})() !== {json.dumps(back)}", timeout=60_000)
    assert page.evaluate(_ARROWS) == before
    page.close()


def test_the_anatomy_of_adam_with_clipping_and_noise(server, browser):
    page = open_page(browser, f"{server}/Anatomy?land=rosenbrock&opt=adam&h.lr=0.03&steps=50&t=1&clip=1&noise=0.5&seed=2&frame=fit")
    assert "Traceback" not in page.content()
    assert page.locator('[data-testid="stDataFrame"]').count() == 2  # vectors and numbers
    page.screenshot(path=str(ARTIFACTS / "anatomy-adam.png"), full_page=True)
    page.close()
