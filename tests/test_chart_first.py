"""A chart on screen first (ui/chart_first.py): controls read now and drawn later, the head start, on Compare."""
import pathlib
import time

import pytest
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from ui import chart_first

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a page's kernels takes far longer than AppTest's 3 s


def _script_reading_then_drawing():
    import streamlit as st

    from ui.chart_first import DrawnLater

    ss = st.session_state
    later = DrawnLater()
    ss.setdefault("rate", 0.1)
    ss.setdefault("name", "adam")
    ss.setdefault("x", 1.5)
    rate = later.select_slider("rate", options=[0.01, 0.1, 1.0], key="rate")
    left, right = later.columns(2)
    x = left.number_input("x", min_value=-5.0, max_value=5.0, key="x")
    right.caption("beside x")
    name = later.expander("Run 1", expanded=True).selectbox("optimizer", ["sgd", "adam"], key="name")
    later.warning("after the expander")
    st.markdown(f"read {rate} {x} {name}")  # what a page computes from the values, before the controls are drawn
    later.draw_into(st.sidebar)


def test_a_control_answers_with_its_session_value_and_is_drawn_later_showing_it():
    at = AppTest.from_function(_script_reading_then_drawing).run()
    assert not at.exception
    assert at.markdown[0].value == "read 0.1 1.5 adam"
    assert at.select_slider(key="rate").value == 0.1 and at.number_input(key="x").value == 1.5
    assert at.selectbox(key="name").value == "adam"
    assert [c.value for c in at.sidebar.caption] == ["beside x"] and at.sidebar.warning[0].value == "after the expander"
    assert at.sidebar.expander[0].label == "Run 1" and at.sidebar.expander[0].selectbox[0].key == "name"
    at.select_slider(key="rate").set_value(1.0).run()  # a moved control: its new value is read before it is drawn
    at.selectbox(key="name").set_value("sgd").run()
    assert not at.exception
    assert at.markdown[0].value == "read 1.0 1.5 sgd" and at.select_slider(key="rate").value == 1.0


def _script_with_an_unsettled_control():
    import streamlit as st

    from ui.chart_first import DrawnLater, NotInSession

    later = DrawnLater()
    try:
        later.slider("steps", 10, 100, key="steps")
    except NotInSession as error:
        st.text(f"refused: {error}")
    st.session_state["opt"] = "lbfgs"
    try:
        later.selectbox("optimizer", ["sgd", "adam"], key="opt")
    except NotInSession as error:
        st.text(f"refused: {error}")
    later.draw_into(st.sidebar)


def test_a_control_whose_key_holds_no_valid_value_is_refused_not_drawn_with_another():
    at = AppTest.from_function(_script_with_an_unsettled_control).run()
    assert not at.exception
    refusals = [t.value for t in at.text]
    assert len(refusals) == 2 and "'steps'" in refusals[0] and "not one of its options" in refusals[1], refusals
    assert not at.sidebar.slider and not at.sidebar.selectbox


def _script_with_the_network_pages_controls():
    import streamlit as st

    from ui.chart_first import DrawnLater

    ss = st.session_state
    later = DrawnLater()
    later.subheader("Training")
    ss.setdefault("runs", ["sgd", "adam"])
    ss.setdefault("act", "relu")
    ss.setdefault("bn", False)
    runs = later.multiselect("Optimizers", ["sgd", "momentum", "adam"], key="runs")
    act = later.radio("Activation", ["relu", "tanh"], key="act", horizontal=True)
    bn = later.toggle("Batch normalization", key="bn")
    ss["bad"] = ["sgd", "lion"]
    try:
        later.multiselect("Bad", ["sgd", "adam"], key="bad")
    except LookupError as error:
        st.text(f"refused: {error}")
    st.markdown(f"read {'+'.join(runs)} {act} {bn}")
    later.draw_into(st.sidebar)
    later.draw_into(st.sidebar)  # drawn once: a page that drew them early calls it again at its end


