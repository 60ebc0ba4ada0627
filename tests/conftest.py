"""Shared test settings."""
import os

# The app compiles every kernel in a background thread when it starts; in tests that thread
# would only compete with the tests for the two cores.
os.environ.setdefault("LANDSCAPE_NO_WARMUP", "1")
