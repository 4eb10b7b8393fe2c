r"""What the Streamlit app computes besides the library proper: its URL, its answer, its tables.

:mod:`locator.app.page` lays out the page; everything it shows that needs computing comes
from here or from the public modules, so the tests and the command line call
the same functions. Nothing here imports streamlit.

Examples
--------
>>> state = parse_url({"lat": "37.86", "lon": "112.55", "task": "activate_finance", "bank": "工行"})
>>> state.lon, state.lat, state.task, state.bank, state.errors
(112.55, 37.86, 'activate_finance', '中国工商银行', ())
>>> parse_url({"lat": "north", "lon": "112.55", "lang": "en"}).errors[0][:29]
"lat 'north' is not a number: "
>>> print(escape_markdown("<img src=x onerror=alert(1)> **x**"))
\<img src\=x onerror\=alert\(1\)\> \*\*x\*\*
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from locator import datasets
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
from locator.gazetteer import Place
from locator.i18n import PARAMETERS, column_label, parameter_label, parse_lang, t
from locator.index import OutletIndex
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
    "UrlState",
    "error_markdown",
    "escape_markdown",
    "outlet_cards",
    "page_words",
    "place_label",
    "parse_url",
    "planner_downloads",
    "registry_fingerprint",
    "resident_answer",
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
class UrlState:
    """The page as a link describes it; ``errors`` says which values were ignored and why."""

    lang: str = "zh"
    view: str = "resident"
    task: str | None = None
    bank: str | None = None
    lon: float | None = None
    lat: float | None = None
    k: int | None = None
    errors: tuple[str, ...] = field(default=())


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


# How each link parameter but the position is read; each raises ValidationError.
_URL_READERS: dict[str, Callable[[str], Any]] = {
    "lang": parse_lang,
    "view": _view,
    "task": lambda raw: get_task(raw).code,
    "bank": normalize_bank,
    "k": _k,
}


def _position(lon_raw: str | None, lat_raw: str | None) -> tuple[float, float]:
    if lat_raw is None or lon_raw is None:
        msg = "a position needs both lat and lon, e.g. ?lat=37.87&lon=112.55"
        raise ValidationError(msg)
    return check_lonlat(parse_coordinate(lon_raw, "lon"), parse_coordinate(lat_raw, "lat"))


def parse_url(params: Mapping[str, str | list[str]]) -> UrlState:
    """Read ``?lat=..&lon=..&task=..&bank=..&lang=..&view=..&k=..``; a bad value is ignored.

    Every value is checked with the library's own checks; the message of each one
    that fails goes to ``errors`` and the value is left out, so a mistyped link still
    opens the page.
    """
    values: dict[str, Any] = {}
    errors: list[str] = []

    def read(name: str) -> str | None:
        raw = _first(params.get(name))
        return raw.strip() if isinstance(raw, str) and raw.strip() else None

    for name, reader in _URL_READERS.items():
        if (raw := read(name)) is not None:
            try:
                values[name] = reader(raw)
            except ValidationError as error:
                errors.append(str(error))
    lon_raw, lat_raw = read("lon"), read("lat")
    if lat_raw is not None or lon_raw is not None:
        try:
            values["lon"], values["lat"] = _position(lon_raw, lat_raw)
        except ValidationError as error:
            errors.append(str(error))
    return UrlState(**values, errors=tuple(errors))


def url_params(
    *,
    lang: str,
    view: str,
    task: str | None,
    bank: str | None,
    lon: float | None,
    lat: float | None,
) -> dict[str, str]:
    """The query parameters that reopen this page (positions to 1e-6 degree, about 0.1 m)."""
    params = {"lang": lang}
    if view != "resident":
        params["view"] = view
    if task:
        params["task"] = task
    if bank and task and get_task(task).own_bank:
        params["bank"] = bank
    if lon is not None and lat is not None:
        params["lat"], params["lon"] = f"{lat:.6f}", f"{lon:.6f}"
    return params


def registry_fingerprint(outlets: gpd.GeoDataFrame) -> str:
    """A short hash of a registry's content: the key of every cached result computed from it."""
    document = json.dumps(outlets_to_geojson(outlets, metadata={}), sort_keys=True, default=str)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()[:16]


@dataclass
class ResidentAnswer:
    """The answer to "where can I do this, near here?".

    ``found`` is :meth:`OutletIndex.nearest`'s table plus ``nav_url`` (Amap navigation);
    it is empty when the task is online only or needs a bank that was not given. Its
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

    @property
    def online_only(self) -> bool:
        """The task cannot be done at any outlet."""
        return not self.task.kinds

    @property
    def nearest_km(self) -> float | None:
        """Distance to the nearest outlet found, or None when none was found."""
        return None if self.found.empty else float(self.found["distance_km"].iloc[0])

    def alternatives(self, lang: str) -> list[str]:
        """What else a resident far from the card's bank can do (`locator.tasks.far_alternatives`)."""
        return far_alternatives(self.bank, lang) if self.far else []


