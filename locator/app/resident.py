"""The resident page (就近办理): what you need to do, where you are, the nearest outlets for it.

Top to bottom, as store locators do: the task question (nothing chosen), then for a task
that can be done online the online channel first, for a task of the card's own bank the
bank, then where you are (use my location, a place, a map click), then the answer: a
compact map with numbered pins beside (desktop) or above (phone) the numbered list. Once
the task and the place are given, the questions fold into one line with a "change" button,
so the first result shows without scrolling on a phone.

The whole page below the title is one `st.fragment`: a map click, a place or a filter
reruns this part only. Widgets that are not drawn in a run (the folded questions) keep
their values in mirrors (`KEPT`), since Streamlit forgets an undrawn widget's value.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from locator import settings
from locator._errors import LocatorError
from locator._validate import check_lonlat
from locator.app.answer import ResidentAnswer, ResidentFilters, resident_answer, resident_cards
from locator.app.common import (
    Page,
    answer_map,
    filtered_index,
    forget_url_errors,
    gazetteer_for,
    small,
)
from locator.app.results import FILTERS, chosen_moment, far_note, result_list, when_and_filters
from locator.app.state import error_markdown, escape_markdown, url_params
from locator.banks import BANK_NAMES
from locator.gazetteer import Place, Resolution
from locator.i18n import t
from locator.maps import display_to_wgs84, resident_layers, resident_map, standalone_html
from locator.tasks import TASK_CODES, Task, get_task

__all__ = ["KEPT", "resident_view"]

#: The resident widgets whose values outlive a run that does not draw them.
KEPT: tuple[str, ...] = (
    "task", "bank", "k", "place_q", "f_open", "f_weekends", "f_instant", "f_topup",
    "when", "at_date", "at_time",
)  # fmt: skip
MAP_HEIGHT_PX = 440


def restore_choices() -> None:
    """Give back each kept widget the value it had when last drawn."""
    for key in KEPT:
        if key not in st.session_state and f"_{key}" in st.session_state:
            st.session_state[key] = st.session_state[f"_{key}"]


def remember_choices() -> None:
    """Keep each drawn widget's value for the runs that do not draw it."""
    for key in KEPT:
        if key in st.session_state:
            st.session_state[f"_{key}"] = st.session_state[key]


# --- where the resident is -------------------------------------------------------------------


def set_location(
    lon: float, lat: float, source: str, place: str | None = None, *, named: bool = False
) -> None:
    """Take a new position: the answer follows it, the questions fold, no pin is chosen.

    ``place`` is the label of a place chosen; ``named``: it names its county and city.
    """
    loc = {"lon": lon, "lat": lat, "source": source, "place": place, "named": named}
    st.session_state["loc"] = loc
    st.session_state["_editing"] = False
    st.session_state.pop("selected", None)
    forget_url_errors()


def place_text(place: Place, lang: str) -> str:
    """A place as the page names it: name · county · city, with its pinyin in English.

    Plain text, not markdown (options and the summary line escape it).
    """
    name = f"{place.name} ({place.pinyin})" if lang == "en" and place.pinyin else place.name
    parts = [name, *(p for p in (place.county, place.city) if p and p != place.name)]
    if len(parts) == 1 and place.context and place.context != place.name:
        parts.append(place.context)
    return " · ".join(parts)


def names_county(place: Place) -> bool:
    """Whether a place's label (`place_text`) names its county and city."""
    return place.kind in ("county", "city") or bool(place.county and place.city)


def on_place_query(page: Page) -> None:
    """Search the typed place: one match is taken, several equally good ask which one."""
    st.session_state.pop("_place_error", None)
    st.session_state.pop("place_pick", None)
    try:
        found = gazetteer_for(page.fingerprint, page.outlets).resolve(
            st.session_state.get("place_q", "")
        )
    except LocatorError as error:
        st.session_state["_place_error"] = error
        found = Resolution([], False)
    st.session_state.update(_places=found.places, _ambiguous=found.ambiguous)
    if found.places and not found.ambiguous:
        place = found.places[0]
        set_location(
            place.lon, place.lat, "place", place_text(place, page.lang), named=names_county(place)
        )


def on_place_pick(places: list[Place], lang: str) -> None:
    """Take the place chosen among those of an ambiguous name."""
    pick = st.session_state.get("place_pick")
    if pick is not None and 0 <= pick < len(places):
        place = places[pick]
        set_location(
            place.lon, place.lat, "place", place_text(place, lang), named=names_county(place)
        )
        st.session_state["_ambiguous"] = False


def take_map_click() -> None:
    """Take a new click on the map as the resident's position."""
    click = (st.session_state.get("resident_map") or {}).get("last_clicked")
    if not click or click == st.session_state.get("_click"):
        return
    st.session_state["_click"] = click
    try:
        shown = check_lonlat(click["lng"], click["lat"])
    except (KeyError, TypeError, ValueError):
        return  # a click the map reports oddly is ignored; the next one counts
    lon, lat = display_to_wgs84(*shown, tiles=st.session_state["tiles"])
    set_location(lon, lat, "click")


