"""The Network page's settings (link, sidebar) and its cached, scheduled computations.

Every setting lives in the link and is read defensively: a malformed or out-of-range value falls
back to its default with a plain-words warning. The work one request can ask for is bounded
(≤ 1,000 points, ≤ 3 hidden layers of ≤ 32 units, ≤ 3,000 steps, ≤ 3 runs, a 61 × 61 slice), and
runs in the server's scheduler (``ui.heavy``) like every other heavy computation.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np
import optimizers
import streamlit as st
from landscapes import classification, mlp
from landscapes import network_views as views
from optimizers import SCHEDULES
from optimizers import network as training
from optimizers.kernel_queue import NOW, QUEUE

from . import compute, heavy
from . import query as query_text
from .controls import number_slider, value_grid
from .scheduler import Chunk

MAX_RUNS = 3
MAX_STEPS = 3000
MAX_POINTS = 1000
SLICE_RESOLUTION = 61
PLANE_RESOLUTION = 41
CURVE_ITERATIONS = 1500
BOUNDARY_FRAMES = 30  # with a 51 x 51 grid: the figure of three runs is 7.7 MB of JSON (40 frames of 81 x 81 held 2.9x the numbers; a warm first chart took 3.3 s)
VIEWS = {
    "slice": "1 · random slice",
    "plane": "2 · the path's plane",
    "line": "3 · straight line",
    "modes": "4 · two seeds",
}
MAX_QUERY_KEYS = 40
MAX_VALUE_LENGTH = 60
# A first learning rate for an optimizer that declares none (OptimizerSpec.network_lr), by how its rule scales its step.
NETWORK_LR = {"curvature": 1.0, "per_coordinate": 0.01, "rectified": 0.01, "accumulating": 0.1, "unit": 1.0}
DEFAULT_RUNS = ("sgd", "momentum", "adam")


@dataclass
class NetworkState:
    data_set: str = "moons"
    points: int = 500
    noise: float = 0.15
    data_seed: int = 0
    hidden: tuple = (16, 16)
    activation: str = "tanh"
    batch_norm: bool = False
    seed: int = 0
    runs: list = field(default_factory=lambda: list(DEFAULT_RUNS))
    lrs: dict = field(default_factory=dict)
    batch: int = 0  # 0: the full batch
    steps: int = 500
    schedule: str = "constant"
    clip_norm: float = 0.0  # 0: no clipping
    view: str = "slice"
    in_3d: bool = False  # the slice and the path's plane as surfaces
    shown: str = ""  # the run whose landscape the views draw

    def data(self):
        return data_set(self.data_set, self.points, self.noise, self.data_seed)

    def network(self) -> mlp.Network:
        return mlp.Network(tuple(self.hidden), self.activation, self.batch_norm)

    def lr(self, name: str) -> float:
        return float(self.lrs.get(name, suggested_lr(name)))


def suggested_lr(name: str) -> float:
    spec = optimizers.get(name)
    return spec.network_lr or NETWORK_LR[spec.step_scale]


@st.cache_resource(max_entries=16, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def data_set(name: str, points: int, noise: float, seed: int):
    return classification.make(name, points, noise, seed)


# ----- the link ------------------------------------------------------------------------------------
def from_query(query: dict) -> tuple[NetworkState, list[str]]:
    """The settings a link asks for, each checked; a warning for each one that was not usable."""
    state = NetworkState()
    q, warnings = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH)
    if q is None:
        return state, warnings

    def read(key, parse, what):
        if key not in q:
            return None
        try:
            return parse(q[key])
        except (ValueError, TypeError):
            warnings.append(f"Ignored {what} '{q[key][:40]}' in the link: {HELP.get(key, 'a positive number.')}")
            return None

    state.data_set = query_text.known(q, "set", classification.SETS, state.data_set, warnings, kind="data set",
                                      instead=f"'{state.data_set}'")
    for key, attribute, parse, what in (
            ("n", "points", lambda t: query_text.whole(t, 100, MAX_POINTS), "number of points"),
            ("noise", "noise", _noise, "noise"),
            ("dseed", "data_seed", lambda t: query_text.whole(t, 0, classification.MAX_SEED), "data seed"),
            ("layers", "hidden", _layers, "hidden layers"),
            ("act", "activation", _one_of(mlp.ACTIVATIONS), "activation"),
            ("bn", "batch_norm", _flag, "batch norm switch"),
            ("seed", "seed", lambda t: query_text.whole(t, 0, mlp.MAX_SEED), "initialisation seed"),
            ("opts", "runs", _runs, "optimizers"),
            ("batch", "batch", lambda t: query_text.whole(t, 0, MAX_POINTS), "batch size"),
            ("steps", "steps", lambda t: query_text.whole(t, 10, MAX_STEPS), "number of steps"),
            ("sched", "schedule", _one_of(SCHEDULES), "schedule"),
            ("clip", "clip_norm", _clip, "clipping threshold"),
            ("view", "view", _one_of(VIEWS), "view"),
            ("3d", "in_3d", _flag, "3-D switch")):
        value = read(key, parse, what)
        if value is not None:
            setattr(state, attribute, value)
    for name in state.runs:
        value = read(f"lr.{name}", lambda t: optimizers.get(name).hyper("lr").validate(query_text.number(t)),
                     f"learning rate of {name}") if f"lr.{name}" in q else None
        if value is not None:
            state.lrs[name] = value
    if "show" in q and q["show"] in state.runs:
        state.shown = q["show"]
    return state, warnings


HELP = {
    "n": f"a whole number of points in [100, {MAX_POINTS}].", "noise": "a number in [0, 1].",
    "dseed": "a whole number.", "layers": "1 to 3 widths of 1 to 32 units, like 16,16.", "act": "tanh or relu.",
    "bn": "1 or 0.", "seed": "a whole number.", "opts": f"1 to {MAX_RUNS} optimizer names that can train a network.",
    "batch": "0 (the full batch) or a number of examples.", "steps": f"a whole number in [10, {MAX_STEPS}].",
    "sched": f"one of {', '.join(SCHEDULES)}.", "clip": "0 (off) or a positive number.", "view": f"one of {', '.join(VIEWS)}.", "3d": "1 or 0.",
}


def _noise(text):
    value = query_text.number(text)
    if not 0.0 <= value <= classification.MAX_NOISE:
        raise ValueError(text)
    return value


def _layers(text):
    widths = tuple(query_text.whole(part, 1, mlp.MAX_UNITS) for part in text.split(","))
    if not 1 <= len(widths) <= mlp.MAX_HIDDEN_LAYERS:
        raise ValueError(text)
    return widths


def _one_of(allowed):
    """A reader of a link's value that must name one of ``allowed``."""
    def read(text):
        if text not in allowed:
            raise ValueError(text)
        return text
    return read


