"""Landscape gallery: every surface as a card, with its formula, minima and curvature."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import landscapes
import streamlit as st
from landscapes import analysis

from ui import chart_first, charts, gallery, shell
from ui import state as compare_state
from viz import gallery as figures

shell.page_header("Landscape gallery", "Every surface of the catalogue: what it looks like, where its minima are, "
                  "and how it curves. Ravines show up as a large condition number, saddles as a negative λ_min.")
presentation = shell.presentation_on()

if "gallery_seeded" not in st.session_state:
    initial, warnings = gallery.from_query(st.query_params.to_dict())
    st.session_state.update({"gallery_seeded": True, "gallery_warnings": warnings, "gal.cat": initial.category,
                             "gal.map": initial.map_kind, "gal.3d": initial.show_3d})
    for name, (x, y) in initial.points.items():
        st.session_state[f"gal.x.{name}"], st.session_state[f"gal.y.{name}"] = x, y
for warning in st.session_state.get("gallery_warnings", []):
    st.warning(warning, icon="⚠️")

# on a projector the two choices get a row each: side by side their larger buttons ran past the screen's edge
controls = [*st.columns(1), *st.columns([3, 1])] if presentation else st.columns([3, 2, 1])
category = controls[0].segmented_control("Category", gallery.categories(), key="gal.cat", format_func=str.capitalize,
                                         persist_state="session") or "all"
map_kind = controls[1].segmented_control("Curvature map", list(figures.MAP_KINDS), key="gal.map",
                                         format_func=lambda k: {"condition": "condition number κ", "smallest": "smallest eigenvalue"}[k],
                                         persist_state="session") \
    or "condition"
show_3d = controls[2].toggle("3-D views", key="gal.3d", persist_state="session")
state = gallery.GalleryState(category=category, map_kind=map_kind, show_3d=show_3d)
draw_3d = show_3d and len(state.names()) <= gallery.MAX_3D_VIEWS
if show_3d and not draw_3d:
    st.info(f"The 3-D views appear once you pick a category: a browser keeps only about 16 WebGL views alive at once, "
            f"so the page draws at most {gallery.MAX_3D_VIEWS}.", icon=":material/view_in_ar:")

for name in state.names():
    surface = landscapes.get(name)
    (xa, xb), (ya, yb) = surface.bounds
    with st.container(border=True, key=f"card-{name}"):
        st.subheader(surface.title, anchor=name)
        st.caption(f"**{surface.category.capitalize()}** · `{name}`")
        text, picture = st.columns([2, 5] if draw_3d else [2, 4])
        with text:
            st.latex(surface.formula)
            st.markdown(surface.description)
            st.dataframe(figures.minima_rows(surface), hide_index=True, width="stretch",
                         column_config={"f": st.column_config.NumberColumn("f(x, y)", format="%.6g")})
            st.page_link("pages/1_Compare.py", label="Open in Compare", icon=":material/sports_score:",
                         query_params=compare_state.to_query(compare_state.default_state(name)))
        with picture:
            start = tuple(float(v) for v in surface.start)
            st.session_state.setdefault(f"gal.x.{name}", start[0])
            st.session_state.setdefault(f"gal.y.{name}", start[1])
            x_in, y_in = st.columns(2)
            x = x_in.number_input("chosen point x", min_value=float(xa), max_value=float(xb), key=f"gal.x.{name}",
                                  format="%.4g", step=(xb - xa) / 100, persist_state="session")
            y = y_in.number_input("chosen point y", min_value=float(ya), max_value=float(yb), key=f"gal.y.{name}",
                                  format="%.4g", step=(yb - ya) / 100, persist_state="session")
            state.points[name] = (float(x), float(y))
            # the maps get the card's full width: two equal-scale panels of a wide surface are narrow
            maps, curvature_table = st.container(), text
            with maps:
                charts.plotly_chart(figures.map_figure(surface, gallery.contour_grid(name), gallery.curvature_grid(name),
                                                       (x, y), map_kind, height=440 if presentation else 330,
                                                       presentation=presentation),
                                    key=f"gal.map.{name}", filename=f"gallery-{name}-{map_kind}")
            if name == state.names()[0]:
                chart_first.head_start()  # the first card's map on screen before the other cards arrive
            point = analysis.curvature_at(surface, x, y)
            if draw_3d:
                table_column, view_column = st.columns([2, 3])
                table_column.dataframe(gallery.point_rows(point), hide_index=True, width="stretch")
                table_column.caption(f"At ({x:.4g}, {y:.4g}): {point.kind}.")
                with view_column:
                    charts.plotly_chart(figures.surface3d_figure(surface, gallery.surface_grid(name), (x, y),
                                                                 height=400 if presentation else 300,
                                                                 presentation=presentation),
                                        key=f"gal.3d.{name}", filename=f"gallery-{name}-3d")
            else:
                curvature_table.dataframe(gallery.point_rows(point), hide_index=True, width="stretch")
                curvature_table.caption(f"At ({x:.4g}, {y:.4g}): {point.kind}.")

shell.keep_in_link(gallery.to_query(state))