def take_geolocation(lang: str) -> None:
    """The "use my location" button; a new position is taken, a refusal explained."""
    from locator.app.geolocation import locate_me

    found = locate_me(lang, key="geolocation")
    if found is None or found.at == st.session_state.get("_geo_at"):
        if found is not None and not found.found:
            st.warning(found.message(lang))
        return
    st.session_state["_geo_at"] = found.at
    if found.found and found.lon is not None and found.lat is not None:
        set_location(found.lon, found.lat, "geolocation")
        # The position came in the middle of drawing the questions: draw the answer folded.
        try:
            st.rerun(scope="fragment")
        except StreamlitAPIException:  # in a run of the whole page, not of the fragment
            st.rerun()
    else:
        st.warning(found.message(lang))


def place_question(page: Page) -> None:
    """Where you are: my location, a place (which one, when several), or a map click."""
    lang = page.lang
    st.header(t("where", lang))
    take_geolocation(lang)
    st.text_input(
        t("place", lang),
        key="place_q",
        placeholder=t("place_placeholder", lang),
        help=t("place_hint", lang),
        on_change=on_place_query,
        args=(page,),
    )
    places: list[Place] = st.session_state.get("_places", [])
    if "_place_error" in st.session_state:
        st.error(error_markdown(st.session_state["_place_error"], lang, "place_error"))
    elif places and st.session_state.get("_ambiguous"):
        st.radio(
            t("place_pick", lang),
            range(len(places)),
            format_func=lambda i: place_text(places[i], lang),
            index=None,
            key="place_pick",
            on_change=on_place_pick,
            args=(places, lang),
        )
    elif st.session_state.get("place_q") and not places:
        st.warning(t("place_none", lang, query=escape_markdown(st.session_state["place_q"])))
    small(t("where_help", lang))


# --- what the resident needs to do -----------------------------------------------------------


def task_question(lang: str) -> Task | None:
    """The first question: the task, nothing chosen until the resident chooses."""
    code = st.selectbox(
        t("task", lang),
        TASK_CODES,
        index=None,
        placeholder=t("task_placeholder", lang),
        format_func=lambda c: get_task(c).label(lang),
        key="task",
        on_change=forget_url_errors,
    )
    return None if code is None else get_task(code)


def bank_question(lang: str) -> str | None:
    """For a task of the card's own bank: which bank, before anything else."""
    bank: str | None = st.selectbox(
        t("bank", lang),
        BANK_NAMES,
        index=None,
        placeholder=t("bank_placeholder", lang),
        key="bank",
        on_change=forget_url_errors,
    )
    return bank


def online_answer(task: Task, lang: str) -> None:
    """The online channel: alone for an online-only task, compact above the outlets otherwise."""
    channel = task.online_channel(lang)
    if channel is None:
        return
    where = f"**{escape_markdown(channel.app)}**: {escape_markdown(channel.steps)}"
    if channel.outlet_also:
        small(f"{t('online', lang)}: {where}")
        return
    st.header(t("online_only", lang))
    lines = [where, channel.cost, channel.delivery, channel.hotline]
    st.info("  \n".join(escape_markdown(x) if x is not where else x for x in lines if x))


def edit() -> None:
    """Unfold the questions."""
    st.session_state["_editing"] = True


def county_text(page: Page, answer: ResidentAnswer, lang: str) -> str:
    """The county and city of the answer's point; in English with the county's pinyin."""
    name, _, city = answer.county.partition(" · ")
    if lang != "en" or not city:
        return answer.county
    found = gazetteer_for(page.fingerprint, page.outlets).resolve(f"{city}{name}").places
    same = [p for p in found if p.kind == "county" and (p.name, p.city) == (name, city)]
    return place_text(same[0], lang) if same else answer.county


def where_text(page: Page, answer: ResidentAnswer) -> str:
    """Where the answer is from: the place chosen, or how it was given, with county and city."""
    lang = page.lang
    loc = st.session_state["loc"]
    if loc.get("place") and loc.get("named"):  # a place's label names its county and city
        return str(loc["place"])
    source = {"click": "map_click", "link": "from_link", "geolocation": "from_geolocation"}
    key = source.get(loc.get("source") or "")
    where = loc.get("place") or (t(key, lang) if key else "")
    if not answer.county:
        return " · ".join(w for w in (where, f"{loc['lat']:.5f}, {loc['lon']:.5f}") if w)
    return " · ".join(w for w in (where, county_text(page, answer, lang)) if w)


def summary(page: Page, answer: ResidentAnswer, *, folded: bool) -> None:
    """One line over the answer, and the filters and time in it (`when_and_filters`).

    Folded: the questions answered, with a button to change them; else where you are.
    """
    lang = page.lang
    with st.container(horizontal=True, vertical_alignment="center", key="summary", gap="small"):
        if folded:
            st.button(t("change", lang), key="change", on_click=edit)
        when_and_filters(lang)
        if folded:
            parts = [answer.task.label(lang), answer.bank or "", where_text(page, answer)]
            st.markdown(" · ".join(escape_markdown(p) for p in parts if p))
        else:
            small(t("you_are", lang, where=escape_markdown(where_text(page, answer))))