def _flag(text):
    if text not in ("0", "1"):
        raise ValueError(text)
    return text == "1"


def _runs(text):
    names = [part for part in text.split(",") if part]
    allowed = training.names()
    if not 1 <= len(names) <= MAX_RUNS or any(name not in allowed for name in names) or len(set(names)) != len(names):
        raise ValueError(text)
    return names


def _clip(text):
    value = query_text.number(text)
    if value < 0:
        raise ValueError(text)
    return value


def to_query(state: NetworkState) -> dict:
    query = {"set": state.data_set, "n": str(state.points), "noise": query_text.as_text(state.noise),
             "dseed": str(state.data_seed), "layers": ",".join(str(w) for w in state.hidden), "act": state.activation,
             "bn": "1" if state.batch_norm else "0", "seed": str(state.seed), "opts": ",".join(state.runs),
             "batch": str(state.batch), "steps": str(state.steps), "sched": state.schedule,
             "clip": query_text.as_text(state.clip_norm), "view": state.view, "3d": "1" if state.in_3d else "0"}
    for name in state.runs:
        query[f"lr.{name}"] = query_text.as_text(state.lr(name))
    if state.shown:
        query["show"] = state.shown
    return query


def seed_widgets(state: NetworkState) -> None:
    """Put a state's values in the widgets' session keys (a link's first visit, or Reset)."""
    ss = st.session_state
    ss["net.set"], ss["net.n"], ss["net.noise"], ss["net.dseed"] = state.data_set, state.points, state.noise, state.data_seed
    ss["net.depth"] = len(state.hidden)
    for layer, width in enumerate(state.hidden):
        ss[f"net.width{layer}"] = width
    ss["net.act"], ss["net.bn"], ss["net.seed"] = state.activation, state.batch_norm, state.seed
    ss["net.runs"] = list(state.runs)
    for name in state.runs:
        ss[f"net.lr.{name}"] = state.lr(name)
    ss["net.full"] = state.batch == 0
    if state.batch:
        ss["net.batch"] = state.batch
    ss["net.steps"], ss["net.sched"], ss["net.view"] = state.steps, state.schedule, state.view
    ss["net.3d"] = state.in_3d
    ss["net.clip_on"] = state.clip_norm > 0
    if state.clip_norm > 0:
        ss["net.clip"] = state.clip_norm
    if state.shown:
        ss["net.shown"] = state.shown


