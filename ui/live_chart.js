// One plotly.js graph per key that stays in the page across reruns: each rerun's figure is
// applied with Plotly.react, which diffs it against the drawn one, keeps the zoom (uirevision)
// and redraws only what changed. A click in the plot area is sent back as data coordinates.

const PLOTLY_PROMISE = "__landscapePlotlyPromise";

function loadPlotly(src) {
  if (window.Plotly) {
    rememberArrayAttributes(window.Plotly);
    return Promise.resolve(window.Plotly);
  }
  if (!window[PLOTLY_PROMISE]) {
    window[PLOTLY_PROMISE] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => {
        if (!window.Plotly) {
          reject(new Error("plotly.js did not start"));
          return;
        }
        rememberArrayAttributes(window.Plotly);
        resolve(window.Plotly);
      };
      script.onerror = () => {
        window[PLOTLY_PROMISE] = undefined;  // let the next rerun try again
        reject(new Error(`could not load ${src}`));
      };
      document.head.appendChild(script);
    });
  }
  // the page may have started loading it (live_chart.preload_plotly) before any chart was mounted
  return window[PLOTLY_PROMISE].then((Plotly) => { rememberArrayAttributes(Plotly); return Plotly; });
}

// plotly.js recomputes, for every trace on every redraw and every animation frame, which of its
// attributes hold arrays, by walking the trace type's whole attribute schema (about 1 ms a trace:
// measured, it was half of each playback frame at 6 runs x 500 steps). The answer depends only
// on the trace type and on where the trace holds arrays, so it is computed once per such shape.
// `original` stays reachable so a test can check the answers agree.
const MAX_SHAPES = 512;
const MAX_DEPTH = 12;

function arrayPaths(value, prefix, out, depth) {
  if (depth > MAX_DEPTH) return null;
  for (const key of Object.keys(value)) {
    if (key.charCodeAt(0) === 95) continue;  // "_...": plotly's own bookkeeping, never an attribute
    const item = value[key];
    if (Array.isArray(item) || ArrayBuffer.isView(item)) {
      out.push(prefix + key);
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length; i++) {
          const element = item[i];
          if (element !== null && typeof element === "object" && !Array.isArray(element)
              && arrayPaths(element, `${prefix}${key}[${i}].`, out, depth + 1) === null) return null;
        }
      }
    } else if (item !== null && typeof item === "object" && arrayPaths(item, `${prefix}${key}.`, out, depth + 1) === null) {
      return null;
    }
  }
  return out;
}

function rememberArrayAttributes(Plotly) {
  const schema = Plotly.PlotSchema;
  if (!schema || typeof schema.findArrayAttributes !== "function" || schema.findArrayAttributes.original) return;
  const original = schema.findArrayAttributes;
  const known = new Map();
  const remembered = function (trace) {
    const paths = arrayPaths(trace, "", [], 0);
    if (paths === null) return original(trace);
    const shape = `${trace.type}|${Boolean(trace._module && trace._module.attributes)}|${paths.join(",")}`;
    let found = known.get(shape);
    if (!found) {
      if (known.size >= MAX_SHAPES) known.clear();
      found = original(trace);
      known.set(shape, found);
    }
    return found.slice();
  };
  remembered.original = original;
  schema.findArrayAttributes = remembered;
}

// The data coordinates under a pointer event, or null outside every plot area. Panels of a
// subplot grid each have their own axes; the first pair whose box holds the point wins.
function dataPoint(graph, event) {
  const layout = graph._fullLayout;
  if (!layout || !layout._plots) return null;
  const box = graph.getBoundingClientRect();
  const px = event.clientX - box.left;
  const py = event.clientY - box.top;
  for (const plot of Object.values(layout._plots)) {
    const xa = plot.xaxis;
    const ya = plot.yaxis;
    const u = px - xa._offset;
    const v = py - ya._offset;
    if (u >= 0 && u <= xa._length && v >= 0 && v <= ya._length) {
      // p2c: the coordinate itself, also on a log axis (p2d would give its logarithm there)
      return { x: xa.p2c(u), y: ya.p2c(v), panel: xa._id === "x" ? 0 : Number(xa._id.slice(1)) - 1 };
    }
  }
  return null;
}

function wireClicks(graph, setTriggerValue) {
  // Listen on the window: plotly.js lays a cover over the page while the pointer is down, so
  // the pointer-up and click never reach the graph. A press that moved is a pan, not a click.
  let pressed = null;
  graph.addEventListener("pointerdown", (event) => {
    pressed = graph.__clickable && event.button === 0 ? { x: event.clientX, y: event.clientY, point: dataPoint(graph, event) } : null;
  }, true);
  window.addEventListener("pointerup", (event) => {
    const press = pressed;
    pressed = null;
    if (!press || !press.point || Math.hypot(event.clientX - press.x, event.clientY - press.y) > 4) return;
    setTriggerValue("click", press.point);
  }, true);
}

const MIN_FIT_HEIGHT = 420;
const FIT_FOOT = 16;  // px kept free under a chart fitted to the screen

