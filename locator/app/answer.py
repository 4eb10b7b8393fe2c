"""The resident's answer: the nearest outlets for a task, with what to act on, as the page lists them.

`resident_answer` finds the outlets (filters, hours at a moment, county, route and call
links), `resident_cards` turns them into plain-text cards and `result_table` into the
table the page shows. Nothing here imports streamlit; the page escapes every text.

Examples
--------
>>> answer = resident_answer(OutletIndex(datasets.registry()), lon=112.55, lat=37.87,
...                          task="apply", bank=None, k=3)
>>> answer.found["rank"].tolist(), len(resident_cards(answer, "en"))
([1, 2, 3], 3)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from locator import datasets, hours
from locator._validate import check_lonlat
from locator.counties import county_of, in_shanxi
from locator.i18n import t
from locator.index import OutletIndex
from locator.links import ROUTE_MODES, amap_route_url, tel_url
from locator.tasks import KIND_LABELS, Task, far_alternatives, get_task, is_far

__all__ = [
    "ResidentAnswer",
    "ResidentCard",
    "ResidentFilters",
    "RouteLink",
    "resident_answer",
    "resident_cards",
    "result_table",
]


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
