"""Fresh server, empty kernel cache -> first chart of each page; then restarted, then warm; beside the floor.

    python benchmarks/bench_first_view.py [--rounds 1]

What a teacher meets before class. A server is started the way the README starts it (warm-up on)
with an empty Numba cache; Compare is opened at once by a shared link in a browser that has never
seen the app, and the clock runs from the server's start to Compare's first chart. Then the
teacher goes through the other pages by the sidebar's links, each timed from the click to the
page's first chart. The server is stopped and a new one started on the now full disk cache (a
restarted server): Compare by its link in a new tab, timed from the server's start, then every page
by its link. Once the warm-up has finished (the server and its compile worker idle), every page
is timed twice more by its link (a warm server; the better figure) and once opened by its URL in
a new tab (a shared link: the browser starts a new page process and loads Streamlit again).

The floor beside them: a Streamlit page with one Plotly chart (a contour and a line, nothing of
this app), timed the same ways. Headless Chromium without a GPU on a 2-core machine needs about
3 s for it in a new tab, about 4 s from its server's start (3.7-5.0 s measured: about 1 s to start
Streamlit, 1.5 s for its page to load and connect, 1.5-2 s to compile plotly.js) and about half a
second by a link, so a figure near the floor is Streamlit's and the browser's, not this app's.

A page's first chart: a Plotly chart of the page whose traces are drawn (a trail, a contour or a
heatmap), timed by the page itself at the moment the drawing is in the document (see WATCH_JS).
Needs Debian's Chromium (/usr/bin/chromium) and playwright. Prints numbers and the goals beside
them; judges nothing.
"""
from __future__ import annotations

