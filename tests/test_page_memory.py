"""A page remembers its settings when a student goes to another page and comes back.

Streamlit drops a widget's value from the session once a run does not draw it, so without
``persist_state="session"`` every page came back with its widgets' first options (Anatomy showed
the quadratic bowl and SGD instead of the demo left on screen; Your own landscape one run of 10 steps).
"""
import pytest
from app_kit import run_page

PAGES = ["pages/1_Compare.py", "pages/2_Lessons.py", "pages/3_Gallery.py", "pages/4_Anatomy.py", "pages/5_Sweep.py",
         "pages/6_Basins.py", "pages/7_Your_landscape.py", "pages/8_Data_landscape.py", "pages/10_Network.py"]


def _values(at) -> dict:
    """Every keyed widget's value on the page (the strip's copies included)."""
    values = {}
    for kind in ("slider", "select_slider", "selectbox", "number_input", "checkbox", "toggle", "text_input",
                 "multiselect", "button_group", "text_area", "radio"):
        for widget in getattr(at, kind, []):
            key = getattr(widget, "key", None)
            if key:
                values[key] = widget.value
    return values


def _change_one(at):
    """Move one setting away from its default, the way a student would; returns its key."""
    for slider in at.slider:
        if slider.key and slider.max > slider.min and not isinstance(slider.value, (tuple, list)):
            slider.set_value(slider.max if slider.value != slider.max else slider.min)
            return slider.key
    for box in at.selectbox:
        if box.key and len(box.options) > 1:
            box.select_index(1 if box.index != 1 else 0)
            return box.key
    for number in at.number_input:
        if number.key:
            number.set_value(number.value + (number.step or 1))
            return number.key
    return None


@pytest.mark.parametrize("page", PAGES)
def test_a_page_keeps_its_settings_when_a_student_goes_elsewhere_and_comes_back(page):
    at = run_page(page)
    assert not at.exception
    changed = _change_one(at)
    assert changed is not None, "no setting to move"
    at.run()
    assert not at.exception
    before = _values(at)
    other = "pages/2_Lessons.py" if page != "pages/2_Lessons.py" else "pages/1_Compare.py"
    at.switch_page(other).run()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception
    after = _values(at)
    lost = {key: (before[key], after.get(key)) for key in before if after.get(key) != before[key]}
    assert not lost, f"{changed} moved; these came back changed: {lost}"
