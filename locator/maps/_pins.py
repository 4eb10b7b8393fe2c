"""Numbered pins for the resident map: each pin's number is the outlet's rank in the list.

A pin is a Leaflet div-icon whose number the page writes with ``textContent``, in the kind's
colour with the text colour that reads best on it (`locator.maps._leaflet.ink`), sized in
``rem``; its title (``"1. name"``) names it to screen readers. Its popup (`pin_popup`) is a
`card`: name, kind, bank, the straight-line distance, address, phone, hours, then links
built in the page from numbers and URL-encoded names only:

- from the resident, three Amap routes (`route_spec`: walk, bus, car; the very links
  `locator.links.amap_route_url` makes, both ends in GCJ-02), or without a resident, the
  marker link of `navigation`;
- a ``tel:`` link from the phone text, when `locator.links.tel_number` finds one number in it
  (the rule of every ``tel:`` link ``locator`` makes).

A chosen rank (``selected``) is drawn larger and outlined, in front of the others, with its
popup open.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import folium
import numpy as np
import pandas as pd
from folium.template import Template

from locator._errors import ValidationError
from locator.crs import wgs84_to_gcj02
from locator.links import tel_number
from locator.maps._layers import COLORS, MapOptions, plain_text, to_display
from locator.maps._leaflet import RawMacro, bounds_of, card, js
from locator.maps._outlets import kind_key, kind_label, navigation, outlet_rows

__all__ = [
    "ROUTE_MODES",
    "Pins",
    "check_selected",
    "pin_legend",
    "pin_popup",
    "ranks_of",
    "route_spec",
]

#: Amap URI API travel modes (``mode=``) and the words of their links: walking, transit, driving.
ROUTE_MODES = (("walk", "map_route_walk"), ("bus", "map_route_bus"), ("car", "map_route_car"))

_KINDS = ("government", "bank", "branch")


# --- the list's numbers -----------------------------------------------------------------------


def ranks_of(frame: pd.DataFrame) -> list[int]:
    """Each row's number in the list: its ``rank`` column when present, else position + 1.

    >>> ranks_of(pd.DataFrame({"name": ["a", "b"]}))
    [1, 2]
    >>> ranks_of(pd.DataFrame({"name": ["a", "b"], "rank": [3, 4]}))
    [3, 4]
    """
    if "rank" not in frame:
        return list(range(1, len(frame) + 1))
    ranks = []
    for value in frame["rank"]:
        try:
            number = math.nan if isinstance(value, bool | np.bool_) else float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number != int(number) or number < 1:
            msg = f"found: rank {value!r} is not a whole number from 1; number the rows 1, 2, 3, ... or drop the rank column"
            raise ValidationError(msg)
        ranks.append(int(number))
    if len(set(ranks)) != len(ranks):
        msg = f"found: ranks {ranks} repeat a number; give each row its own rank"
        raise ValidationError(msg)
    return ranks


def check_selected(selected: int | None, ranks: list[int]) -> int | None:
    """``selected`` when it is one of ``ranks`` (or None); a `ValidationError` otherwise."""
    if selected is None:
        return None
    # numbers.Integral: a rank read from a table is often a numpy integer
    whole = isinstance(selected, numbers.Integral) and not isinstance(selected, bool | np.bool_)
    if not whole or int(selected) not in ranks:
        shown = ", ".join(map(str, ranks)) or "none"
        msg = f"selected {selected!r} is not the rank of an outlet on the map ({shown}); give one of them or None"
        raise ValidationError(msg)
    return int(selected)


# --- links ------------------------------------------------------------------------------------


def _position(lon: float, lat: float) -> str:
    """A WGS-84 point as Amap's GCJ-02 ``"lon,lat"``, 6 decimals (about 0.1 m)."""
    lon_g, lat_g = wgs84_to_gcj02(float(lon), float(lat))
    return f"{float(lon_g):.6f},{float(lat_g):.6f}"


def _one_line(text: str) -> str:
    """Whitespace runs as one space, none at the ends: no control character in a link."""
    return " ".join(text.split())


def route_spec(
    you: tuple[float, float], to: tuple[float, float], name: Any, options: MapOptions
) -> dict[str, Any]:
    """The ``routes`` part of a `card`: Amap routes from ``you`` to an outlet (WGS-84 lon, lat).

    The page builds each link as `locator.links.amap_route_url` does (the same text):
    ``https://uri.amap.com/navigation?from=<from>,<from_name>&to=<to>,<to_name>&mode=<mode>
    &coordinate=gaode&callnative=1&src=locator``, each name on one line and percent-encoded
    whole, a ``,name`` left out when the name is empty.
    """
    return {
        "from": _position(*you),
        "from_name": _one_line(options.word("map_route_start")),
        "to": _position(*to),
        "to_name": _one_line(plain_text(name)),
        "label": options.word("map_route_in"),
        "modes": [[mode, options.word(key)] for mode, key in ROUTE_MODES],
    }


