"""Opening hours on China's official calendar.

Structured hours are a subset of OpenStreetMap's ``opening_hours`` syntax: rules separated
by ``;``, each a day selector and times (``09:00-12:00,14:00-17:00``) or ``off``. Day
selectors are weekday ranges and lists (``Mo-Fr``, ``Sa,Su``), ``PH`` (public holidays) and
``WD``, our one addition: the official working days (工作日), make-up working days (调休)
included. A later rule replaces an earlier one on the days both select.

Days follow China's calendar (the ``chinese_calendar`` package), not the weekday alone:

- a weekday range follows the weekday, but never opens on a public holiday;
- ``WD`` opens on the official working days, make-up Saturdays and Sundays included;
- a public holiday is closed unless a ``PH`` rule gives its hours (``PH 09:00-12:00``).

Beyond the years the package knows (2004-2026 in version 1.11.0), Monday to Friday count as
working days with no holidays, and `day_kind` says so (``known`` False); a local override
file (``settings.calendar_override_path``: JSON ``{"2027-01-01": "holiday"}`` or CSV
``date,kind``) fills in official days the package lacks. Times are Asia/Shanghai whatever
the server's time zone: a naive datetime is read as Shanghai time.
`from_chinese` (from the private `locator._hours_cn`, re-exported here) converts common
Chinese free text to structured hours.

Examples
--------
>>> import datetime as dt
>>> hours = parse_hours("Mo-Fr 09:00-17:00")
>>> is_open(hours, dt.datetime(2026, 10, 1, 10, 0))  # 国庆节
False
>>> is_open(parse_hours("WD 09:00-17:00"), dt.datetime(2026, 10, 10, 10, 0))  # 调休 Saturday
True
>>> from_chinese("周一至周五 9:00-17:00，午休 12:00-14:00，法定节假日休息")
('Mo-Fr 09:00-12:00,14:00-17:00; PH off', [])
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._hours_cn import from_chinese
from locator._typing import BoolArray

__all__ = [
    "AT_YEARS",
    "TIMEZONE",
    "Hours",
    "HoursError",
    "Rule",
    "badge",
    "calendar_note",
    "day_kind",
    "from_chinese",
    "hours_status",
    "intervals_on",
    "is_open",
    "next_change",
    "open_at_weekends",
    "open_or_unknown",
    "outlet_hours",
    "parse_at",
    "parse_hours",
]

TIMEZONE = ZoneInfo("Asia/Shanghai")
# The years a moment to judge hours at may name (``at``, first and last included): the
# calendar package's first year and a few beyond its last; a wider range only invites
# dates where "open now" means nothing, and year 9999 leaves no room to find the next change.
AT_YEARS = (2004, 2100)

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_KINDS = ("workday", "restday", "holiday")
# next_change looks this many days ahead; hours that never change within it give None.
_HORIZON_DAYS = 370


class HoursError(ValidationError):
    """Opening hours text that is not in the supported ``opening_hours`` subset."""


@dataclass(frozen=True)
class Rule:
    """One rule: the days it selects and its open intervals in minutes (empty: closed).

    Attributes
    ----------
    weekdays : frozenset of int
        Weekdays selected (0 Monday to 6 Sunday).
    holidays : bool
        Selects public holidays (``PH``).
    workdays : bool
        Selects official working days (``WD``).
    intervals : tuple of (int, int)
        Open from start to end minute of the day; empty for ``off``.
    """

    weekdays: frozenset[int]
    holidays: bool
    workdays: bool
    intervals: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Hours:
    """Parsed opening hours: the text and its rules in order.

    Attributes
    ----------
    text : str
        The structured hours as given.
    rules : tuple of Rule
        The rules; a later one replaces an earlier one on the days both select.
    """

    text: str
    rules: tuple[Rule, ...]


def _minutes(hour: str, minute: str, text: str) -> int:
    value = int(hour) * 60 + int(minute)
    if int(minute) > 59 or value > 24 * 60:
        msg = f"opening_hours {text!r}: {hour}:{minute} is not a time of day; write HH:MM"
        raise HoursError(msg)
    return value


def _parse_times(part: str, text: str) -> tuple[tuple[int, int], ...]:
    if part in ("off", "closed"):
        return ()
    intervals = []
    for piece in part.split(","):
        match = _TIME.match(piece.strip())
        if match is None:
            msg = (
                f"opening_hours {text!r}: {piece.strip()!r} is not a time range; "
                "write e.g. 09:00-17:00, or off"
            )
            raise HoursError(msg)
        start = _minutes(match[1], match[2], text)
        end = _minutes(match[3], match[4], text)
        if end <= start:
            msg = f"opening_hours {text!r}: {piece.strip()!r} ends before it starts"
            raise HoursError(msg)
        intervals.append((start, end))
    return tuple(sorted(intervals))


def _parse_selector(selector: str, text: str) -> tuple[frozenset[int], bool, bool]:
    weekdays: set[int] = set()
    holidays = workdays = False
    for item in selector.split(","):
        if item == "PH":
            holidays = True
        elif item == "WD":
            workdays = True
        elif "-" in item and all(day in _DAYS for day in item.split("-", 1)):
            first, last = (_DAYS.index(day) for day in item.split("-", 1))
            weekdays.update(day % 7 for day in range(first, first + (last - first) % 7 + 1))
        elif item in _DAYS:
            weekdays.add(_DAYS.index(item))
        else:
            msg = (
                f"opening_hours {text!r}: {item!r} is not a day selector; "
                "use Mo..Su ranges or lists, PH or WD"
            )
            raise HoursError(msg)
    return frozenset(weekdays), holidays, workdays


def parse_hours(text: str) -> Hours:
    """Parse structured opening hours.

    Parameters
    ----------
    text : str
        Rules separated by ``;``, e.g. ``"Mo-Fr 09:00-12:00,14:00-17:00; PH off"``.

    Returns
    -------
    Hours
        The parsed hours.

    Raises
    ------
    HoursError
        When the text is outside the supported subset; the message names the part.

    Examples
    --------
    >>> parse_hours("Sa,Su 09:00-12:00").rules[0].weekdays == frozenset({5, 6})
    True
    """
    rules = []
    for raw in str(text).split(";"):
        rule = raw.strip()
        if not rule:
            continue
        if rule[0].isdigit():  # times without days: every day, as in OSM
            rule = f"Mo-Su {rule}"
        selector, _, times = rule.partition(" ")
        if not times.strip():
            msg = f"opening_hours {text!r}: rule {rule!r} needs days and times, e.g. Mo-Fr 09:00-17:00"
            raise HoursError(msg)
        weekdays, holidays, workdays = _parse_selector(selector, text)
        rules.append(Rule(weekdays, holidays, workdays, _parse_times(times.strip(), text)))
    if not rules:
        msg = "opening_hours is empty; give rules such as Mo-Fr 09:00-17:00"
        raise HoursError(msg)
    return Hours(str(text), tuple(rules))


def _read_override(path: Path) -> dict[dt.date, str]:
    try:
        if path.suffix.lower() == ".json":
            pairs = list(json.loads(path.read_text(encoding="utf-8")).items())
        else:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                pairs = [(row[0], row[1]) for row in csv.reader(handle) if len(row) >= 2]
    except (OSError, ValueError, AttributeError) as error:
        msg = f"calendar_override_path {path}: cannot be read ({error}); give a JSON or CSV file"
        raise HoursError(msg) from error
    days = {}
    for key, kind in pairs:
        if key.strip().lower() == "date":
            continue
        if kind not in _KINDS:
            msg = (
                f"calendar_override_path {path}: {key} is {kind!r}; use one of {', '.join(_KINDS)}"
            )
            raise HoursError(msg)
        try:
            days[dt.date.fromisoformat(key.strip())] = kind
        except ValueError as error:
            msg = f"calendar_override_path {path}: {key!r} is not a date; write YYYY-MM-DD"
            raise HoursError(msg) from error
    return days


@lru_cache(maxsize=4)
def _override(path: str | None, modified_ns: int) -> dict[dt.date, str]:  # noqa: ARG001
    # modified_ns is in the key so that an edited file is read again
    return {} if path is None else _read_override(Path(path))


def day_kind(day: dt.date) -> tuple[str, bool]:
    """What kind of day ``day`` is on China's official calendar.

    Parameters
    ----------
    day : datetime.date
        The date.

    Returns
    -------
    kind : str
        ``"workday"`` (make-up working days included), ``"restday"`` or ``"holiday"``.
    known : bool
        False when neither the override file nor the calendar package knows the year,
        and Monday to Friday were taken as working days.

    Examples
    --------
    >>> day_kind(dt.date(2026, 10, 10))
    ('workday', True)
    >>> day_kind(dt.date(2027, 10, 1))
    ('workday', False)
    """
    path = settings.calendar_override_path
    try:
        modified_ns = 0 if path is None else Path(path).stat().st_mtime_ns
    except OSError as error:
        msg = f"calendar_override_path {path}: cannot be read ({error}); give a JSON or CSV file"
        raise HoursError(msg) from error
    override = _override(None if path is None else str(path), modified_ns)
    if day in override:
        return override[day], True
    import chinese_calendar

    try:
        if chinese_calendar.is_workday(day):
            return "workday", True
        _, name = chinese_calendar.get_holiday_detail(day)
        return ("holiday" if name is not None else "restday"), True
    except NotImplementedError:
        return ("workday" if day.weekday() < 5 else "restday"), False


def intervals_on(hours: Hours, day: dt.date) -> tuple[tuple[int, int], ...]:
    """Open intervals (minutes from midnight) of ``hours`` on ``day``.

    Examples
    --------
    >>> intervals_on(parse_hours("Mo-Fr 09:00-17:00"), dt.date(2026, 10, 9))
    ((540, 1020),)
    """
    kind, _ = day_kind(day)
    intervals: tuple[tuple[int, int], ...] = ()
    for rule in hours.rules:
        if kind == "holiday":
            selected = rule.holidays
        else:
            selected = day.weekday() in rule.weekdays or (rule.workdays and kind == "workday")
        if selected:
            intervals = rule.intervals
    return intervals


def _local(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        return at.replace(tzinfo=TIMEZONE)
    try:
        return at.astimezone(TIMEZONE)
    except OverflowError:  # e.g. 9999-12-31 23:00 UTC is already year 10000 in Shanghai
        msg = (
            f"at {at.isoformat()!r} lies beyond the dates Asia/Shanghai time can hold; "
            f"give a date from {AT_YEARS[0]} to {AT_YEARS[1]}"
        )
        raise ValidationError(msg) from None


def is_open(hours: Hours, at: dt.datetime) -> bool:
    """Whether ``hours`` are open at ``at`` (naive: Asia/Shanghai time).

    Examples
    --------
    >>> lunch = parse_hours("Mo-Fr 09:00-12:00,14:00-17:00")
    >>> is_open(lunch, dt.datetime(2026, 12, 1, 13, 0)), is_open(lunch, dt.datetime(2026, 12, 1, 15, 0))
    (False, True)
    """
    local = _local(at)
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in intervals_on(hours, local.date()))


def _edges(hours: Hours, day: dt.date) -> list[tuple[int, bool]]:
    """Minutes of ``day`` where the state becomes open (True) or closed (False)."""
    edges: list[tuple[int, bool]] = []
    for start, end in intervals_on(hours, day):
        if edges and edges[-1] == (start, False):
            edges.pop()  # 12:00 closing and 12:00 opening: no change
        else:
            edges.append((start, True))
        edges.append((end, False))
    return edges


def next_change(hours: Hours, at: dt.datetime) -> dt.datetime | None:
    """The first moment after ``at`` when ``hours`` open or close, in Asia/Shanghai time.

    Returns None when nothing changes within a year, or before the last day a
    `datetime.date` can hold (``at`` near `datetime.datetime.max`).

    Examples
    --------
    >>> next_change(parse_hours("Mo-Fr 09:00-17:00"), dt.datetime(2026, 9, 30, 18, 0))
    datetime.datetime(2026, 10, 8, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
    """
    local = _local(at)
    state = is_open(hours, local)
    midnight = dt.datetime.combine(local.date(), dt.time(), TIMEZONE)
    days_left = (dt.date.max - local.date()).days  # no day after date.max to look at
    for offset in range(min(_HORIZON_DAYS, days_left + 1)):
        day = local.date() + dt.timedelta(days=offset)
        for minute, opens in _edges(hours, day):
            if offset == days_left and minute >= 24 * 60:
                return None  # 24:00 on date.max is past datetime.max
            moment = midnight + dt.timedelta(days=offset, minutes=minute)
            if moment > local and opens != state:
                return moment
    return None


def parse_at(value: str | dt.datetime | None) -> dt.datetime:
    """The moment to judge hours at, in Asia/Shanghai time; None: now.

    Parameters
    ----------
    value : str, datetime or None
        ``"YYYY-MM-DD HH:MM"`` (Asia/Shanghai), a datetime (naive: Asia/Shanghai), or None.
        Its year in Asia/Shanghai time must lie within `AT_YEARS`.

    Raises
    ------
    ValidationError
        When the text is not a date and time, or its year is outside `AT_YEARS`.

    Examples
    --------
    >>> parse_at("2026-10-01 10:00")
    datetime.datetime(2026, 10, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
    """
    if value is None:
        return dt.datetime.now(TIMEZONE)
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            msg = (
                f"at {value!r} is not a date and time; write YYYY-MM-DD HH:MM (Asia/Shanghai time)"
            )
            raise ValidationError(msg) from None
    shown = value if isinstance(value, str) else value.isoformat(sep=" ")
    first, last = AT_YEARS
    try:
        local = _local(moment)
    except ValidationError:
        local = None
    if local is None or not first <= local.year <= last:
        msg = f"at {shown!r} is outside the years {first}-{last}; give a date and time within them"
        raise ValidationError(msg)
    return local


@lru_cache(maxsize=256)
def _hours_of(structured: str | None, text: str | None) -> Hours | None:
    if structured:
        try:
            return parse_hours(structured)
        except HoursError:
            return None
    converted = from_chinese(text)[0] if text else None
    return None if converted is None else parse_hours(converted)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def outlet_hours(outlets: pd.DataFrame) -> list[Hours | None]:
    """Each outlet's hours: its ``opening_hours``, else its ``hours`` text converted; None: unknown.

    Examples
    --------
    >>> frame = pd.DataFrame({"hours": ["周一至周五 9:00-17:00", "请电话预约"]})
    >>> [None if h is None else h.text for h in outlet_hours(frame)]
    ['Mo-Fr 09:00-17:00', None]
    """
    empty = pd.Series(None, index=outlets.index, dtype=object)
    structured = outlets.get("opening_hours", empty)
    texts = outlets.get("hours", empty)
    return [_hours_of(_text(a), _text(b)) for a, b in zip(structured, texts, strict=True)]


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def badge(open_now: bool | None, change: dt.datetime | None, at: dt.datetime, lang: str) -> str:
    """The short state shown beside an outlet: 营业中 · 17:00 关门, or unknown.

    Examples
    --------
    >>> at = parse_at("2026-09-30 18:00")
    >>> badge(False, parse_at("2026-10-01 09:00"), at, "zh")
    '已关门 · 明天 9:00 开门'
    >>> badge(True, parse_at("2026-09-30 19:00"), at, "en")
    'open · closes 19:00'
    >>> badge(None, None, at, "zh")
    '营业时间未知'
    """
    zh = lang == "zh"
    if open_now is None:
        return "营业时间未知" if zh else "hours unknown"
    state = ("营业中" if zh else "open") if open_now else ("已关门" if zh else "closed")
    if change is None:
        return state
    days = (change.date() - _local(at).date()).days
    if days == 0:
        when = _clock(change)
    elif days == 1:
        when = f"明天 {_clock(change)}" if zh else f"tomorrow {_clock(change)}"
    else:
        when = (
            f"{change.month}月{change.day}日 {_clock(change)}"
            if zh
            else f"{change:%d %b} {_clock(change)}"
        )
    if zh:
        return f"{state} · {when} {'关门' if open_now else '开门'}"
    return f"{state} · {'closes' if open_now else 'opens'} {when}"


def hours_status(outlets: pd.DataFrame, at: dt.datetime, *, lang: str = "zh") -> pd.DataFrame:
    """Open or closed at ``at``, the next change and the badge, one row per outlet.

    Parameters
    ----------
    outlets : pandas.DataFrame
        Outlets with ``opening_hours`` and/or ``hours`` columns.
    at : datetime.datetime
        The moment (naive: Asia/Shanghai time).
    lang : {"zh", "en"}
        Language of the badge.

    Returns
    -------
    pandas.DataFrame
        With the input's index: ``opening_hours`` (structured, or None when unknown),
        ``open_now`` (True, False, or None when unknown), ``next_change`` (ISO 8601 text with
        +08:00, or None) and ``hours_badge``.

    Examples
    --------
    >>> frame = pd.DataFrame({"hours": ["工作日 9:00-17:00", "预约"]})
    >>> hours_status(frame, parse_at("2026-10-10 10:00"))["hours_badge"].tolist()
    ['营业中 · 17:00 关门', '营业时间未知']
    """
    moment = _local(at)
    rows: list[tuple[str | None, bool | None, str | None, str]] = []
    for hours in outlet_hours(outlets):
        if hours is None:
            rows.append((None, None, None, badge(None, None, moment, lang)))
            continue
        state = is_open(hours, moment)
        change = next_change(hours, moment)
        iso = None if change is None else change.isoformat(timespec="minutes")
        rows.append((hours.text, state, iso, badge(state, change, moment, lang)))
    columns = ["opening_hours", "open_now", "next_change", "hours_badge"]
    return pd.DataFrame(rows, index=outlets.index, columns=columns, dtype=object)


def open_or_unknown(outlets: pd.DataFrame, at: dt.datetime) -> BoolArray:
    """True for the outlets open at ``at`` and those whose hours are unknown (never hidden).

    Examples
    --------
    >>> frame = pd.DataFrame({"hours": ["周一至周五 9:00-17:00", "周末 9:00-17:00", "预约"]})
    >>> open_or_unknown(frame, parse_at("2026-12-01 10:00")).tolist()
    [True, False, True]
    """
    moment = _local(at)
    judged: dict[Hours, bool] = {}  # a registry repeats a few hours thousands of times
    keep = []
    for hours in outlet_hours(outlets):
        if hours is not None and hours not in judged:
            judged[hours] = is_open(hours, moment)
        keep.append(hours is None or judged[hours])
    return np.array(keep, dtype=bool)


def open_at_weekends(outlets: pd.DataFrame) -> BoolArray:
    """True for the outlets open on ordinary Saturdays or Sundays, and those of unknown hours.

    Make-up working days do not count: ``WD`` hours alone are not weekend hours.

    Examples
    --------
    >>> frame = pd.DataFrame({"hours": ["周一至周日 9:00-17:00", "工作日 9:00-17:00", "预约"]})
    >>> open_at_weekends(frame).tolist()
    [True, False, True]
    """

    def weekend(hours: Hours) -> bool:
        later = {5: False, 6: False}
        for rule in hours.rules:  # a later rule replaces an earlier one on its days
            for day in later.keys() & rule.weekdays:
                later[day] = bool(rule.intervals)
        return any(later.values())

    return np.array([h is None or weekend(h) for h in outlet_hours(outlets)], dtype=bool)


def calendar_note(day: dt.date) -> str | None:
    """Why hours on ``day`` may be wrong: a year China's calendar package does not know.

    Examples
    --------
    >>> calendar_note(dt.date(2026, 10, 1)) is None
    True
    >>> calendar_note(dt.date(2027, 10, 1))[:30]
    "China's official calendar for "
    """
    if day_kind(day)[1]:
        return None
    return (
        f"China's official calendar for {day.year} is not known here (chinese-calendar): "
        "Monday to Friday are taken as working days and no day as a public holiday; "
        "put the official days in a file and set calendar_override_path"
    )