import argparse
import math
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COMPARE = "/Compare?land=rosenbrock&runs=sgd,momentum,adam,lbfgs&steps=300"
OTHER_PAGES = ("/Lessons", "/Gallery", "/Anatomy", "/Sweep", "/Basins", "/Your_landscape", "/Data_landscape", "/Network")
# A chart counts once Plotly has drawn at least one trace into it: a trail, a contour or a heatmap.
CHART_DRAWN = ", ".join(f".js-plotly-plot {layer}" for layer in (
    ".scatterlayer .trace", ".heatmaplayer .hm", ".imagelayer image", ".contourlayer .contour"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cache_base: str, port: int, script: str = "app.py") -> tuple[subprocess.Popen, float]:
    env = {k: v for k, v in os.environ.items() if k != "LANDSCAPE_NO_WARMUP"}
    env["LANDSCAPE_NUMBA_CACHE_BASE"] = cache_base
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    return server, started


def stop_server(server: subprocess.Popen) -> float:
    """Seconds from SIGTERM (Ctrl-C's sibling) to the process's exit."""
    stopping = time.perf_counter()
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    return time.perf_counter() - stopping


FLOOR_APP = """
import streamlit as st

st.title("The floor")
st.write("A Streamlit page without a chart; the chart is on the next page.")
st.page_link("pages/chart.py", label="The chart")  # the app's config hides Streamlit's own page menu
"""
FLOOR_CHART_PAGE = """
import numpy as np
import plotly.graph_objects as go
import streamlit as st

x = np.linspace(-2, 2, 80)
st.title("A one-chart page")
st.plotly_chart(go.Figure([go.Contour(x=x, y=x, z=np.add.outer(10 * x ** 2, x ** 2)), go.Scatter(x=[-1.5, 0], y=[1.5, 0])]))
"""
# A chart drawn after the click: the previous page's charts are marked first, with those still waiting
# for their first drawing (a live chart's element is plotly's graph, a .js-plotly-plot once drawn).
MARK_OLD_CHARTS = ("document.querySelectorAll('.js-plotly-plot, .live-chart')"
                   ".forEach(e => e.setAttribute('data-bench-old', '1'))")
# Not in a stale element either: while the new page waits (the Network page's spinner while its kernels
# compile), Streamlit keeps the previous page's elements on screen, greyed (data-stale), and a chart
# among them is not the new page's.
NEW_CHART_DRAWN = ", ".join(f'.js-plotly-plot:not([data-bench-old]):not([data-stale="true"] *) {layer}' for layer in (
    ".scatterlayer .trace", ".heatmaplayer .hm", ".imagelayer image", ".contourlayer .contour"))
# Nor a chart of the previous page mounted anew: after a click, Streamlit sometimes mounts charts of the
# previous page again in new elements (Compare's curves and stability chart, the Data page's four charts;
# unmarked and not stale) while the new page computes, and their redraw counted as the new page's first chart:
# the "0.2 s", "0.6-0.9 s" and "1.1 s" Network figures (probes logging each chart's element key and draw time).
# Every chart is drawn under its key (``ui.charts``) and Streamlit names its element ``st-key-<key>``, so a
# page's first chart is the first drawn under one of its own keys (WATCH_JS notes each key's first drawing).
# A page whose chart keys change without this table shows "no chart" (inf) here, never a wrong figure.
PAGE_CHART_KEYS = {
    "Compare": ("st-key-map_", "st-key-surface3d", "st-key-curves", "st-key-stability"),
    "Lessons": ("st-key-lesson",),
    "Gallery": ("st-key-card-", "st-key-gal"),
    "Anatomy": ("st-key-anatomy",),
    "Sweep": ("st-key-sweep", "st-key-lr_curves", "st-key-search"),
    "Basins": ("st-key-basin",),
    "Your_landscape": ("st-key-yours",),
    "Data_landscape": ("st-key-data_",),
    "Network": ("st-key-net_",),
}
FIRST_OWN_CHART = """(prefixes) => { const own = Object.entries(window.__benchDrawn || {})
  .filter(([key]) => prefixes.some(prefix => key.startsWith(prefix))).map(([, at]) => at);
  return own.length ? Math.min(...own) : null; }"""


# When a chart is drawn, read in the page: a MutationObserver notes performance.now() the moment a
# selector first matches, and the moment a chart is first drawn under each key (``__benchDrawn``, emptied
# at a click). Playwright's own wait checks the page only between the browser's tasks, so
# when another chart's drawing (a 3-D view: a second in the software renderer) followed at once, it
# saw a chart drawn 2 s after it was (measured on Your own landscape). The page paints between two
# charts' first drawings (live_chart.js), so this is when a student sees the chart, to within a frame.
WATCH_JS = """
window.__benchSeen = {};
window.__benchWatched = new Set();
window.__benchDrawn = {};
const benchLook = () => {
  const now = performance.timeOrigin + performance.now();
  for (const chart of document.querySelectorAll('.js-plotly-plot:not([data-bench-old])')) {
    const element = chart.closest('[data-testid="stElementContainer"]');
    if (!element || !chart.querySelector('.scatterlayer .trace, .heatmaplayer .hm, .imagelayer image, .contourlayer .contour')) continue;
    for (const name of element.classList) if (name.startsWith('st-key-') && !(name in window.__benchDrawn)) window.__benchDrawn[name] = now;
  }
  for (const selector of window.__benchWatched) {
    if (!(selector in window.__benchSeen) && document.querySelector(selector)) window.__benchSeen[selector] = now;
  }
};
new MutationObserver(benchLook).observe(document, {subtree: true, childList: true, attributes: true});
window.__benchWatch = (selector) => {
  delete window.__benchSeen[selector];  /* the same selector is watched again for the next page */
  window.__benchWatched.add(selector);
  benchLook();
};
"""


def _seen_seconds(page, selector: str, since_epoch: float, fallback: float) -> float:
    """Seconds from ``since_epoch`` (time.time()) until ``selector`` matched in ``page``; ``fallback``
    when the page did not note it (a page whose init script did not run)."""
    seen_ms = page.evaluate("(s) => (window.__benchSeen || {})[s] ?? null", selector)
    # a chart of the page left behind, drawn between marking and the click, is not the new page's
    return fallback if seen_ms is None or seen_ms / 1000 < since_epoch else seen_ms / 1000 - since_epoch


def _failed(page, what: str, timeout_s: float, error: Exception) -> float:
    name = what.strip("/").split("?")[0] or "home"
    shot = pathlib.Path(tempfile.gettempdir()) / f"first-view-{name}.png"
    page.screenshot(path=str(shot))
    print(f"{what}: no chart within {timeout_s:.0f} s ({str(error).splitlines()[0]}); screenshot {shot}", flush=True)
    return math.inf


def new_tab(browser_or_context, url: str, since: float | None = None, timeout_s: float = 120):
    """(seconds from ``since``, default now, until ``url`` shows a drawn chart in a new tab; the tab).

    A browser gives the tab a context of its own (nothing cached); a context shares its cache."""
    if hasattr(browser_or_context, "contexts"):
        page = browser_or_context.new_page(viewport={"width": 1366, "height": 768})
    else:
        page = browser_or_context.new_page()
    page.add_init_script(WATCH_JS + f"window.__benchWatch({CHART_DRAWN!r});")
    began = time.perf_counter() if since is None else since
    began_epoch = time.time() - (time.perf_counter() - began)
    try:
        page.goto(url)
        page.wait_for_selector(CHART_DRAWN, timeout=timeout_s * 1000, state="attached")
        return _seen_seconds(page, CHART_DRAWN, began_epoch, time.perf_counter() - began), page
    except PlaywrightError as error:
        return _failed(page, url, timeout_s, error), page


def by_link(page, link, timeout_s: float = 120) -> float:
    """Seconds from clicking ``link`` (a locator in the page) until the new page's first chart is drawn: the first
    under one of its own keys (``PAGE_CHART_KEYS``), or for a page not listed, the first new chart."""
    began, began_epoch = time.perf_counter(), time.time()
    prefixes = PAGE_CHART_KEYS.get((link.get_attribute("href") or "").strip("/").split("?")[0])
    page.evaluate(f"{MARK_OLD_CHARTS}; window.__benchDrawn = {{}}; window.__benchWatch && window.__benchWatch({NEW_CHART_DRAWN!r})")
    try:
        link.click()
        if prefixes is None:
            page.wait_for_selector(NEW_CHART_DRAWN, timeout=timeout_s * 1000, state="attached")
            return _seen_seconds(page, NEW_CHART_DRAWN, began_epoch, time.perf_counter() - began)
        page.wait_for_function(FIRST_OWN_CHART, arg=list(prefixes), timeout=timeout_s * 1000)
        return page.evaluate(FIRST_OWN_CHART, list(prefixes)) / 1000 - began_epoch
    except PlaywrightError as error:
        return _failed(page, page.url, timeout_s, error)


def settle(page, timeout_s: float = 120) -> None:
    """Wait until the page's script has finished and the browser has drawn the rest of the page, as a
    teacher waits before the next click (the Gallery draws 17 cards for seconds after its first chart)."""
    try:
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout_s * 1000)
        page.evaluate("() => new Promise(done => requestIdleCallback(() => done(), {timeout: 20000}))")
        time.sleep(0.3)
    except PlaywrightError:
        pass