# --- pins -------------------------------------------------------------------------------------


def pin_popup(
    row: Any,
    rank: int,
    options: MapOptions,
    *,
    distance_km: float | None,
    you: tuple[float, float] | None,
) -> dict[str, Any]:
    """A numbered outlet's popup as a `card`; ``row`` has ``name, kind, bank, ...`` (WGS-84)."""
    word = options.word
    rows = outlet_rows(row, options, distance_km)
    spec: dict[str, Any] = {"badge": str(rank)}
    spec.update(
        card(
            plain_text(row.name),
            sub=kind_label(kind_key(row.kind), options.lang),
            rows=rows,
            nav=None if you is not None else navigation(row.lon, row.lat, row.name, options),
        )
    )
    if you is not None:
        spec["routes"] = route_spec(you, (row.lon, row.lat), row.name, options)
    number = tel_number(row.phone)
    if number is not None:
        spec["tel"] = {"number": number, "label": word("map_call")}
    return spec


def pin_legend(options: MapOptions, kinds: list[str]) -> list[tuple[str, str, str]]:
    """Legend entries for the pins drawn: one numbered swatch per kind, in the kinds' order."""
    drawn = set(kinds)
    return [
        (COLORS[k], "pin", kind_label(k, options.lang) or options.word("map_outlets"))
        for k in (*_KINDS, "other")
        if k in drawn
    ]


class Pins(folium.map.Layer, RawMacro):
    """Numbered outlet pins (Leaflet div-icons), one per row of the resident's list.

    The data is one JSON object: ``pins`` in list order, each with its number ``n``, display
    position ``at`` (lat, lon), ``kind``, ``title`` and popup card ``p``, and ``selected``
    (a number or null). The page writes the numbers with ``textContent``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup();
            (function (group) {
                var data = /* data */ {{ this.data }};
                var kinds = ["government", "bank", "branch", "other"];
                var width = window.innerWidth;  // the map's page: the map is as wide or less
                var popup = {maxWidth: Math.max(160, Math.min(320, width - 60)), minWidth: 0};
                var chosen = null;
                data.pins.forEach(function (p) {
                    var kind = kinds.indexOf(p.kind) >= 0 ? p.kind : "other";
                    var selected = p.n === data.selected;
                    var number = document.createElement("span");
                    number.textContent = String(p.n);
                    var icon = L.divIcon({
                        html: number,
                        iconSize: null,
                        className: "locator-pin locator-pin-" + kind +
                            (selected ? " locator-pin-selected" : "")
                    });
                    var marker = L.marker(p.at, {
                        icon: icon, title: p.title, alt: p.title, keyboard: true,
                        riseOnHover: true, zIndexOffset: selected ? 1000 : 0
                    });
                    marker.on("add", function () {
                        var element = marker.getElement();
                        if (element) { element.setAttribute("aria-label", p.title); }
                    });
                    marker.bindPopup(function () { return locatorCard(p.p); }, popup);
                    marker.locatorRank = p.n;
                    group.addLayer(marker);
                    if (selected) { chosen = marker; }
                });
                if (chosen) {
                    // After the view is fitted (the script that fits it runs later).
                    group.once("add", function () {
                        setTimeout(function () { chosen.openPopup(); }, 0);
                    });
                }
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        frame: pd.DataFrame,
        options: MapOptions,
        *,
        you: tuple[float, float] | None,
        selected: int | None = None,
    ) -> None:
        """``frame``: `outlet_frame` rows in list order; ``you`` (WGS-84) adds route links."""
        super().__init__(name=options.word("map_outlets"), overlay=True, control=True, show=True)
        self._name = "LocatorPins"
        ranks = ranks_of(frame)
        self.selected = check_selected(selected, ranks)
        lon, lat = to_display(frame["lon"], frame["lat"], options)
        with_distance = you is not None and "distance_km" in frame
        self.pins: list[dict[str, Any]] = []
        for row, rank, x, y in zip(frame.itertuples(index=False), ranks, lon, lat, strict=True):
            distance = float(row.distance_km) if with_distance else None  # type: ignore[arg-type]
            popup = pin_popup(row, rank, options, distance_km=distance, you=you)
            self.pins.append(
                {
                    "n": rank,
                    "at": [float(y), float(x)],
                    "kind": kind_key(row.kind),
                    "title": f"{rank}. {plain_text(row.name)}",
                    "p": popup,
                }
            )
        self.data = js({"pins": self.pins, "selected": self.selected})

    def _get_self_bounds(self) -> list[list[float | None]]:
        return bounds_of([p["at"][1] for p in self.pins], [p["at"][0] for p in self.pins])
