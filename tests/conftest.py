"""Shared test settings."""
import os

# The app compiles every kernel in a background thread when it starts; in tests that thread
# would only compete with the tests for the two cores.
os.environ.setdefault("LANDSCAPE_NO_WARMUP", "1")
# A page pauses after its main chart so the browser draws it alone (ui/chart_first.head_start): a pause
# changes when the browser draws, never what, and over the suite's page runs it would add minutes.
os.environ.setdefault("LANDSCAPE_HEAD_START", "0")
# Every AppTest runs as one browser session ("test session id"), so over the suite it would use up
# a class's per-session shares; the shares themselves are tested with their own limits
# (test_scheduler.py, test_class_server.py). The browser tests' servers inherit these too.
os.environ.setdefault("LANDSCAPE_HEAVY_SECONDS_PER_MINUTE", "1e9")
os.environ.setdefault("LANDSCAPE_NEW_FORMULAS_PER_SESSION", "1000000")
# The live class's rooms go to a database of the test run's own, never to the app's var/rooms.sqlite3.
if "LANDSCAPE_ROOMS_URL" not in os.environ:
    import tempfile

    os.environ["LANDSCAPE_ROOMS_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='landscape-rooms-')}/rooms.sqlite3"