def resident_answer(
    index: OutletIndex,
    *,
    lon: float,
    lat: float,
    task: str,
    bank: str | None,
    k: int,
    counties: gpd.GeoDataFrame | None = None,
) -> ResidentAnswer:
    """The ``k`` nearest outlets that can do ``task`` for a card of ``bank``, with navigation links.

    Never queries without a bank for a task that needs the card's own bank
    (``needs_bank`` is then true), nor for an online-only task.

    Examples
    --------
    >>> index = OutletIndex(datasets.registry())
    >>> answer = resident_answer(index, lon=112.55, lat=37.87, task="reset_card_pin",
    ...                          bank=None, k=2)
    >>> len(answer.found), answer.inside, answer.found["nav_url"].str.startswith("https://").all()
    (2, True, np.True_)
    >>> mine = resident_answer(index, lon=111.5, lat=36.0, task="activate_finance",
    ...                        bank="招行", k=1)
    >>> mine.found[["bank", "kind"]].iloc[0].tolist(), mine.far
    (['招商银行', 'branch'], False)
    """
    from locator.maps import amap_navigation_url

    task_obj = get_task(task)
    lon, lat = check_lonlat(lon, lat)
    counties = datasets.counties() if counties is None else counties
    inside = bool(in_shanxi([lon], [lat], counties=counties)[0])
    adcode = county_of([lon], [lat], counties=counties).iloc[0] if inside else None
    row = counties[counties["adcode"] == adcode]
    county = f"{row['name'].iloc[0]} · {row['city'].iloc[0]}" if len(row) else ""
    needs_bank = task_obj.own_bank and not bank
    if needs_bank or not task_obj.kinds:
        found = index.nearest(lon=lon, lat=lat, k=1).iloc[:0].assign(nav_url=[])
    else:
        found = index.nearest(lon=lon, lat=lat, k=k, task=task_obj.code, bank=bank)
        found["nav_url"] = [
            amap_navigation_url(lon=x, lat=y, name=str(n))
            for x, y, n in zip(found["lon"], found["lat"], found["name"], strict=True)
        ]
    answer = ResidentAnswer(task_obj, found, inside, needs_bank, county, bank=bank)
    answer.far = not needs_bank and is_far(task_obj, answer.nearest_km)
    return answer


def result_table(answer: ResidentAnswer, lang: str) -> pd.DataFrame:
    """The answer as the page shows it: one row per outlet, columns named in ``lang``."""
    found = answer.found
    kinds = found["kind"].map(lambda k: KIND_LABELS.get(k, {}).get(lang, k))
    banks = found["bank"].map(lambda b: b if isinstance(b, str) else "")
    return pd.DataFrame(
        {
            t("col_name", lang): found["name"].astype(str),
            t("col_kind", lang): kinds,
            t("col_bank", lang): banks,
            t("col_distance", lang): found["distance_km"].round(2),
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


def outlet_cards(answer: ResidentAnswer, lang: str) -> list[tuple[str, str]]:
    """One (markdown, navigation URL) per outlet found; every text from the data escaped.

    Examples
    --------
    >>> index = OutletIndex(datasets.registry())
    >>> answer = resident_answer(index, lon=112.55, lat=37.87, task="apply", bank=None, k=1)
    >>> text, url = outlet_cards(answer, "zh")[0]
    >>> text.startswith("**1. "), url.startswith("https://uri.amap.com/")
    (True, True)
    """
    cards = []
    for rank, row in enumerate(answer.found.to_dict("records"), start=1):
        kind = KIND_LABELS.get(str(row["kind"]), {}).get(lang, str(row["kind"]))
        bank = f" · {escape_markdown(row['bank'])}" if isinstance(row["bank"], str) else ""
        text = (
            f"**{rank}. {escape_markdown(row['name'])}** · {escape_markdown(kind)}{bank}"
            f" · **{float(row['distance_km']):.2f} km**  \n"
            f"{escape_markdown(row['address'])} · ☎ {escape_markdown(row['phone'])}"
            f" · {escape_markdown(row['hours'])}"
        )
        cards.append((text, str(row["nav_url"])))
    return cards


def place_label(place: Place, lang: str) -> str:
    """How a search result is listed: name · kind · where (plain text, not markdown)."""
    return f"{place.name} · {t('kind_' + place.kind, lang)} · {place.context}"


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
    report: CoverageReport, gaps: gpd.GeoDataFrame
) -> list[tuple[str, Callable[[], bytes | str], str, str]]:
    """The planner's files: (label key, function making the content, file name, MIME type).

    The content is made only when asked for (a download button's deferred data); the CSV
    files are CSV for Excel (`locator.output.csv_bytes`, as ``locator coverage -o x.csv``).
    """
    sample = bool(report.province.get("sample_registry"))

    def table(frame: pd.DataFrame) -> bytes:
        return csv_bytes(mark_sample(frame, sample))

    return [
        ("download_csv", lambda: table(report.counties), "coverage_counties.csv", "text/csv"),
        ("download_mismatch", lambda: table(report.mismatches), "mismatches.csv", "text/csv"),
        (
            "download_gaps",
            lambda: gaps.to_json(drop_id=True, ensure_ascii=False),
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
