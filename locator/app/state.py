r"""What the Streamlit app computes besides the library proper: its URL, its answer, its tables.

:mod:`locator.app.page` lays out the page; everything it shows that needs computing comes
from here or from the public modules, so the tests and the command line call
the same functions. Nothing here imports streamlit.

Examples
--------
>>> state = parse_url({"lat": "37.86", "lon": "112.55", "task": "activate_finance", "bank": "工行"})
>>> state.lon, state.lat, state.task, state.bank, state.errors
(112.55, 37.86, 'activate_finance', '中国工商银行', ())
>>> parse_url({"lat": "north", "lon": "112.55", "lang": "en"}).errors[0].text("en")
'The position in this link is incomplete or not on the map: choose your position again.'
>>> print(escape_markdown("<img src=x onerror=alert(1)> **x**"))
\<img src\=x onerror\=alert\(1\)\> \*\*x\*\*
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from locator import datasets, hours
from locator._errors import (
    BankRequiredError,
    DataFileError,
    LocatorError,
    UnknownBankError,
    UnknownTaskError,
    ValidationError,
)
from locator._validate import check_k, check_lonlat, parse_coordinate
from locator.app.upload import UploadLimitError
from locator.banks import normalize_bank
from locator.counties import county_of, in_shanxi
from locator.i18n import PARAMETERS, column_label, parameter_label, parse_lang, t
from locator.index import OutletIndex
from locator.links import ROUTE_MODES, amap_route_url, tel_url
from locator.output import csv_bytes, mark_sample, mark_sample_json
from locator.planning.coverage import CoverageReport
from locator.planning.siting import coverage_gain_curve
from locator.registry import outlets_to_geojson
from locator.tasks import KIND_LABELS, TASK_CODES, Task, far_alternatives, get_task, is_far

__all__ = [
    "gain_curve_table",
    "planner_table",
    "rule_first_sentence",
    "split_sites",
    "VIEWS",
    "ResidentAnswer",
    "ResidentCard",
    "ResidentFilters",
    "RouteLink",
    "UrlError",
    "UrlState",
    "error_markdown",
    "escape_markdown",
    "page_words",
    "parse_url",
    "planner_downloads",
    "registry_fingerprint",
    "resident_answer",
    "resident_cards",
    "result_table",
    "url_params",
]

VIEWS: tuple[str, ...] = ("resident", "planner")
_MAX_K = 10
# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them
# all leaves no markup (links, emphasis, HTML, Streamlit's :color[...] and $math$) in data.
_MARKDOWN_SPECIAL = frozenset(string.punctuation)


def escape_markdown(text: Any) -> str:
    """Text from the data, safe to put into ``st.markdown``: shown as written, never as markup.

    Newlines and other control characters become spaces (a name is one line).
    """
    value = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return "".join(
        "\\" + ch if ch in _MARKDOWN_SPECIAL else (ch if ch.isprintable() else " ") for ch in value
    )


def _first(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        return value[-1] if value else None
    return value


@dataclass(frozen=True)
class UrlError:
    """A value of a link that was left out, as the resident is told: an i18n key and its fields.

    The words (`text`) say what to do, in the page's language; they never show a task
    code, a flag or the value as Python would print it.
    """

    key: str
    fields: tuple[tuple[str, str], ...] = ()

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **dict(self.fields))


@dataclass(frozen=True)
class UrlState:
    """The page as a link describes it; ``errors`` says which values were left out.

    ``task`` None: no task chosen yet (the page opens asking). ``at``: the moment the
    opening hours are judged at (Asia/Shanghai), None for now.
    """

    lang: str = "zh"
    view: str = "resident"
    task: str | None = None
    bank: str | None = None
    lon: float | None = None
    lat: float | None = None
    k: int | None = None
    at: dt.datetime | None = None
    errors: tuple[UrlError, ...] = field(default=())


def _view(raw: str) -> str:
    if raw not in VIEWS:
        msg = f"view {raw!r} is not a page: use {' or '.join(VIEWS)}"
        raise ValidationError(msg)
    return raw


def _k(raw: str) -> int:
    try:
        return min(check_k(int(raw)), _MAX_K)
    except ValueError:  # not a whole number, or below 1
        msg = f"k {raw!r} must be a whole number from 1 to {_MAX_K}"
        raise ValidationError(msg) from None


# How each link parameter but the position is read (each raises ValidationError), and
# the key of what the resident is told when it cannot be.
_URL_READERS: dict[str, tuple[Callable[[str], Any], UrlError]] = {
    "lang": (parse_lang, UrlError("url_bad_lang")),
    "view": (_view, UrlError("url_bad_view")),
    "task": (lambda raw: get_task(raw).code, UrlError("url_bad_task")),
    "bank": (normalize_bank, UrlError("url_bad_bank")),
    "k": (_k, UrlError("url_bad_k", (("max", str(_MAX_K)),))),
    "at": (hours.parse_at, UrlError("url_bad_at")),  # years within hours.AT_YEARS
}


def _position(lon_raw: str | None, lat_raw: str | None) -> tuple[float, float]:
    if lat_raw is None or lon_raw is None:
        msg = "a position needs both lat and lon, e.g. ?lat=37.87&lon=112.55"
        raise ValidationError(msg)
    return check_lonlat(parse_coordinate(lon_raw, "lon"), parse_coordinate(lat_raw, "lat"))


def parse_url(params: Mapping[str, str | list[str]]) -> UrlState:
    """Read ``?lat=..&lon=..&task=..&bank=..&lang=..&view=..&k=..&at=..``; a bad value is left out.

    Every value is checked with the library's own checks; each one that fails adds a
    `UrlError` to ``errors`` (what to tell the resident, in their words) and is left
    out, so a mistyped link still opens the page. ``at`` is a date and time in
    Asia/Shanghai (``2026-10-01T10:00``).

    Examples
    --------
    >>> state = parse_url({"task": "fly", "at": "2026-10-01T10:00"})
    >>> state.task, state.at.isoformat(), [e.text("zh") for e in state.errors]
    (None, '2026-10-01T10:00:00+08:00', ['这个链接里的业务无法识别，请在下面重新选择要办的事。'])
    """
    values: dict[str, Any] = {}
    errors: list[UrlError] = []

    def read(name: str) -> str | None:
        raw = _first(params.get(name))
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    for name, (reader, error) in _URL_READERS.items():
        if (raw := read(name)) is not None:
            try:
                values[name] = reader(raw)
            except ValidationError:
                errors.append(error)
    lon_raw, lat_raw = read("lon"), read("lat")
    if lat_raw is not None or lon_raw is not None:
        try:
            values["lon"], values["lat"] = _position(lon_raw, lat_raw)
        except ValidationError:
            errors.append(UrlError("url_bad_position"))
    return UrlState(**values, errors=tuple(errors))


def url_params(
    *,
    lang: str,
    view: str,
    task: str | None,
    bank: str | None,
    lon: float | None,
    lat: float | None,
    at: dt.datetime | None = None,
) -> dict[str, str]:
    """The query parameters that reopen this page (positions to 1e-6 degree, about 0.1 m).

    ``at`` (None: now, left out) is written in Asia/Shanghai time to the minute.
    """
    params = {"lang": lang}
    if view != "resident":
        params["view"] = view
    if task:
        params["task"] = task
    if bank and task and get_task(task).own_bank:
        params["bank"] = bank
    if lon is not None and lat is not None:
        params["lat"], params["lon"] = f"{lat:.6f}", f"{lon:.6f}"
    if at is not None:
        params["at"] = f"{hours.parse_at(at):%Y-%m-%dT%H:%M}"
    return params


def registry_fingerprint(outlets: gpd.GeoDataFrame) -> str:
    """A short hash of a registry's content: the key of every cached result computed from it."""
    document = json.dumps(outlets_to_geojson(outlets, metadata={}), sort_keys=True, default=str)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ResidentFilters:
    """When the hours are judged, and what the resident asks of the outlets besides the task.

    Attributes
    ----------
    at : datetime.datetime or str or None
        The moment of "open now" and of the badges (naive or text: Asia/Shanghai time);
        None: now.
    open_now : bool
        Only outlets open at ``at`` (and those whose hours are unknown, marked).
    weekends : bool
        Only outlets open on Saturdays or Sundays (unknown hours kept).
    instant_issue, transit_topup : bool
        Only outlets that issue cards while you wait (立等可取), or top up the transport
        function (交通一卡通).
    """

    at: dt.datetime | str | None = None
    open_now: bool = False
    weekends: bool = False
    instant_issue: bool = False
    transit_topup: bool = False