// Playback speeds offered beside the play button: a teacher narrating slows it down.
const SPEEDS = [[0.25, "¼×"], [0.5, "½×"], [1, "1×"], [2, "2×"], [4, "4×"]];

// plotly.js redraws its own frame slider (a label and a tick a frame) on every Plotly.react and
// moves it on every animation frame: 45 of the Compare map's 95 ms a redraw at 100 frames
// (measured). live_chart.py lifts the slider and the play / pause buttons out of the figure;
// these HTML controls make the same Plotly.animate calls, at the place plotly.js drew its own.
function playerControls(parentElement, graph) {
  let box = parentElement.querySelector(".live-player");
  if (box) return box.__controls;
  box = document.createElement("div");
  box.className = "live-player";
  const make = (tag, className) => {
    const element = document.createElement(tag);
    element.className = className;
    box.appendChild(element);
    return element;
  };
  const playButton = make("button", "live-player-play");
  const pauseButton = make("button", "live-player-pause");
  const range = make("input", "live-player-range");
  const readout = make("span", "live-player-step");
  const speed = make("select", "live-player-speed");
  for (const [value, label] of SPEEDS) {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = label;
    speed.appendChild(option);
  }
  speed.value = "1";
  speed.setAttribute("aria-label", "playback speed");
  speed.title = "Playback speed (keys: + and −)";
  playButton.type = pauseButton.type = "button";
  range.type = "range";
  range.min = "0";
  range.step = "1";
  range.setAttribute("aria-label", "animation frame");
  parentElement.appendChild(box);

  const controls = {
    spec: null, Plotly: null, index: 0, playing: false, stepOfFrame: new Map(),
    get count() { return this.spec ? this.spec.steps.length : 0; },
    show(index) {
      this.index = index;
      range.value = String(index);
      readout.textContent = `${this.spec.prefix}${this.spec.steps[index].label}`;
    },
    goTo(index) {
      if (!this.spec || !this.Plotly) return;
      index = Math.max(0, Math.min(this.count - 1, Math.round(index)));
      this.playing = false;
      this.show(index);
      const [frames, options] = this.spec.steps[index].args;
      this.Plotly.animate(graph, frames, options);
    },
    speed: 1,
    play() {
      if (!this.spec || !this.Plotly) return;
      // from the step after the one shown, or from the start when the race is shown finished
      const from = this.index >= this.count - 1 ? 0 : this.index + 1;
      // Slower: each frame stays longer. Faster: every k-th frame, since plotly.js cannot draw
      // frames much closer than the 28 ms they already are; the last frame is always shown.
      const stride = Math.max(1, Math.round(this.speed));
      const chosen = this.spec.steps.slice(from).filter((_, i, all) => i % stride === stride - 1 || i === all.length - 1);
      const names = chosen.map((step) => step.args[0][step.args[0].length - 1]);
      const frame = this.spec.play.frame || {};
      const duration = (frame.duration || 28) / Math.min(this.speed, 1);
      this.playing = true;
      this.Plotly.animate(graph, names, { ...this.spec.play, frame: { ...frame, duration }, fromcurrent: false });
    },
    setSpeed(value) {
      const allowed = SPEEDS.map(([v]) => v);
      if (!allowed.includes(value)) return;
      const wasPlaying = this.playing;
      if (wasPlaying) this.pause();
      this.speed = value;
      speed.value = String(value);
      if (wasPlaying) this.play();
    },
    faster(direction) {
      const allowed = SPEEDS.map(([v]) => v);
      const at = allowed.indexOf(this.speed);
      this.setSpeed(allowed[Math.max(0, Math.min(allowed.length - 1, at + direction))]);
    },
    pause() {
      if (!this.spec || !this.Plotly) return;
      this.playing = false;
      this.Plotly.animate(graph, [null], this.spec.pause);
    },
    update(spec, Plotly) {
      this.spec = spec;
      this.Plotly = Plotly;
      this.playing = false;
      this.stepOfFrame = new Map(spec.steps.map((step, i) => [step.args[0][step.args[0].length - 1], i]));
      playButton.textContent = spec.play_label;
      pauseButton.textContent = spec.pause_label;
      box.style.fontSize = `${spec.font_size}px`;
      range.max = String(spec.steps.length - 1);
      this.show(Math.max(0, Math.min(spec.steps.length - 1, spec.active)));
      if (!graph.__playerHooked) {
        graph.__playerHooked = true;
        graph.on("plotly_animatingframe", (event) => {
          const index = this.stepOfFrame.get(event && event.name);
          if (index !== undefined && this.playing) this.show(index);
        });
        graph.on("plotly_animated", () => { this.playing = false; });
        graph.on("plotly_afterplot", () => this.place());
      }
      this.place();
    },
    place() {  // where plotly.js drew its buttons: below the plot area by the same share of its height
      const size = graph._fullLayout && graph._fullLayout._size;
      if (!size || !this.spec) return;
      box.style.left = `${size.l}px`;
      box.style.width = `${size.w}px`;
      box.style.top = `${Math.round(size.t + size.h * (1 + this.spec.below) + 8)}px`;
    },
  };
  playButton.addEventListener("click", () => controls.play());
  pauseButton.addEventListener("click", () => controls.pause());
  range.addEventListener("input", () => controls.goTo(Number(range.value)));
  speed.addEventListener("change", () => controls.setSpeed(Number(speed.value)));
  box.__controls = controls;
  graph.__player = controls;
  return controls;
}