# ----- the sidebar ---------------------------------------------------------------------------------
MIRRORED = {"net.set": "Data set", "net.runs": "Optimizers", "net.lr.*": None, "net.bn": "Batch norm",
            "net.act": {"label": "Activation", "horizontal": True}}


def sidebar(sb=None) -> NetworkState:
    """Draw the controls (in the sidebar, or ``sb``: a ``ui.strip.MirroredSidebar``); return the state they describe."""
    sb = sb or st.sidebar
    ss = st.session_state
    state = NetworkState()
    sb.subheader("Data")
    ss.setdefault("net.set", state.data_set)
    state.data_set = sb.selectbox("Data set", list(classification.SETS), key="net.set", persist_state="session",
                                  format_func=lambda name: f"{name}: {classification.SETS[name]}")
    ss.setdefault("net.n", state.points)
    state.points = int(sb.slider("Points (a quarter kept for testing)", 100, MAX_POINTS, step=50, key="net.n",
                                 persist_state="session"))
    ss.setdefault("net.noise", state.noise)
    state.noise = float(sb.slider("Noise", 0.0, 0.5, step=0.05, key="net.noise", persist_state="session",
                                  help="Standard deviation of the Gaussian noise added to every input point."))
    ss.setdefault("net.dseed", 0)
    state.data_seed = int(sb.number_input("Data seed", 0, classification.MAX_SEED, key="net.dseed", persist_state="session"))

    sb.subheader("Network")
    ss.setdefault("net.depth", len(state.hidden))
    depth = int(sb.select_slider("Hidden layers", [1, 2, 3], key="net.depth", persist_state="session"))
    widths = []
    for layer in range(depth):
        ss.setdefault(f"net.width{layer}", 16)
        widths.append(int(sb.slider(f"Units in hidden layer {layer + 1}", 1, mlp.MAX_UNITS, key=f"net.width{layer}",
                                    persist_state="session")))
    state.hidden = tuple(widths)
    ss.setdefault("net.act", state.activation)
    state.activation = sb.radio("Activation", mlp.ACTIVATIONS, key="net.act", horizontal=True, persist_state="session")
    ss.setdefault("net.bn", False)
    state.batch_norm = bool(sb.toggle("Batch normalization", key="net.bn", persist_state="session",
                                      help="Linear → BatchNorm → activation in every hidden layer: batch statistics "
                                           "while training, running averages at test time (Ioffe & Szegedy 2015)."))
    ss.setdefault("net.seed", 0)
    state.seed = int(sb.number_input("Initialisation seed", 0, mlp.MAX_SEED, key="net.seed", persist_state="session",
                                     help="Draws the initial weights (as torch.nn.Linear does) and the minibatches."))

    sb.subheader("Training")
    ss.setdefault("net.runs", list(DEFAULT_RUNS))
    runs = sb.multiselect("Optimizers", training.names(), key="net.runs", max_selections=MAX_RUNS,
                          format_func=lambda name: optimizers.get(name).title, persist_state="session",
                          help="The same update rules as on the surfaces, applied to every weight. Not here: "
                               + "; ".join(f"{optimizers.get(n).title} ({training.why_not(n)})"
                                           for n in optimizers.names() if training.why_not(n)) + ".")
    state.runs = list(runs) or [DEFAULT_RUNS[0]]
    for name in state.runs:
        spec = optimizers.get(name)
        state.lrs[name] = float(number_slider(f"η of {spec.title}", value_grid(spec.hypers[0]), suggested_lr(name),
                                              f"net.lr.{name}", spec.hypers[0].help, sb))
    ss.setdefault("net.full", True)
    full = sb.toggle("Full batch", key="net.full", persist_state="session",
                     help="Every training example in every step; off: minibatches, reshuffled every epoch.")
    n_train = state.data().n_train
    if not full:
        ss.setdefault("net.batch", min(32, n_train))
        if ss["net.batch"] > n_train:
            ss["net.batch"] = n_train
        state.batch = int(sb.slider("Batch size", 2, n_train, key="net.batch", persist_state="session"))
    ss.setdefault("net.steps", state.steps)
    state.steps = int(sb.slider("Steps", 50, MAX_STEPS, step=50, key="net.steps", persist_state="session"))
    ss.setdefault("net.sched", "constant")
    state.schedule = sb.selectbox("Learning-rate schedule", list(SCHEDULES), key="net.sched", persist_state="session",
                                  format_func=lambda name: SCHEDULES[name]["title"],
                                  help="With each schedule's default settings (the Compare page sets them in detail).")
    ss.setdefault("net.clip_on", False)
    if sb.toggle("Clip the gradient's global norm", key="net.clip_on", persist_state="session",
                 help="torch.nn.utils.clip_grad_norm_ over all the network's parameters at once."):
        ss.setdefault("net.clip", 1.0)
        state.clip_norm = float(sb.select_slider("Max norm", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0], key="net.clip",
                                                 persist_state="session"))
    return state


