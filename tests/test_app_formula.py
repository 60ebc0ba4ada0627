"""The typed-formula pages headless (AppTest): Your own landscape, and Compare with land=custom."""
import pathlib
from urllib.parse import parse_qs, urlparse

import pytest
from app_kit import chart_specs
from streamlit.testing.v1 import AppTest

from landscapes import formula
from ui import custom

formula.MAX_FORMULAS_PER_PROCESS = 10**6  # many formulas in one test process; the limit is tested in test_formula.py
from ui import state as page_state

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a formula's kernels takes longer than AppTest's 3 s
SENTINEL = pathlib.Path("/tmp/landscape-formula-page-sentinel")
PAYLOAD = f"__import__('os').system('touch {SENTINEL}')"


def _page(path: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _yours(query=None) -> AppTest:
    return _page("pages/7_Your_landscape.py", query)


def _compare(query=None) -> AppTest:
    return _page("pages/1_Compare.py", query)


def _chart(at: AppTest, index: int = 0) -> dict:
    return chart_specs(at)[index]


def _query(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def _lines(spec: dict) -> dict:
    return {t["name"]: t["x"] for t in spec["data"] if t.get("mode") == "lines" and t.get("name")}


# ----- Your own landscape ------------------------------------------------------------------------------
def test_the_formula_page_renders_the_surface_and_a_race_with_no_exception():
    at = _yours()
    assert not at.exception
    assert not at.error and not at.warning
    assert len(chart_specs(at)) == 3  # map with trails, 3-D surface, loss curves
    assert _chart(at, 0)["layout"]["images"], "the landscape picture is missing"
    assert _chart(at, 1)["data"][0]["type"] == "surface"
    assert at.dataframe
    assert any(r"\sin" in latex.value for latex in at.latex), "the formula is shown in LaTeX"
    assert _query(at, "formula") == custom.DEFAULT_FORMULA and _query(at, "bounds") == "-3,3,-3,3"


def test_typing_another_formula_changes_the_picture_the_trails_and_the_link():
    at = _yours({"runs": "sgd,adam", "steps": "60"})
    image, trails = _chart(at)["layout"]["images"][0]["source"], _lines(_chart(at))
    at.text_input(key="yours.formula").set_value("x^2 + 10*y^2").run()
    assert not at.exception and not at.error
    assert _chart(at)["layout"]["images"][0]["source"] != image
    assert _lines(_chart(at)) != trails
    assert _query(at, "formula") == "x^2 + 10*y^2"


def test_changing_the_bounds_changes_the_plotted_range():
    at = _yours({"runs": "adam", "steps": "40"})
    at.number_input(key="yours.bounds.xmax").set_value(5.0).run()
    assert not at.exception and not at.error
    assert _chart(at)["layout"]["xaxis"]["range"][1] == pytest.approx(5.0, abs=0.3)
    assert _query(at, "bounds") == "-3,5,-3,3"


def test_a_bad_formula_is_explained_inline_with_its_position_and_the_last_good_one_stays():
    at = _yours({"runs": "sgd", "steps": "40"})
    at.text_input(key="yours.formula").set_value("x + sinn(y)").run()
    assert not at.exception
    assert "position 5: unknown function 'sinn' - did you mean 'sin'?" in at.error[0].value
    assert at.code[0].value == "x + sinn(y)\n    ^"
    assert chart_specs(at), "the last good formula is still shown"
    assert _query(at, "formula") == custom.DEFAULT_FORMULA


@pytest.mark.parametrize("text, position", [("x^2 + log(x)", 7), ("3 + 4", 1), ("9**9**9", 2), ("x^2 +", 6)])
def test_every_kind_of_refusal_shows_its_position_inline(text, position):
    at = _yours({"runs": "sgd", "steps": "20"})
    at.text_input(key="yours.formula").set_value(text).run()
    assert not at.exception
    assert f"position {position}: " in at.error[0].value


def test_an_example_fills_in_the_formula_and_its_bounds():
    at = _yours({"runs": "sgd", "steps": "20"})
    at.get("button_group")[0].set_value("banana").run()
    assert not at.exception
    assert at.text_input(key="yours.formula").value == "(1-x)^2 + 100*(y-x^2)^2"
    assert at.number_input(key="yours.bounds.ymax").value == 3.0


def test_a_shared_link_reproduces_the_formula_bounds_optimizers_and_steps():
    at = _yours({"formula": "(1-x)^2 + 100*(y-x^2)^2", "bounds": "-2,2,-1,3", "runs": "adam,lbfgs", "steps": "120"})
    assert not at.exception and not at.warning
    assert at.text_input(key="yours.formula").value == "(1-x)^2 + 100*(y-x^2)^2"
    assert at.number_input(key="yours.bounds.ymin").value == -1.0
    assert at.multiselect(key="yours.runs").value == ["adam", "lbfgs"]
    assert at.slider(key="yours.steps").value == 120
    link = next(b for b in at.get("link_button"))
    query = parse_qs(urlparse(link.proto.url).query)
    assert urlparse(link.proto.url).path == "Compare"
    assert query["land"] == ["custom"] and query["formula"] == ["(1-x)^2 + 100*(y-x^2)^2"] and query["runs"] == ["adam,lbfgs"]


@pytest.mark.parametrize("query", [
    {"formula": PAYLOAD},
    {"formula": "().__class__.__bases__[0].__subclasses__()"},
    {"formula": "9**9**9"},
    {"formula": "x" * 5000},
    {"formula": "х + y"},  # Cyrillic ha
    {"formula": "x^2", "bounds": "0,0,1"},
    {"formula": "log(x)", "bounds": "-1,1,-1,1"},
    {"runs": "evil,sgd", "steps": "1e308"},
], ids=["import-payload", "subclass-walk", "tower", "huge", "cyrillic", "bad-bounds", "not-finite", "bad-runs-steps"])
def test_a_hostile_link_to_the_formula_page_falls_back_with_a_warning(query):
    SENTINEL.unlink(missing_ok=True)
    at = _yours(query)
    assert not at.exception
    assert at.warning, "a refused link must say what it ignored"
    assert chart_specs(at)
    assert not SENTINEL.exists()


# ----- Compare with a typed formula ----------------------------------------------------------------------
def test_compare_races_every_run_on_a_formula_from_the_link():
    at = _compare({"land": "custom", "formula": "x^2 + 10*y^2", "bounds": "-2,2,-2,2", "runs": "sgd,momentum,adam",
                   "x0": "-1.5", "y0": "1"})
    assert not at.exception and not at.warning
    assert at.selectbox(key="land").value == "custom"
    assert at.text_input(key="cmp.formula").value == "x^2 + 10*y^2"
    assert len(_lines(_chart(at))) == 3
    assert _query(at, "land") == "custom" and _query(at, "formula") == "x^2 + 10*y^2" and _query(at, "bounds") == "-2,2,-2,2"
    assert _query(at, "x0") == "-1.5"


def test_picking_your_own_formula_in_compare_and_editing_it_changes_the_race():
    at = _compare({"land": "quadratic", "runs": "sgd"})
    at.selectbox(key="land").set_value("custom").run()
    assert not at.exception and not at.error
    assert _query(at, "formula") == custom.DEFAULT_FORMULA
    trails = _lines(_chart(at))
    at.text_input(key="cmp.formula").set_value("(x-1)^2 + 3*(y+1)^2").run()
    assert not at.exception and not at.error
    assert _lines(_chart(at)) != trails
    assert _query(at, "formula") == "(x-1)^2 + 3*(y+1)^2"


def test_a_bad_formula_in_the_compare_sidebar_is_explained_and_the_race_goes_on():
    at = _compare({"land": "custom", "formula": "x^2 + y^2", "runs": "sgd"})
    at.text_input(key="cmp.formula").set_value("x^2 + yy").run()
    assert not at.exception
    assert "position 7: unknown name 'yy'" in at.sidebar.error[0].value
    assert chart_specs(at)
    assert _query(at, "formula") == "x^2 + y^2"


@pytest.mark.parametrize("formula", [PAYLOAD, "open('/etc/passwd')", "lambda: 0", "x" * 400, "ｘ^2"],
                         ids=["import-payload", "open", "lambda", "overlong", "fullwidth"])
def test_a_hostile_formula_in_a_compare_link_falls_back_with_a_warning(formula):
    SENTINEL.unlink(missing_ok=True)
    at = _compare({"land": "custom", "formula": formula, "runs": "sgd"})
    assert not at.exception
    assert at.warning
    assert chart_specs(at)
    assert not SENTINEL.exists()


def test_a_compare_state_on_a_formula_survives_the_round_trip_through_its_link():
    state = page_state.custom_state("x^2 + 10*y^2", ((-2.0, 2.0), (-1.0, 3.0)))
    state.start = (-1.25, 2.5)
    query = page_state.to_query(state)
    assert query["land"] == "custom" and query["formula"] == "x^2 + 10*y^2" and query["bounds"] == "-2,2,-1,3"
    again, warnings = page_state.from_query(query)
    assert not warnings
    assert again.landscape_params == state.landscape_params and again.start == state.start
    assert [r.optimizer for r in again.runs] == [r.optimizer for r in state.runs]


def test_your_landscape_has_a_learning_rate_per_optimizer_kept_in_the_link_and_passed_to_compare():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/7_Your_landscape.py")
    at.query_params.update({"formula": "x^2 + 10*y^2", "runs": "sgd,adam", "lr.adam": "0.2"})
    at.run()
    assert not at.exception and not at.warning
    sliders = {s.label: s for s in at.select_slider if "learning rate" in s.label}
    assert set(sliders) == {"Gradient descent: learning rate", "Adam: learning rate"}
    assert sliders["Adam: learning rate"].value == 0.2
    sliders["Gradient descent: learning rate"].set_value(0.05).run()
    assert not at.exception
    assert at.query_params["lr.sgd"] in ("0.05", ["0.05"]) and at.query_params["lr.adam"] in ("0.2", ["0.2"])
    link = at.get("link_button")[-1].proto.url
    assert "r0.lr=0.05" in link and "r1.lr=0.2" in link
    labels = " ".join(at.dataframe[0].value["run"])
    assert "lr 0.05" in labels and "lr 0.2" in labels


@pytest.mark.parametrize("value", ["-1", "abc", "1e9", "<b>"])
def test_a_bad_learning_rate_in_your_landscape_link_is_ignored_with_a_warning(value):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/7_Your_landscape.py")
    at.query_params.update({"formula": "x^2 + y^2", "runs": "sgd", "lr.sgd": value})
    at.run()
    assert not at.exception
    assert any("Ignored lr.sgd" in w.value for w in at.warning)
