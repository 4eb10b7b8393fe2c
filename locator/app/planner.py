"""The planner page (规划与覆盖): coverage figures, the map, suggested sites, tables, files."""

# The cached functions take the registry fingerprint only as (part of) their cache key.
# ruff: noqa: ARG001

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import streamlit as st

from locator import settings
from locator._errors import LocatorError, LocatorWarning, ValidationError
from locator.app.common import Page, demand, shipped, show_map
from locator.app.state import (
    drawn_outlets,
    error_markdown,
    escape_markdown,
    gain_curve_table,
    page_words,
    planner_downloads,
    planner_table,
    registry_fingerprint,
    rule_first_sentence,
    split_sites,
    url_params,
)
from locator.app.upload import import_upload
from locator.banks import BANK_NAMES
from locator.i18n import t
from locator.maps import planner_map, province_map, standalone_html
from locator.output import csv_bytes
from locator.planning.access import accessibility
from locator.planning.bank_coverage import coverage_by_bank
from locator.planning.coverage import CoverageReport, coinciding_65plus, coverage_report, gaps
from locator.planning.inputs import PlanningInputs
from locator.planning.network import MODES as NETWORK_MODES
from locator.planning.network import RoadNetwork
from locator.planning.siting import suggest_sites
from locator.report import XLSX_MIME, report_bytes
from locator.tasks import TASK_CODES, get_task

__all__ = ["planner_view"]


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

METRICS = ("outlets", "meets_rule", "covered_share", "access_per_10k")
MAX_NEW_SITES = 50
#: Rows of the largest-gaps table: only their shapes are built for the page.
TOP_GAPS = 200
#: The words of each travel mode of a road network (`locator.planning.network.MODES`).
MODE_WORDS = {"drive": "network_mode_drive", "walk": "network_mode_walk"}
#: The distance metrics' labels: straight line, or along the roads.
DISTANCE_LABELS = {False: ("p_share", "p_mean"), True: ("p_share_road", "p_mean_road")}


@dataclass(frozen=True)
class Setting:
    """What every figure of the planner page depends on: the key of its caches.

    ``network`` is ``(path, mtime_ns, size, mode)`` of a road network's extract on the
    server, so an edited file is a new setting; None for straight-line distance.
    """

    fingerprint: str
    task: str | None
    bank: str | None
    radius_km: float
    network: tuple[str, int, int, str] | None = None


# Cached as resources (shared, read-only, never pickled): a gap layer of 100,000 cells costs
# 0.2 s to unpickle on every run as st.cache_data.


@st.cache_resource(show_spinner=False, max_entries=4)
def network_for(path: str, mtime_ns: int, size: int, mode: str) -> RoadNetwork:
    """The road network of an extract on the server (its ``.npz`` cache read when there)."""
    network = RoadNetwork.from_osm(path, mode=mode)
    network.check_overlap(shipped()[1].total_bounds, "the counties")
    return network


