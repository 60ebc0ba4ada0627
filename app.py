"""Entry point of ``streamlit run app.py``, and the landing page.

Pages are discovered from ``pages/`` (Streamlit's multipage convention) rather than declared
with ``st.navigation``: the two do not mix, and with a ``pages/`` folder present a link
straight to a page is served by discovery before ``st.navigation`` ever runs, so mixing
them broke shared links in a trial. Discovery also keeps adding a page to one file.
"""
import streamlit as st

from ui import shell

shell.configure_page("Loss landscapes, live")
shell.navigation()
st.title("Loss landscapes, live")
st.markdown(
    "Watch gradient descent, momentum, AdaGrad, RMSProp, Adam, Newton and L-BFGS race across ravines, saddles, "
    "cliffs and plateaus, every update computed exactly as `torch.optim` computes it. "
    "Move a slider and see for yourself why a method jitters, overshoots, stalls or diverges."
)
for path, label, icon in shell.PAGES[1:]:
    st.page_link(path, label=f"**{label}**", icon=icon)
shell.warm_up_kernels()
# the batch kernels behind the Sweep and Basins pages take 5-12 s each to compile on a new server
from ui import basins, sweep  # noqa: E402  (after the page is drawn: the imports are not free)

sweep.warm_up()
basins.warm_up()
