"""The Lessons page and presentation mode in a real browser (headless Chromium via Playwright).

Every lesson is opened on its prediction (the map and the start, no trails), answered, revealed,
and checked: the trails appear only after the reveal, the race plays by itself, the claims hold.
Screenshots of both phases land in test-artifacts/lessons-<n>-<slug>-{predict,reveal}.png, and the
projector views at 1920x1080 and 1366x768 in test-artifacts/lessons-presentation-*.png.
"""
import time
import urllib.parse

import pytest
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)

from ui import lessons
from ui.lessons import extras

pytestmark = pytest.mark.browser

_RACE = "document.querySelector('.live-chart')"
_RUN_TRACES = f"""() => {{ const gd = {_RACE};
  if (!gd || !gd.data) return -1;
  return gd.data.filter(t => !['known minima', 'start', 'your prediction'].includes(t.name) && t.mode === 'lines').length; }}"""
_PLAYER_INDEX = f"() => {{ const gd = {_RACE}; return gd && gd.__player ? gd.__player.index : -1; }}"
_PLAYING = f"() => {{ const gd = {_RACE}; return !!(gd && gd.__player && gd.__player.playing); }}"
_FONT_SIZE = "() => parseFloat(getComputedStyle(document.querySelector('[data-testid=\"stMarkdownContainer\"] p')).fontSize)"


def _wait_quiet(page, timeout_ms: int = 240_000):
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def _screenshot_whole_page(page, name: str, width: int = 1500):
    """Streamlit scrolls an inner container, so a full-page shot needs a viewport as tall as the content."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(int(height), 900), 7000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / name))


def _answer(page, lesson):
    """Make a prediction as a student would: pick the first option, or click the map's centre."""
    if isinstance(lesson.prediction, lessons.Choice):
        page.locator('[data-testid="stRadioOption"]').first.click()
    else:
        box = page.locator(".live-chart .nsewdrag").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(f"() => {_RACE}.data.some(t => t.name === 'your prediction')", timeout=60_000)
    page.get_by_role("button", name="Reveal the race ▶").wait_for(timeout=60_000)
    _wait_quiet(page)


@pytest.mark.parametrize("number, lesson", list(enumerate(lessons.LESSONS, start=1)), ids=lessons.slugs())
def test_every_lesson_opens_on_its_prediction_and_its_trails_appear_only_after_the_reveal(server, browser, number, lesson):
    page = open_page(browser, f"{server}/Lessons?lesson={lesson.slug}")
    _wait_quiet(page)
    assert "Traceback" not in page.content()
    assert page.locator(".live-chart svg image").count() >= 1, "the landscape image is not drawn"
    assert page.evaluate(_RUN_TRACES) == 0, "trails are drawn before the reveal"
    assert page.get_by_text(lesson.prediction.prompt).count() >= 1
    assert page.get_by_text(lesson.claims[0].says).count() == 0, "a claim is shown before the reveal"
    _answer(page, lesson)
    _screenshot_whole_page(page, f"lessons-{number:02d}-{lesson.slug}-predict.png")
    page.set_viewport_size({"width": 1500, "height": 1100})
    page.get_by_role("button", name="Reveal the race ▶").click()
    page.wait_for_function(f"() => ({_RUN_TRACES})() >= {len(lesson.scene.runs)}", timeout=120_000)
    _wait_quiet(page)
    assert "Traceback" not in page.content()
    verdicts = page.get_by_text("Your prediction held").count() + page.get_by_text("Not this time").count()
    assert verdicts == 1
    charts = 2 + extras.chart_count(lesson)
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length === {charts}", timeout=60_000)
    # KaTeX is a part of Streamlit's front end fetched once a formula arrives: it may come after the charts
    page.wait_for_function(f"() => document.querySelectorAll('.katex').length >= {len(lesson.formulas)}", timeout=60_000)
    assert page.get_by_text("not seen here").count() == 0, "a claim failed on the live runs"
    link = page.locator('[data-testid="stLinkButton"] a').first.get_attribute("href")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    if lesson.on_data:
        assert query["problem"] == lesson.scene.problem
    else:
        assert query["land"] == lesson.scene.landscape and query["runs"] == ",".join(r.optimizer for r in lesson.scene.runs)
    assert "reveal=1" in page.url
    _screenshot_whole_page(page, f"lessons-{number:02d}-{lesson.slug}-reveal.png")
    page.close()