# ----- computations --------------------------------------------------------------------------------
def _network_key(state: NetworkState) -> tuple:
    return (state.data_set, state.points, state.noise, state.data_seed, tuple(state.hidden), state.activation,
            state.batch_norm)


COMPILE_PATIENCE = 180.0  # seconds a page waits for the compile queue before it compiles for itself


def _compiled_first(kernels: list, what: str) -> bool:
    """Have the server's compile queue compile these kernels now, ahead of its warm-up list and of any batch
    kernel, and wait for them, saying so; whether all are ready. ``kernels``: (ready, key, call) each; one whose
    ``ready()`` is true needs nothing. All are asked for at once, so that nothing else slips in between.

    The queue compiles in the compile worker's process and this one only loads them: a page that compiled for
    itself would hold this server's interpreter for seconds while other pages wait, and would compile a kernel
    twice when the warm-up list was compiling it too. Called before the work goes to the scheduler: a compile is
    the server's first-use cost, not the student's share of heavy work."""
    wanted = [(key, call) for ready, key, call in kernels if not ready()]
    if not wanted:
        return True
    with st.spinner(f"Compiling {what} (once per server)…"):
        events = [QUEUE.request(key, call, NOW) for key, call in wanted]
        deadline = time.monotonic() + COMPILE_PATIENCE
        for event in events:
            event.wait(max(deadline - time.monotonic(), 0.0))
    return all(ready() for ready, _, _ in kernels)


def _ready_or_interpreted(kernels: list, what: str) -> bool:
    """Whether these kernels are ready. On a server that compiles in the background, a page that finds them not
    ready does not wait: it runs their interpreted twins, then asks for them with ``_compile_after``. Elsewhere
    (the tests) they are compiled first."""
    if not compute.background_compiling():
        _compiled_first(kernels, what)
        return True  # one the queue could not compile in time compiles on its first call
    return all(ready() for ready, _, _ in kernels)


def _compile_after(kernels: list) -> None:
    """Ask the compile queue for these kernels, now that their twins have run, and rerun the page once they are
    ready. Asked after, not before: compiled meanwhile, the training step's kernel took the core the twins ran on
    (a fresh server's tour of every page drew the Network page's first chart after 13.7-14.3 s)."""
    for ready, key, call in kernels:
        if not ready():
            QUEUE.request(key, call, NOW)
    compute.rerun_when(lambda: all(ready() for ready, _, _ in kernels))


