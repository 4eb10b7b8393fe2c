r"""What the Streamlit app computes besides the library proper: its URL, its words, its tables.

:mod:`locator.app.page` lays out the page; everything it shows that needs computing comes
from here (URL state, markdown escaping, error text, the planner's tables), from
:mod:`locator.app.answer` (the resident's answer) or from the public modules, so the tests
and the command line call the same functions. Nothing here imports streamlit.

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
import pandas as pd

from locator import hours
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
from locator.i18n import PARAMETERS, column_label, parameter_label, parse_lang, t
from locator.index import OutletIndex
from locator.output import csv_bytes, mark_sample, mark_sample_json
from locator.planning.coverage import CoverageReport
from locator.planning.siting import coverage_gain_curve
from locator.registry import outlets_to_geojson
from locator.tasks import TASK_CODES, get_task

__all__ = [
    "gain_curve_table",
    "planner_table",
    "rule_first_sentence",
    "split_sites",
    "VIEWS",
    "UrlError",
    "UrlState",
    "error_markdown",
    "escape_markdown",
    "page_words",
    "parse_url",
    "planner_downloads",
    "registry_fingerprint",
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