@pytest.mark.parametrize("mode", ["", "&pres=1"], ids=["normal", "presentation"])
def test_the_reveal_plays_the_race_by_itself_over_the_prediction(server, browser, mode):
    # in presentation mode the race replaces the question's map in the same chart, with another config:
    # plotly.js dropped the frames then, and the race did not play on a projector
    page = open_page(browser, f"{server}/Lessons?lesson=local-minima{mode}")
    _wait_quiet(page)
    _answer(page, lessons.get("local-minima"))
    page.get_by_role("button", name="Reveal the race ▶").click()
    page.wait_for_function(f"() => ({_PLAYER_INDEX})() > 3", timeout=120_000)  # it plays with no click on play
    assert page.evaluate(f"() => {_RACE}.data.some(t => t.name === 'your prediction')")
    page.close()


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_presentation_keys_pick_an_answer_reveal_play_and_move_to_the_next_lesson(server, browser, width, height):
    lesson = lessons.get("cliffs")
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server}/Lessons?lesson={lesson.slug}&pres=1")
    page.wait_for_selector(".live-chart .scatterlayer .trace", timeout=240_000)
    _wait_quiet(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible(), "the sidebar is still shown"
    assert page.evaluate(_FONT_SIZE) >= 20
    page.wait_for_function("() => window.__lossLandscapeKeys && window.__lossLandscapeKeys.on === true", timeout=30_000)
    page.locator("h1").first.click()  # focus the page, not a widget
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stRadio\"] input:checked').length === 1",
                           timeout=30_000)
    _wait_quiet(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => { const all = Array.from(document.querySelectorAll('[data-testid=\"stRadio\"] input'));"
                           " return all.findIndex(i => i.checked) === 1; }", timeout=30_000)
    _wait_quiet(page)
    page.screenshot(path=str(ARTIFACTS / f"lessons-presentation-predict-{width}x{height}.png"))
    page.locator("h1").first.click()
    page.keyboard.press("Space")  # reveals
    page.wait_for_function(f"() => ({_RUN_TRACES})() >= 2", timeout=120_000)
    page.wait_for_function(_PLAYING, timeout=30_000)
    page.locator("h1").first.click()
    page.keyboard.press("Space")  # pauses the playing race
    page.wait_for_function(f"() => !({_PLAYING})()", timeout=10_000)
    paused = page.evaluate(_PLAYER_INDEX)
    time.sleep(0.8)
    assert page.evaluate(_PLAYER_INDEX) == paused
    page.keyboard.press("End")
    page.wait_for_function(f"() => ({_PLAYER_INDEX})() === {_RACE}.__player.count - 1", timeout=10_000)
    width_of_chart = page.evaluate(f"() => {_RACE}.getBoundingClientRect().width")
    assert width_of_chart > 0.5 * width
    page.screenshot(path=str(ARTIFACTS / f"lessons-presentation-reveal-{width}x{height}.png"))
    page.keyboard.press("PageDown")  # a presenter's clicker: next lesson, on its prediction
    following = lessons.slugs()[lessons.slugs().index(lesson.slug) + 1]
    page.wait_for_function(f"() => location.search.includes('lesson={following}')", timeout=60_000)
    _wait_quiet(page)
    assert "reveal=1" not in page.url
    page.wait_for_function(f"() => ({_RUN_TRACES})() === 0", timeout=60_000)
    page.close()


def test_open_in_compare_reproduces_the_scene(server, browser):
    page = open_page(browser, f"{server}/Lessons?lesson=cliffs&reveal=1")
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


def test_a_hostile_lesson_link_shows_a_warning_and_the_first_lesson(server, browser):
    page = open_page(browser, f"{server}/Lessons?lesson=%3Cscript%3Ealert(1)%3C/script%3E&pres=maybe&reveal=%3Cb%3E")
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
    player = "() => document.querySelector('.live-chart').__player.index"
    page.keyboard.press("Home")
    page.wait_for_function(f"() => ({player})() === 0", timeout=10_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({player})() === 1", timeout=10_000)
    page.keyboard.press("End")
    page.wait_for_function(f"() => ({player})() > 1", timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "lessons-compare-presentation.png"))
    page.close()


def test_the_keys_work_outside_presentation_mode_but_page_down_scrolls_there(server, browser):
    page = open_page(browser, f"{server}/Lessons?lesson=plateaus")
    _wait_quiet(page)
    page.wait_for_function("() => window.__lossLandscapeKeys && window.__lossLandscapeKeys.presentation === false",
                           timeout=30_000)
    page.locator("h2").first.click()
    page.keyboard.press("PageDown")  # not presentation mode: no lesson change
    page.wait_for_timeout(1500)
    assert "lesson=plateaus" in page.url
    page.locator("h2").first.click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stRadio\"] input:checked').length === 1",
                           timeout=30_000)
    _wait_quiet(page)
    page.locator("h2").first.click()
    page.keyboard.press("Space")
    page.wait_for_function(f"() => ({_RUN_TRACES})() >= 4", timeout=120_000)
    assert "reveal=1" in page.url
    page.close()
