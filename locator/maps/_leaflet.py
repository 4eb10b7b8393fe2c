r"""Small folium elements that draw ``locator``'s layers. Templates hold code; data goes in as JSON.

Why this module exists: branca compiles what it renders. ``MacroElement.render`` puts each
macro's output into ``Element(text)``, and ``Element.__init__`` compiles that text as a Jinja
template, so a county named ``{{ 7*7 }}`` showed as ``49``, ``{#`` broke the export, and a
crafted name ran code on the server. ``html.escape`` leaves ``{``, ``}`` and ``#`` alone, so
escaping could not fix it. Three things, each enough on its own for the template side, do:

- `RawMacro` renders its macros into `RawElement`, whose text is never compiled. Every
  element here (and the map's `LayerControl`) is one, so data text never becomes template
  source, whatever it holds.
- Data reaches the page only as JSON (`js`): a literal inside the element's own script,
  where ``streamlit_folium.st_folium`` keeps it too (it rebuilds the map only when that
  script changes, so the data must be in it). Inside strings, ``< > & ' { } # % $ `` and
  U+2028/U+2029 are written as ``\uXXXX``, so even a path that compiled it would find no
  Jinja delimiter, and nothing can close the ``<script>`` or open a comment.
- The page's own script (`Style`: ``locatorCard``, ``locatorText``) builds tooltips, popups,
  legends and layer names from that data with ``textContent`` (or, where Leaflet wants HTML,
  HTML escaped in the browser); Python never writes markup from data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import branca
import folium
import shapely
from folium.template import Template

__all__ = [
    "ClickAtOnce",
    "Features",
    "FillFrame",
    "FitView",
    "Group",
    "LayerControl",
    "Legend",
    "Notice",
    "RawElement",
    "RawMacro",
    "Style",
    "bounds_of",
    "card",
    "contrast",
    "ink",
    "js",
]

# Inside JSON strings: what could end a <script>, start an HTML comment or entity, or be read
# as a Jinja / JS-template delimiter, and the two line separators old JS engines reject.
_INERT = {ord(c): f"\\u{ord(c):04x}" for c in "<>&'{}#%$`\u2028\u2029"}
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def js(value: Any) -> str:
    r"""JSON that is inert in a ``<script>``, in HTML and to Jinja; decodes to ``value``.

    Only string contents change: there every character of ``< > & ' { } # % $ ``` and
    U+2028/U+2029 is a ``\uXXXX`` escape. Outside strings JSON has only ``{}[]:,``,
    numbers and literals, and an object never starts with ``{{``, so no ``{{``, ``{%`` or
    ``{#`` can appear.

    >>> js({"name": "{{ 7*7 }}</script>"})
    '{"name":"\\u007b\\u007b 7*7 \\u007d\\u007d\\u003c/script\\u003e"}'
    >>> json.loads(js(["{# x", "a&b"])) == ["{# x", "a&b"]
    True
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_STRING.sub(lambda match: match.group(0).translate(_INERT), text)


def card(
    title: str | None = None,
    *,
    aside: str | None = None,
    sub: str | None = None,
    rows: Sequence[tuple[str, str]] = (),
    nav: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A tooltip or popup as data, drawn in the page by ``locatorCard`` with ``textContent``.

    ``title`` in bold, `` · aside`` after it, ``sub`` on the next line, then label/value
    ``rows`` (rows with an empty value are left out) and an Amap link: ``nav`` holds the
    GCJ-02 position ``"lon,lat"`` (written here from numbers), the ``name`` (URL-encoded in
    the page with ``encodeURIComponent``) and the link's ``label``.

    ``locatorCard`` also draws three keys the resident map's pins add
    (`locator.maps._pins.pin_popup`): ``badge`` (the pin's number, before the title),
    ``routes`` (Amap route links: ``from`` and ``to`` positions as in ``nav``, their names,
    a ``label`` and ``modes``, ``[mode, text]`` with modes among walk, bus, car) and ``tel``
    (a call link: ``number`` of digits and a leading ``+``, filtered again in the page, and
    its ``label``). Links are drawn only from positions that are numbers and known modes.
    """
    spec: dict[str, Any] = {}
    if title:
        spec["title"] = title
    if aside:
        spec["aside"] = aside
    if sub:
        spec["sub"] = sub
    kept = [[label, value] for label, value in rows if value]
    if kept:
        spec["rows"] = kept
    if nav is not None:
        spec["nav"] = nav
    return spec


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21).

    >>> round(contrast("#ffffff", "#000000"), 1)
    21.0
    """
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink(background: str) -> str:
    """White or near-black: whichever reads better on ``background`` (text on a pin).

    >>> ink("#1565c0"), ink("#ef6c00")
    ('#ffffff', '#1a1a1a')
    """
    return max(("#ffffff", "#1a1a1a"), key=lambda text: contrast(text, background))


def bounds_of(lons: Iterable[float], lats: Iterable[float]) -> list[list[float | None]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` of points given as lons, lats.

    >>> bounds_of([112.5, 113.0], [37.8, 37.1])
    [[37.1, 112.5], [37.8, 113.0]]
    """
    lon_l, lat_l = list(lons), list(lats)
    if not lon_l:
        return [[None, None], [None, None]]
    return [[min(lat_l), min(lon_l)], [max(lat_l), max(lon_l)]]


class RawElement(branca.element.Element):
    """Text put into a page as it is: rendering returns it, nothing compiles it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawElement"
        self.text = text

    def render(self, **kwargs: Any) -> str:  # noqa: ARG002 - the branca signature
        return self.text


class RawMacro(branca.element.MacroElement):
    """A `MacroElement` whose macro output goes into the page as it is, never compiled.

    Put it after a folium class in the bases (``class X(folium.map.Layer, RawMacro)``): the
    method order then runs folium's own ``render`` steps and ends here instead of in
    ``MacroElement.render``, which would compile the output again.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement
        figure = self.get_root()
        if not isinstance(figure, branca.element.Figure):
            msg = "this map element can only be rendered inside a map (a folium Figure)"
            raise TypeError(msg)
        module = self._template.module
        for part in ("header", "html", "script"):
            macro = getattr(module, part, None)
            if macro is not None:
                target = getattr(figure, part)
                target.add_child(RawElement(str(macro(self, kwargs))), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class Features(folium.map.Layer, RawMacro):
    """GeoJSON features, each with its own style (``s``), tooltip (``t``) and popup (``p``).

    ``t`` and ``p`` are `card` specs. Points are drawn as circle markers (SVG paths), so no
    marker image is needed. ``pane`` (name, z-index) draws the layer in its own Leaflet
    pane, created on first use, so its place above or below other layers holds.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {% if this.pane %}
            (function (pane, map) {
                if (!map.getPane(pane[0])) { map.createPane(pane[0]).style.zIndex = pane[1]; }
            })(/* data */ {{ this.pane }}, {{ this._parent.get_name() }});
            {% endif %}
            var {{ this.get_name() }} = L.geoJSON(/* data */ {{ this.data }}, {
                pane: {{ this.pane_name }},
                style: function (f) { return f.properties.s; },
                pointToLayer: function (f, latlng) {
                    return L.circleMarker(latlng, Object.assign({pane: {{ this.pane_name }}}, f.properties.s));
                },
                onEachFeature: function (f, layer) {
                    var p = f.properties;
                    if (p.t) { layer.bindTooltip(function () { return locatorCard(p.t); }, {sticky: true}); }
                    if (p.p) { layer.bindPopup(function () { return locatorCard(p.p); }, {maxWidth: 320}); }
                }
            });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        features: list[dict[str, Any]],
        *,
        name: str,
        show: bool = True,
        pane: tuple[str, int] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "LocatorFeatures"
        self.features = features
        self.pane = js(list(pane)) if pane else ""
        self.pane_name = js(pane[0] if pane else "overlayPane")
        self.data = js({"type": "FeatureCollection", "features": features})

    def _get_self_bounds(self) -> list[list[float | None]]:
        if not self.features:
            return [[None, None], [None, None]]
        minx, miny, maxx, maxy = shapely.total_bounds(
            [shapely.geometry.shape(f["geometry"]) for f in self.features]
        )
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


class Legend(RawMacro):
    """A legend box as a Leaflet control, drawn in the page from its entries.

    Its parent is the map, or a `Group`: then the legend is shown while the group is on a
    map, and goes with it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomright"});
            {{ this.get_name() }}.onAdd = function () {
                var legend = /* data */ {{ this.data }};
                var div = L.DomUtil.create("div", "locator-legend");
                div.tabIndex = 0;  // a small map shows its entries on focus (the page's CSS)
                var title = document.createElement("b");
                title.textContent = legend.title;
                div.appendChild(title);
                legend.entries.forEach(function (e) {
                    var line = document.createElement("div");
                    var swatch = document.createElement("i");
                    swatch.className = "locator-" + e[1];
                    swatch.style.background = e[0];
                    if (e[1] === "pin") {
                        // a numbered pin as the map draws it: the number in the text colour
                        swatch.textContent = "1";
                        swatch.style.color = e[3];
                        swatch.setAttribute("aria-hidden", "true");
                    }
                    line.appendChild(swatch);
                    line.appendChild(document.createTextNode(e[2]));
                    div.appendChild(line);
                });
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            locatorWithMap({{ this._parent.get_name() }}, function (map) {
                {{ this.get_name() }}.addTo(map);
            }, function () { {{ this.get_name() }}.remove(); });
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: Sequence[tuple[str, str, str]]) -> None:
        """``entries``: (colour, swatch shape "box" / "dot" / "line" / "pin", label).

        A "pin" is drawn as the resident map's numbered pins are: the colour behind a
        number in `ink`.
        """
        super().__init__()
        self._name = "LocatorLegend"
        shapes = {"box", "dot", "line", "pin"}
        self.entries = [(c, s if s in shapes else "box", label) for c, s, label in entries]
        drawn = [
            [c, s, label, ink(c)] if s == "pin" else [c, s, label] for c, s, label in self.entries
        ]
        self.data = js({"title": title, "entries": drawn})


class Notice(RawMacro):
    """A notice always in view at the top of the map (e.g. that the registry is the sample)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "topleft"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "locator-notice");
                div.textContent = /* data */ {{ this.data }};
                div.setAttribute("role", "note");
                div.style.cssText = "background:#fff3cd;color:#7a4d00;border:1px solid "
                    + "#e0b252;border-radius:4px;padding:4px 8px;font-weight:bold;max-width:28em";
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "LocatorNotice"
        self.data = js(text)


class Group(folium.FeatureGroup, RawMacro):
    """A Leaflet feature group of `locator` layers, rendered as `RawMacro` (never compiled).

    Layers and legends put in it come and go with it, so an app can swap the whole group
    (e.g. ``st_folium(feature_group_to_add=...)``) while the map stays.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name=name, overlay=True, control=False, show=True)
        # _name stays "FeatureGroup": streamlit-folium refers to the group by that name


class FillFrame(RawMacro):
    """In streamlit-folium's frame (whose map is ``#map_div``) the map is as high as the frame.

    The page may make the frame lower than the height the map was drawn at (the resident's
    map on a phone): the map then shows, and its `FitView` fits, what is seen. Only for a map
    whose view is fitted by `FitView`, which waits for the frame's size: the frame starts
    0 px high, and a view fitted then (folium's ``fit_bounds``) is the whole world.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>#map_div { height: 100vh !important; }</style>
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LocatorFillFrame"


class FitView(RawMacro):
    """Fit the map's view to points (display lon, lat) once its parent is on a map.

    None: nothing moves; one: street level around it; more: all of them in view, with
    ``legend`` clear of the legend in the lower right (a margin of up to 200 x 120 px, less
    on a small map), else with a 10 px margin all round.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            locatorWithMap({{ this._parent.get_name() }}, function (map) {
                var view = /* data */ {{ this.data }};
                var points = view.points;
                function fit() {
                    if (points.length === 1) { map.setView(points[0], 14); return; }
                    var size = map.getSize();
                    var legend = view.legend ? [Math.min(200, size.x * 0.3), Math.min(120, size.y * 0.25)] : [10, 10];
                    map.fitBounds(L.latLngBounds(points), {
                        paddingTopLeft: view.legend ? [30, 30] : [10, 10],
                        paddingBottomRight: legend
                    });
                }
                if (points.length === 0) { return; }
                // A map in a frame not yet sized (the app's, drawn before its frame grows, in
                // width and height one after the other) is fitted once it has its size:
                // fitted at a few pixels its view would be anywhere.
                (function whenSized() {
                    var size = map.getSize();
                    if (size.x < 100 || size.y < 100) { map.once("resize", whenSized); } else { fit(); }
                })();
            });
        {% endmacro %}
        """
    )

    def __init__(
        self, lons: Sequence[float], lats: Sequence[float], *, legend: bool = True
    ) -> None:
        super().__init__()
        self._name = "LocatorFitView"
        self.points = [[float(y), float(x)] for x, y in zip(lons, lats, strict=True)]
        self.legend = legend
        self.data = js({"points": self.points, "legend": legend})


class ClickAtOnce(RawMacro):
    """In streamlit-folium's frame, send a click on the map to the app at once.

    streamlit-folium sends what the map reports 250 ms after the last event (a debounce),
    half of a click's answer. With ``returned_objects=["last_clicked"]`` the value it
    sends is ``{"last_clicked": latlng}``: this sends that value on the click and records
    it as sent (``__GLOBAL_DATA__.previous_data``), so the debounced call finds nothing new
    and does not send it again. Outside streamlit-folium (a page on disk) it does nothing.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.on("click", function (e) {
                var data = window.__GLOBAL_DATA__, lib = window.Streamlit;
                if (!data || !("previous_data" in data) || !lib || !lib.setComponentValue) {
                    return;
                }
                var value = {last_clicked: e.latlng};
                if (JSON.stringify(value) === JSON.stringify(data.previous_data)) { return; }
                data.lat_lng_clicked = e.latlng;
                data.previous_data = value;
                lib.setComponentValue(value);
            });
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LocatorClickAtOnce"


class LayerControl(RawMacro):
    """Leaflet's layer control, with the layer names passed as data and escaped in the page.

    folium's ``LayerControl`` writes the names into its script, which branca compiles, and
    Leaflet shows them as HTML; this one gives them to ``locatorText`` first.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var names = /* data */ {{ this.data }};
                var layers = [{% for layer in this.layers %}{{ layer }}, {% endfor %}];
                var base = {}, overlays = {};
                names.forEach(function (n, i) {
                    (n[0] ? overlays : base)[locatorText(n[1])] = layers[i];
                });
                return L.control.layers(base, overlays, {{ this.options }})
                    .addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, *, collapsed: bool = False) -> None:
        super().__init__()
        self._name = "LocatorLayerControl"
        self.options = js({"collapsed": collapsed, "position": "topright"})
        self.layers: list[str] = []
        self.data = js([])

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement
        # As folium's: every layer of the map that wants a control, in the map's order.
        named = [
            item
            for item in self._parent._children.values()  # type: ignore[union-attr]
            if isinstance(item, folium.map.Layer) and item.control
        ]
        self.layers = [item.get_name() for item in named]
        self.data = js([[bool(item.overlay), str(item.layer_name)] for item in named])
        super().render(**kwargs)


class Style(RawMacro):
    """The page's own CSS (legend, markers, pins, popups) and the script that draws data as text.

    Sizes are in ``rem``/``em``, so a larger system font makes pins, popups and legends
    larger too; a popup's links are tap targets at least 2 rem high.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                .locator-legend { background: rgba(255,255,255,0.92); padding: 0.4rem 0.6rem;
                    border-radius: 5px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
                    font: 0.75rem/1.5 sans-serif; max-width: 16rem; }
                .locator-legend i { display: inline-block; width: 0.9rem; height: 0.9rem;
                    margin-right: 0.4rem; vertical-align: -0.15rem; opacity: 0.85; }
                .locator-legend i.locator-dot { border-radius: 50%; }
                .locator-legend i.locator-line { height: 0.2rem; vertical-align: 0.2rem; }
                .locator-legend i.locator-pin { border-radius: 50%; opacity: 1; font: bold
                    0.6rem/0.9rem sans-serif; text-align: center; font-style: normal; }
                .locator-pt { border-radius: 50%; border: 2px solid #fff;
                    box-shadow: 0 0 2px rgba(0,0,0,0.6); }
                .locator-pt-government { background: {{ this.colors.government }}; }
                .locator-pt-bank { background: {{ this.colors.bank }}; }
                .locator-pt-branch { background: {{ this.colors.branch }}; }
                .locator-pt-other { background: {{ this.colors.other }}; }
                /* Numbered pins (the resident map): the number in the text colour that reads
                   best on the kind's colour; sized in rem, centred on the outlet. */
                .leaflet-marker-icon.locator-pin { width: 1.75rem; height: 1.75rem;
                    margin: -0.875rem 0 0 -0.875rem; border-radius: 50%; box-sizing: border-box;
                    border: 0.125rem solid #fff; box-shadow: 0 0.05rem 0.25rem rgba(0,0,0,0.6);
                    font: bold 0.875rem/1.5rem sans-serif; text-align: center; }
                .leaflet-marker-icon.locator-pin-selected { width: 2.5rem; height: 2.5rem;
                    margin: -1.25rem 0 0 -1.25rem; font-size: 1.125rem; line-height: 2.25rem;
                    box-shadow: 0 0 0 0.2rem #1a1a1a, 0 0.1rem 0.5rem rgba(0,0,0,0.7); }
                {% for kind in this.pin_kinds %}
                .locator-pin-{{ kind }} { background: {{ this.colors[kind] }};
                    color: {{ this.inks[kind] }}; }
                {% endfor %}
                .locator-card { font-size: 0.875rem; line-height: 1.45; overflow-wrap: anywhere;
                    max-width: calc(100vw - 4.5rem); }
                .locator-badge { display: inline-block; min-width: 1.4em; margin-right: 0.35em;
                    border-radius: 0.7em; padding: 0 0.3em; text-align: center;
                    background: #1a1a1a; color: #fff; font-weight: bold; }
                .locator-popup td { padding: 0 0.4em 0 0; vertical-align: top; }
                .locator-popup td:first-child { word-break: keep-all; }
                .locator-links { margin-top: 0.35rem; }
                .locator-links a { display: inline-block; min-height: 2rem; line-height: 2rem;
                    padding: 0 0.6rem; margin: 0.25rem 0.35rem 0 0; border-radius: 1rem;
                    border: 0.0625rem solid #0d47a1; color: #0d47a1; text-decoration: none; }
                .locator-links span { display: block; color: #424242; }
                /* A clicked county or marker keeps no focus rectangle (the popup shows which). */
                .leaflet-container .leaflet-interactive:focus,
                .leaflet-container .leaflet-marker-icon:focus { outline: none; }
                /* On a small map (a phone) the legend is its title until tapped or focused,
                   so it covers no pin. */
                @media (max-height: 320px), (max-width: 420px) {
                    .locator-legend > div { display: none; }
                    .locator-legend:hover > div, .locator-legend:focus > div,
                    .locator-legend:focus-within > div { display: block; }
                }
                /* ... but a pin reached with the keyboard shows where the focus is. */
                .leaflet-container .leaflet-marker-icon.locator-pin:focus-visible {
                    outline: 0.2rem solid #1a1a1a; outline-offset: 0.1rem; }
                {% if this.blank %}#{{ this._parent.get_name() }} { background: #fff; }{% endif %}
            </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            // Run onMap(map) now when parent is the map, else each time the parent (a layer
            // group) is put on a map; onRemove when it is taken off.
            window.locatorWithMap = function (parent, onMap, onRemove) {
                if (parent instanceof L.Map) { onMap(parent); return; }
                parent.on("add", function () { onMap(parent._map); });
                if (onRemove) { parent.on("remove", onRemove); }
            };
            window.locatorText = function (s) {
                var div = document.createElement("div");
                div.textContent = String(s);
                return div.innerHTML;
            };
            window.locatorCard = function (c) {
                var root = document.createElement("div");
                root.className = "locator-card";
                // Positions are numbers written in Python; anything else draws no link.
                var position = /^-?[0-9]{1,3}[.][0-9]{6},-?[0-9]{1,2}[.][0-9]{6}$/;
                function add(parent, tag, text) {
                    var node = document.createElement(tag);
                    if (text !== undefined) { node.textContent = text; }
                    parent.appendChild(node);
                    return node;
                }
                function link(parent, text, href) {
                    var a = add(parent, "a", text);
                    a.href = href;
                    if (href.indexOf("https:") === 0) {
                        a.target = "_blank";
                        a.rel = "noopener noreferrer";
                    }
                    return a;
                }
                if (c.badge) { add(root, "span", c.badge).className = "locator-badge"; }
                if (c.title) { add(root, "b", c.title); }
                if (c.aside) { root.appendChild(document.createTextNode(" \u00b7 " + c.aside)); }
                if (c.sub) { add(root, "br"); root.appendChild(document.createTextNode(c.sub)); }
                if (c.rows) {
                    var table = add(root, "table");
                    table.className = "locator-popup";
                    c.rows.forEach(function (r) {
                        var tr = add(table, "tr");
                        add(tr, "td", r[0]);
                        add(tr, "td", r[1]);
                    });
                }
                if (c.nav) {
                    // The scheme and host are fixed here; the position is numbers written in
                    // Python, the name is URL-encoded: no name can become a link of its own.
                    var a = add(root, "a", c.nav.label);
                    a.href = "https://uri.amap.com/marker?position=" + c.nav.pos +
                        "&name=" + encodeURIComponent(c.nav.name) + "&coordinate=gaode";
                    a.target = "_blank";
                    a.rel = "noopener noreferrer";
                }
                function links_box() {
                    var box = add(root, "div");
                    box.className = "locator-links";
                    return box;
                }
                // As locator.links.amap_route_url: each end "lon,lat,name", the name encoded
                // whole (encodeURIComponent leaves !'()* as they are; Python's quote does not).
                function encode(s) {
                    return encodeURIComponent(s).replace(/[!'()*]/g, function (ch) {
                        return "%" + ch.charCodeAt(0).toString(16).toUpperCase();
                    });
                }
                function end(pos, name) { return pos + (name ? "," + encode(name) : ""); }
                var r = c.routes;
                if (r && position.test(r.from) && position.test(r.to)) {
                    var routes = links_box();
                    add(routes, "span", r.label);
                    r.modes.forEach(function (m) {
                        if (["walk", "bus", "car"].indexOf(m[0]) < 0) { return; }
                        link(routes, m[1], "https://uri.amap.com/navigation?from=" +
                            end(r.from, r.from_name) + "&to=" + end(r.to, r.to_name) + "&mode=" +
                            m[0] + "&coordinate=gaode&callnative=1&src=locator");
                    });
                }
                if (c.tel) {
                    // Digits and one leading "+" only, whatever the data held.
                    var number = String(c.tel.number).replace(/[^0-9+]/g, "").replace(/(?!^)[+]/g, "");
                    if (/[0-9]/.test(number)) { link(links_box(), c.tel.label, "tel:" + number); }
                }
                return root;
            };
        {% endmacro %}
        """
    )

    def __init__(self, *, blank: bool, colors: dict[str, str]) -> None:
        super().__init__()
        self._name = "LocatorStyle"
        self.colors = colors
        self.pin_kinds = [k for k in ("government", "bank", "branch", "other") if k in colors]
        self.inks = {kind: ink(colors[kind]) for kind in self.pin_kinds}
        self.blank = blank