def sidebar_link(page, path: str):
    return page.locator(f'[data-testid="stSidebar"] a[href="{path.strip("/")}"]')


def every_page_by_link(page) -> dict[str, float]:
    """Each page after Compare by the sidebar's link, then Compare again by its link."""
    seconds = {}
    settle(page)
    for path in (*OTHER_PAGES, "/Compare"):
        seconds[path.strip("/")] = by_link(page, sidebar_link(page, path))
        settle(page)
    return seconds


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by ``pid`` and every process below it (the compile worker), from /proc."""
    parents, ticks = {}, {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child], ticks[child] = int(fields[1]), int(fields[11]) + int(fields[12])
    family, grew = {pid}, True
    while grew:
        below = {child for child, parent in parents.items() if parent in family} - family
        family |= below
        grew = bool(below)
    return sum(ticks.get(member, 0) for member in family) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(server: subprocess.Popen, quiet_s: float = 3.0, limit_s: float = 600.0) -> float:
    """Wait until the server and its children use under 5% of a core for ``quiet_s``; the seconds waited."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit_s:
        before = cpu_seconds(server.pid)
        time.sleep(quiet_s)
        if cpu_seconds(server.pid) - before < 0.05 * quiet_s:
            break
    return time.perf_counter() - began


def floor(browser) -> dict[str, list[float]]:
    """The one-chart page: from a new server's start in a new browser (Compare's first figure, timed the same way),
    a new tab of a new browser, a new tab of a browser that has seen it, by a link."""
    with tempfile.TemporaryDirectory(prefix="first-view-floor-") as folder:
        script = pathlib.Path(folder) / "floor.py"
        script.write_text(FLOOR_APP)
        (pathlib.Path(folder) / "pages").mkdir()
        (pathlib.Path(folder) / "pages" / "chart.py").write_text(FLOOR_CHART_PAGE)
        figures = {"from start": [], "fresh": [], "new tab": [], "link": []}
        for _ in range(3):  # as Compare's first figure is timed: from the server's start, in a browser that never saw it
            port = free_port()
            server, started = start_server(folder, port, script=str(script))
            seconds, tab = new_tab(browser, f"http://127.0.0.1:{port}/chart", since=started)
            figures["from start"].append(seconds)
            tab.close()
            stop_server(server)
        port = free_port()
        server, _ = start_server(folder, port, script=str(script))
        url = f"http://127.0.0.1:{port}/chart"
        try:
            for _ in range(3):
                seconds, tab = new_tab(browser, url)
                figures["fresh"].append(seconds)
                tab.close()
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            for _ in range(4):
                seconds, tab = new_tab(context, url)
                figures["new tab"].append(seconds)
                tab.close()
            figures["new tab"] = figures["new tab"][1:]  # the first filled the cache
            page = context.new_page()
            page.add_init_script(WATCH_JS)
            for _ in range(3):
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("text=A Streamlit page without a chart")
                figures["link"].append(by_link(page, page.locator('a[href$="chart"]')))
            context.close()
        finally:
            stop_server(server)
    return figures


