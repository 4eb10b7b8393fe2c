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

# The cached functions take the registry fingerprint only as (part of) their cache key.
# ruff: noqa: ARG001

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from locator import datasets, settings
from locator._errors import LocatorError
from locator._validate import check_lonlat
from locator.app.state import (
    VIEWS,
    ResidentAnswer,
    drawn_outlets,
    error_markdown,
    escape_markdown,
    gain_curve_table,
    outlet_cards,
    parse_url,
    place_label,
    planner_downloads,
    planner_table,
    registry_fingerprint,
    resident_answer,
    result_table,
    rule_first_sentence,
    split_sites,
    url_params,
)
from locator.app.upload import import_upload
from locator.banks import BANK_NAMES
from locator.gazetteer import Gazetteer, Place
from locator.i18n import LANG_NAMES, LANGS, t
from locator.index import OutletIndex
from locator.maps import (
    MapOptions,
    default_tiles,
    display_to_wgs84,
    planner_map,
    province_map,
    resident_map,
    standalone_html,
    use_local_assets,
)
from locator.output import csv_bytes
from locator.planning.access import accessibility
from locator.planning.bank_coverage import coverage_by_bank
from locator.planning.coverage import coverage_report, gaps
from locator.planning.demand import estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.planning.siting import suggest_sites
from locator.report import XLSX_MIME, report_bytes
from locator.tasks import TASK_CODES, Task, get_task

__all__ = ["main"]

COUNTY_COLUMNS = [
    "adcode", "name", "city", "outlets", "meets_rule", "shortfall", "population",
    "covered_population", "covered_share", "population_65plus", "covered_share_65plus",
    "mean_km", "median_km", "p95_km", "max_km",
]  # fmt: skip
GAP_COLUMNS = [
    "rank", "county_name", "city", "population", "population_65plus", "distance_km", "lon", "lat",
]  # fmt: skip
BANK_COLUMNS = [
    "bank", "branches", "one_stop_outlets", "covered_share", "covered_share_65plus",
    "uncovered_counties",
]  # fmt: skip
UNCOVERED_COLUMNS = [
    "adcode", "name", "city", "branches", "population", "covered_share", "uncovered_population",
]  # fmt: skip
SITE_COLUMNS = [
    "rank", "reason", "county_name", "new_population", "new_population_65plus",
    "cumulative_population", "cumulative_share", "lon", "lat",
]  # fmt: skip

# Streamlit serves the `static` folder beside the page (a link to locator/maps/static) at
# /app/static: Leaflet comes from the app itself.
ASSETS_URL = "/app/static"
TILES = ("osm", "amap", "none")
METRICS = ("outlets", "meets_rule", "covered_share", "access_per_10k")
MAX_NEW_SITES = 50
STICKY = ("task", "bank", "k", "place_q", "radius", "planner_task", "planner_bank", "metric")


@dataclass(frozen=True)
class Page:
    """What every part of one run of the page shares: language, base map, the registry."""

    lang: str
    tiles: str
    outlets: Any
    fingerprint: str
    counties: Any
    index: OutletIndex

    @property
    def map_options(self) -> MapOptions:
        """How this page's maps are drawn: its base map, its language."""
        return MapOptions(tiles=self.tiles, lang=self.lang)


# --- data: loaded once per server, shared by every session, never mutated ------------------


@st.cache_resource(show_spinner=False)
def shipped() -> tuple[Any, Any, str]:
    """The shipped registry (one-stop outlets and bank branches), the counties, its fingerprint."""
    outlets = datasets.registry()
    return outlets, datasets.counties(), registry_fingerprint(outlets)


@st.cache_resource(show_spinner=False)
def demand() -> Any:
    """The estimated demand grid over the shipped counties."""
    return estimate_demand(shipped()[1])


@st.cache_resource(show_spinner=False)
def index_for(fingerprint: str, _outlets: Any) -> OutletIndex:
    """The search index of a registry."""
    return OutletIndex(_outlets)


@st.cache_resource(show_spinner=False)
def gazetteer_for(fingerprint: str, _outlets: Any) -> Gazetteer:
    """The place search over the counties and a registry's outlets."""
    return Gazetteer(shipped()[1], _outlets)