function removePlayer(parentElement, graph) {
  const box = parentElement.querySelector(".live-player");
  if (box) box.remove();
  graph.__player = undefined;
}

// The Python side sends one JSON document as bytes (see ui/live_chart.py).
function decode(data) {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return JSON.parse(new TextDecoder().decode(data));
  return typeof data === "string" ? JSON.parse(data) : data;
}

// After the browser's next paint (or 200 ms, in a background tab that does not paint).
function nextPaint() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 200);
  });
}

// Charts are first drawn one at a time, the one highest on the page first, with a paint between
// two: when plotly.js finished loading, every chart waiting for it was drawn in one task, so a
// page's main chart came on screen only with the last of them (Your own landscape's map waited for
// its 3-D view, which the software renderer draws for seconds; the Gallery's first card for the
// others). The queue lives on the window: each chart may get its own copy of this module.
const FIRST_DRAWS = "__landscapeFirstDraws";

function inTurn(graph, draw) {
  const queue = window[FIRST_DRAWS] || (window[FIRST_DRAWS] = { waiting: [], running: false });
  return new Promise((resolve, reject) => {
    queue.waiting.push({ graph, draw, resolve, reject });
    if (!queue.running) drawInTurn(queue);
  });
}

async function drawInTurn(queue) {
  queue.running = true;
  while (queue.waiting.length) {
    await nextPaint();  // also lets the other charts that plotly.js was loading for join the queue
    queue.waiting.sort((a, b) => (a.graph.compareDocumentPosition(b.graph) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    const { draw, resolve, reject } = queue.waiting.shift();
    try {
      resolve(await draw());
    } catch (error) {
      reject(error);
    }
  }
  queue.running = false;
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const data = decode(component.data);
  let graph = parentElement.querySelector(".live-chart");
  if (!graph) {
    graph = document.createElement("div");
    graph.className = "live-chart";
    graph.style.width = "100%";
    parentElement.appendChild(graph);
    parentElement.style.position = "relative";  // the player's controls lie over the chart's bottom margin
    wireClicks(graph, setTriggerValue);
  }
  graph.__clickable = Boolean(data.clickable);
  // On a projector the chart takes the height left below it on the screen (at most the height asked
  // for, at least MIN_FIT_HEIGHT): 780 px ran past the foot of a 1280 x 720 screen.
  let height = data.height;
  if (data.fit_screen) {
    const top = graph.getBoundingClientRect().top;
    // (a chart asked to be shorter than MIN_FIT_HEIGHT keeps its own height)
    height = Math.round(Math.max(Math.min(MIN_FIT_HEIGHT, data.height),
                                 Math.min(data.height, window.innerHeight - Math.max(top, 0) - FIT_FOOT)));
    data.figure.layout = { ...data.figure.layout, height };
  }
  graph.style.height = `${height}px`;
  graph.style.cursor = data.clickable ? "crosshair" : "";
  const revision = (graph.__revision || 0) + 1;
  graph.__revision = revision;
  // A chart drawn after the next paint lets the chart above it (the map) appear first.
  const ready = data.after_paint ? new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))) : null;
  const firstDraw = !graph.__drawn;
  graph.__drawn = true;
  loadPlotly(data.src)
    .then((Plotly) => (ready ? ready.then(() => Plotly) : Plotly))
    .then((Plotly) => {
      const draw = () => {
        if (graph.__revision !== revision) return undefined;  // a newer figure arrived while plotly.js loaded
        const figure = data.figure;
        if (graph.__player && graph.__player.playing) graph.__player.pause();  // the frames are about to be replaced
        const frames = figure.frames || [];
        return Plotly.react(graph, { data: figure.data, layout: figure.layout, frames, config: data.config })
          .then(() => {
            // When the config changes too (a lesson's question map becoming its race: another file name for
            // the camera), plotly.js replots the chart and drops the frames given to react: the race
            // did not play on a projector. Measured with gd._transitionData, plotly.js's own frame store.
            const kept = graph._transitionData && graph._transitionData._frames;
            return frames.length && !(kept && kept.length) ? Plotly.addFrames(graph, frames) : undefined;
          })
          .then(() => Plotly);
      };
      return firstDraw ? inTurn(graph, draw) : draw();
    })
    .then((Plotly) => {
      if (graph.__revision !== revision || !Plotly) return;
      if (data.player) {
        const controls = playerControls(parentElement, graph);
        controls.update(data.player, Plotly);
        if (data.autoplay && graph.__autoplayed !== data.autoplay) {
          graph.__autoplayed = data.autoplay;
          controls.show(0);
          controls.play();
        }
      } else {
        removePlayer(parentElement, graph);
      }
      graph.dataset.revision = String(revision);
    })
    .catch((error) => {
      graph.textContent = `The chart could not be drawn: ${error.message}. Reload the page to try again.`;
    });
}
