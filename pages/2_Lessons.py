"""Lessons: one idea at a time. Each opens on a prediction, then reveals its race, text and checked claims."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

from ui import lesson_page, lessons, live_class, shell

shell.page_header("Lessons", f"A lecture on optimization in {len(lessons.LESSONS)} live scenes. Each opens on a question: "
                             "predict, then reveal the race. Open any scene in Compare to change it.")
presentation = shell.presentation_on()
lesson = lesson_page.choose_lesson()
live_class.start_button(lesson)
lesson_page.show(lesson, presentation)