def test_toggles_radios_multiselects_and_subheaders_are_drawn_later_once_and_a_stray_choice_is_refused():
    at = AppTest.from_function(_script_with_the_network_pages_controls).run()
    assert not at.exception
    assert at.markdown[0].value == "read sgd+adam relu False"
    assert "'bad'" in at.text[0].value and "not one of its options" in at.text[0].value
    assert [s.value for s in at.sidebar.subheader] == ["Training"]
    assert len(at.sidebar.multiselect) == 1 and len(at.sidebar.radio) == 1 and len(at.sidebar.toggle) == 1
    at.sidebar.multiselect(key="runs").set_value(["momentum"]).run()
    at.sidebar.toggle(key="bn").set_value(True).run()
    assert not at.exception and at.markdown[0].value == "read momentum relu True"


def test_a_control_in_a_with_block_is_refused_because_it_would_be_drawn_at_once():
    from ui.chart_first import DrawnLater

    with pytest.raises(TypeError):
        with DrawnLater().expander("Run 1"):
            pass


# ----- Compare: the map reaches the browser before the rest of the page -------------------------------------
def _sent(monkeypatch) -> list[tuple[str, str, float]]:
    """(main or sidebar, element type or id, seconds) of every element the runs send, in the order they are sent."""
    sent = []

    def record(msg):
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            kind = element.WhichOneof("type")
            name = element.bidi_component.id if kind == "bidi_component" else kind
            sent.append(("sidebar" if msg.metadata.delta_path[0] == 1 else "main", name, time.perf_counter()))

    monkeypatch.setattr(ForwardMsgQueue, "_before_enqueue_msg", staticmethod(record))
    return sent


def _map_before_controls(sent: list[tuple[str, str, float]], pause: float) -> None:
    map_at = next(i for i, (root, name, _) in enumerate(sent) if root == "main" and name.endswith("map_overlay"))
    controls = [i for i, (root, name, _) in enumerate(sent) if root == "sidebar" and name in ("selectbox", "slider")]
    assert controls and map_at < min(controls), sent
    # the head start: nothing follows the map for a moment, so the browser draws it alone
    assert sent[map_at + 1][2] - sent[map_at][2] >= 0.9 * pause, sent[map_at:map_at + 2]


def _opened(page: str, query: dict):
    """The app opened on ``page`` with ``query`` in its link, as a shared link opens it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception
    return at


def test_compare_sends_its_map_first_and_alone_on_a_first_view_and_after_a_slider_move(monkeypatch):
    monkeypatch.setenv("LANDSCAPE_HEAD_START", "1")  # the tests' conftest turns the pauses off
    sent = _sent(monkeypatch)
    at = _opened("pages/1_Compare.py", {"land": "himmelblau", "runs": "adam,sgd"})
    _map_before_controls(sent, chart_first.ENTRY_HEAD_START_S)  # the page's entry: a longer pause
    sent.clear()
    next(s for s in at.select_slider if s.label == "learning rate").set_value(0.02).run()
    assert not at.exception
    _map_before_controls(sent, chart_first.HEAD_START_S)


# ----- plotly.js before the imports ------------------------------------------------------------------
def test_every_page_starts_loading_plotly_js_before_its_imports():
    """A browser new to the app fetches and compiles plotly.js (4.6 MB) while the server imports the page's modules:
    on a fresh server's first Compare it was defined 1.7 s after its download, 2 s after the map arrived."""
    import ast

    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        body = ast.parse(path.read_text(encoding="utf-8")).body
        first = [ast.unparse(statement) for statement in body[1:3]]  # after the docstring
        assert first == ["from ui.plotly_js import preload_plotly", "preload_plotly()"], path.name


