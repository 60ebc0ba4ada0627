"""The Compare page's sidebar: every control, initialised from the link, read back as a state."""
from __future__ import annotations

import landscapes
import optimizers
import streamlit as st
from optimizers import SCHEDULES

from . import custom, defaults
from .controls import hyper_widget, number_slider, value_grid
from .state import MAX_RUNS, MAX_STEPS, CompareState, RunSpec, default_run

_NOISE_GRID = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
_CLIP_GRID = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0]


def seed_widgets(state: CompareState) -> None:
    """Put a state's values into the widgets' session keys (on the first view of a link)."""
    ss = st.session_state
    ss["land"] = state.landscape
    surface = state.surface()
    if custom.is_custom(state.landscape):
        ss[_FORMULA_KEY] = state.landscape_params["formula"]
        for axis, name in enumerate("xy"):
            for end, label in enumerate(("min", "max")):
                ss[f"{_BOUNDS_KEY}.{name}{label}"] = float(state.landscape_params["bounds"][axis][end])
    else:
        for name, value in state.landscape_params.items():
            ss[f"lp.{state.landscape}.{name}"] = float(value)
    ss[f"x0.{surface.name}"], ss[f"y0.{surface.name}"] = float(state.start[0]), float(state.start[1])
    ss["steps"] = int(state.steps)
    ss["nruns"] = len(state.runs)
    ss["view"] = state.view
    ss["pres"] = state.presentation
    for i, run in enumerate(state.runs):
        ss[f"r{i}.opt"] = run.optimizer
        spec = optimizers.get(run.optimizer)
        values = spec.resolve(run.hyper)
        for h in spec.hypers:
            key = _hyper_key(i, surface.name, run.optimizer, h.name)
            if h.kind == "pair":
                ss[f"{key}[0]"], ss[f"{key}[1]"] = float(values[h.name][0]), float(values[h.name][1])
            else:
                ss[key] = values[h.name]
        ss[f"r{i}.sched"] = run.schedule.get("name", "constant")
        for k, v in run.schedule.items():
            if k != "name":
                ss[f"r{i}.sched.{run.schedule['name']}.{k}"] = v
        ss[f"r{i}.clip_on"] = run.clip_norm is not None
        if run.clip_norm is not None:
            ss[f"r{i}.clip"] = float(run.clip_norm)
        ss[f"r{i}.noise"] = float(run.noise)
        ss[f"r{i}.seed"] = int(run.seed)


_FORMULA_KEY = "cmp.formula"
_BOUNDS_KEY = "cmp.bounds"
_LAST_GOOD = "cmp.formula.last_good"


def _landscape_label(name: str) -> str:
    if name == custom.CUSTOM:
        return "Your own formula  ·  custom"
    return f"{landscapes.get(name).title}  ·  {landscapes.get(name).category}"


def _formula_controls(initial: CompareState, sb):
    """The formula box and bounds; a refused formula is explained inline and the last good one kept."""
    if custom.is_custom(initial.landscape):
        text, bounds = initial.landscape_params["formula"], initial.landscape_params["bounds"]
    else:
        text, bounds = custom.DEFAULT_FORMULA, custom.DEFAULT_BOUNDS
    text, bounds, surface, error = custom.formula_input(sb, _FORMULA_KEY, _BOUNDS_KEY, text, bounds)
    if error is None:
        st.session_state[_LAST_GOOD] = (text, bounds)
    else:
        text, bounds = st.session_state.get(_LAST_GOOD, (custom.DEFAULT_FORMULA, custom.DEFAULT_BOUNDS))
        sb.caption(f"Racing on the last formula that worked: `{text}`")
        surface, _ = custom.build(text, bounds)
    return surface, custom.params(text, bounds)


def _hyper_key(i: int, landscape: str, optimizer: str, name: str) -> str:
    # keyed by landscape and optimizer: switching either brings that pair's own defaults
    return f"r{i}.{landscape}.{optimizer}.{name}"


