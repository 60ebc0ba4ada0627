"""Shared test settings."""
import os

# The app compiles every kernel in a background thread when it starts; in tests that thread
# would only compete with the tests for the two cores.
os.environ.setdefault("LANDSCAPE_NO_WARMUP", "1")
# A page pauses after its main chart so the browser draws it alone (ui/chart_first.head_start): a pause
# changes when the browser draws, never what, and over the suite's page runs it would add minutes.
os.environ.setdefault("LANDSCAPE_HEAD_START", "0")