def test_the_preload_module_imports_nothing_of_the_engine():
    import subprocess
    import sys

    code = ("import sys, ui.plotly_js; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('numba', 'optimizers', 'landscapes', 'viz', 'pandas', 'sqlalchemy')]; print(heavy); assert not heavy")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_network_page_sends_its_boundaries_first_and_alone_for_a_moment_when_it_is_entered(monkeypatch):
    """Without the pause the loss curves, the table and the slice's map arrived with the boundaries and were drawn beside
    them: warm, by the sidebar's link, 0.74-1.85 s (median 1.23 s, 10 visits) to the boundaries; with it 0.87-1.52 s
    (median 0.96 s); with the sidebar after them too, 0.54-1.07 s (median 0.67 s, 6 visits) (a /tmp probe doing
    bench_first_view.py's warm-by-link count)."""
    monkeypatch.setenv("LANDSCAPE_HEAD_START", "1")
    sent = _sent(monkeypatch)
    at = _opened("pages/10_Network.py", {"steps": "150", "n": "200"})
    boundary = next(i for i, (root, name, _) in enumerate(sent) if root == "main" and name.endswith("net_boundary"))
    following = sent[boundary + 1]
    assert following[2] - sent[boundary][2] >= 0.9 * chart_first.ENTRY_HEAD_START_S, sent[boundary:boundary + 2]
    assert any(name.endswith("net_curves") for _, name, _ in sent[boundary + 1:]), "the rest of the page never came"
    sent.clear()  # the trainings, once computed, come from the scheduler's results: nothing keeps the page waiting
    at.run()
    assert not at.exception
    boundary = next(i for i, (root, name, _) in enumerate(sent) if root == "main" and name.endswith("net_boundary"))
    controls = [i for i, (root, name, _) in enumerate(sent) if root == "sidebar" and name in ("selectbox", "slider")]
    assert controls and boundary < min(controls), "the sidebar's controls came before the boundaries"
    # and they are the page's working controls, holding what the page computed from
    assert at.sidebar.slider(key="net.steps").value == 150 and at.sidebar.selectbox(key="net.set").value
    at.sidebar.slider(key="net.steps").set_value(200).run()
    assert not at.exception and "200 steps" in " ".join(c.value for c in at.caption)


def test_a_network_page_that_must_wait_or_stop_draws_its_sidebar_first(monkeypatch):
    """The sidebar comes after the chart only when nothing keeps the page waiting: over its share of heavy work,
    the session gets the message and the controls to ask for less, not a page without them."""
    from ui import heavy
    from ui.scheduler import OverBudget

    def over_budget(*args, **kwargs):
        raise OverBudget(used=61.0, budget=60.0, wait=12.0)

    monkeypatch.setattr(heavy.SCHEDULER, "submit", over_budget)
    at = _opened("pages/10_Network.py", {"steps": "150", "n": "200"})
    assert any("heavy computing" in w.value for w in at.warning)
    assert at.sidebar.slider(key="net.steps").value == 150 and at.sidebar.multiselect(key="net.runs").value


def test_the_basins_page_sends_its_map_before_its_sidebar_and_its_controls_still_work(monkeypatch):
    """Warm, by the sidebar's link, the maps took 0.73-1.09 s (4 visits) and 1.1 s in CI's first-view benchmark with the
    sidebar's ~10 controls sent before them (a /tmp probe doing bench_first_view.py's warm-by-link count)."""
    sent = _sent(monkeypatch)
    at = _opened("pages/6_Basins.py", {"land": "himmelblau", "opts": "sgd,adam", "res": "16", "steps": "40"})
    # computed, the maps kept the page waiting and the sidebar came first (heavy.compute's on_wait); computed once
    # for the class, they come from the scheduler's results at once, and the map is sent first
    sent.clear()
    at.run()
    assert not at.exception
    basin_map = next(i for i, (root, name, _) in enumerate(sent) if root == "main" and name.endswith("basin_map"))
    controls = [i for i, (root, name, _) in enumerate(sent) if root == "sidebar" and name in ("selectbox", "slider", "multiselect")]
    assert controls and basin_map < min(controls), "the sidebar's controls came before the map"
    assert at.sidebar.slider(key="bs.steps").value == 40 and at.sidebar.multiselect(key="bs.opts").value == ["sgd", "adam"]
    at.sidebar.slider(key="bs.steps").set_value(50).run()
    assert not at.exception and any("50 steps each" in c.value for c in at.caption)