@st.cache_resource(show_spinner=False, max_entries=32)
def inputs_for(setting: Setting, _index: Any, _network: Any) -> tuple[PlanningInputs, list[str]]:
    """The inputs of one setting with its one distance pass done, and what the pass warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LocatorWarning)
        inputs = PlanningInputs.build(
            _index,
            shipped()[1],
            demand=demand(),
            task=setting.task,
            bank=setting.bank,
            radius_km=setting.radius_km,
            network=_network,
        )
        _ = inputs.distance_km
    said = []
    for warning in caught:
        if issubclass(warning.category, LocatorWarning):
            said.append(str(warning.message))
        else:  # not ours to show: passed on as it came
            warnings.warn(warning.message, warning.category, stacklevel=2)
    return inputs, said


@st.cache_resource(show_spinner=False, max_entries=32)
def report_for(setting: Setting, _index: Any, _network: Any) -> CoverageReport:
    """The coverage report: the figures of `locator coverage`."""
    return coverage_report(inputs_for(setting, _index, _network)[0])


@st.cache_resource(show_spinner=False, max_entries=32)
def top_gaps_for(setting: Setting, _index: Any, _network: Any) -> Any:
    """The TOP_GAPS largest gaps (the table, the report's sheet): shapes built for them only."""
    inputs = inputs_for(setting, _index, _network)[0]
    return gaps(inputs, report=report_for(setting, _index, _network), top=TOP_GAPS)


@st.cache_resource(show_spinner=False, max_entries=8)
def gaps_for(setting: Setting, _index: Any, _network: Any) -> Any:
    """Every gap cell (the map layer, the downloads): built only when one is asked for."""
    inputs = inputs_for(setting, _index, _network)[0]
    return gaps(inputs, report=report_for(setting, _index, _network))


@st.cache_resource(show_spinner=False, max_entries=16)
def sites_for(setting: Setting, _index: Any, _network: Any) -> Any:
    """Rule repair and the first MAX_NEW_SITES sites; greedy, so the first N are the answer for N."""
    return suggest_sites(inputs_for(setting, _index, _network)[0], new=MAX_NEW_SITES)


@st.cache_resource(show_spinner=False, max_entries=16)
def access_for(setting: Setting, _index: Any, _network: Any) -> Any:
    """Counters per 10,000 residents and how evenly they fall: the figures of `locator access`."""
    return accessibility(inputs_for(setting, _index, _network)[0])


@st.cache_resource(show_spinner=False, max_entries=16)
def banks_for(fingerprint: str, radius_km: float, _index: Any) -> Any:
    """Residents within reach of each partner bank's branches: ``locator coverage --by bank``."""
    return coverage_by_bank(_index, shipped()[1], demand=demand(), radius_km=radius_km)


@dataclass(frozen=True)
class Figures:
    """The figures of one run of the page: its setting, registry and road network."""

    page: Page
    setting: Setting
    network: RoadNetwork | None = None

    def _call(self, function: Any) -> Any:
        return function(self.setting, self.page.index, self.network)

    def inputs(self) -> tuple[PlanningInputs, list[str]]:
        """The planning inputs and the warnings of their distance pass."""
        return cast(tuple[PlanningInputs, list[str]], self._call(inputs_for))

    def report(self) -> CoverageReport:
        """The coverage report."""
        return cast(CoverageReport, self._call(report_for))

    def top_gaps(self) -> Any:
        """The largest gaps."""
        return self._call(top_gaps_for)

    def gaps(self) -> Any:
        """Every gap cell."""
        return self._call(gaps_for)

    def sites(self) -> Any:
        """The ranked suggested sites."""
        return self._call(sites_for)

    def access(self) -> Any:
        """The accessibility figures."""
        return self._call(access_for)

    def distance_kind(self) -> str:
        """How distances are measured, in the page's language."""
        lang = self.page.lang
        if self.network is None:
            return t("distance_straight", lang)
        return t("distance_road", lang, mode=t(MODE_WORDS[self.network.mode], lang))


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


def network_key(path: str, mode: str) -> tuple[str, int, int, str]:
    """The cache key of an extract: its path, modification time, size and the mode.

    Raises
    ------
    ValidationError
        When the path does not name an ``.osm.pbf`` extract.
    """
    extract = Path(path).expanduser()
    if not extract.name.lower().endswith(".pbf"):
        msg = f"network {path!r} is not an .osm.pbf extract; give the path of one on the server"
        raise ValidationError(msg)
    try:
        stat = extract.stat()
    except OSError:  # missing: RoadNetwork.from_osm says so, naming the file
        return str(extract), -1, -1, mode
    return str(extract), stat.st_mtime_ns, stat.st_size, mode


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path``, links followed, is a file inside the (resolved) folder ``root``."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a dangling or looping link
        return False
    return target.is_file() and target.is_relative_to(root)


def _unreadable() -> ValidationError:
    # The folder itself is not named: the page is public, the server's layout is not.
    msg = (
        "the folder of road networks (network_dir) cannot be read; set LOCATOR_NETWORK_DIR "
        "to a folder of .osm.pbf files"
    )
    return ValidationError(msg)


def _network_root(folder: Path) -> Path:
    try:
        root = folder.expanduser().resolve(strict=True)
    except (OSError, RuntimeError):
        raise _unreadable() from None
    if not root.is_dir():
        raise _unreadable()
    return root


def extracts_in(folder: Path) -> list[str]:
    """The extracts the page offers: names of the ``*.pbf`` files directly in ``folder``, sorted.

    A symbolic link is offered only when it leads to a file inside ``folder``: nothing above
    or beside the folder, and nothing in its subfolders but through such a link.

    Raises
    ------
    ValidationError
        When ``folder`` is not a folder that can be read.
    """
    root = _network_root(folder)
    try:
        entries = [Path(entry.path) for entry in os.scandir(root)]
    except OSError:
        raise _unreadable() from None
    return sorted(p.name for p in entries if p.name.lower().endswith(".pbf") and _inside(root, p))


def extract_path(folder: Path, name: str) -> Path:
    """The file behind ``name``, one of `extracts_in` ``folder``; any other name is refused.

    Raises
    ------
    ValidationError
        For a name `extracts_in` does not offer (a path, ``..``, a link leading out).
    """
    if name not in extracts_in(folder):
        msg = f"network {name!r} is not one of the extracts offered; choose one the page lists"
        raise ValidationError(msg)
    return (_network_root(folder) / name).resolve()


def network_choice(lang: str) -> tuple[str, Path] | None:
    """The name and file of the extract chosen in `settings.network_dir`; None: straight line.

    Without a folder the page says how a server operator sets one, and offers nothing.
    """
    folder = settings.network_dir
    if folder is None:
        st.caption(t("network_off", lang))
        return None
    names = extracts_in(folder)
    if not names:
        st.caption(t("network_empty", lang))
        return None
    if st.session_state.get("network_extract") not in ("", *names):  # a file gone, or forged
        st.session_state.pop("network_extract", None)
    name = st.selectbox(
        t("network_extract", lang),
        ["", *names],
        format_func=lambda n: n or t("network_choice_none", lang),
        key="network_extract",
        help=t("network_extract_help", lang),
    )
    return (name, extract_path(folder, name)) if name else None


def network_panel(lang: str) -> tuple[tuple[str, int, int, str] | None, RoadNetwork | None]:
    """Road distance on an extract of `settings.network_dir`; (None, None) for straight line.

    A file that cannot be used is one line in the page's language (naming the file, not
    the folder); the page goes on with straight-line distances.
    """
    expanded = bool(st.session_state.get("network_extract"))
    with st.expander(t("network_title", lang), expanded=expanded):
        try:
            chosen = network_choice(lang)
        except LocatorError as error:
            st.error(error_markdown(error, lang, "network_error"))
            return None, None
        if chosen is None:
            return None, None
        name, extract = chosen
        mode = st.radio(
            t("network_mode", lang),
            NETWORK_MODES,
            format_func=lambda m: t(MODE_WORDS[m], lang),
            key="network_mode",
            horizontal=True,
        )
        try:
            key = network_key(str(extract), mode)
            with st.spinner(t("network_building", lang)):
                network = network_for(*key)
        except LocatorError as error:
            said = type(error)(str(error).replace(str(extract), name))
            st.error(error_markdown(said, lang, "network_error"))
            return None, None
        shown = escape_markdown(name)
        st.caption(t("network_on", lang, name=shown, nodes=f"{network.lon.size:,}"))
        return key, network


def province_figures(province: dict[str, Any], figures: Figures) -> None:
    """The province totals, one metric each; the distance ones say how distance is measured."""
    p, lang, radius = province, figures.page.lang, figures.setting.radius_km
    share, mean = DISTANCE_LABELS[figures.network is not None]
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(t("p_outlets", lang), f"{p['outlets']:,}")
    m2.metric(t("p_rule", lang), f"{p['counties_meeting_rule']} / {p['counties']}")
    kind = t("distance_note", lang, kind=figures.distance_kind())
    m3.metric(t(share, lang, r=radius), f"{p['covered_share']:.1%}", help=kind)
    m4.metric(t(mean, lang), f"{p['mean_km']:.2f}", help=kind)
    m5.metric(t("p_gap", lang), f"{p['population'] - p['covered_population']:,.0f}")
    st.caption(kind)


def planner_tables(report: Any, far: Any, lang: str) -> None:
    """The county table, the counties below the rule, the mismatches, the largest gaps."""
    st.subheader(t("rule_table", lang))
    if report.repeated_65plus:  # 65+ placed like all residents in each county: shown once
        st.caption(t("same_65plus", lang))
    st.dataframe(planner_table(report.counties_once, lang, COUNTY_COLUMNS), hide_index=True)
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
    st.dataframe(planner_table(far, lang, GAP_COLUMNS), hide_index=True)


def bank_tables(figures: Figures) -> None:
    """Coverage per partner bank: its share of residents in reach, the counties it leaves out."""
    page, radius = figures.page, figures.setting.radius_km
    lang = page.lang
    st.subheader(t("bank_coverage", lang))
    # On request: 16 distance passes, about 1 s for each new distance (benchmarks/README.md).
    if not st.toggle(t("bank_show", lang), key="show_banks", help=t("bank_show_help", lang)):
        return
    try:
        with st.spinner(t("computing", lang)):
            by_bank = banks_for(page.fingerprint, radius, page.index)
    except LocatorError as error:
        st.error(error_markdown(error, lang, "coverage_error"))
        return
    st.caption(t("bank_coverage_help", lang, r=radius))
    if figures.network is not None:  # as `locator coverage --by bank`: straight lines only
        st.caption(t("bank_straight", lang))
    banks = by_bank.banks.drop(columns=list(coinciding_65plus(by_bank.banks)))
    st.dataframe(planner_table(banks, lang, BANK_COLUMNS), hide_index=True)
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
        data=lambda: csv_bytes(by_bank.counties_once),
        file_name="coverage_by_bank.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_banks",
    )


