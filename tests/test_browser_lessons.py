"""The Lessons page and presentation mode in a real browser (headless Chromium via Playwright).

Opens every lesson and saves a screenshot of each to test-artifacts/lessons-<n>-<slug>.png;
checks what only a browser shows: the race and the figures paint, "Open in Compare" carries
the scene, presentation mode hides the sidebar and enlarges the text, and the keyboard plays,
pauses and steps the animation.
"""
import pathlib
import time
import urllib.parse

import pytest
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)

from ui import lessons

pytestmark = pytest.mark.browser

_HEADS = """() => { const gd = document.querySelector('.js-plotly-plot');
  return JSON.stringify(gd.data.filter(t => t.mode === 'markers' && !t.name).map(t => [Array.from(t.x), Array.from(t.y)])); }"""
_SLIDER_ACTIVE = "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
_PLAYER_INDEX = "() => document.querySelector('.live-chart').__player.index"


def _wait_quiet(page, timeout_ms: int = 240_000):
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def _space_plays_then_pauses(page):
    page.keyboard.press("Space")
    time.sleep(0.5)
    first = page.evaluate(_HEADS)
    time.sleep(1.0)
    assert page.evaluate(_HEADS) != first, "space did not play the animation"
    page.keyboard.press("Space")
    time.sleep(0.3)
    paused = page.evaluate(_HEADS)
    time.sleep(0.8)
    assert page.evaluate(_HEADS) == paused, "space did not pause the animation"