def one_round(browser, cache_base: str) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, started = start_server(cache_base, port)
    first, tab = new_tab(browser, base + COMPARE, since=started)  # a browser that never saw the app
    cold = {"Compare": first, **{k: v for k, v in every_page_by_link(tab).items() if k != "Compare"}}
    tab.close()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    tab = context.new_page()  # a browser whose cache holds Streamlit's scripts, as the teacher's now does
    tab.goto(base + "/")
    tab.wait_for_selector("h1", timeout=120_000)
    tab.close()
    cold_stop = stop_server(server)

    server, started = start_server(cache_base, port)
    first, tab = new_tab(context, base + COMPARE, since=started)
    restarted = {"Compare": first, **{k: v for k, v in every_page_by_link(tab).items() if k != "Compare"}}
    waited = wait_until_idle(server)
    runs = [every_page_by_link(tab) for _ in range(2)]
    tab.close()
    warm = {page: min(run[page] for run in runs) for page in runs[0]}
    shared = {}
    for path in ("/Compare", *OTHER_PAGES):
        shared[path.strip("/")], tab = new_tab(context, base + path)
        tab.close()
    warm_stop = stop_server(server)
    context.close()
    return {"cold": cold, "restarted": restarted, "warm": warm, "new tab": shared, "waited": waited,
            "stop": {"cold": cold_stop, "warm": warm_stop}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="fresh caches in turn; each page's figures are listed per round")
    args = parser.parse_args()
    rounds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        bare = floor(browser)
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="first-view-cache-") as cache_base:
                rounds.append(one_round(browser, cache_base))
        browser.close()

    def figures(kind: str, page: str) -> str:
        return ", ".join(f"{r[kind][page]:.1f}" for r in rounds)

    print(f"first chart of each page, in seconds ({args.rounds} round(s), one figure per round)")
    print(f"{'page':<16}{'fresh server, empty cache':>27}{'restarted':>11}{'warm, by link':>15}{'warm, new tab':>15}")
    for page in rounds[0]["cold"]:
        print(f"{page:<16}{figures('cold', page):>27}{figures('restarted', page):>11}{figures('warm', page):>15}"
              f"{figures('new tab', page):>15}")
    print("Compare: from the server's start, by a shared link (fresh server: in a browser that never saw the app). Every")
    print("other page: from the click on its sidebar link. Warm: the better of two visits, once the warm-up had finished ("
          + ", ".join(f"{r['waited']:.0f} s" for r in rounds) + "); new tab: the page's link opened in a new tab.")
    print(f"the floor, one Plotly chart on a Streamlit page: from its server's start {', '.join(f'{s:.1f}' for s in bare['from start'])} s "
          f"(as Compare's fresh figure); new browser {', '.join(f'{s:.1f}' for s in bare['fresh'])} s; "
          f"new tab {', '.join(f'{s:.1f}' for s in bare['new tab'])} s; by a link {', '.join(f'{s:.2f}' for s in bare['link'])} s")
    print("goals: Compare < 5 s from a fresh server's start, every other page < 5 s after that, every page < 1 s warm")
    print("server stop after SIGTERM: " + ", ".join(f"{r['stop']['cold']:.1f} s while warming, {r['stop']['warm']:.1f} s idle"
                                                   for r in rounds))


if __name__ == "__main__":
    main()