def download_buttons(figures: Figures, report: Any) -> None:
    """The planner's files, made only when asked for (every gap cell too)."""
    page = figures.page
    downloads = planner_downloads(report, figures.gaps)

    def export() -> str:
        m = province_map(page.outlets, page.counties, gaps=figures.gaps(), options=page.map_options)
        return standalone_html(m)

    def workbook() -> bytes:  # the file of `locator report` (its 20 largest gaps)
        return report_bytes(report, gaps=figures.top_gaps().head(20), lang=page.lang)

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


def access_section(access: Any, lang: str) -> None:
    """The equity figures and the Lorenz curves of access and of distance over residents."""
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
    distance = t("access_distance_share", lang)
    curve = {x: lorenz["residents_share"], y: lorenz["access_share"]}
    if lorenz["distance_share"] is not None:
        curve[distance] = lorenz["distance_share"]
    st.line_chart(
        curve, x=x, y=[k for k in curve if k != x], x_label=x, y_label=t("access_cumulative", lang)
    )


def map_and_sites(figures: Figures, report: Any, access: Any, metric: str) -> None:
    """The siting slider, the layer toggles, the map and the suggested sites.

    Not an `st.fragment`: Streamlit queues fragment reruns where it stops a page run for
    the next one, so five steps of the slider drew five maps (first siting 15-20 s against
    6-9 s as a whole page in `benchmarks/bench_app.py`).
    """
    page, lang, radius = figures.page, figures.page.lang, figures.setting.radius_km
    c1, c2, c3 = st.columns([4, 1, 1])
    new = c1.slider(t("siting_n", lang), 0, MAX_NEW_SITES, key="new_sites")
    show_outlets = c2.toggle(t("show_outlets", lang), key="show_outlets")
    show_gaps = c3.toggle(t("show_gaps", lang), key="show_gaps", help=t("show_gaps_help", lang))
    with st.spinner(t("computing", lang)):
        sites = None
        if new:
            try:
                ranked = figures.sites()
            except LocatorError as error:
                st.error(error_markdown(error, lang, "coverage_error"))
                return
            sites = ranked.iloc[: int((ranked["reason"] == "rule").sum()) + new]
        task, bank = figures.setting.task, figures.setting.bank
        layers = {
            "outlets": drawn_outlets(page.index, task=task, bank=bank) if show_outlets else None,
            "gaps": figures.gaps() if show_gaps else None,
        }
        m = planner_map(
            page.counties, county_table(report, access), metric=metric, **layers, suggestions=sites,
            options=page.map_options,
        )  # fmt: skip
        show_map(m, "planner_map", [], height=640)
    if sites is not None and len(sites):
        siting_section(sites, report.counties, radius, lang)


def planner_view(page: Page) -> None:
    """规划与覆盖: coverage figures, the map, suggested sites, tables and downloads."""
    lang = page.lang
    st.query_params.from_dict(
        url_params(lang=lang, view="planner", task=None, bank=None, lon=None, lat=None)
    )
    upload_panel(lang)
    key, network = network_panel(lang)
    radius, task, bank, metric = planner_filters(lang)
    figures = Figures(page, Setting(page.fingerprint, task, bank, radius, key), network)
    try:
        with st.spinner(t("computing", lang)):
            report = figures.report()
            far = figures.top_gaps()
            access = figures.access() if metric == "access_per_10k" else None
    except LocatorError as error:
        st.error(error_markdown(error, lang, "coverage_error"))
        return
    for said in figures.inputs()[1]:
        st.warning(f"{t('network_warning', lang)}: {escape_markdown(page_words(said, lang))}")
    province_figures(report.province, figures)
    map_and_sites(figures, report, access, metric)
    if access is not None:
        access_section(access, lang)
    planner_tables(report, far, lang)
    bank_tables(figures)
    download_buttons(figures, report)