def sidebar(initial: CompareState, sb=None) -> CompareState:
    """Add the controls to ``sb`` (the sidebar, or a ui.chart_first.DrawnLater that draws them after the
    chart); return the state they describe. Every control's value is in the session before it is added."""
    sb = sb or st.sidebar
    names = landscapes.names() + [custom.CUSTOM]
    st.session_state.setdefault("land", initial.landscape)
    sb.selectbox("Landscape", names, key="land", format_func=_landscape_label, persist_state="session")
    if st.session_state["land"] == custom.CUSTOM:
        surface, landscape_params = _formula_controls(initial, sb)
    else:
        surface = landscapes.get(st.session_state["land"])
        params = {}
        for p in surface.params:
            grid = value_grid(type("H", (), dict(slider=(p.low, p.high), low=p.low, high=p.high, log=p.log, low_open=False,
                                                  high_open=False, name=p.name))())
            params[p.name] = number_slider(p.label, grid, p.default, f"lp.{surface.name}.{p.name}", p.help, sb)
        surface = surface.with_params(**params)
        landscape_params = dict(surface.param_values)

    (xa, xb), (ya, yb) = surface.bounds
    start_x, start_y = defaults.default_start(surface)
    sx, sy = f"x0.{surface.name}", f"y0.{surface.name}"
    st.session_state.setdefault(sx, start_x)
    st.session_state.setdefault(sy, start_y)
    c1, c2 = sb.columns(2)
    x0 = c1.number_input("start x", min_value=float(xa), max_value=float(xb), key=sx, format="%.4g",
                         help="Or click on the map to start there.", persist_state="session")
    y0 = c2.number_input("start y", min_value=float(ya), max_value=float(yb), key=sy, format="%.4g", persist_state="session")
    st.session_state.setdefault("steps", initial.steps)
    steps = sb.slider("Steps", 10, MAX_STEPS, key="steps", step=10, persist_state="session")

    st.session_state.setdefault("nruns", len(initial.runs))
    count = int(sb.number_input("Number of runs", 1, MAX_RUNS, key="nruns", help=f"Up to {MAX_RUNS} optimizers race at once.",
                                persist_state="session"))
    defaults_for = list(defaults.default_runs(surface.name)) + list(optimizers.names())
    runs = []
    for i in range(count):
        st.session_state.setdefault(f"r{i}.opt", defaults_for[i] if i < len(defaults_for) else "sgd")
        label = optimizers.get(st.session_state[f"r{i}.opt"]).title
        runs.append(_run_controls(i, surface, sb.expander(f"Run {i + 1}: {label}", expanded=i == 0)))
    landscape = custom.CUSTOM if custom.is_custom(surface.name) else surface.name
    return CompareState(landscape=landscape, landscape_params=landscape_params, start=(float(x0), float(y0)),
                        steps=int(steps), runs=runs, view=st.session_state.get("view", "overlay"),
                        presentation=bool(st.session_state.get("pres", False)))


def _run_controls(i: int, surface, ui) -> RunSpec:
    optimizer = ui.selectbox("Optimizer", optimizers.names(), key=f"r{i}.opt", format_func=lambda n: optimizers.get(n).title,
                             persist_state="session")
    spec = optimizers.get(optimizer)
    base = default_run(surface, optimizer)
    defaults_values = spec.resolve(base.hyper)
    hyper = {}
    for h in spec.hypers:
        key = _hyper_key(i, surface.name, optimizer, h.name)
        hyper[h.name] = hyper_widget(h, defaults_values[h.name], key, ui)
    try:
        spec.resolve(hyper)
    except ValueError as error:  # e.g. Nesterov with zero momentum: say so, run the defaults
        ui.warning(f"{error}. Using the defaults for this run.")
        hyper = dict(base.hyper)

    st.session_state.setdefault(f"r{i}.sched", "constant")
    sched_name = ui.selectbox("Learning-rate schedule", list(SCHEDULES), key=f"r{i}.sched",
                              format_func=lambda n: SCHEDULES[n]["title"], persist_state="session")
    schedule = {"name": sched_name}
    for h in SCHEDULES[sched_name]["params"]:
        schedule[h.name] = hyper_widget(h, h.default, f"r{i}.sched.{sched_name}.{h.name}", ui)

    st.session_state.setdefault(f"r{i}.clip_on", False)
    clip_on = ui.checkbox("Clip the gradient norm", key=f"r{i}.clip_on",
                          help="torch.nn.utils.clip_grad_norm_: rescale g to this norm when it is longer.",
                          persist_state="session")
    clip_norm = number_slider("max norm", _CLIP_GRID, 1.0, f"r{i}.clip", container=ui) if clip_on else None
    noise = number_slider("gradient noise σ", _NOISE_GRID, 0.0, f"r{i}.noise",
                          "Gaussian noise added to each gradient coordinate: simulated minibatch noise.", ui)
    seed = 0
    if noise > 0:
        st.session_state.setdefault(f"r{i}.seed", 0)
        seed = int(ui.number_input("noise seed", 0, 2**31 - 1, key=f"r{i}.seed", persist_state="session"))
    return RunSpec(optimizer, {k: v for k, v in hyper.items()}, schedule, clip_norm, None, float(noise), seed)