@dataclass
class ResidentAnswer:
    """The answer to "where can I do this, near here?".

    ``found`` is :meth:`OutletIndex.nearest`'s table (of the outlets the filters keep)
    plus, per outlet: ``rank`` (1..n, nearest first), ``nav_url`` (an Amap marker),
    ``opening_hours`` (structured, None when unknown), ``open_now`` (True, False or None
    when unknown) and ``next_change`` (ISO 8601 with +08:00, or None) at ``at``, ``tel_url``
    (None when the phone has no number), and ``route_walk``, ``route_transit``,
    ``route_drive`` (Amap routes from ``lon``/``lat``, `locator.links.amap_route_url`).
    It is empty when the task is online only or needs a bank that was not given. Its
    ``kind`` says whether each is a one-stop outlet or an ordinary branch of the bank.
    ``county`` names the county and city of the point ("" outside Shanxi). ``far``: the
    task needs the card's own bank and its nearest branch is beyond
    ``settings.far_branch_km`` (or there is none); `alternatives` then says what else.
    """

    task: Task
    found: pd.DataFrame
    inside: bool
    needs_bank: bool
    county: str = ""
    bank: str | None = None
    far: bool = False
    at: dt.datetime = field(default_factory=lambda: hours.parse_at(None))
    filters: ResidentFilters = field(default_factory=ResidentFilters)
    lon: float | None = None
    lat: float | None = None

    @property
    def online_only(self) -> bool:
        """The task cannot be done at any outlet."""
        return not self.task.kinds

    @property
    def nearest_km(self) -> float | None:
        """Distance to the nearest outlet found, or None when none was found."""
        return None if self.found.empty else float(self.found["distance_km"].iloc[0])

    @property
    def beyond_calendar(self) -> bool:
        """``at`` lies in a year China's calendar is not known for (`locator.hours.calendar_note`)."""
        return hours.calendar_note(self.at.date()) is not None

    def calendar_note(self, lang: str) -> str | None:
        """What the page says when ``at`` is beyond the known calendar, in ``lang``; else None."""
        return t("calendar_note", lang, year=self.at.year) if self.beyond_calendar else None

    def alternatives(self, lang: str) -> list[str]:
        """What else a resident far from the card's bank can do (`locator.tasks.far_alternatives`)."""
        return far_alternatives(self.bank, lang) if self.far else []