def _screenshot_whole_page(page, name: str):
    """Streamlit scrolls an inner container, so a full-page shot needs a viewport as tall as the content."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1500, "height": min(max(int(height), 1100), 6000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.parametrize("number, lesson", list(enumerate(lessons.LESSONS, start=1)), ids=lessons.slugs())
def test_every_lesson_paints_its_scene_and_links_it_to_compare(server, browser, number, lesson):
    page = open_page(browser, f"{server}/Lessons?lesson={lesson.slug}")
    _wait_quiet(page)
    assert "Traceback" not in page.content()
    assert page.locator(".js-plotly-plot svg image").count() >= 1, "the landscape image is not drawn"
    charts = page.locator(".js-plotly-plot")
    expected = 2 + lessons.extra_chart_count(lesson)
    assert charts.count() == expected
    assert page.get_by_text(lesson.title).count() >= 1
    assert page.locator(".katex").count() >= len(lesson.formulas)
    assert page.get_by_text("not seen here").count() == 0, "a claim failed on the live runs"
    link = page.locator('a:has-text("Open this scene in Compare")').first.get_attribute("href")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    assert query["land"] == lesson.scene.landscape and query["runs"] == ",".join(r.optimizer for r in lesson.scene.runs)
    _screenshot_whole_page(page, f"lessons-{number:02d}-{lesson.slug}.png")
    page.close()


def test_open_in_compare_reproduces_the_scene(server, browser):
    lesson = lessons.get("cliffs")
    page = open_page(browser, f"{server}/Lessons?lesson={lesson.slug}")
    _wait_quiet(page)
    href = page.locator('a:has-text("Open this scene in Compare")').first.get_attribute("href")
    compare = open_page(browser, urllib.parse.urljoin(page.url, href))
    _wait_quiet(compare)
    assert "Traceback" not in compare.content()
    assert compare.locator('[data-testid="stAlert"]').count() == 0, "the scene's link produced warnings in Compare"
    for key in ("land=cliff", "r1.clip=1", "r0.lr=0.1", "runs=sgd%2Csgd"):
        assert key in compare.url, f"Compare dropped {key} from the link: {compare.url}"
    compare.screenshot(path=str(ARTIFACTS / "lessons-open-in-compare.png"), full_page=True)
    compare.close()
    page.close()


def test_presentation_mode_hides_the_sidebar_enlarges_text_and_the_keyboard_drives_the_animation(server, browser):
    page = open_page(browser, f"{server}/Lessons?lesson=momentum")
    _wait_quiet(page)
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    normal_size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('[data-testid=\"stMarkdownContainer\"] p')).fontSize)")
    page.get_by_text("Presentation", exact=True).click()
    page.wait_for_function("() => location.search.includes('pres=1')", timeout=60_000)
    _wait_quiet(page)
    page.wait_for_timeout(500)
    assert not page.locator('[data-testid="stSidebar"]').is_visible(), "the sidebar is still shown"
    large_size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('[data-testid=\"stMarkdownContainer\"] p')).fontSize)")
    assert large_size > normal_size * 1.2
    width = page.evaluate("() => Math.max(...document.querySelector('.js-plotly-plot').data.filter(t => t.mode === 'lines').map(t => t.line.width))")
    assert width >= 4, "lines are not thicker in presentation mode"
    page.screenshot(path=str(ARTIFACTS / "lessons-presentation.png"), full_page=True)

    page.wait_for_function("() => window.__lossLandscapeKeys && window.__lossLandscapeKeys.on === true", timeout=30_000)
    page.locator("h2").first.click()  # focus the page, not a widget
    page.keyboard.press("Home")
    page.wait_for_function(f"() => ({_SLIDER_ACTIVE})() === 0", timeout=10_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({_SLIDER_ACTIVE})() === 1", timeout=10_000)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => ({_SLIDER_ACTIVE})() === 0", timeout=10_000)
    _space_plays_then_pauses(page)
    shown = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout._currentFrame")
    page.keyboard.press("ArrowRight")  # steps on from the frame shown, not from where the slider was left
    page.wait_for_function(f"() => ({_SLIDER_ACTIVE})() === {int(shown[1:]) + 1}", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "lessons-presentation-keyboard.png"))

    page.keyboard.press("PageDown")  # a presenter's clicker: next lesson
    page.wait_for_function("() => location.search.includes('lesson=nesterov')", timeout=60_000)
    _wait_quiet(page)
    page.locator("h2").first.click()
    page.keyboard.press("PageUp")
    page.wait_for_function("() => location.search.includes('lesson=momentum')", timeout=60_000)
    _wait_quiet(page)

    # the mode is in the link: a fresh tab opened on it starts in presentation mode
    fresh = open_page(browser, page.url)
    _wait_quiet(fresh)
    assert not fresh.locator('[data-testid="stSidebar"]').is_visible()
    fresh.close()
    page.close()


def test_a_hostile_lesson_link_shows_a_warning_and_the_first_lesson(server, browser):
    page = open_page(browser, f"{server}/Lessons?lesson=%3Cscript%3Ealert(1)%3C/script%3E&pres=maybe")
    _wait_quiet(page)
    alerts = page.locator('[data-testid="stAlert"]')
    alerts.first.wait_for(timeout=60_000)
    assert any("Unknown lesson" in text for text in alerts.all_inner_texts())
    assert "Traceback" not in page.content()
    assert page.get_by_text(lessons.LESSONS[0].title).count() >= 1
    page.close()


def test_presentation_mode_applies_to_the_compare_page_too(server, browser):
    page = open_page(browser, f"{server}/Compare?land=rosenbrock&runs=adam,momentum&pres=1")
    _wait_quiet(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert "pres=1" in page.url  # Compare rewrites its link from its state and keeps the mode
    width = page.evaluate("() => Math.max(...document.querySelector('.js-plotly-plot').data.filter(t => t.mode === 'lines').map(t => t.line.width))")
    assert width >= 4
    page.wait_for_function("() => window.__lossLandscapeKeys && window.__lossLandscapeKeys.on === true", timeout=30_000)
    page.locator("h1").first.click()
    # Compare's map draws its controls as HTML (ui/live_chart.js); the same keys drive them
    page.keyboard.press("Home")
    page.wait_for_function(f"() => ({_PLAYER_INDEX})() === 0", timeout=10_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({_PLAYER_INDEX})() === 1", timeout=10_000)
    _space_plays_then_pauses(page)
    page.keyboard.press("End")
    page.wait_for_function(f"() => ({_PLAYER_INDEX})() > 1", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "lessons-compare-presentation.png"))
    page.close()


@pytest.mark.skipif(not (pathlib.Path(__file__).resolve().parent.parent / "pages" / "3_Gallery.py").exists(),
                    reason="the gallery page (pages/3_Gallery.py) is built on another branch; this test runs once it is merged")
def test_the_gallery_opens_with_no_traceback(server, browser):
    page = open_page(browser, f"{server}/Gallery")
    _wait_quiet(page)
    assert "Traceback" not in page.content()
    _screenshot_whole_page(page, "lessons-gallery.png")
    page.close()