@st.cache_resource(show_spinner=False, max_entries=32)
def inputs_for(
    fingerprint: str, task: str | None, bank: str | None, radius_km: float, _index: Any
) -> PlanningInputs:
    """The planning inputs of one setting, its per-cell distances computed once (read-only)."""
    setting = {"demand": demand(), "task": task, "bank": bank, "radius_km": radius_km}
    return PlanningInputs.build(_index, shipped()[1], **setting)


@st.cache_data(show_spinner=False, max_entries=32)
def coverage_for(
    fingerprint: str, task: str | None, bank: str | None, radius_km: float, _index: Any
) -> tuple[Any, Any]:
    """The coverage report and the gap layer: the figures of `locator coverage` and `gaps`."""
    inputs = inputs_for(fingerprint, task, bank, radius_km, _index)
    report = coverage_report(inputs)
    return report, gaps(inputs, report=report)


@st.cache_data(show_spinner=False, max_entries=16)
def sites_for(
    fingerprint: str, task: str | None, bank: str | None, radius_km: float, _index: Any
) -> Any:
    """Rule repair and the first MAX_NEW_SITES sites; greedy, so the first N are the answer for N."""
    inputs = inputs_for(fingerprint, task, bank, radius_km, _index)
    return suggest_sites(inputs, new=MAX_NEW_SITES)


@st.cache_data(show_spinner=False, max_entries=16)
def banks_for(fingerprint: str, radius_km: float, _index: Any) -> Any:
    """Residents within reach of each partner bank's branches: ``locator coverage --by bank``."""
    return coverage_by_bank(_index, shipped()[1], demand=demand(), radius_km=radius_km)


@st.cache_data(show_spinner=False, max_entries=16)
def access_for(
    fingerprint: str, task: str | None, bank: str | None, radius_km: float, _index: Any
) -> Any:
    """Counters per 10,000 residents and how evenly they fall: the figures of `locator access`."""
    return accessibility(inputs_for(fingerprint, task, bank, radius_km, _index))


def registry() -> tuple[Any, str]:
    """The registry of this session: the one uploaded, else the shipped sample."""
    if "registry" in st.session_state:
        return st.session_state["registry"], st.session_state["registry_fp"]
    outlets, _, fingerprint = shipped()
    return outlets, fingerprint


def show_map(m: Any, key: str, returned: list[str], height: int = 520) -> Any:
    """Draw a folium map; only what ``returned`` lists reruns the page (never a pan or zoom)."""
    return st_folium(
        use_local_assets(m, ASSETS_URL),
        key=key,
        returned_objects=returned,
        height=height,
        use_container_width=True,
    )


# --- the link: read once per session into the widgets' state --------------------------------


def init_state() -> None:
    """Read the link into the widgets' state on a session's first run."""
    if "_init" in st.session_state:
        return
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
        tiles=default_tiles(url.lang),
        _url_errors=url.errors,
    )
    if url.bank:
        st.session_state["bank"] = url.bank
    if url.lon is not None and url.lat is not None:
        st.session_state["loc"] = {"lon": url.lon, "lat": url.lat, "source": "link"}


def on_language() -> None:
    """A new language brings its base map (Amap / OpenStreetMap) until one is chosen."""
    if not st.session_state.get("_tiles_chosen"):
        st.session_state["tiles"] = default_tiles(st.session_state["lang"])


def on_tiles() -> None:
    """A base map chosen by hand stays, whatever the language."""
    st.session_state["_tiles_chosen"] = True


def keep_choices() -> None:
    """Keep the choices made on one page while the other is shown.

    Streamlit forgets a widget's value in a run that does not draw it.
    """
    for key in (*STICKY, "new_sites", "show_gaps", "show_outlets"):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def forget_url_errors() -> None:
    """Once the user has chosen something, the link's errors are old news."""
    st.session_state.pop("_url_errors", None)


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


# --- sidebar ---------------------------------------------------------------------------------


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
    st.sidebar.caption(t("hotline", lang))
    return page, view


# --- resident view ---------------------------------------------------------------------------


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


# --- planner view ----------------------------------------------------------------------------


