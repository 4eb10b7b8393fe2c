"""Outlets on the map: dots with popups, clustered markers, routes and Amap navigation links.

An outlet's popup has its name, kind, bank, distance, address, phone, hours and a link that
opens Amap at it (`amap_navigation_url`); the clustered layer (`Cluster`) builds the same
card in the browser. Texts from data stay plain text, drawn by the page with ``textContent``
(`locator.maps._leaflet`); the link is built from numbers and the URL-encoded name only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import folium
import folium.elements
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.template import Template

from locator._errors import ValidationError
from locator.crs import wgs84_to_gcj02
from locator.i18n import t
from locator.maps import _assets
from locator.maps._layers import (
    COLORS,
    MapOptions,
    dot_style,
    feature,
    frame_in_wgs84,
    plain_text,
    point,
    to_display,
)
from locator.maps._leaflet import RawMacro, bounds_of, card, js
from locator.tasks import KIND_LABELS

__all__ = [
    "CLUSTER_CLASSES",
    "Cluster",
    "cluster_legend",
    "amap_navigation_url",
    "kind_key",
    "kind_label",
    "navigation",
    "outlet_circles",
    "outlet_frame",
    "outlet_legend",
    "outlet_popup",
    "outlet_rows",
    "route_features",
    "you_feature",
]

# What JavaScript's encodeURIComponent leaves as it is (the cluster layer builds links with it).
_URI_UNRESERVED = "-_.!~*'()"


def amap_navigation_url(*, lon: float, lat: float, name: str) -> str:
    """A link that opens Amap (web or app) with a marker at a WGS-84 point.

    Amap expects GCJ-02, so the point is converted first (``coordinate=gaode`` says so);
    the name is URL-encoded. Escape the URL (``html.escape``) before putting it in HTML.
    """
    lon_g, lat_g = wgs84_to_gcj02(float(lon), float(lat))
    return (
        f"https://uri.amap.com/marker?position={float(lon_g):.6f},{float(lat_g):.6f}"
        f"&name={quote(str(name), safe=_URI_UNRESERVED)}&coordinate=gaode"
    )


_KINDS = ("government", "bank", "branch")


def kind_key(kind: Any) -> str:
    """``government``, ``bank``, ``branch`` (an ordinary bank branch) or ``other``: the map's colours."""
    return str(kind) if str(kind) in _KINDS else "other"


def kind_label(kind: str, lang: str) -> str:
    """The name of an outlet kind in ``lang`` (`locator.tasks.KIND_LABELS`); empty for other."""
    return KIND_LABELS.get(kind, {}).get(lang, "" if kind == "other" else kind)


def outlet_frame(outlets: pd.DataFrame) -> pd.DataFrame:
    """Outlet rows with ``lon``/``lat`` columns (WGS-84) and the text columns present."""
    frame = outlets
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        frame = frame_in_wgs84(frame)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(
            lon=frame.geometry.x.to_numpy(), lat=frame.geometry.y.to_numpy()
        )
    missing = [c for c in ("lon", "lat", "name") if c not in frame]
    if missing:
        msg = f"outlets: missing column(s) {', '.join(missing)}; give OutletIndex.nearest(...) output or load_outlets() rows"
        raise ValidationError(msg)
    defaults = {c: None for c in ("kind", "bank", "address", "phone", "hours") if c not in frame}
    return frame.assign(**defaults) if defaults else frame


def navigation(lon: float, lat: float, name: Any, options: MapOptions) -> dict[str, str]:
    """The ``nav`` part of a `card`: what `amap_navigation_url` links to, built in the page."""
    lon_g, lat_g = wgs84_to_gcj02(float(lon), float(lat))
    return {
        "pos": f"{float(lon_g):.6f},{float(lat_g):.6f}",
        "name": plain_text(name),
        "label": options.word("map_navigate"),
    }


