"""Common Chinese opening-hours text (周一至周五 9:00-17:00，午休 12:00-14:00) to structured hours.

Serves `locator.hours`, which re-exports `from_chinese`; the structured syntax it writes is
the one `locator.hours.parse_hours` reads (OpenStreetMap's ``opening_hours`` subset, with
``WD`` for the official working days and ``PH`` for public holidays).

Examples
--------
>>> from_chinese("周一至周五 9:00-17:00，午休 12:00-14:00，法定节假日休息")
('Mo-Fr 09:00-12:00,14:00-17:00; PH off', [])
"""

from __future__ import annotations

import re

__all__ = ["from_chinese"]

# The weekdays as the structured syntax names them (`locator.hours` reads the same ones).
_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_WEEKDAY_CN = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_CN = r"(?:周|星期)([一二三四五六日天])"
_RANGE_CN = re.compile(_DAY_CN + r"\s*(?:至|到|-|—|~|～)\s*" + _DAY_CN)
_ONE_CN = re.compile(_DAY_CN)
_TIME_CN = re.compile(r"(\d{1,2})[:：](\d{2})\s*(?:-|—|–|~|～|至|到)\s*(\d{1,2})[:：](\d{2})")
_HALF_DAY = {"上午": "09:00-12:00", "下午": "14:00-17:00"}
_HOLIDAY_CN = re.compile(r"(?:法定)?节假日")


def _days_cn(clause: str) -> str | None:
    if "工作日" in clause:
        return "WD"
    if any(word in clause for word in ("每天", "每日", "全天", "全年")):
        return "Mo-Su"
    if "周末" in clause or "双休日" in clause:
        return "Sa,Su"
    match = _RANGE_CN.search(clause)
    if match:
        return f"{_DAYS[_WEEKDAY_CN[match[1]]]}-{_DAYS[_WEEKDAY_CN[match[2]]]}"
    days = [_DAYS[_WEEKDAY_CN[day]] for day in _ONE_CN.findall(clause)]
    return ",".join(days) if days else None


def _times_cn(clause: str) -> list[str]:
    times = [f"{int(a):02d}:{b}-{int(c):02d}:{d}" for a, b, c, d in _TIME_CN.findall(clause)]
    times += [span for word, span in _HALF_DAY.items() if word in clause and not times]
    return times


def _cut(times: list[str], lunch: str) -> list[str]:
    start, end = lunch.split("-")
    cut = []
    for span in times:
        first, last = span.split("-")
        if first < start and end < last:
            cut += [f"{first}-{start}", f"{end}-{last}"]
        else:
            cut.append(span)
    return cut


def from_chinese(text: str) -> tuple[str | None, list[str]]:
    """Convert common Chinese opening-hours text to structured hours.

    Understands weekday ranges and lists (周一至周五, 星期六), 工作日, 周末, 每天, times
    (9:00-17:00), 上午/下午, 午休 12:00-14:00, and 法定节假日休息 / 照常营业.

    Parameters
    ----------
    text : str
        The free text.

    Returns
    -------
    hours : str or None
        The structured hours, or None when nothing could be converted.
    problems : list of str
        The parts that could not be converted; the caller keeps the text and warns.

    Examples
    --------
    >>> from_chinese("工作日 9:00-17:00；周六上午")
    ('WD 09:00-17:00; Sa 09:00-12:00', [])
    >>> from_chinese("预约办理")
    (None, ['预约办理'])
    """
    rules: list[tuple[str, list[str]]] = []
    sources: list[str] = []  # the clause each rule came from
    holiday: str | None = None
    problems = []
    for raw in re.split(r"[;；,，。\n]+", str(text)):
        clause = raw.strip()
        if not clause:
            continue
        times = _times_cn(clause)
        if "午休" in clause and len(times) == 1:
            rules = [(days, _cut(spans, times[0])) for days, spans in rules]
        elif _HOLIDAY_CN.search(clause) and ("休" in clause or "闭" in clause):
            holiday = "PH off"
        elif _HOLIDAY_CN.search(clause) and times and "照常" not in clause:
            holiday = "PH " + ",".join(times)  # 法定节假日 10:00-16:00
        elif _HOLIDAY_CN.search(clause) and ("照常" in clause or "营业" in clause) and rules:
            holiday = "PH " + ",".join(times or rules[0][1])
        elif (days := _days_cn(clause)) is not None:
            rules.append((days, times))
            sources.append(clause)  # days alone: the times follow ("周一至周五，9:00-17:00")
        elif times and rules and not rules[-1][1]:
            rules[-1] = (rules[-1][0], times)
        elif times and rules:
            rules[-1] = (rules[-1][0], rules[-1][1] + times)  # "9:00-12:00, 13:30-17:30"
        elif times:  # times without days: every day, as OSM reads them
            rules.append(("Mo-Su", times))
            sources.append(clause)
        else:
            problems.append(clause)
    problems += [source for source, (_, spans) in zip(sources, rules, strict=True) if not spans]
    rules = [(days, spans) for days, spans in rules if spans]
    parts = [f"{days} {','.join(spans)}" for days, spans in rules]
    if holiday is not None:
        parts.append(holiday)
    return ("; ".join(parts) if rules else None), problems