def _with_links(found: pd.DataFrame, lon: float, lat: float, at: dt.datetime) -> pd.DataFrame:
    """``found`` ranked, with its hours at ``at``, its phone and route links."""
    from locator.maps import amap_navigation_url

    found = found.drop(columns=["opening_hours"], errors="ignore")
    status = hours.hours_status(found, at).drop(columns=["hours_badge"])
    found = found.join(status)
    found.insert(0, "rank", np.arange(1, len(found) + 1))
    points = list(zip(found["lon"], found["lat"], found["name"], strict=True))
    found["nav_url"] = [amap_navigation_url(lon=x, lat=y, name=str(n)) for x, y, n in points]
    found["tel_url"] = [tel_url(p) for p in found["phone"]] if "phone" in found else None
    for mode in ROUTE_MODES:
        found[f"route_{mode}"] = [
            amap_route_url(from_lon=lon, from_lat=lat, to_lon=x, to_lat=y, mode=mode, to_name=n)
            for x, y, n in points
        ]
    return found


def resident_answer(
    index: OutletIndex,
    *,
    lon: float,
    lat: float,
    task: str,
    bank: str | None,
    k: int,
    filters: ResidentFilters | None = None,
) -> ResidentAnswer:
    """The ``k`` nearest outlets that can do ``task`` for a card of ``bank``, with what to act on.

    Never queries without a bank for a task that needs the card's own bank
    (``needs_bank`` is then true), nor for an online-only task. ``filters`` (None: none,
    hours judged now) keep only some outlets, before the search (`OutletIndex.filtered`),
    and give the moment of the hours; an index filtered already is not filtered again
    for nothing. The county is looked up in the shipped counties.

    Examples
    --------
    >>> index = OutletIndex(datasets.registry())
    >>> answer = resident_answer(index, lon=112.55, lat=37.87, task="reset_card_pin",
    ...                          bank=None, k=2, filters=ResidentFilters(at="2026-10-01 10:00"))
    >>> answer.found["rank"].tolist(), answer.found["open_now"].tolist(), answer.inside
    ([1, 2], [False, False], True)
    >>> answer.found["route_walk"].str.startswith("https://uri.amap.com/navigation?").all()
    np.True_
    >>> mine = resident_answer(index, lon=111.5, lat=36.0, task="activate_finance",
    ...                        bank="招行", k=1)
    >>> mine.found[["bank", "kind"]].iloc[0].tolist(), mine.far
    (['招商银行', 'branch'], False)
    """
    filters = ResidentFilters() if filters is None else filters
    task_obj = get_task(task)
    lon, lat = check_lonlat(lon, lat)
    at = hours.parse_at(filters.at)
    counties = datasets.counties()
    inside = bool(in_shanxi([lon], [lat], counties=counties)[0])
    adcode = county_of([lon], [lat], counties=counties).iloc[0] if inside else None
    row = counties[counties["adcode"] == adcode]
    county = f"{row['name'].iloc[0]} · {row['city'].iloc[0]}" if len(row) else ""
    needs_bank = task_obj.own_bank and not bank
    if needs_bank or not task_obj.kinds:
        found = index.nearest(lon=lon, lat=lat, k=1).iloc[:0]
    else:
        searched = index.filtered(
            open_at=at if filters.open_now else None,
            weekends=filters.weekends,
            instant_issue=filters.instant_issue,
            transit_topup=filters.transit_topup,
        )
        found = searched.nearest(lon=lon, lat=lat, k=k, task=task_obj.code, bank=bank)
    answer = ResidentAnswer(
        task_obj, _with_links(found, lon, lat, at), inside, needs_bank, county, bank=bank
    )
    answer.at, answer.filters, answer.lon, answer.lat = at, filters, lon, lat
    answer.far = not needs_bank and is_far(task_obj, answer.nearest_km)
    return answer