def _training_compile(name: str):
    return functools.partial(training.train, name, *training.warm_up_problem(), 1, lr=suggested_lr(name))


def _training_request(name: str) -> tuple:
    """(compile queue key, call) of ``name``'s training kernels."""
    return ("network training", name), _training_compile(name)


def compile_predictions() -> None:
    """The kernel of the decision boundary (0.4 s on an empty cache)."""
    network, data = training.warm_up_problem()
    mlp.predict_scores(network, network.init(0), data.x_test)


def compile_maps() -> None:
    """The kernel of every view: the loss over a span of weights (5-6 s on an empty cache)."""
    network, data = training.warm_up_problem()
    theta = network.init(0)
    views.interpolation(network, data, theta, theta, np.linspace(0.0, 1.0, 3))


def _train(state: NetworkState, name: str, seed: int, interpreted: bool = False):
    return training.train(name, state.network(), state.data(), state.steps, seed=seed, batch_size=state.batch or None,
                          schedule=state.schedule, clip_norm=state.clip_norm or None, interpreted=interpreted,
                          lr=state.lr(name))


def _work(state: NetworkState, steps: int) -> float:
    return steps * state.data().n_train * state.network().n_params / 1e6


INTERPRETED_NOTE = ("First training on this server: the interpreter ran these steps while the compiled kernels load, "
                    "and the page redraws with the kernels' runs by itself in a few seconds. Same steps, sums taken in "
                    "another order: the losses agree with the kernels' to five significant digits (with batch norm the "
                    "test loss can differ more, as rounding noise moves the biases before it).")


def _runs_key(state: NetworkState, compiled: bool) -> tuple:
    return ("network-runs", _network_key(state), state.seed, tuple((n, state.lr(n)) for n in state.runs), state.batch,
            state.steps, state.schedule, state.clip_norm, "kernels" if compiled else "interpreted")


def trainings(state: NetworkState, on_wait=None) -> dict:
    """Every run of the page, by optimizer name, in the scheduler (``on_wait``: see ``heavy.compute``).

    On a new server whose training kernels are not ready, the kernels' interpreted twins train (``training.train``'s
    ``interpreted``: seconds, where the first compile takes ~11), under their own key so that no session takes them
    for the kernels' runs; the kernels are asked for then, and the page reruns with their runs once they are ready."""
    kernels = [(lambda name=name: training.kernels_ready(name), *_training_request(name)) for name in state.runs]
    compiled = _ready_or_interpreted(kernels, "the network's training")
    if not compiled and not mlp.kernels_ready(predictions_only=True):
        # asked for before the twins train, unlike the others: it compiles in 0.4 s, and its twin would draw the
        # boundaries' 90 frames in 0.9 s on a busy server
        QUEUE.request(*_PREDICTIONS_REQUEST, NOW)
    key = _runs_key(state, compiled)
    if compiled:
        chunks = [Chunk(lambda name=name: [(name, _train(state, name, state.seed))], _work(state, state.steps))
                  for name in state.runs]
    else:  # one after another in one lane: the twins hold the interpreter, and two lanes at once took 3-4x as long
        chunks = [Chunk(lambda: [(name, _train(state, name, state.seed, interpreted=True)) for name in state.runs],
                        _work(state, state.steps) * len(state.runs))]
    runs = heavy.compute(key, chunks, lambda parts: dict(pair for part in parts for pair in part), "Training the networks",
                         on_wait)
    if not compiled:
        _compile_after(kernels)
    return runs


PREDICTIONS_PATIENCE = 1.0


