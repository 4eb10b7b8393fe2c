"""The Streamlit page: residents find the nearest outlet for their task, planners see coverage.

Page layout and widgets only: every figure and table shown is computed by a ``locator``
function (the tests and the command line call the same ones), most of them through
:mod:`locator.app.state`. Streamlit runs a page as a script, top to bottom, on every
interaction: `main` lays the page out once per run. ``locator app`` runs this file
(``streamlit run .../locator/app/page.py``); ``make run`` runs the repository's
``app.py``, which calls `main`. Chinese first; ``?lang=en`` or the sidebar switch gives
English. The page URL carries ``lat``, ``lon``, ``task``, ``bank`` (and ``lang``,
``view``), so an answer can be shared.
"""

from __future__ import annotations

import streamlit as st

from locator import datasets, hours, settings
from locator.app.common import Page, index_for, page_style, registry, shipped
from locator.app.resident import resident_view
from locator.app.state import VIEWS, escape_markdown, parse_url
from locator.i18n import LANG_NAMES, LANGS, t
from locator.maps import default_tiles

__all__ = ["main"]

TILES = ("osm", "amap", "none")
# The planner's choices, kept while the resident page is shown (the resident page keeps its
# own: `locator.app.resident.KEPT`).
STICKY = ("radius", "planner_task", "planner_bank", "metric")
# The planner's switches and choices besides its filters, kept the same way.
PLANNER_SWITCHES = (
    "new_sites", "show_gaps", "show_outlets", "show_banks", "uncovered_bank",
    "network_extract", "network_mode",
)  # fmt: skip
# Widgets whose shown option is a text in the page's language: set again after a language
# switch, or the browser, holding the old language's text, shows none of the new options.
WORDED = ("view", "tiles", "metric", "planner_task", "task", "when")


def init_state() -> None:
    """Read the link into the widgets' state on a session's first run."""
    if "_init" in st.session_state:
        return
    url = parse_url(st.query_params.to_dict())
    st.session_state.update(
        _init=True,
        lang=url.lang,
        view=url.view,
        k=url.k or settings.default_k,
        radius=float(settings.default_radius_km),
        new_sites=0,
        show_gaps=False,
        show_outlets=False,
        metric="covered_share",
        tiles=default_tiles(url.lang),
        _url_errors=url.errors,
    )
    if url.at is not None:  # hours judged at the link's moment (Asia/Shanghai)
        at = hours.parse_at(url.at)
        st.session_state.update(
            when="at", at_date=at.date(), at_time=at.time().replace(tzinfo=None)
        )
    if url.task:
        st.session_state["task"] = url.task
    if url.bank:
        st.session_state["bank"] = url.bank
    if url.lon is not None and url.lat is not None:
        st.session_state["loc"] = {"lon": url.lon, "lat": url.lat, "source": "link"}


def on_language() -> None:
    """A new language brings its base map (Amap / OpenStreetMap) until one is chosen.

    Every choice shown in words is set again, so the browser shows it in the new language.
    """
    for key in WORDED:
        if st.session_state.get(key) is not None:
            st.session_state[key] = st.session_state[key]
    if not st.session_state.get("_tiles_chosen"):
        st.session_state["tiles"] = default_tiles(st.session_state["lang"])


def on_tiles() -> None:
    """A base map chosen by hand stays, whatever the language."""
    st.session_state["_tiles_chosen"] = True


def keep_choices() -> None:
    """Keep the choices made on one page while the other is shown.

    Streamlit forgets a widget's value in a run that does not draw it.
    """
    for key in (*STICKY, *PLANNER_SWITCHES):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sidebar() -> tuple[Page, str]:
    """The sidebar (language, page, base map, which registry); the run's shared state."""
    lang = st.sidebar.radio(
        t("language"), LANGS, format_func=LANG_NAMES.get, key="lang", on_change=on_language
    )
    view = st.sidebar.radio(
        t("view", lang), VIEWS, format_func=lambda v: t(f"view_{v}", lang), key="view"
    )
    tiles = st.sidebar.selectbox(
        t("tiles", lang),
        TILES,
        format_func=lambda v: t(f"tiles_{v}", lang),
        key="tiles",
        on_change=on_tiles,
    )
    outlets, fingerprint = registry()
    page = Page(lang, tiles, outlets, fingerprint, shipped()[1], index_for(fingerprint, outlets))
    if "registry" in st.session_state:
        name = escape_markdown(st.session_state["registry_name"])
        st.sidebar.info(t("imported_note", lang, name=name, n=len(outlets)))
        if st.sidebar.button(t("use_shipped", lang)):
            for key in ("registry", "registry_fp", "registry_name", "_places"):
                st.session_state.pop(key, None)
            st.rerun()
    elif datasets.is_sample(outlets):
        st.sidebar.warning(t("sample_note", lang))
    st.sidebar.markdown(f":small[{t('hotline', lang)}]")  # small print, full contrast
    return page, view


def main() -> None:
    """Lay out the page: once per run (Streamlit reruns the script on every interaction)."""
    st.set_page_config(page_title="山西社保卡服务网点", page_icon="🗺️", layout="wide")
    init_state()
    keep_choices()
    page, view = sidebar()
    page_style()
    st.title(t("title", page.lang))
    if view == "planner":
        for error in st.session_state.get("_url_errors", ()):
            st.error(escape_markdown(error.text(page.lang)))
        from locator.app.planner import planner_view  # its imports only for planners

        planner_view(page)
    else:
        resident_view(page)


if __name__ == "__main__":  # `streamlit run locator/app/page.py` runs the page as __main__
    main()
