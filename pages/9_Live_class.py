"""Live class: every student answers on their own screen; the projector shows the class's answers, then the race."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

from ui import live_class, shell

shell.page_header("Live class", "Students join with the room's code or QR code and answer each lesson's question on "
                                "their own phone or laptop; the projector shows the answers as they arrive.")
live_class.show(shell.presentation_on())
