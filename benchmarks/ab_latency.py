"""Compare two checkouts' slider-to-chart latency on the Compare page, change by change.

    python benchmarks/ab_latency.py DIR_A DIR_B [--changes 15]

On a shared, noisy machine two separate runs of bench_app.py can differ by 100 ms with the
same code. Here both checkouts serve at once (two servers, one page each, one Chromium) and
the learning-rate presses alternate A, B, B, A, ..., so both meet the same noise; the paired
difference is the number to read. A checkout is any directory holding the app, e.g. one made
with ``git worktree add /tmp/before HEAD~1``. Prints numbers; judges nothing.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

from bench_app import ARGS, FINGERPRINT, URL_PATH, WATCH
from playwright.sync_api import sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs=2, help="two directories, each holding app.py")
    parser.add_argument("--changes", type=int, default=15, help="presses per checkout")
    args = parser.parse_args()

    servers, ports = [], []
    env = dict(os.environ, LANDSCAPE_NO_WARMUP="1")
    try:
        for checkout in args.checkouts:
            ports.append(_free_port())
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.port", str(ports[-1]), "--server.address", "127.0.0.1"],
                cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(4)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            pages = []
            for port in ports:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                page.goto(f"http://127.0.0.1:{port}{URL_PATH}")
                page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=300_000)
                pages.append(page)
            time.sleep(3)
            latencies: list[list[float | None]] = [[], []]
            for i in range(args.changes):
                for k in (0, 1) if i % 2 == 0 else (1, 0):
                    page = pages[k]
                    page.bring_to_front()
                    thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]') \
                        .filter(has_text="learning rate").first.locator('input[type="range"]')
                    before = page.evaluate(FINGERPRINT)
                    thumb.focus()
                    page.evaluate(WATCH % FINGERPRINT, before)
                    thumb.press("ArrowRight")  # always a value not seen before (see bench_app.py)
                    pressed, changed = page.evaluate("() => window.__watch")
                    time.sleep(0.9)  # let the rerun finish sending
                    latencies[k].append(None if changed is None or i < 2 else (changed - pressed))
            browser.close()
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)

    pairs = [(a, b) for a, b in zip(*latencies) if a is not None and b is not None]
    for k, checkout in enumerate(args.checkouts):
        values = sorted(pair[k] for pair in pairs)
        print(f"{'AB'[k]} {checkout}: median {statistics.median(values):.0f} ms, "
              f"quartiles {values[len(values) // 4]:.0f}-{values[3 * len(values) // 4]:.0f} ms")
    differences = [a - b for a, b in pairs]
    print(f"A - B, paired over {len(pairs)} warm changes: median {statistics.median(differences):.0f} ms "
          "(positive: B is faster)")


if __name__ == "__main__":
    main()
