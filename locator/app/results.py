"""The resident's answer as the page lists it: numbered cards, filters, when, how many.

Each card is a `locator.app.answer.ResidentCard` drawn in ``st.container(key="result-<rank>")``
(number and name, kind, bank, straight-line distance, the open badge in colour and words,
address, a ``tel:`` link, Amap routes, what to bring, a button that highlights its pin).
Every text from the registry is escaped (`locator.app.state.escape_markdown`); links are
link buttons, never markdown. Used by `locator.app.resident`, inside its fragment.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import streamlit as st

from locator import hours, settings
from locator.app.answer import ResidentAnswer, ResidentCard, result_table
from locator.app.common import Page, small
from locator.app.state import escape_markdown
from locator.i18n import t

__all__ = [
    "FILTERS",
    "MAX_K",
    "chosen_moment",
    "far_note",
    "result_list",
    "when_and_filters",
]

FILTERS = ("f_open", "f_weekends", "f_instant", "f_topup")
MAX_K = 10
# Open, closed, unknown: the badge's text says which too (colour is never the only sign).
BADGE_COLORS: dict[str, Literal["green", "red", "gray"]] = {
    "open": "green",
    "closed": "red",
    "unknown": "gray",
}
WHEN_WORDS = {"now": "when_now", "at": "when_at"}


# --- when, filters, how many -----------------------------------------------------------------


def chosen_moment() -> dt.datetime | None:
    """The moment hours are judged at: None for now, else the date and time chosen."""
    if st.session_state.get("when") != "at":
        return None
    day = st.session_state.get("at_date") or hours.parse_at(None).date()  # Asia/Shanghai
    clock = st.session_state.get("at_time") or dt.time(10, 0)
    return hours.parse_at(dt.datetime.combine(day, clock))


def when_and_filters(lang: str) -> None:
    """When to be there (now, or a date and time), the filters and how many outlets.

    In a pop-over: one button in the line over the answer, so on a phone nothing comes
    between the map and the first result.
    """
    with st.popover(t("filters", lang), key="filters"):
        st.radio(
            t("when", lang),
            ("now", "at"),
            format_func=lambda v: t(WHEN_WORDS[v], lang),
            horizontal=True,
            key="when",
        )
        if st.session_state.get("when") == "at":
            st.date_input(t("at_date", lang), key="at_date")
            st.time_input(t("at_time", lang), key="at_time", step=dt.timedelta(minutes=30))
        for key in FILTERS:
            st.checkbox(t(key, lang), key=key)
        st.slider(t("k", lang), 1, MAX_K, key="k")


def show_more() -> None:
    """Five more outlets, up to ten."""
    st.session_state["k"] = min(MAX_K, int(st.session_state.get("k") or settings.default_k) + 5)


# --- the answer ------------------------------------------------------------------------------


def choose(rank: int) -> None:
    """Highlight a result's pin on the map."""
    st.session_state["selected"] = rank


def result_card(card: ResidentCard, lang: str) -> None:
    """One result: number and name, kind, bank, distance, open badge, address, call, routes."""
    with st.container(key=f"result-{card.rank}", border=True):
        meta = " · ".join(escape_markdown(m) for m in (card.kind, card.bank, card.distance) if m)
        color = BADGE_COLORS.get(card.state, "gray")
        st.markdown(
            f"**{card.rank}. {escape_markdown(card.name)}**  \n"
            f"{meta} :{color}-badge[{escape_markdown(card.badge)}]  \n"
            f"{escape_markdown(card.address)}  \n"
            f"{t('bring', lang)}: {escape_markdown(card.bring)}"
        )
        # Two rows of buttons (call and the pin; the three routes), compact on a phone
        # (`PAGE_CSS`), so a whole card fits on the first screen under the map.
        with st.container(horizontal=True, gap="small", key=f"acts-{card.rank}"):
            if card.tel_url:
                st.link_button(t("call", lang, phone=escape_markdown(card.phone)), card.tel_url)
            st.button(
                t("show_on_map", lang, n=card.rank),
                key=f"show-{card.rank}",
                on_click=choose,
                args=(card.rank,),
            )
        if card.routes:
            with st.container(horizontal=True, gap="small", key=f"routes-{card.rank}"):
                for route in card.routes:  # in the card of its outlet: says where it goes
                    st.link_button(t("route", lang, mode=escape_markdown(route.label)), route.url)


def result_list(page: Page, answer: ResidentAnswer, cards: list[ResidentCard]) -> None:
    """The numbered list, "show more", the table and the map to download."""
    lang = page.lang
    st.header(t("n_found", lang, n=len(cards)))
    for card in cards:
        result_card(card, lang)
    k = int(st.session_state.get("k") or settings.default_k)
    more = len(cards) >= k and k < MAX_K
    st.button(t("show_more", lang), key="show_more", on_click=show_more, disabled=not more)
    with st.expander(t("table_view", lang)):
        link = {t("col_nav", lang): st.column_config.LinkColumn(display_text=t("navigate", lang))}
        st.dataframe(result_table(answer, lang), hide_index=True, column_config=link)
    small(t("share", lang))


def far_note(answer: ResidentAnswer, lang: str) -> None:
    """For a task of the card's own bank: every branch was searched; if it is far, what else."""
    if not answer.task.own_bank or answer.needs_bank:
        return
    if not answer.far:
        small(t("branches_searched", lang))
        return
    km = answer.nearest_km
    head = (
        t("no_branch", lang)
        if km is None
        else t("far_branch", lang, km=f"{km:.0f}", limit=f"{settings.far_branch_km:g}")
    )
    lines = "\n".join(f"- {escape_markdown(line)}" for line in answer.alternatives(lang))
    st.warning(f"{head}\n\n{lines}")
