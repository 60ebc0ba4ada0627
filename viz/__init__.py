"""Figure building: every chart of the app is made here, from engine results, with Plotly.

This package imports plotly and numpy but never streamlit, so figures are built and tested
headless; pages only place them.
"""
