"""The resident page (就近办理): the nearest outlets that can do a task, from where one is."""

from __future__ import annotations

from typing import Any

import streamlit as st

from locator import settings
from locator._errors import LocatorError
from locator._validate import check_lonlat
from locator.app.common import Page, forget_url_errors, gazetteer_for, show_map
from locator.app.state import (
    ResidentAnswer,
    error_markdown,
    escape_markdown,
    outlet_cards,
    place_label,
    resident_answer,
    result_table,
    url_params,
)
from locator.banks import BANK_NAMES
from locator.gazetteer import Gazetteer, Place
from locator.i18n import t
from locator.maps import display_to_wgs84, resident_map, standalone_html
from locator.tasks import TASK_CODES, Task, get_task

__all__ = ["resident_view"]


def set_place(places: list[Place], pick: int) -> None:
    """Take the place picked from the search results as the user's position."""
    if places:
        place = places[min(pick, len(places) - 1)]
        st.session_state["loc"] = {"lon": place.lon, "lat": place.lat, "place": place.name}
    forget_url_errors()


def on_place_query(gazetteer: Gazetteer) -> None:
    """Search the typed place; take the first result."""
    st.session_state.pop("_place_error", None)
    try:
        places = gazetteer.search(st.session_state.get("place_q", ""))
    except LocatorError as error:
        st.session_state["_place_error"] = error
        places = []
    st.session_state.update(_places=places, place_pick=0)
    set_place(places, 0)


def on_map_click() -> None:
    """Take a new click on the resident's map as the user's position."""
    click = (st.session_state.get("resident_map") or {}).get("last_clicked")
    if not click or click == st.session_state.get("_click"):
        return
    st.session_state["_click"] = click
    try:
        shown = check_lonlat(click["lng"], click["lat"])
    except (KeyError, TypeError, ValueError):
        return  # a click the map reports oddly is ignored; the next one counts
    lon, lat = display_to_wgs84(*shown, tiles=st.session_state["tiles"])
    st.session_state["loc"] = {"lon": lon, "lat": lat, "source": "click"}
    forget_url_errors()


def task_choice(page: Page) -> tuple[Task, str | None, int]:
    """The task, the card's bank (for an own-bank task) and how many outlets to show."""
    lang = page.lang
    left, middle, right = st.columns([3, 2, 1])
    task = get_task(
        left.selectbox(
            t("task", lang),
            TASK_CODES,
            format_func=lambda c: get_task(c).label(lang),
            key="task",
            on_change=forget_url_errors,
        )
    )
    bank = None
    if task.own_bank:
        placeholder = t("bank_placeholder", lang)
        bank = middle.selectbox(
            t("bank", lang), BANK_NAMES, index=None, placeholder=placeholder, key="bank"
        )
    k = right.slider(t("k", lang), 1, 10, key="k")
    notes = [f"**{t('bring', lang)}**: {task.bring(lang)}", task.note(lang)]
    if task.online(lang):
        notes.append(
            f"**{t('online' if task.kinds else 'online_only', lang)}**: {task.online(lang)}"
        )
    st.info("  \n".join(notes))
    return task, bank, k


def place_search(page: Page) -> None:
    """The place box and, after a search, the places found to choose from."""
    lang = page.lang
    st.markdown(f"**{t('where', lang)}** {t('where_help', lang)}")
    query_col, pick_col = st.columns(2)
    gazetteer = gazetteer_for(page.fingerprint, page.outlets)
    query_col.text_input(
        t("place", lang),
        key="place_q",
        placeholder=t("place_placeholder", lang),
        help=t("place_hint", lang),
        on_change=on_place_query,
        args=(gazetteer,),
    )
    places: list[Place] = st.session_state.get("_places", [])
    if "_place_error" in st.session_state:
        pick_col.error(error_markdown(st.session_state["_place_error"], lang, "place_error"))
    elif places:
        pick_col.selectbox(
            t("place_pick", lang),
            range(len(places)),
            format_func=lambda i: place_label(places[i], lang),
            key="place_pick",
            on_change=lambda: set_place(places, st.session_state["place_pick"]),
        )
    elif st.session_state.get("place_q"):
        pick_col.warning(t("place_none", lang, query=escape_markdown(st.session_state["place_q"])))


def answer_list(page: Page, answer: ResidentAnswer, shown: dict[str, Any]) -> None:
    """The outlets found, as cards and as a table, and the map to download."""
    lang = page.lang
    st.subheader(t("n_found", lang, n=len(answer.found)))
    for text, nav_url in outlet_cards(answer, lang):
        with st.container(border=True):
            st.markdown(text)
            st.link_button(t("navigate", lang), nav_url)
    st.caption(t("share", lang))
    with st.expander(t("table_view", lang)):
        link = {t("col_nav", lang): st.column_config.LinkColumn(display_text=t("navigate", lang))}
        st.dataframe(result_table(answer, lang), hide_index=True, column_config=link)
    st.download_button(
        t("download_html", lang),
        data=lambda: standalone_html(resident_map(answer.found, **shown)),
        file_name="locator-nearest.html",
        mime="text/html",
        on_click="ignore",
    )


def far_note(answer: ResidentAnswer, lang: str) -> None:
    """For a task of the card's own bank: every branch was searched; if it is far, what else."""
    if not answer.task.own_bank or answer.needs_bank:
        return
    if not answer.far:
        st.caption(t("branches_searched", lang))
        return
    km = answer.nearest_km
    head = (
        t("no_branch", lang)
        if km is None
        else t("far_branch", lang, km=f"{km:.0f}", limit=f"{settings.far_branch_km:g}")
    )
    lines = "\n".join(f"- {escape_markdown(line)}" for line in answer.alternatives(lang))
    st.warning(f"{head}\n\n{lines}")


def resident_view(page: Page) -> None:
    """就近办理: the nearest outlets that can do the task chosen, from where the user is."""
    lang = page.lang
    on_map_click()
    task, bank, k = task_choice(page)
    place_search(page)
    loc = st.session_state.get("loc")
    you = (loc["lon"], loc["lat"]) if loc else None
    here = {"lon": you[0], "lat": you[1]} if you else {"lon": None, "lat": None}
    shown = {"you": you, "counties": page.counties, "options": page.map_options}
    st.query_params.from_dict(
        url_params(lang=lang, view="resident", task=task.code, bank=bank, **here)
    )
    answer = None
    if loc is not None:
        try:
            answer = resident_answer(
                page.index, **here, task=task.code, bank=bank, k=k, counties=page.counties
            )
        except LocatorError as error:
            st.error(error_markdown(error, lang, "answer_error"))
            return
        source = {"click": t("map_click", lang), "link": t("from_link", lang)}.get(
            loc.get("source")
        )
        where = loc.get("place") or f"{loc['lat']:.5f}, {loc['lon']:.5f} {answer.county}"
        st.caption(
            t("you_are", lang, where=escape_markdown(where)) + (f" ({source})" if source else "")
        )
        if not answer.inside:
            st.warning(t("outside", lang))

    # Before a location is given the map shows the counties alone: any click there answers.
    found = answer.found if answer is not None else page.index.outlets.iloc[:0]
    show_map(resident_map(found, **shown), "resident_map", ["last_clicked"])
    if answer is None:
        st.info(t("no_location", lang))
    elif answer.needs_bank:
        st.warning(t("bank_needed", lang))
    elif answer.found.empty and not answer.online_only:
        st.warning(t("none_found", lang))
        far_note(answer, lang)
    elif not answer.online_only:
        far_note(answer, lang)
        answer_list(page, answer, shown)
