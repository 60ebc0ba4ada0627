"""A live class in a real browser: a teacher's projector and three students' phones (headless Chromium).

The teacher starts a room from a lesson whose question is a point on the map; three students tap
their predictions; the projector shows the three points; the reveal plays the race over them and
each phone says whether its prediction held; *Next question* moves every phone along.
Screenshots: test-artifacts/live-class-*.png.
"""
import pytest
from browser_kit import ARTIFACTS, browser, server  # noqa: F401

from ui import lessons

pytestmark = pytest.mark.browser

LESSON = "local-minima"
_IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
_CLASS_POINTS = """() => { const gd = document.querySelector('.live-chart');
  const t = gd && gd.data && gd.data.find(t => (t.name || '').startsWith("the class's predictions"));
  return t ? t.x.length : 0; }"""
_PLAYER = "() => { const gd = document.querySelector('.live-chart'); return gd && gd.__player ? gd.__player.index : -1; }"


def _tap(phone, x: float, y: float, bounds) -> None:
    """Tap the map at data point (x, y); the plot area spans ``bounds`` exactly."""
    area = phone.locator(".live-chart .nsewdrag").first
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    (x0, x1), (y0, y1) = bounds
    phone.mouse.click(box["x"] + (x - x0) / (x1 - x0) * box["width"], box["y"] + (y1 - y) / (y1 - y0) * box["height"])


def test_three_students_predict_the_projector_shows_them_and_the_reveal_judges_each(server, browser):
    lesson = lessons.get(LESSON)
    assert isinstance(lesson.prediction, lessons.EndPoint)
    surface = lesson.scene.surface()
    results = lessons.run_scene(lesson.scene)
    end_x, end_y = results[lesson.prediction.run].path[-1]
    guesses = [(float(end_x), float(end_y)), (-1.3, -0.5), (0.0, -2.0)]
    expected = [lessons.judge(lesson.prediction, g, results, surface).right for g in guesses]
    assert expected[0] and not any(expected[1:])

    teacher = browser.new_page(viewport={"width": 1920, "height": 1080})
    teacher.goto(f"{server}/Lessons?lesson={LESSON}&pres=1")
    teacher.get_by_role("button", name="Start a live class").click(timeout=240_000)
    teacher.wait_for_url("**/Live_class?**", timeout=60_000)
    teacher.get_by_text("Join at").first.wait_for(timeout=120_000)
    assert "teacher=" not in teacher.url, "the teacher's secret stays out of the projected address bar"
    code = teacher.url.split("room=")[1][:6]
    teacher.wait_for_selector(".live-chart .nsewdrag", timeout=120_000)
    teacher.wait_for_function(_IDLE, timeout=120_000)
    teacher.screenshot(path=str(ARTIFACTS / "live-class-teacher-1920x1080.png"))

    phones = []
    for guess in guesses:
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{server}/Live_class?room={code}")
        phone.wait_for_selector(".live-chart .nsewdrag", timeout=120_000)
        phone.wait_for_function(_IDLE, timeout=120_000)
        _tap(phone, *guess, surface.bounds)
        phone.get_by_text("Your answer is in").wait_for(timeout=60_000)
        phones.append(phone)
    phones[0].screenshot(path=str(ARTIFACTS / "live-class-student-phone.png"), full_page=True)

    teacher.wait_for_function(f"() => ({_CLASS_POINTS})() === 3", timeout=10_000)
    assert teacher.get_by_text("3 joined · 3 answered").count() == 1
    teacher.screenshot(path=str(ARTIFACTS / "live-class-teacher-answers-1920x1080.png"))

    teacher.get_by_role("button", name="Reveal the race ▶").click()
    teacher.get_by_text("1 right").wait_for(timeout=60_000)
    teacher.wait_for_function(f"() => ({_PLAYER})() > 0", timeout=30_000)  # the race plays by itself
    teacher.wait_for_function(f"() => ({_CLASS_POINTS})() === 3", timeout=30_000)  # over the predictions
    teacher.wait_for_timeout(3000)
    teacher.screenshot(path=str(ARTIFACTS / "live-class-teacher-revealed-1920x1080.png"))

    for phone, right in zip(phones, expected):
        phone.get_by_text("You were right" if right else "Not this time").wait_for(timeout=15_000)
    phones[1].screenshot(path=str(ARTIFACTS / "live-class-student-revealed-phone.png"), full_page=True)

    teacher.get_by_role("button", name="Next question →").click()
    following = lessons.LESSONS[lessons.slugs().index(LESSON) + 1].title
    for phone in phones:
        phone.get_by_text(following).first.wait_for(timeout=15_000)

    small = browser.new_page(viewport={"width": 1366, "height": 768})
    small.goto(f"{server}/Live_class?room={code}")
    small.wait_for_function(_IDLE, timeout=120_000)
    small.get_by_text(following).first.wait_for(timeout=60_000)
    small.locator('[data-testid="stRadio"]').first.wait_for(timeout=60_000)
    small.wait_for_function(_IDLE, timeout=120_000)
    small.wait_for_timeout(1000)
    small.screenshot(path=str(ARTIFACTS / "live-class-student-1366x768.png"))
    for page in [teacher, small, *phones]:
        page.close()


def test_a_forged_teacher_link_cannot_control_the_room(server, browser):
    from ui import live_class

    code, _ = live_class.start_room(LESSON)
    before = live_class.store().room(code)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/Live_class?room={code}&teacher=not-the-secret-of-this-room")
    page.get_by_text("does not belong to this room").wait_for(timeout=120_000)
    assert page.get_by_role("button", name="Reveal the race ▶").count() == 0
    assert live_class.store().room(code) == before
    page.close()
