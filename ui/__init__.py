"""The thin layer between Streamlit pages and the engine: page state, defaults, widgets, caching."""