def outlet_rows(row: Any, options: MapOptions, distance_km: float | None) -> list[tuple[str, str]]:
    """The rows of an outlet's popup: bank, (straight-line) distance, address, phone, hours."""
    word = options.word
    rows = [(word("map_bank"), plain_text(row.bank))]
    if distance_km is not None:
        rows.append((word("map_distance"), f"{distance_km:.2f} {word('map_km')}"))
    rows += [
        (word("map_address"), plain_text(row.address)),
        (word("map_phone"), plain_text(row.phone)),
        (word("map_hours"), plain_text(row.hours)),
    ]
    return rows


def outlet_popup(row: Any, options: MapOptions, distance_km: float | None = None) -> dict[str, Any]:
    """An outlet's popup as a `card`: the same one the clustered layer builds in the page."""
    rows = outlet_rows(row, options, distance_km)
    return card(
        plain_text(row.name),
        sub=kind_label(kind_key(row.kind), options.lang),
        rows=rows,
        nav=navigation(row.lon, row.lat, row.name, options),
    )


def outlet_circles(
    frame: pd.DataFrame, options: MapOptions, *, radius: float, with_distance: bool
) -> list[dict[str, Any]]:
    """One dot per outlet (`outlet_frame` rows), coloured by kind, with tooltip and popup."""
    lon, lat = to_display(frame["lon"], frame["lat"], options)
    features = []
    for row, x, y in zip(frame.itertuples(index=False), lon, lat, strict=True):
        distance = float(row.distance_km) if with_distance else None  # type: ignore[arg-type]
        style = dot_style(radius, COLORS[kind_key(row.kind)], weight=1.5, opacity=0.95)
        features.append(
            feature(
                point(x, y),
                style,
                tip=card(plain_text(row.name)),
                popup=outlet_popup(row, options, distance),
            )
        )
    return features


def outlet_legend(lang: str, kinds: Iterable[Any] | None = None) -> list[tuple[str, str, str]]:
    """Legend entries for the outlet kinds drawn: (colour, "dot", name).

    ``kinds`` are the kinds on the map (e.g. the frame's ``kind`` column); None: the
    one-stop kinds. Ordinary branches get an entry only when some are drawn.
    """
    drawn = {kind_key(k) for k in kinds} if kinds is not None else {"government", "bank"}
    return [(COLORS[k], "dot", KIND_LABELS[k][lang]) for k in _KINDS if k in drawn]


def route_features(
    frame: pd.DataFrame,
    start: tuple[float, float],
    ends: tuple[Sequence[float], Sequence[float]],
    options: MapOptions,
    *,
    with_distance: bool,
) -> list[dict[str, Any]]:
    """Dashed straight lines from ``start`` to each outlet's ``ends`` (display lon, lat)."""
    km = options.word("map_km")
    style = {"color": COLORS["route"], "weight": 2, "opacity": 0.7, "dashArray": "6 6"}
    features = []
    for row, x, y in zip(frame.itertuples(index=False), *ends, strict=True):
        distance = f"{float(row.distance_km):.2f} {km}" if with_distance else None  # type: ignore[arg-type]
        line = {"type": "LineString", "coordinates": [list(start), [x, y]]}
        features.append(feature(line, style, tip=card(plain_text(row.name), aside=distance)))
    return features


def you_feature(lon: float, lat: float, options: MapOptions) -> dict[str, Any]:
    """Where you are (display coordinates)."""
    style = dot_style(9, COLORS["you"], weight=3, opacity=1)
    return feature(point(lon, lat), style, tip=card(options.word("map_you")))


#: Leaflet.markercluster's size classes as its default icon function and stylesheet draw them
#: (``MarkerCluster.Default.css``): CSS class, fewest outlets in the class, inner disc colour,
#: the legend's word for it.
CLUSTER_CLASSES = (
    ("marker-cluster-small", 1, "#6ecc39", "map_cluster_small"),
    ("marker-cluster-medium", 10, "#f0c20c", "map_cluster_medium"),
    ("marker-cluster-large", 100, "#f18017", "map_cluster_large"),
)