def run_upload(upload: Any, crs: str, lang: str) -> None:
    """Import a newly uploaded file (once per file and coordinate system)."""
    if st.session_state.get("_import_key") == (upload.file_id, crs):
        return
    st.session_state["_import_key"] = (upload.file_id, crs)
    try:
        with st.spinner(t("importing", lang)):
            result: Any = import_upload(upload.getvalue(), name=upload.name, crs=crs)
    except LocatorError as error:
        result = error
    st.session_state["_import"] = result
    if not isinstance(result, LocatorError) and result.accepted:
        fp = registry_fingerprint(result.outlets)
        st.session_state.update(registry=result.outlets, registry_fp=fp, registry_name=upload.name)
        st.session_state.pop("_places", None)
        st.rerun()


def upload_panel(lang: str) -> None:
    """Upload a registry: imported as `locator import` does, its report shown."""
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
        run_upload(upload, crs, lang)
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


def planner_filters(lang: str) -> tuple[float, str | None, str | None, str]:
    """The 'nearby' distance, the task and bank filter, and what the map colours."""
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
    return radius, task, bank, metric


def province_figures(province: dict[str, Any], radius: float, lang: str) -> None:
    """The province totals, one metric each."""
    p = province
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(t("p_outlets", lang), f"{p['outlets']:,}")
    m2.metric(t("p_rule", lang), f"{p['counties_meeting_rule']} / {p['counties']}")
    m3.metric(t("p_share", lang, r=radius), f"{p['covered_share']:.1%}")
    m4.metric(t("p_mean", lang), f"{p['mean_km']:.2f}")
    m5.metric(t("p_gap", lang), f"{p['population'] - p['covered_population']:,.0f}")


def planner_tables(report: Any, far: Any, lang: str) -> None:
    """The county table, the counties below the rule, the mismatches, the largest gaps."""
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


def bank_tables(page: Page, radius: float) -> None:
    """Coverage per partner bank: its share of residents in reach, the counties it leaves out."""
    lang = page.lang
    st.subheader(t("bank_coverage", lang))
    try:
        with st.spinner(t("computing", lang)):
            by_bank = banks_for(page.fingerprint, radius, page.index)
    except LocatorError as error:
        st.error(error_markdown(error, lang, "coverage_error"))
        return
    st.caption(t("bank_coverage_help", lang, r=radius))
    st.dataframe(planner_table(by_bank.banks, lang, BANK_COLUMNS), hide_index=True)
    bank = st.selectbox(t("bank_uncovered_pick", lang), BANK_NAMES, key="uncovered_bank")
    left = by_bank.uncovered(bank)
    fields = {"bank": escape_markdown(bank), "n": len(left), "r": radius}
    if len(left):
        st.caption(t("bank_uncovered", lang, **fields))
        st.dataframe(planner_table(left, lang, UNCOVERED_COLUMNS), hide_index=True)
    else:
        st.caption(t("bank_none_uncovered", lang, **fields))
    st.download_button(
        t("download_banks", lang),
        data=lambda: csv_bytes(by_bank.counties),
        file_name="coverage_by_bank.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_banks",
    )


def download_buttons(page: Page, report: Any, far: Any) -> None:
    """The planner's files, made only when asked for."""
    downloads = planner_downloads(report, far)

    def export() -> str:
        m = province_map(page.outlets, page.counties, gaps=far, options=page.map_options)
        return standalone_html(m)

    def workbook() -> bytes:  # the file of `locator report` (its 20 largest gaps)
        return report_bytes(report, gaps=far.head(20), lang=page.lang)

    downloads.append(("download_html", export, "locator-map.html", "text/html"))
    downloads.append(("download_xlsx", workbook, "覆盖报告.xlsx", XLSX_MIME))
    for column, (label, data, name, mime) in zip(
        st.columns(len(downloads)), downloads, strict=True
    ):
        column.download_button(
            t(label, page.lang), data=data, file_name=name, mime=mime, on_click="ignore"
        )


def siting_section(sites: Any, county_table: Any, radius: float, lang: str) -> None:
    """Rule repairs apart from the coverage sites, each with why; the gain curve in percent."""
    st.subheader(t("siting", lang))
    rule, coverage = split_sites(sites, lang)
    if len(rule):
        st.markdown(f"**{t('siting_rule_title', lang)}**")
        why = rule_first_sentence(county_table, sites, lang)
        if why:
            st.caption(why)
        st.dataframe(planner_table(rule, lang, SITE_COLUMNS), hide_index=True)
    if len(coverage):
        st.markdown(f"**{t('siting_coverage_title', lang, n=len(coverage))}**")
        st.dataframe(planner_table(coverage, lang, SITE_COLUMNS), hide_index=True)
    st.caption(t("siting_curve", lang))
    curve = gain_curve_table(sites, radius, lang)
    x, y = curve.columns
    st.line_chart(curve, x=x, y=y, x_label=x, y_label=y)