def result_table(answer: ResidentAnswer, lang: str) -> pd.DataFrame:
    """The answer as the page shows it: one row per outlet, columns named in ``lang``.

    The number of each outlet (its pin's), the straight-line distance and the open badge
    at the answer's moment come first, as on the cards.
    """
    found = answer.found
    kinds = found["kind"].map(lambda k: KIND_LABELS.get(k, {}).get(lang, k))
    banks = found["bank"].map(lambda b: b if isinstance(b, str) else "")
    return pd.DataFrame(
        {
            t("col_rank", lang): found["rank"],
            t("col_name", lang): found["name"].astype(str),
            t("col_kind", lang): kinds,
            t("col_bank", lang): banks,
            t("col_distance", lang): found["distance_km"].round(2),
            t("col_open", lang): [card.badge for card in resident_cards(answer, lang)],
            t("col_address", lang): found["address"],
            t("col_phone", lang): found["phone"],
            t("col_hours", lang): found["hours"],
            t("col_bring", lang): [answer.task.bring(lang)] * len(found),
            t("col_nav", lang): found["nav_url"],
        }
    )


def planner_table(frame: pd.DataFrame, lang: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A planner table as the page shows it: chosen columns, headings in ``lang``.

    Residents as whole numbers, shares in percent, distances to 0.01 km. The downloads keep
    every column at full precision; this is for reading.
    """
    shown = pd.DataFrame(frame[[c for c in (columns or list(frame.columns)) if c in frame]])
    shown = shown.drop(columns=[c for c in shown.columns if c == "geometry"])
    for column in shown.columns:
        if "share" in column:
            shown[column] = (shown[column] * 100).round(1)
        elif "population" in column:
            shown[column] = shown[column].round().astype("Int64")
        elif column.endswith("_km"):
            shown[column] = shown[column].round(2)
    return shown.rename(columns=lambda c: column_label(c, lang))


@dataclass(frozen=True)
class RouteLink:
    """One route link of a card: ``mode`` (walk, transit, drive), its label, the Amap URL."""

    mode: str
    label: str
    url: str


@dataclass(frozen=True)
class ResidentCard:
    """One outlet of the answer as the page lists it: plain text and URLs, never markup.

    The page escapes every text (it comes from the registry). ``state`` is ``open``,
    ``closed`` or ``unknown``, and ``badge`` says the same in words (营业中 · 17:00 关门,
    已关门 · 明天 9:00 开门, 营业时间未知), so colour is never the only sign.

    Attributes
    ----------
    rank : int
        1 for the nearest; the number of its pin on the map.
    name, kind, bank : str
        The outlet, its kind in the page's language, its bank ("" for none).
    kind_key : str
        ``government``, ``bank`` or ``branch`` (the map's colours).
    distance_km : float
        Straight-line (great-circle) distance.
    distance : str
        The distance in words, labelled straight-line ("直线距离 1.23 公里").
    badge, state : str
        The open badge and its state.
    address, phone, hours, bring : str
        As the registry gives them ("" when missing); what to bring for the task.
    tel_url : str or None
        ``tel:`` link, None when the phone text holds no number.
    routes : tuple of RouteLink
        Amap routes from the resident: walk, transit, drive.
    nav_url : str
        Amap marker link of the outlet.
    """

    rank: int
    name: str
    kind: str
    kind_key: str
    bank: str
    distance_km: float
    distance: str
    badge: str
    state: str
    address: str
    phone: str
    tel_url: str | None
    routes: tuple[RouteLink, ...]
    bring: str
    hours: str
    nav_url: str


_ROUTE_LABELS = {"walk": "route_walk", "transit": "route_transit", "drive": "route_drive"}
_STATES = {True: "open", False: "closed", None: "unknown"}


def _plain(value: Any) -> str:
    """Registry text on one line; "" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())


def _open_state(value: Any) -> bool | None:
    return None if value is None or value is pd.NA or value != value else bool(value)


def resident_cards(answer: ResidentAnswer, lang: str) -> list[ResidentCard]:
    """The outlets of ``answer`` as the page lists them, in ``lang``, nearest first.

    Examples
    --------
    >>> index = OutletIndex(datasets.registry())
    >>> answer = resident_answer(index, lon=112.55, lat=37.87, task="apply", bank=None, k=1,
    ...                          filters=ResidentFilters(at="2026-10-01 10:00"))
    >>> card = resident_cards(answer, "zh")[0]
    >>> card.rank, card.distance.startswith("直线距离 "), card.state, card.badge
    (1, True, 'closed', '已关门 · 10月8日 9:00 开门')
    >>> [route.label for route in card.routes], card.tel_url.startswith("tel:0351")
    (['步行', '公交', '驾车'], True)
    """
    cards = []
    bring = answer.task.bring(lang)
    for row in answer.found.to_dict("records"):
        kind_key = str(row["kind"])
        state = _open_state(row["open_now"])
        change = row["next_change"]
        change_at = dt.datetime.fromisoformat(change) if isinstance(change, str) else None
        km = float(row["distance_km"])
        hours_text = _plain(row.get("hours")) or _plain(row.get("opening_hours"))
        cards.append(
            ResidentCard(
                rank=int(row["rank"]),
                name=_plain(row["name"]),
                kind=KIND_LABELS.get(kind_key, {}).get(lang, _plain(kind_key)),
                kind_key=kind_key,
                bank=_plain(row["bank"]),
                distance_km=km,
                distance=t("card_distance", lang, km=f"{km:.2f}"),
                badge=hours.badge(state, change_at, answer.at, lang),
                state=_STATES[state],
                address=_plain(row.get("address")),
                phone=_plain(row.get("phone")),
                tel_url=row["tel_url"],
                routes=tuple(
                    RouteLink(mode, t(_ROUTE_LABELS[mode], lang), str(row[f"route_{mode}"]))
                    for mode in ROUTE_MODES
                ),
                bring=bring,
                hours=hours_text,
                nav_url=str(row["nav_url"]),
            )
        )
    return cards


# A parameter as the library writes it (``lat 'x'``, ``k=0``, ``give bank=<its name>``).
_PARAMETER = re.compile(
    r"(?<![\w./\\-])(" + "|".join(sorted(PARAMETERS, key=len, reverse=True)) + r")(=|(?= '))"
)
_TASK_CODE = re.compile(
    r"(?<![\w])(" + "|".join(sorted(TASK_CODES, key=len, reverse=True)) + r")(?!\w)"
)
# The lead of an error of each kind; the first class that matches wins.
_ERROR_LEADS: tuple[tuple[type[LocatorError], str], ...] = (
    (BankRequiredError, "error_bank_required"),
    (UnknownBankError, "error_bank"),
    (UnknownTaskError, "error_task"),
)


def page_words(text: str, lang: str) -> str:
    """A library message in the page's words: parameters by their labels, tasks by their names.

    Examples
    --------
    >>> page_words("lat 'x' is not a number: give decimal degrees, e.g. lat=37.87", "zh")
    "纬度 'x' is not a number: give decimal degrees, e.g. 纬度 37.87"
    >>> page_words("unknown task 'pin': use one of reset_card_pin", "en")
    "unknown task 'pin': use one of Forgot the physical card's PIN"
    """

    def parameter(match: re.Match[str]) -> str:
        return parameter_label(match.group(1), lang) + " " * (match.group(2) == "=")

    text = _PARAMETER.sub(parameter, text)
    return _TASK_CODE.sub(lambda match: get_task(match.group(1)).label(lang), text)


def _lead(error: LocatorError, context: str) -> tuple[str, dict[str, str]]:
    if isinstance(error, UploadLimitError):
        return f"upload_limit_{error.limit}", {}
    for kind, key in _ERROR_LEADS:
        if isinstance(error, kind):
            return key, {}
    named = _PARAMETER.match(str(error))
    if isinstance(error, ValidationError) and not isinstance(error, DataFileError) and named:
        return "error_parameter", {"name": named.group(1)}
    return context, {}


def error_markdown(error: LocatorError, lang: str, lead: str = "input_error") -> str:
    r"""A user's mistake as the page shows it: a lead sentence in ``lang``, then the detail.

    The lead says what kind of mistake it is: for an unknown task or bank, a missing bank,
    or a parameter the message names, a sentence of its own (for an upload limit, one that
    says what to do); otherwise the i18n text ``lead`` (where the mistake happened). The
    library's message follows as escaped text, never as markup, with its parameters and
    task codes in the page's words (`page_words`); a data file's message is shown as it
    is, since it names the file's own columns.

    Examples
    --------
    >>> print(error_markdown(ValidationError("k=0 is below 1"), "en"))
    The number of outlets given cannot be used: number of outlets 0 is below 1
    >>> print(error_markdown(DataFileError("a.csv: empty"), "en", "upload_error"))
    Cannot import: a\.csv\: empty
    """
    key, fields = _lead(error, lead)
    if "name" in fields:
        fields["name"] = parameter_label(fields["name"], lang)
    detail = str(error) if isinstance(error, DataFileError) else page_words(str(error), lang)
    return f"{t(key, lang, **fields)}: {escape_markdown(detail)}"


def planner_downloads(
    report: CoverageReport, gaps: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame]
) -> list[tuple[str, Callable[[], bytes | str], str, str]]:
    """The planner's files: (label key, function making the content, file name, MIME type).

    The content is made only when asked for (a download button's deferred data), and so is
    the gap layer when ``gaps`` is a function giving it; the CSV files are CSV for Excel
    (`locator.output.csv_bytes`, as ``locator coverage -o x.csv``), the county table with
    the 65+ figures that repeat all residents' shown once (as in the coverage JSON).
    """
    sample = bool(report.province.get("sample_registry"))
    layer = gaps if callable(gaps) else lambda: gaps

    def table(frame: pd.DataFrame) -> bytes:
        return csv_bytes(mark_sample(frame, sample))

    return [
        ("download_csv", lambda: table(report.counties_once), "coverage_counties.csv", "text/csv"),
        ("download_mismatch", lambda: table(report.mismatches), "mismatches.csv", "text/csv"),
        (
            "download_gaps",
            lambda: layer().to_json(drop_id=True, ensure_ascii=False),
            "gaps.geojson",
            "application/geo+json",
        ),
        (
            "download_json",
            lambda: _sample_json(report.to_json(), sample),
            "coverage.json",
            "application/json",
        ),
    ]


