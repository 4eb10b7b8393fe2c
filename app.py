"""The Streamlit app: residents find the nearest outlet for their task, planners see coverage.

Page layout and widgets only: every figure and table shown is computed by a
``locator`` function (the tests and the command line call the same ones).
Start it with ``make run`` (``streamlit run app.py``). Chinese first; ``?lang=en``
or the sidebar switch gives English. The page URL carries ``lat``, ``lon``,
``task``, ``bank`` (and ``lang``, ``view``), so an answer can be shared.
"""

# The cached functions take the registry fingerprint only as (part of) their cache key.
# ruff: noqa: ARG001

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from locator import settings
from locator._errors import LocatorError
from locator._validate import check_lonlat
from locator.app.state import (
    VIEWS,
    error_markdown,
    escape_markdown,
    import_upload,
    outlet_cards,
    parse_url,
    place_label,
    planner_downloads,
    planner_table,
    registry_fingerprint,
    resident_answer,
    result_table,
    url_params,
)
from locator.banks import BANK_NAMES
from locator.gazetteer import Gazetteer, Place
from locator.i18n import LANG_NAMES, LANGS, t
from locator.index import OutletIndex
from locator.maps import (
    display_to_wgs84,
    planner_map,
    province_map,
    resident_map,
    standalone_html,
    use_local_assets,
)
from locator.planning.coverage import coverage_report, gaps
from locator.planning.demand import estimate_demand
from locator.planning.siting import coverage_gain_curve, suggest_sites
from locator.registry import load_counties, load_outlets
from locator.tasks import TASK_CODES, get_task

COUNTY_COLUMNS = [
    "adcode", "name", "city", "outlets", "meets_rule", "shortfall", "population",
    "covered_population", "covered_share", "population_65plus", "covered_share_65plus",
    "mean_km", "median_km", "p95_km", "max_km",
]  # fmt: skip
GAP_COLUMNS = [
    "rank",
    "county_name",
    "city",
    "population",
    "population_65plus",
    "distance_km",
    "lon",
    "lat",
]
SITE_COLUMNS = [
    "rank", "reason", "county_name", "new_population", "new_population_65plus",
    "cumulative_population", "cumulative_share", "lon", "lat",
]  # fmt: skip

st.set_page_config(page_title="山西社保卡服务网点", page_icon="🗺️", layout="wide")

# Streamlit serves ./static (a link to locator/maps/static) at /app/static: Leaflet comes from here.
ASSETS_URL = "/app/static"
TILES = ("osm", "amap", "none")
METRICS = ("outlets", "meets_rule", "covered_share")
MAX_NEW_SITES = 50
STICKY = ("task", "bank", "k", "place_q", "radius", "planner_task", "planner_bank", "metric")


# --- data: loaded once per server, shared by every session, never mutated ------------------


@st.cache_resource(show_spinner=False)
def shipped() -> tuple[Any, Any, str]:
    outlets = load_outlets()
    return outlets, load_counties(), registry_fingerprint(outlets)


@st.cache_resource(show_spinner=False)
def demand() -> Any:
    return estimate_demand(shipped()[1])


@st.cache_resource(show_spinner=False)
def index_for(fingerprint: str, _outlets: Any) -> OutletIndex:
    return OutletIndex(_outlets)


@st.cache_resource(show_spinner=False)
def gazetteer_for(fingerprint: str, _outlets: Any) -> Gazetteer:
    return Gazetteer(shipped()[1], _outlets)