# ----- the race as a video, for slides ---------------------------------------------------------------
_VIDEO = "compare.video"


def video_export(surface, grid, tracks, state) -> None:
    """An expander that makes the race into an animated GIF or an MP4 and offers it for download."""
    from viz import animation

    with st.expander("Export the race for slides: animated GIF or MP4"):
        kind_column, width_column, length_column, rate_column = st.columns(4)
        kind = kind_column.radio("Format", ("gif", "mp4"), format_func=str.upper, horizontal=True, key="video.kind",
                                 persist_state="session")
        width = width_column.selectbox("Width (px)", animation.WIDTHS, index=1, key="video.width", persist_state="session")
        seconds = length_column.slider("Length (s)", 2, 15, 6, key="video.seconds", persist_state="session")
        fps = rate_column.selectbox("Frames per second", (10, 15, 20, 30), index=2, key="video.fps", persist_state="session")
        frames = min(animation.MAX_FRAMES, fps * seconds)
        st.caption(f"{frames} frames of the map with its trails, legend and step counter; at most "
                   f"{animation.MAX_FRAMES} frames. GIF plays anywhere and loops; MP4 (H.264) is smaller.")
        wanted = (state.landscape, str(state.landscape_params), tuple(state.start), state.steps,
                  tuple(t.label for t in tracks), kind, width, seconds, fps)
        if st.button("Make the video", key="video.make"):
            with st.spinner("Drawing and encoding the frames…"):
                video = animation.race_video(grid, tracks, state.start, surface.minima, surface.title, kind=kind,
                                             width=width, fps=fps, seconds=seconds)
            st.session_state[_VIDEO] = (wanted, video)
        made = st.session_state.get(_VIDEO)
        if made is not None and made[0] == wanted:
            video = made[1]
            st.download_button(
                f"Download {video.kind.upper()}: {video.width} × {video.height} px, {video.frames} frames at "
                f"{video.fps}/s, {video.kilobytes:,.0f} KB",
                data=video.data, file_name=f"{surface.name}-race.{video.kind}",
                mime="image/gif" if video.kind == "gif" else "video/mp4", on_click="ignore", key="video.download")
        elif made is not None:
            st.caption("The settings or the runs changed since the last video: make it again.")


# ----- presentation mode: the controls a live demo needs, beside the map ---------------------------------
_STRIP = "strip."


def _mirrored(widget, label: str, source: str, **options):
    """``widget`` showing and setting the value of the sidebar control ``source``: it starts from that
    value on every run, and its callback writes the sidebar's own key before the rerun, so the hidden
    sidebar and the strip never disagree."""
    ss = st.session_state
    key = _STRIP + source
    if source in ss:
        ss[key] = ss[source]

    def copy_back():
        ss[source] = ss[key]

    return widget(label, key=key, on_change=copy_back, **options)


def presentation_controls(state: CompareState, surface) -> None:
    """Compact controls for a projector, where the sidebar is hidden (drawn in a column beside the map):
    the landscape, and each run's optimizer, learning rate and (where it has one) momentum. Play, pause,
    frames and speed are the map's own."""
    ss = st.session_state
    if custom.is_custom(state.landscape):
        return  # a typed formula is edited in the sidebar; the strip would only show its name
    _mirrored(st.selectbox, "Landscape", "land", options=landscapes.names(),
              format_func=lambda n: landscapes.get(n).title)
    for i, run in enumerate(state.runs):
        spec = optimizers.get(run.optimizer)
        with st.container(border=True):
            _mirrored(st.selectbox, f"Run {i + 1}", f"r{i}.opt", options=optimizers.names(),
                      format_func=lambda n: optimizers.get(n).title.split(" (")[0])
            for name in ("lr", "momentum"):
                if name not in run.hyper or name not in {h.name for h in spec.hypers}:
                    continue
                if name == "momentum" and not run.hyper["momentum"]:
                    continue
                hyper = spec.hyper(name)
                source = _hyper_key(i, surface.name, run.optimizer, name)
                if source not in ss:
                    continue
                grid = value_grid(hyper)
                options = sorted(set(grid) | {ss[source]})
                _mirrored(st.select_slider, "learning rate" if name == "lr" else "momentum μ", source, options=options,
                          format_func=lambda v: f"{v:g}")