def boundary_frames(state: NetworkState, runs: dict, on_wait=None) -> tuple[np.ndarray, list]:
    """P(class 1) over the input plane for each of ``runs`` (``trainings(state)``) at the same ``BOUNDARY_FRAMES``
    steps (a run that stopped early keeps its last boundary): the input-plane axis, and each run's frames (step,
    probabilities, the run's losses then in words). By the kernel's interpreted twin while it compiles.

    In the scheduler, under the runs' key: a class opening the page with the same settings computes them once
    (0.19 s a visit, a third of the page's warm script). ``on_wait``: see ``heavy.compute``."""
    from viz.network import probability_grid

    kernels = [(lambda: mlp.kernels_ready(predictions_only=True), *_PREDICTIONS_REQUEST)]
    # asked for before the trainings' twins (``trainings``): worth a second's wait, as the twin takes 0.3 s on an
    # idle server and 1.5 s on a busy one
    compiled = (_ready_or_interpreted(kernels, "the network's predictions")
                or QUEUE.wait(*_PREDICTIONS_REQUEST, PREDICTIONS_PATIENCE, NOW) and kernels[0][0]())
    axis, points = probability_grid(classification.EXTENT + 0.2, 51)
    chosen = np.unique(np.linspace(0, state.steps, min(BOUNDARY_FRAMES, state.steps + 1)).round().astype(int))
    runs_compiled = not any(run.interpreted for run in runs.values())
    key = ("network-boundaries", _runs_key(state, runs_compiled), "kernels" if compiled else "interpreted")
    work = len(chosen) * len(points) * state.network().n_params / 1e6
    chunks = [Chunk(lambda run=run: _run_frames(run, chosen, points, not compiled), work) for run in runs.values()]
    panels = heavy.compute(key, chunks, list, "Drawing the boundaries", on_wait)
    if not compiled:
        _compile_after(kernels)
    return axis, panels


def _run_frames(run, chosen: np.ndarray, points: np.ndarray, interpreted: bool) -> list:
    frames = []
    for step in chosen:
        at = run.at(int(step))
        scores = mlp.predict_scores(run.network, run.path[at], points, run.running_mean[at], run.running_var[at],
                                    interpreted=interpreted)
        kept = int(run.path_steps[at])
        numbers = f"η = {run.hyperparams['lr']:g}, step {kept}<br>train loss {run.train_loss[kept]:.3g}, test {run.test_loss[kept]:.3g}"
        frames.append((int(step), 0.5 * (1.0 + np.tanh(0.5 * scores)), numbers))
    return frames


def landscape_view(state: NetworkState, run, view: str):
    """The chosen view of ``run``'s landscape, computed in the scheduler (a finished one is shared).

    While the maps kernel compiles on a new server, the slice, the path's plane and the line come from its
    interpreted twin (1.6 s for the default slice), under their own key, and the page reruns with the kernel's.
    The two seeds' view trains and fits a curve too: it waits for its kernels."""
    if view == "modes":
        kernels = [(mlp.kernels_ready, *_MAPS_REQUEST),
                   (lambda: training.kernels_ready(run.optimizer), *_training_request(run.optimizer)),
                   (lambda: training.kernels_ready("adam", curve=True), *_CURVE_REQUEST)]
        _compiled_first(kernels, "the landscape's kernels")
        compiled = True  # no twin: one the queue could not compile in time compiles on its first call
    else:
        kernels = [(mlp.kernels_ready, *_MAPS_REQUEST)]
        compiled = _ready_or_interpreted(kernels, "the landscape's kernels")
    interpreted = not compiled
    network, data = state.network(), state.data()
    base = ("network-view", view, _network_key(state), run.optimizer, state.seed, state.lr(run.optimizer), state.batch,
            state.steps, state.schedule, state.clip_norm,
            # a view of an interpreted run is as provisional as the run: never shared as the kernels' view
            "interpreted" if interpreted or run.interpreted else "kernels")
    if view == "slice":
        call = lambda: views.random_slice(network, data, run.final, seed=state.seed, resolution=SLICE_RESOLUTION,  # noqa: E731
                                          interpreted=interpreted)
        work = SLICE_RESOLUTION ** 2 * data.n_train * network.n_params / 1e6
    elif view == "plane":
        call = lambda: views.path_plane(network, data, run.path, run.train_loss[run.path_steps],  # noqa: E731
                                        resolution=PLANE_RESOLUTION, steps=run.path_steps, interpreted=interpreted)
        work = (PLANE_RESOLUTION ** 2 + len(run.path)) * data.n_train * network.n_params / 1e6
    elif view == "line":
        call = lambda: views.interpolation(network, data, run.path[0], run.final, interpreted=interpreted)  # noqa: E731
        work = 81 * data.n_train * network.n_params / 1e6
    else:
        call = lambda: two_seeds(state, run)  # noqa: E731
        work = (state.steps + CURVE_ITERATIONS) * data.n_train * network.n_params / 1e6
    result = heavy.compute(base, [Chunk(call, work)], lambda results: results[0], "Drawing the landscape")
    if not compiled:
        _compile_after(kernels)
    return result