@st.cache_data(show_spinner=False, max_entries=32)
def coverage_for(
    fingerprint: str, task: str | None, bank: str | None, radius_km: float, _index: Any
) -> tuple[Any, Any]:
    """The coverage report and the gap layer: the figures of `locator coverage` and `gaps`."""
    setting = {"demand": demand(), "task": task, "bank": bank, "radius_km": radius_km}
    return (
        coverage_report(_index, shipped()[1], **setting),
        gaps(_index, shipped()[1], **setting),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def sites_for(
    fingerprint: str, task: str | None, bank: str | None, radius_km: float, _outlets: Any
) -> Any:
    """Rule repair and the first MAX_NEW_SITES sites; greedy, so the first N are the answer for N."""
    setting = {"demand": demand(), "radius_km": radius_km, "task": task, "bank": bank}
    return suggest_sites(_outlets, shipped()[1], new=MAX_NEW_SITES, **setting)


def registry() -> tuple[Any, str]:
    """The registry of this session: the one uploaded, else the shipped sample."""
    if "registry" in st.session_state:
        return st.session_state["registry"], st.session_state["registry_fp"]
    outlets, _, fingerprint = shipped()
    return outlets, fingerprint


def show_map(m: Any, key: str, returned: list[str], height: int = 520) -> Any:
    # Only what `returned` lists reruns the page: pans and zooms never do.
    return st_folium(
        use_local_assets(m, ASSETS_URL),
        key=key,
        returned_objects=returned,
        height=height,
        use_container_width=True,
    )


# --- the link: read once per session into the widgets' state --------------------------------

if "_init" not in st.session_state:
    url = parse_url(st.query_params.to_dict())
    st.session_state.update(
        _init=True,
        lang=url.lang,
        view=url.view,
        task=url.task or TASK_CODES[0],
        k=url.k or settings.default_k,
        radius=float(settings.default_radius_km),
        new_sites=0,
        show_gaps=False,
        show_outlets=False,
        metric="covered_share",
        tiles="osm",
        _url_errors=url.errors,
    )
    if url.bank:
        st.session_state["bank"] = url.bank
    if url.lon is not None and url.lat is not None:
        st.session_state["loc"] = {"lon": url.lon, "lat": url.lat, "source": "link"}


# Streamlit forgets a widget's value in a run that does not draw it; keep the choices made
# on one page while the other is shown.
for key in (*STICKY, "new_sites", "show_gaps", "show_outlets"):
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]


def forget_url_errors() -> None:
    st.session_state.pop("_url_errors", None)


def set_place(places: list[Place], pick: int) -> None:
    if places:
        place = places[min(pick, len(places) - 1)]
        st.session_state["loc"] = {"lon": place.lon, "lat": place.lat, "place": place.name}
    forget_url_errors()


def on_place_query(gazetteer: Gazetteer) -> None:
    st.session_state.pop("_place_error", None)
    try:
        places = gazetteer.search(st.session_state.get("place_q", ""))
    except LocatorError as error:
        st.session_state["_place_error"] = error
        places = []
    st.session_state.update(_places=places, place_pick=0)
    set_place(places, 0)


def on_map_click() -> None:
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


# --- sidebar ---------------------------------------------------------------------------------

lang = st.sidebar.radio(t("language"), LANGS, format_func=LANG_NAMES.get, key="lang")
view = st.sidebar.radio(
    t("view", lang), VIEWS, format_func=lambda v: t(f"view_{v}", lang), key="view"
)
tiles = st.sidebar.selectbox(
    t("tiles", lang), TILES, format_func=lambda v: t(f"tiles_{v}", lang), key="tiles"
)
outlets, fingerprint = registry()
counties = shipped()[1]
index = index_for(fingerprint, outlets)
if "registry" in st.session_state:
    name = escape_markdown(st.session_state["registry_name"])
    st.sidebar.info(t("imported_note", lang, name=name, n=len(outlets)))
    if st.sidebar.button(t("use_shipped", lang)):
        for key in ("registry", "registry_fp", "registry_name", "_places"):
            st.session_state.pop(key, None)
        st.rerun()
elif outlets.attrs.get("metadata", {}).get("sample"):
    st.sidebar.warning(t("sample_note", lang))
st.sidebar.caption(t("hotline", lang))

st.title(t("title", lang))
for message in st.session_state.get("_url_errors", ()):
    st.error(f"{t('bad_link', lang)}: {escape_markdown(message)}")


# --- resident view ---------------------------------------------------------------------------


