"""The Your own landscape page's module (ui/your_landscape.py) and the page in presentation mode (AppTest)."""
import ast
import json
import pathlib

from app_kit import chart_spec
from streamlit.testing.v1 import AppTest

from landscapes import formula
from ui import custom, your_landscape

formula.MAX_FORMULAS_PER_PROCESS = 10**6  # many formulas in one test process; the limit is tested in test_formula.py

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a formula's kernels takes longer than AppTest's 3 s


def _ui_imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / "ui" / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ui"):
            found.add(node.module.removeprefix("ui.") or "ui")
    return found


def test_the_formula_module_imports_no_page_state_so_compute_and_state_can_import_it():
    # heavy and scheduler (a session's share of new formulas) import no page state either
    assert _ui_imports("custom") <= {"query", "heavy", "scheduler"}, _ui_imports("custom")
    assert _ui_imports("heavy") <= {"scheduler", "memory"} and _ui_imports("scheduler") == set()
    assert "your_landscape" not in _ui_imports("compute") | _ui_imports("state")


def test_a_page_link_survives_the_round_trip_and_compare_gets_the_same_race():
    query = your_landscape.to_query("x^2 + 10*y^2", ((-2.0, 2.0), (-1.0, 3.0)), ["adam", "sgd"], 300, {"adam": 0.05})
    seed, warnings = your_landscape.from_query(query)
    assert not warnings
    assert seed == {"formula": "x^2 + 10*y^2", "bounds": ((-2.0, 2.0), (-1.0, 3.0)), "runs": ["adam", "sgd"], "steps": 300,
                    "lrs": {"adam": 0.05}}
    link = your_landscape.compare_link(seed["formula"], seed["bounds"], seed["runs"], seed["steps"], (1.0, 2.0), seed["lrs"])
    assert link.startswith("Compare?land=custom&") and "r0.lr=0.05" in link and "runs=adam%2Csgd" in link


def _yours(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/7_Your_landscape.py")
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _map_payload(at: AppTest) -> dict:
    node = next(n for n in at.main if getattr(n, "type", None) == "bidi_component" and n.proto.id.endswith("yours_map"))
    return json.loads(node.proto.bytes)


def test_presentation_mode_keeps_the_demo_s_controls_in_a_strip_beside_a_map_that_fits_the_screen():
    at = _yours({"formula": "x^2 + 10*y^2", "bounds": "-2,2,-1,3", "runs": "sgd,adam", "lr.adam": "0.05", "pres": "1"})
    assert not at.exception
    map_column = next(column for column in at.columns if any(_is_map(n) for n in column))
    strip = next(column for column in at.columns if column.multiselect)
    assert any(_is_map(n) for n in map_column) and map_column.weight > 3 * strip.weight
    assert _map_payload(at)["fit_screen"] is True
    assert strip.text_input(key=your_landscape.FORMULA_KEY).value == "x^2 + 10*y^2"
    assert strip.multiselect(key="yours.runs").value == ["sgd", "adam"]
    assert map_column.slider(key="yours.steps").value == 200, "the steps go under the map: the strip has no room at 720 px"
    rates = {s.key: s for s in strip.select_slider}
    assert set(rates) == {"yours.lr.sgd", "yours.lr.adam"} and rates["yours.lr.adam"].value == 0.05
    assert {n.key for n in map_column.number_input} >= {"yours.bounds.xmin", "yours.bounds.ymax"}, "bounds under the map"
    assert chart_spec(at, "yours_map")["layout"]["xaxis"]["range"] == [-2, 2]

    rates["yours.lr.adam"].set_value(0.1).run()  # a live demo: another learning rate, then another formula
    assert not at.exception and at.query_params["lr.adam"] in ("0.1", ["0.1"])
    assert any(t.get("name", "").startswith("Adam · lr 0.1") for t in chart_spec(at, "yours_map")["data"])
    at.text_input(key=your_landscape.FORMULA_KEY).set_value("x^2 + y^2").run()
    assert not at.exception and at.query_params["formula"] in ("x^2 + y^2", ["x^2 + y^2"])
    assert at.query_params["bounds"] in ("-2,2,-1,3", ["-2,2,-1,3"])


def _is_map(node) -> bool:
    return getattr(node, "type", None) == "bidi_component" and node.proto.id.endswith("yours_map")


def test_an_example_brings_its_bounds_and_unpicking_it_keeps_the_formula():
    at = _yours({"runs": "sgd", "pres": "1"})
    at.pills(key="yours.example").set_value("banana").run()
    assert not at.exception
    text, bounds = custom.EXAMPLES["banana"]
    assert at.query_params["formula"] in (text, [text]) and at.query_params["bounds"] in ("-2,2,-1,3", ["-2,2,-1,3"])
    at.pills(key="yours.example").set_value(None).run()
    assert not at.exception and at.query_params["formula"] in (text, [text])