def _sample_json(text: str, sample: bool) -> str:
    # The same top-level notice as `locator coverage --format json` on the sample.
    return json.dumps(mark_sample_json(json.loads(text), sample), ensure_ascii=False, indent=2)


def drawn_outlets(index: OutletIndex, *, task: str | None, bank: str | None) -> gpd.GeoDataFrame:
    """The outlets a planner map draws: exactly those its figures count for ``task``/``bank``.

    Without a task or bank, the one-stop outlets; with a one-stop task, those that do it;
    with a task of the card's own bank, every branch of that bank that does it (the
    distances reach them all).
    """
    return index.outlets.iloc[index.positions(task=task, bank=bank)]


# --- siting, as the planner page shows it (issue 12 §3) -------------------------------------


def split_sites(sites: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rule repairs, coverage sites) of `suggest_sites`, each reason in ``lang``.

    The repairs come first in the ranking: the rule of two outlets per county is a
    requirement, coverage a goal.
    """
    labels = {r: t(f"siting_reason_{r}", lang) for r in ("rule", "coverage")}
    labelled = sites.assign(reason=sites["reason"].map(labels))
    is_rule = (sites["reason"] == "rule").to_numpy()
    return labelled[is_rule], labelled[~is_rule]


def rule_first_sentence(county_table: pd.DataFrame, sites: pd.DataFrame, lang: str) -> str | None:
    """Why the rule repairs come first: how many counties are below the rule, and sites taken.

    ``county_table`` is the coverage report's county table for the same task and bank
    (``meets_rule``, ``name``); None when every county meets the rule.
    """
    below = county_table[~county_table["meets_rule"].astype(bool)]
    if below.empty:
        return None
    # County names are data: escaped, since the page shows the sentence as Markdown.
    names = ("、" if lang == "zh" else ", ").join(
        escape_markdown(str(n)) for n in below["name"].head(8)
    )
    if len(below) > 8:
        names += "…"
    n_sites = int((sites["reason"] == "rule").sum())
    return t("siting_rule_why", lang, counties=len(below), names=names, sites=n_sites)


def gain_curve_table(sites: pd.DataFrame, radius_km: float, lang: str) -> pd.DataFrame:
    """The coverage gain curve in percent, n = 0 (today) first, columns named for the axes."""
    curve = coverage_gain_curve(sites)
    x, y = t("siting_curve_x", lang), t("siting_curve_y", lang, r=radius_km)
    return pd.DataFrame({x: curve["n"], y: (curve["covered_share"] * 100).round(2)})