def resident_view() -> None:
    on_map_click()
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

    st.markdown(f"**{t('where', lang)}** {t('where_help', lang)}")
    query_col, pick_col = st.columns(2)
    gazetteer = gazetteer_for(fingerprint, outlets)
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

    loc = st.session_state.get("loc")
    you = (loc["lon"], loc["lat"]) if loc else None
    here = {"lon": you[0], "lat": you[1]} if you else {"lon": None, "lat": None}
    shown = {"tiles": tiles, "lang": lang, "counties": counties}
    st.query_params.from_dict(
        url_params(lang=lang, view="resident", task=task.code, bank=bank, **here)
    )
    answer = None
    if loc is not None:
        try:
            answer = resident_answer(
                index, **here, task=task.code, bank=bank, k=k, lang=lang, counties=counties
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
    found = answer.found if answer is not None else index.outlets.iloc[:0]
    show_map(resident_map(found, you=you, **shown), "resident_map", ["last_clicked"])
    if answer is None:
        st.info(t("no_location", lang))
    elif answer.needs_bank:
        st.warning(t("bank_needed", lang))
    elif answer.found.empty and not answer.online_only:
        st.warning(t("none_found", lang))
    elif not answer.online_only:
        st.subheader(t("n_found", lang, n=len(answer.found)))
        for text, nav_url in outlet_cards(answer, lang):
            with st.container(border=True):
                st.markdown(text)
                st.link_button(t("navigate", lang), nav_url)
        st.caption(t("share", lang))
        with st.expander(t("table_view", lang)):
            link = {
                t("col_nav", lang): st.column_config.LinkColumn(display_text=t("navigate", lang))
            }
            st.dataframe(result_table(answer, lang), hide_index=True, column_config=link)
        st.download_button(
            t("download_html", lang),
            data=lambda: standalone_html(resident_map(found, you=you, **shown)),
            file_name="locator-nearest.html",
            mime="text/html",
            on_click="ignore",
        )


# --- planner view ----------------------------------------------------------------------------


def upload_panel() -> None:
    with st.expander(t("upload", lang), expanded="registry" in st.session_state):
        crs = st.selectbox(t("upload_crs", lang), ("wgs84", "gcj02", "bd09"), key="upload_crs")
        upload = st.file_uploader(
            t("upload", lang),
            type=["csv", "xlsx", "geojson", "json"],
            help=t("upload_help", lang, mb=settings.upload_limit_mb),
            key="upload",
        )
        if upload is None:
            return
        if st.session_state.get("_import_key") != (upload.file_id, crs):  # once per file
            st.session_state["_import_key"] = (upload.file_id, crs)
            try:
                with st.spinner(t("importing", lang)):
                    result: Any = import_upload(upload.getvalue(), name=upload.name, crs=crs)
            except LocatorError as error:
                result = error
            st.session_state["_import"] = result
            if not isinstance(result, LocatorError) and result.accepted:
                fp = registry_fingerprint(result.outlets)
                st.session_state.update(
                    registry=result.outlets, registry_fp=fp, registry_name=upload.name
                )
                st.session_state.pop("_places", None)
                st.rerun()
        result = st.session_state["_import"]
        if isinstance(result, LocatorError):
            st.error(error_markdown(result, lang, "upload_error"))
            return
        st.markdown(escape_markdown(result.summary(lang)))
        counts = {"read": result.read, "accepted": result.accepted, "rejected": result.rejected}
        st.caption(t("upload_counts", lang, **counts))
        for warning in result.warnings:
            st.warning(escape_markdown(warning))
        if result.accepted == 0:
            st.error(t("upload_none", lang))
        if len(result.report):
            st.caption(t("upload_report", lang))
            st.dataframe(result.report, hide_index=True)


def planner_view() -> None:
    st.query_params.from_dict(
        url_params(lang=lang, view="planner", task=None, bank=None, lon=None, lat=None)
    )
    upload_panel()
    c1, c2, c3, c4 = st.columns(4)
    radius = c1.slider(t("radius", lang), 1.0, 15.0, step=0.5, key="radius")
    # "" for any task: Streamlit shows a None option as an empty choice, not by its label.
    task = (
        c2.selectbox(
            t("task_filter", lang),
            ["", *(c for c in TASK_CODES if get_task(c).kinds)],  # online-only: no outlet
            format_func=lambda c: get_task(c).label(lang) if c else t("any_task", lang),
            key="planner_task",
        )
        or None
    )
    bank = None
    if task is not None and get_task(task).own_bank:
        bank = c3.selectbox(t("bank", lang), BANK_NAMES, key="planner_bank")
    metric = c4.selectbox(
        t("metric", lang), METRICS, format_func=lambda m: t(f"metric_{m}", lang), key="metric"
    )
    try:
        with st.spinner(t("computing", lang)):
            report, far = coverage_for(fingerprint, task, bank, radius, index)
    except LocatorError as error:
        st.error(error_markdown(error, lang, "coverage_error"))
        return
    p = report.province
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(t("p_outlets", lang), f"{p['outlets']:,}")
    m2.metric(t("p_rule", lang), f"{p['counties_meeting_rule']} / {p['counties']}")
    m3.metric(t("p_share", lang, r=radius), f"{p['covered_share']:.1%}")
    m4.metric(t("p_mean", lang), f"{p['mean_km']:.2f}")
    m5.metric(t("p_gap", lang), f"{p['population'] - p['covered_population']:,.0f}")

    c1, c2, c3 = st.columns([4, 1, 1])
    new = c1.slider(t("siting_n", lang), 0, MAX_NEW_SITES, key="new_sites")
    show_outlets = c2.toggle(t("show_outlets", lang), key="show_outlets")
    show_gaps = c3.toggle(t("show_gaps", lang), key="show_gaps", help=t("show_gaps_help", lang))
    with st.spinner(t("computing", lang)):
        sites = None
        if new:
            try:
                ranked = sites_for(fingerprint, task, bank, radius, outlets)
            except LocatorError as error:
                st.error(error_markdown(error, lang, "coverage_error"))
                return
            sites = ranked.iloc[: int((ranked["reason"] == "rule").sum()) + new]
        layers = {"outlets": outlets if show_outlets else None, "gaps": far if show_gaps else None}
        m = planner_map(
            counties,
            report.counties,
            metric=metric,
            **layers,
            suggestions=sites,
            tiles=tiles,
            lang=lang,
        )
        show_map(m, "planner_map", [], height=640)
    if sites is not None and len(sites):
        st.subheader(t("siting", lang))
        st.caption(t("siting_curve", lang))
        st.line_chart(coverage_gain_curve(sites).set_index("n")["covered_share"])
        st.dataframe(planner_table(sites, lang, SITE_COLUMNS), hide_index=True)

    st.subheader(t("rule_table", lang))
    st.dataframe(planner_table(report.counties, lang, COUNTY_COLUMNS), hide_index=True)
    below = report.counties[~report.counties["meets_rule"]]
    if len(below):
        st.caption(t("below_rule", lang, n=len(below)))
        rule_columns = ["adcode", "name", "city", "outlets", "shortfall"]
        st.dataframe(planner_table(below, lang, rule_columns), hide_index=True)
    st.subheader(t("mismatch_table", lang))
    if len(report.mismatches):
        st.dataframe(planner_table(report.mismatches, lang), hide_index=True)
    else:
        st.caption(t("no_mismatch", lang))
    st.subheader(t("gaps", lang))
    st.dataframe(planner_table(far.head(200), lang, GAP_COLUMNS), hide_index=True)

    downloads = planner_downloads(report, far)

    def export() -> str:
        return standalone_html(province_map(outlets, counties, gaps=far, tiles=tiles, lang=lang))

    downloads.append(("download_html", export, "locator-map.html", "text/html"))
    for column, (label, data, name, mime) in zip(
        st.columns(len(downloads)), downloads, strict=True
    ):
        column.download_button(
            t(label, lang), data=data, file_name=name, mime=mime, on_click="ignore"
        )


if view == "planner":
    planner_view()
else:
    resident_view()
