"""Entry point of ``streamlit run app.py``, and the landing page.

Pages are discovered from ``pages/`` (Streamlit's multipage convention) rather than declared
with ``st.navigation``: the two do not mix, and with a ``pages/`` folder present a link
straight to a page is served by discovery before ``st.navigation`` ever runs, so mixing
them broke shared links in a trial. Discovery also keeps adding a page to one file.
"""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

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
st.info("**Teaching a class?** Start with **Lessons**: each scene asks the class to predict, then reveals the race. "
        "**Exploring on your own?** Start with **Compare optimizers** and move the sliders.", icon=":material/school:")
WHAT_EACH_PAGE_IS_FOR = {
    "pages/1_Compare.py": "up to six optimizers race on one landscape; every slider redraws the race",
    "pages/2_Lessons.py": "a lecture in scenes: predict, reveal, and the claims checked on the runs",
    "pages/3_Gallery.py": "every surface, its minima and curvature, and the pathology it shows",
    "pages/4_Anatomy.py": "one optimizer, one step at a time: every arrow and number of the update",
    "pages/5_Sweep.py": "two settings swept at once: where an optimizer works, and grid against random search",
    "pages/6_Basins.py": "which minimum each start ends in, for several optimizers side by side",
    "pages/7_Your_landscape.py": "type a loss in x and y and race optimizers on it",
    "pages/8_Data_landscape.py": "gradient descent against minibatch SGD on real data",
    "pages/9_Live_class.py": "every student answers each lesson's question on their own screen; the projector shows the class",
    "pages/10_Network.py": "train a small neural network live and see its own loss landscape four ways: how real are the pictures?",
}
for path, label, icon in shell.PAGES[1:]:
    st.page_link(path, label=f"**{label}**: {WHAT_EACH_PAGE_IS_FOR.get(path, '')}", icon=icon)