@dataclass
class TwoSeeds:
    other: object  # the run from the next seed
    line: object  # views.LineView between the two solutions
    curve: object  # views.LineView along the trained Bézier curve
    bend: object  # training.Bend
    line_barrier: float
    curve_barrier: float


def two_seeds(state: NetworkState, run) -> TwoSeeds:
    """View 4: the same run from seed + 1, the straight line between the two solutions and the trained curve."""
    network, data = state.network(), state.data()
    other = _train(state, run.optimizer, state.seed + 1 if state.seed < mlp.MAX_SEED else state.seed - 1)
    ts = np.linspace(0.0, 1.0, 61)
    line = views.interpolation(network, data, run.final, other.final, ts)
    bend = training.fit_curve(network, data, run.final, other.final, CURVE_ITERATIONS, seed=state.seed)
    curve = views.bezier(network, data, run.final, bend.bend, other.final, ts)
    return TwoSeeds(other, line, curve, bend, views.barrier(line), views.barrier(curve))


def connectivity_sentence(result: TwoSeeds) -> str:
    """What the two barriers of view 4 say, in words that follow the numbers."""
    if result.line_barrier <= BARRIER:
        return "Here even the straight line stays low: the two solutions are linearly connected."
    if result.curve_barrier <= BARRIER:
        return ("The straight way between the two solutions is blocked, yet a low curved path joins them: they lie in "
                "one connected valley, not in two separate ones.")
    return "Here the trained curve did not find a low path either: the barrier may be real, or the bend needs more training."


# ----- the lesson: how real are these pictures? -----------------------------------------------------
BARRIER = 0.05  # a rise of the training loss above the straight line between its ends that counts as a barrier
PROJECTION_FACTOR = 1.5
QUESTIONS = (
    ("line", "3 · Along the straight line from the initial weights θ₀ to the trained θ*, the training loss …",
     ("only falls", "rises somewhere on the way")),
    ("share", "2 · The two directions along which the path varied most hold … of its variance",
     ("less than half", "half to 90 %", "more than 90 %")),
    ("projection", "2 · On that plane, under the path drawn on it, the map shows the loss the network really had …",
     (f"within a factor {PROJECTION_FACTOR:g} at every step", f"off by more than a factor {PROJECTION_FACTOR:g} somewhere")),
    ("modes", "4 · Two networks trained from different seeds: on the straight line between their solutions the loss …",
     (f"never rises more than {BARRIER:g} above the line joining the end losses", f"rises more than {BARRIER:g} (a barrier)")),
)


def lesson_answers(state: NetworkState, run) -> dict:
    """The index of the true option of every question, and the number it was judged on, on this page's own run."""
    line = landscape_view(state, run, "line")
    plane = landscape_view(state, run, "plane")
    modes = landscape_view(state, run, "modes")
    share = float(plane.explained.sum())
    index, factor = views.projection_gap(plane)
    rises = views.rises(line)
    return {
        "line": (0 if rises == 0 else 1, "it falls all the way" if rises == 0 else f"it rises {rises} time(s) between the ends"),
        "share": (0 if share < 0.5 else 1 if share <= 0.9 else 2, f"the plane holds {share:.1%} of the path's variance"),
        "projection": (0 if factor <= PROJECTION_FACTOR else 1,
                       f"at step {plane.steps[index]} the map shows {plane.projected_loss[index]:.3g} where the "
                       f"network had {plane.true_loss[index]:.3g} (a factor {factor:.3g})"),
        "modes": (0 if modes.line_barrier <= BARRIER else 1,
                  f"the straight line rises {modes.line_barrier:.3g} above its ends' line; the trained curve "
                  f"{modes.curve_barrier:.3g}"),
    }