def cluster_legend(lang: str) -> list[tuple[str, str, str]]:
    """Legend entries for the outlet groups, one per colour the clustered layer draws.

    >>> [label for _, _, label in cluster_legend("en")][-1]
    'Group of 100 or more outlets'
    """
    return [(colour, "dot", t(word, lang)) for _, _, colour, word in CLUSTER_CLASSES]


class Cluster(folium.elements.JSCSSMixin, folium.map.Layer, RawMacro):
    """Outlets as small div-icon markers grouped by Leaflet.markercluster.

    Each outlet is one compact row of plain-text fields; the popup is the `card` of
    `outlet_popup`, assembled in the browser on first opening. Repeated texts (kind, bank,
    hours) are indexes into lists. ``encodeURIComponent`` encodes the name in the link as
    `amap_navigation_url` does.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.markerClusterGroup({{ this.options }});
            (function () {
                var c = /* data */ {{ this.config }};
                var rows = /* data */ {{ this.rows }};
                var icons = c.icons.map(function (o) { return L.divIcon(o); });
                function popup(r) {
                    var rows = [[c.labels[0], c.banks[r[4]]], [c.labels[1], r[5]],
                        [c.labels[2], r[6]], [c.labels[3], c.hours[r[7]]]];
                    return locatorCard({
                        title: r[3],
                        sub: c.kinds[r[2]],
                        rows: rows.filter(function (x) { return x[1]; }),
                        nav: {pos: r[8] + "," + r[9], name: r[3], label: c.labels[4]}
                    });
                }
                var markers = rows.map(function (r) {
                    var marker = L.marker([r[0], r[1]], {icon: icons[r[2]]});
                    marker.bindTooltip(function () { return locatorCard({title: r[3]}); });
                    marker.bindPopup(function () { return popup(r); }, {maxWidth: 320});
                    return marker;
                });
                {{ this.get_name() }}.addLayers(markers);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, frame: pd.DataFrame, options: MapOptions) -> None:
        super().__init__(name=options.word("map_outlets"), overlay=True, control=True, show=True)
        self._name = "LocatorCluster"
        self.default_js = [("markerclusterjs", _assets.data_url(_assets.CLUSTER_JS))]
        self.default_css = [
            ("markerclustercss", _assets.data_url(_assets.CLUSTER_CSS)),
            ("markerclusterdefaultcss", _assets.data_url(_assets.CLUSTER_DEFAULT_CSS)),
        ]
        kinds = [*_KINDS, "other"]
        banks: dict[str, int] = {}
        hours: dict[str, int] = {}
        lon, lat = to_display(frame["lon"], frame["lat"], options)
        nav_lon, nav_lat = wgs84_to_gcj02(
            frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
        )
        rows: list[list[Any]] = []
        for row, x, y, gx, gy in zip(
            frame.itertuples(index=False),
            lon,
            lat,
            np.atleast_1d(nav_lon),
            np.atleast_1d(nav_lat),
            strict=True,
        ):
            kind = kind_key(row.kind)
            rows.append(
                [
                    float(y),
                    float(x),
                    kinds.index(kind),
                    plain_text(row.name),
                    banks.setdefault(plain_text(row.bank), len(banks)),
                    plain_text(row.address),
                    plain_text(row.phone),
                    hours.setdefault(plain_text(row.hours), len(hours)),
                    f"{gx:.6f}",
                    f"{gy:.6f}",
                ]
            )
        config = {
            "icons": [
                {"className": f"locator-pt locator-pt-{k}", "iconSize": [12, 12], "html": ""}
                for k in kinds
            ],
            "kinds": [kind_label(k, options.lang) for k in kinds],
            "banks": list(banks),
            "hours": list(hours),
            "labels": [
                options.word(f"map_{k}") for k in ("bank", "address", "phone", "hours", "navigate")
            ],
        }
        self.lons = [float(x) for x in lon]
        self.lats = [float(y) for y in lat]
        self.rows = js(rows)
        self.config = js(config)
        self.options = js({"showCoverageOnHover": False, "maxClusterRadius": 50})

    def _get_self_bounds(self) -> list[list[float | None]]:
        return bounds_of(self.lons, self.lats)