def county_table(report: Any, access: Any) -> Any:
    """The coverage county table, with each county's access when it was computed."""
    if access is None:
        return report.counties
    columns = access.counties[["adcode", "access_per_10k"]]
    return report.counties.merge(columns, on="adcode", how="left")


def access_if_shown(
    page: Page, metric: str, task: str | None, bank: str | None, radius_km: float
) -> Any:
    """The access figures when the map colours counties by them, else None."""
    if metric != "access_per_10k":
        return None
    return access_for(page.fingerprint, task, bank, radius_km, page.index)


def access_section(access: Any, lang: str) -> None:
    """The equity figures and the Lorenz curve of access over residents."""
    st.subheader(t("access_title", lang))
    e = access.equity
    st.caption(
        t(
            "access_caption",
            lang,
            all=access.province,
            gini=e["gini_access"],
            worst=e["worst10_access_per_10k"],
            older=e["access_65plus_per_10k"],
        )
    )
    lorenz = access.to_dict()["lorenz"]
    x, y = t("access_residents", lang), t("access_share", lang)
    curve = {x: lorenz["residents_share"], y: lorenz["access_share"]}
    st.line_chart(curve, x=x, y=y, x_label=x, y_label=y)


def planner_view(page: Page) -> None:
    """规划与覆盖: coverage figures, the map, suggested sites, tables and downloads."""
    lang = page.lang
    st.query_params.from_dict(
        url_params(lang=lang, view="planner", task=None, bank=None, lon=None, lat=None)
    )
    upload_panel(lang)
    radius, task, bank, metric = planner_filters(lang)
    try:
        with st.spinner(t("computing", lang)):
            report, far = coverage_for(page.fingerprint, task, bank, radius, page.index)
            access = access_if_shown(page, metric, task, bank, radius)
    except LocatorError as error:
        st.error(error_markdown(error, lang, "coverage_error"))
        return
    province_figures(report.province, radius, lang)

    c1, c2, c3 = st.columns([4, 1, 1])
    new = c1.slider(t("siting_n", lang), 0, MAX_NEW_SITES, key="new_sites")
    show_outlets = c2.toggle(t("show_outlets", lang), key="show_outlets")
    show_gaps = c3.toggle(t("show_gaps", lang), key="show_gaps", help=t("show_gaps_help", lang))
    with st.spinner(t("computing", lang)):
        sites = None
        if new:
            try:
                ranked = sites_for(page.fingerprint, task, bank, radius, page.index)
            except LocatorError as error:
                st.error(error_markdown(error, lang, "coverage_error"))
                return
            sites = ranked.iloc[: int((ranked["reason"] == "rule").sum()) + new]
        layers = {
            "outlets": drawn_outlets(page.index, task=task, bank=bank) if show_outlets else None,
            "gaps": far if show_gaps else None,
        }
        m = planner_map(
            page.counties, county_table(report, access), metric=metric, **layers, suggestions=sites,
            options=page.map_options,
        )  # fmt: skip
        show_map(m, "planner_map", [], height=640)
    if access is not None:
        access_section(access, lang)
    if sites is not None and len(sites):
        siting_section(sites, report.counties, radius, lang)
    planner_tables(report, far, lang)
    bank_tables(page, radius)
    download_buttons(page, report, far)


# --- the page --------------------------------------------------------------------------------


def main() -> None:
    """Lay out the page: once per run (Streamlit reruns the script on every interaction)."""
    st.set_page_config(page_title="山西社保卡服务网点", page_icon="🗺️", layout="wide")
    init_state()
    keep_choices()
    page, view = sidebar()
    st.title(t("title", page.lang))
    for message in st.session_state.get("_url_errors", ()):
        st.error(f"{t('bad_link', page.lang)}: {escape_markdown(message)}")
    if view == "planner":
        planner_view(page)
    else:
        resident_view(page)


if __name__ == "__main__":  # `streamlit run locator/app/page.py` runs the page as __main__
    main()
