"""In a real browser, on a server other sessions keep busy: a page whose heavy work waits says so, and how long."""
import asyncio
import threading

import pytest
import websockets
from browser_kit import ARTIFACTS, browser, open_page, server  # noqa: F401  (fixtures)
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

pytestmark = pytest.mark.browser

HEAVY = "land=rosenbrock&opt=lbfgs&res=256&steps={steps}&cmp=sgd,momentum,nesterov,adagrad,rmsprop,lbfgs&budget=16"
WAITING = ("() => Array.from(document.querySelectorAll('[data-testid=\"stAlert\"]'))"
           ".some(a => /Queued behind|Computing \\(/.test(a.innerText))")


def _classmates(url: str, count: int, stop: threading.Event) -> threading.Thread:
    """``count`` sessions opening the costliest sweep link again and again, each time with other steps."""

    async def one(n: int):
        while not stop.is_set():
            n += 7
            async with websockets.connect(url.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=None) as websocket:
                message = BackMsg()
                message.rerun_script.query_string = HEAVY.format(steps=1999 - n % 900)
                message.rerun_script.page_name = "Sweep"
                await websocket.send(message.SerializeToString())
                while not stop.is_set():
                    forward = ForwardMsg()
                    forward.ParseFromString(await asyncio.wait_for(websocket.recv(), 300))
                    if forward.WhichOneof("type") == "script_finished":
                        break

    async def all_of_them():
        await asyncio.gather(*(one(1000 * i) for i in range(count)), return_exceptions=True)

    thread = threading.Thread(target=lambda: asyncio.run(all_of_them()), daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("width, height, presentation", [(1366, 768, False), (1920, 1080, True)])
def test_a_sweep_that_waits_behind_classmates_work_says_it_is_queued_and_for_about_how_long(
        server, browser, width, height, presentation):
    warm = open_page(browser, server + "/Sweep?" + HEAVY.format(steps=30).replace("res=256", "res=16"))  # kernels compiled
    warm.close()
    stop = threading.Event()
    classmates = _classmates(server, 3, stop)
    try:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.wait_for_timeout(3000)  # the classmates' sweeps fill the lanes
        steps = 999 - presentation  # not the other case's result, which the server still holds
        page.goto(server + f"/Sweep?land=rosenbrock&opt=adam&res=256&steps={steps}" + ("&pres=1" if presentation else ""))
        page.wait_for_function(WAITING, timeout=120_000)
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="left").first
        text = alert.inner_text()
        assert "The 256×256 sweep" in text and ("Queued behind" in text or "Computing (" in text) and "s left" in text
        if presentation:  # the projector's stylesheet arrives a moment after the first elements
            page.wait_for_function("() => { const s = document.querySelector('section[data-testid=\"stSidebar\"]');"
                                   " return !s || getComputedStyle(s).display === 'none'; }", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / f"sweep-queued-{width}x{height}.png"))
        page.wait_for_selector(".live-chart .js-plotly-plot .trace, .js-plotly-plot .trace", timeout=240_000)
        page.wait_for_function(f"() => !({WAITING[6:]})", timeout=240_000)  # the message goes once the map is there
    finally:
        stop.set()
        classmates.join(timeout=120)
