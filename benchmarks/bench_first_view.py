"""Fresh server, empty kernel cache -> first chart of each page; then the same on a warm server.

    python benchmarks/bench_first_view.py [--rounds 1]

What a teacher meets before class. A server is started the way the README starts it (warm-up on)
with an empty Numba cache; Compare is opened at once by a shared link, and the clock runs from
the server's start to Compare's first chart. Then each other page is opened in turn, timed from
its link to its first chart. The server is stopped, a new one started on the now full disk
cache (a restarted server), and every page timed again; then each page is opened once more on
that running server (a warm server).

A page's first chart: a Plotly chart on the page whose traces are drawn (a trail, a contour or a
heatmap). Needs Debian's Chromium (/usr/bin/chromium) and playwright. Prints numbers and the
goals beside them; judges nothing.
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
OTHER_PAGES = ("/Lessons", "/Gallery", "/Anatomy", "/Sweep", "/Basins", "/Your_landscape", "/Data_landscape")
# A chart counts once Plotly has drawn at least one trace into it: a trail, a contour or a heatmap.
CHART_DRAWN = ", ".join(f".js-plotly-plot {layer}" for layer in (
    ".scatterlayer .trace", ".heatmaplayer .hm", ".imagelayer image", ".contourlayer .contour"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cache_base: str, port: int) -> tuple[subprocess.Popen, float]:
    env = {k: v for k, v in os.environ.items() if k != "LANDSCAPE_NO_WARMUP"}
    env["LANDSCAPE_NUMBA_CACHE_BASE"] = cache_base
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
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


def first_chart(browser, url: str, since: float | None = None, timeout_s: float = 120) -> float:
    """Seconds from ``since`` (default: now) until ``url`` shows a drawn chart (inf if none within the timeout).

    A page that shows no chart in time leaves a screenshot beside the benchmark's output."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    began = time.perf_counter() if since is None else since
    try:
        page.goto(url)
        page.wait_for_selector(CHART_DRAWN, timeout=timeout_s * 1000, state="attached")
        seconds = time.perf_counter() - began
    except PlaywrightError as error:
        seconds = math.inf
        name = url.split("/")[-1].split("?")[0] or "home"
        shot = pathlib.Path(tempfile.gettempdir()) / f"first-view-{name}.png"
        page.screenshot(path=str(shot))
        print(f"{url}: no chart within {timeout_s:.0f} s ({str(error).splitlines()[0]}); screenshot {shot}", flush=True)
    page.close()
    return seconds


def one_round(browser, cache_base: str) -> dict[str, list[float]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, started = start_server(cache_base, port)
    cold = {"Compare": first_chart(browser, base + COMPARE, since=started)}
    for path in OTHER_PAGES:
        cold[path.strip("/")] = first_chart(browser, base + path)
    cold_stop = stop_server(server)

    server, started = start_server(cache_base, port)
    restarted = {"Compare": first_chart(browser, base + COMPARE, since=started)}
    for path in OTHER_PAGES:
        restarted[path.strip("/")] = first_chart(browser, base + path)
    warm = {"Compare": first_chart(browser, base + COMPARE)}
    for path in OTHER_PAGES:
        warm[path.strip("/")] = first_chart(browser, base + path)
    warm_stop = stop_server(server)
    return {"cold": cold, "restarted": restarted, "warm": warm, "stop": {"cold": cold_stop, "warm": warm_stop}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="fresh caches in turn; each page's figures are listed per round")
    args = parser.parse_args()
    rounds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="first-view-cache-") as cache_base:
                rounds.append(one_round(browser, cache_base))
        browser.close()

    def figures(kind: str, page: str) -> str:
        return ", ".join(f"{r[kind][page]:.1f}" for r in rounds)

    print(f"first chart of each page, in seconds ({args.rounds} round(s), one figure per round)")
    print(f"{'page':<16}{'fresh server, empty cache':>28}{'restarted, disk cache':>24}{'warm server':>14}")
    for page in rounds[0]["cold"]:
        print(f"{page:<16}{figures('cold', page):>28}{figures('restarted', page):>24}{figures('warm', page):>14}")
    print("Compare's figures run from the server's start (a shared link opened at once); every other page's from its link.")
    print("goals: Compare < 5 s from a fresh server's start, every other page < 5 s after that, every page < 1 s warm")
    print("server stop after SIGTERM: " + ", ".join(f"{r['stop']['cold']:.1f} s while warming, {r['stop']['warm']:.1f} s idle"
                                                   for r in rounds))


if __name__ == "__main__":
    main()