def lesson(state: NetworkState, run, title: str) -> None:
    """Predict, then see: four questions about the views, answered on this page's own run."""
    ss = st.session_state
    with st.expander("**Lesson: how real are these pictures?** Predict first, then reveal.", expanded=True):
        st.markdown(
            "Every surface on the other pages is a picture of a loss of **two** numbers; the lecture notes show "
            "such pictures of ResNets and warn that they are our own imagination. The *Two weights of a deep chain* "
            f"lesson (Lessons page) is the bridge: a network of two weights is a surface. This one has "
            f"**{state.network().n_params}** weights. Before you open the four views below, predict for "
            f"**{title}**:")
        key = ("lesson", _network_key(state), run.optimizer, state.seed, state.lr(run.optimizer), state.batch,
               state.steps, state.schedule, state.clip_norm)
        revealed = ss.get("net.lesson.revealed") == key
        guesses = {}
        for name, question, options in QUESTIONS:
            guesses[name] = st.radio(question, range(len(options)), format_func=options.__getitem__, index=None,
                                     key=f"net.q.{name}", horizontal=True, persist_state="session")
        if not revealed:
            if st.button("Reveal the answers ▶", type="primary", key="net.lesson.reveal"):
                ss["net.lesson.revealed"] = key
                st.rerun()
            return
        answers = lesson_answers(state, run)
        right = 0
        for name, question, options in QUESTIONS:
            truth, evidence = answers[name]
            guess = guesses[name]
            says = f"{question.split('·', 1)[1].strip()} **{options[truth]}**: {evidence}."
            if guess is None:
                st.info(says, icon=":material/visibility:")
            elif guess == truth:
                right += 1
                st.success(says, icon=":material/check_circle:")
            else:
                st.error(says, icon=":material/cancel:")
        st.markdown(
            f"**{right} of {len(QUESTIONS)} right.** Each picture is true of what it shows and silent about the rest: "
            "a random slice never contains the path; the path's plane misses whatever variance it does not hold, and "
            "its contours show the loss of projected weights; a straight line says nothing of the path; a barrier on "
            "one line does not mean the solutions are apart. Change the data, the network or the optimizer and predict "
            "again.")
        if st.button("Ask again", key="net.lesson.again"):
            ss.pop("net.lesson.revealed", None)
            for name, _, _ in QUESTIONS:
                ss.pop(f"net.q.{name}", None)
            st.rerun()


def compile_curve() -> None:
    network, data = training.warm_up_problem()
    theta = network.init(0)
    training.fit_curve(network, data, theta, theta, 1)


_PREDICTIONS_REQUEST = (("network predictions",), compile_predictions)
_MAPS_REQUEST = (("network maps",), compile_maps)
_CURVE_REQUEST = (("network curve",), compile_curve)


def first_view_requests() -> list[tuple]:
    """(compile queue key, call) of every kernel of the page's first view, under the keys the page asks by: queued
    by the warm-up when the server starts, a kernel still compiling when the page opens is waited for, not
    compiled a second time."""
    return [_training_request(name) for name in DEFAULT_RUNS] + [_PREDICTIONS_REQUEST, _MAPS_REQUEST, _CURVE_REQUEST]


def warm_up_calls(first: bool):
    """The page's kernels compiled on a tiny problem: ``first``, those of its first view (its default runs, the
    maps, the curve fit); else every other optimizer's training kernel. Calls with their function named
    (``functools.partial``), so the warm-up list can be read."""
    names = list(DEFAULT_RUNS) if first else [name for name in training.names() if name not in DEFAULT_RUNS]
    for name in names:
        yield _training_compile(name)
    if first:
        yield functools.partial(compile_predictions)
        yield functools.partial(compile_maps)
        yield functools.partial(compile_curve)


__all__ = ["BOUNDARY_FRAMES", "COMPILE_PATIENCE", "INTERPRETED_NOTE", "MAX_RUNS", "MIRRORED", "NetworkState", "TwoSeeds", "VIEWS", "boundary_frames", "compile_curve", "compile_maps", "compile_predictions",
           "connectivity_sentence", "first_view_requests", "from_query", "landscape_view", "lesson", "lesson_answers", "seed_widgets", "sidebar", "suggested_lr", "to_query", "trainings",
           "warm_up_calls"]