def compute_answer(page: Page, task: Task, bank: str | None) -> ResidentAnswer | None:
    """The answer for the position chosen, or None (and the error said) when it cannot be."""
    loc = st.session_state["loc"]
    moment = chosen_moment()
    # Filtered once per filter set (cached, shared); the answer then judges hours at `moment`.
    index = filtered_index(page, moment, tuple(bool(st.session_state.get(f)) for f in FILTERS))
    k = int(st.session_state.get("k") or settings.default_k)
    try:
        return resident_answer(
            index, lon=loc["lon"], lat=loc["lat"], task=task.code, bank=bank, k=k,
            filters=ResidentFilters(at=moment),
        )  # fmt: skip
    except LocatorError as error:
        st.error(error_markdown(error, page.lang, "answer_error"))
        return None


def answer_area(page: Page, task: Task, bank: str | None, *, folded: bool) -> None:
    """The map beside (desktop) or above (phone) the numbered list, and the filters."""
    lang = page.lang
    options = page.map_options
    if "loc" not in st.session_state:
        st.info(t("no_location", lang))
        nothing = resident_layers(page.index.outlets.iloc[:0], you=None, options=options)
        answer_map(page, nothing, MAP_HEIGHT_PX, outlines=True)
        return
    answer = compute_answer(page, task, bank)
    if answer is None:
        return
    summary(page, answer, folded=folded)
    if folded:
        online_answer(task, lang)
    if not answer.inside:
        st.warning(t("outside", lang))
    loc = st.session_state["loc"]
    you = (loc["lon"], loc["lat"])
    outlines = page.counties if page.tiles == "none" else None  # as the map in the page
    left, right = st.columns([5, 4], gap="medium")
    with left:
        selected = st.session_state.get("selected")
        selected = selected if selected in set(answer.found.get("rank", [])) else None
        pins = resident_layers(answer.found, you=you, options=options, selected=selected)
        answer_map(page, pins, MAP_HEIGHT_PX)
    with right:
        if answer.found.empty:
            st.warning(t("none_found", lang))
        else:
            result_list(page, answer, resident_cards(answer, lang))
        if (note := answer.calendar_note(lang)) is not None:
            small(note)
        far_note(answer, lang)
        st.download_button(
            t("download_html", lang),
            data=lambda: standalone_html(
                resident_map(answer.found, you=you, counties=outlines, options=options)
            ),
            file_name="locator-nearest.html",
            mime="text/html",
            on_click="ignore",
        )


def sync_url(lang: str, task: Task | None, bank: str | None) -> None:
    """The page's link: it reopens this answer."""
    loc = st.session_state.get("loc") or {"lon": None, "lat": None}
    st.query_params.from_dict(
        url_params(
            lang=lang,
            view="resident",
            task=task.code if task else None,
            bank=bank,
            lon=loc["lon"],
            lat=loc["lat"],
            at=chosen_moment(),
        )
    )


def link_errors(lang: str) -> None:
    """What a bad shared link got wrong, in the page's words; gone once the user acts."""
    for error in st.session_state.get("_url_errors", ()):
        st.error(escape_markdown(error.text(lang)))


def questions(page: Page) -> tuple[Task | None, str | None, bool]:
    """The task, the bank and the place, asked in that order; (task, bank, ready)."""
    lang = page.lang
    task = task_question(lang)
    if task is None:
        small(t("intro", lang))
        return None, None, False
    online_answer(task, lang)
    if not task.kinds:
        return task, None, False
    bank = bank_question(lang) if task.own_bank else None
    if task.own_bank and bank is None:
        st.info(t("bank_needed", lang))
        return task, None, False
    place_question(page)
    return task, bank, True


def resident_body(page: Page) -> None:
    """The page below the title: questions (or their one-line summary), then the answer."""
    lang = page.lang
    link_errors(lang)
    code, bank = st.session_state.get("task"), st.session_state.get("bank")
    task = None if code is None else get_task(code)
    answered = task is not None and bool(task.kinds) and (bank is not None or not task.own_bank)
    folded = answered and "loc" in st.session_state and not st.session_state.get("_editing")
    if folded and task is not None:
        bank = bank if task.own_bank else None
        ready = True
    else:
        task, bank, ready = questions(page)
    sync_url(lang, task, bank)
    if ready and task is not None:
        answer_area(page, task, bank, folded=folded)


@st.fragment
def resident_part(page: Page) -> None:
    """Everything that changes with the resident's choices: rerun alone on a click or a place."""
    restore_choices()
    try:
        take_map_click()
        resident_body(page)
    finally:
        remember_choices()


def resident_view(page: Page) -> None:
    """就近办理: what you need to do, where you are, and the nearest outlets that can do it."""
    resident_part(page)
