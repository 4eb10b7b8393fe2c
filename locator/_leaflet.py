"""Small folium elements that draw ``locator``'s layers: data in as JSON, text escaped before.

Leaflet puts tooltip, popup and legend strings into the page as HTML, so every text from
data must be escaped (``html.escape``) before it reaches these elements; they pass it as
JSON with ``<`` written ``\\u003c``, so no value can close the ``<script>`` either.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import branca
import folium
import shapely
from folium.template import Template

__all__ = ["Features", "Legend", "Style", "bounds_of", "js"]


def js(value: Any) -> str:
    """JSON for a ``<script>``: ``<`` and ``>`` escaped so data cannot close the script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def bounds_of(lats: Iterable[float], lons: Iterable[float]) -> list[list[float | None]]:
    lat_l, lon_l = list(lats), list(lons)
    if not lat_l:
        return [[None, None], [None, None]]
    return [[min(lat_l), min(lon_l)], [max(lat_l), max(lon_l)]]


class Features(folium.map.Layer):
    """GeoJSON features, each with its own style and an escaped tooltip (``t``) / popup (``p``).

    Points are drawn as circle markers (SVG paths), so no marker image is needed.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
                style: function (f) { return f.properties.s; },
                pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties.s); },
                onEachFeature: function (f, layer) {
                    if (f.properties.t) { layer.bindTooltip(f.properties.t, {sticky: true}); }
                    if (f.properties.p) { layer.bindPopup(f.properties.p, {maxWidth: 320}); }
                }
            });
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]], *, name: str, show: bool = True) -> None:
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "LocatorFeatures"
        self.features = features
        self.data = js({"type": "FeatureCollection", "features": features})

    def _get_self_bounds(self) -> list[list[float | None]]:
        if not self.features:
            return [[None, None], [None, None]]
        minx, miny, maxx, maxy = shapely.total_bounds(
            [shapely.geometry.shape(f["geometry"]) for f in self.features]
        )
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


class Legend(branca.element.MacroElement):
    """A legend box (HTML built and escaped in Python) as a Leaflet control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomright"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "locator-legend");
                div.innerHTML = {{ this.html }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: Sequence[tuple[str, str, str]]) -> None:
        """``entries``: (colour, swatch shape "box" / "dot" / "line", label) from ``locator``."""
        super().__init__()
        self._name = "LocatorLegend"
        items = "".join(
            f'<div><i class="locator-{shape}" style="background:{html.escape(color)}"></i>'
            f"{html.escape(label)}</div>"
            for color, shape, label in entries
        )
        self.html = js(f"<b>{html.escape(title)}</b>{items}")


class Style(branca.element.MacroElement):
    """The page's own CSS: legend, div-icon markers, and the background without tiles."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                .locator-legend { background: rgba(255,255,255,0.92); padding: 6px 9px;
                    border-radius: 5px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
                    font: 12px/1.5 sans-serif; max-width: 260px; }
                .locator-legend i { display: inline-block; width: 14px; height: 14px;
                    margin-right: 6px; vertical-align: -2px; opacity: 0.85; }
                .locator-legend i.locator-dot { border-radius: 50%; }
                .locator-legend i.locator-line { height: 3px; vertical-align: 3px; }
                .locator-pt { border-radius: 50%; border: 2px solid #fff;
                    box-shadow: 0 0 2px rgba(0,0,0,0.6); }
                .locator-pt-government { background: {{ this.colors.government }}; }
                .locator-pt-bank { background: {{ this.colors.bank }}; }
                .locator-pt-other { background: {{ this.colors.other }}; }
                .locator-popup td { padding: 0 6px 0 0; vertical-align: top; }
                {% if this.blank %}#{{ this._parent.get_name() }} { background: #fff; }{% endif %}
            </style>
        {% endmacro %}
        """
    )

    def __init__(self, *, blank: bool, colors: dict[str, str]) -> None:
        super().__init__()
        self._name = "LocatorStyle"
        self.colors = colors
        self.blank = blank
