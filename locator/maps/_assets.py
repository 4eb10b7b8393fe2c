"""The Leaflet files shipped in ``locator/maps/static/``: where they are and how pages load them.

``scripts/vendor_assets.py`` copied them from the npm packages ``leaflet`` and
``leaflet.markercluster`` (versions, npm integrity and file hashes in
``static/assets.json``; licences beside the files).

Why vendored: folium loads Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
CDNs, so a plain ``folium.Map.save()`` page is blank offline and where those CDNs are
blocked. The maps of `locator.maps` need only Leaflet 1.9.4 and Leaflet.markercluster 1.5.3;
a map's ``default_js`` and ``default_css`` list only those, as ``data:`` URLs (`data_url`),
so a map works anywhere (``save()``, a notebook, ``st_folium``) with no network and no setup.
`standalone_html` inlines the files as ``<script>`` / ``<style>`` text instead (smaller, and
no ``data:`` script); `use_local_assets` points them at a URL where the app serves them.

How streamlit-folium (0.27) loads them: ``st_folium`` strips every ``<script src>`` and
``<link rel="stylesheet">`` from the header and instead sends the ``default_js`` /
``default_css`` URLs of the map and of every ``JSCSSMixin`` element in it (plus d3 from a
CDN when a ``branca`` colormap is present, which is why the legends are plain HTML) to its
component iframe, which appends them one after another; a URL that fails to load stops the
map. The iframe is served by the Streamlit server itself, so same-origin absolute paths
work. With ``server.enableStaticServing = true``, Streamlit serves the folder ``static/``
beside the app's page at ``/app/static/``; it resolves symlinks and refuses any file whose
real path lies outside that folder's real path, so ``static`` itself must be (a symlink to)
``locator/maps/static``, not a folder holding a link to it. Files are served with their real
content type and ``nosniff``, which suits ``.js`` and ``.css``.

Examples
--------
>>> sorted(VERSIONS.items())
[('leaflet', '1.9.4'), ('leaflet.markercluster', '1.5.3')]
>>> "sourceMappingURL" in script_text(LEAFLET_JS)
False
>>> "url(images/" in style_text(LEAFLET_CSS), "data:image/png;base64," in style_text(LEAFLET_CSS)
(False, True)
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import branca
import folium
import folium.elements

from locator._errors import ValidationError

__all__ = [
    "CLUSTER_CSS",
    "CLUSTER_DEFAULT_CSS",
    "CLUSTER_JS",
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "STATIC_DIR",
    "VERSIONS",
    "by_file_name",
    "data_url",
    "manifest",
    "script_text",
    "standalone_html",
    "style_text",
    "use_local_assets",
    "vendored_file",
]

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"

# Paths relative to STATIC_DIR (and to the URL the app serves that folder at).
LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"
CLUSTER_JS = "leaflet.markercluster/leaflet.markercluster.js"
CLUSTER_CSS = "leaflet.markercluster/MarkerCluster.css"
CLUSTER_DEFAULT_CSS = "leaflet.markercluster/MarkerCluster.Default.css"
_ALL = (LEAFLET_JS, LEAFLET_CSS, CLUSTER_JS, CLUSTER_CSS, CLUSTER_DEFAULT_CSS)

_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S*\s*$")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")


@functools.cache
def manifest() -> dict[str, Any]:
    """The vendoring record ``static/assets.json``: package versions, integrity, file hashes."""
    loaded: dict[str, Any] = json.loads((STATIC_DIR / "assets.json").read_text(encoding="utf-8"))
    return loaded


VERSIONS: dict[str, str] = {
    name: entry["version"] for name, entry in manifest()["packages"].items()
}


def by_file_name(url: str) -> str | None:
    """The vendored file that a URL (CDN or local) loads, matched by file name; else None.

    >>> by_file_name("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    'leaflet/leaflet.js'
    >>> by_file_name("https://code.jquery.com/jquery-3.7.1.min.js") is None
    True
    """
    name = PurePosixPath(url.split("?", 1)[0].split("#", 1)[0]).name
    return next((path for path in _ALL if PurePosixPath(path).name == name), None)


@functools.cache
def script_text(path: str) -> str:
    """A vendored script, ready to inline: no source-map comment, no ``</script``."""
    text = (STATIC_DIR / path).read_text(encoding="utf-8")
    # The .map files are not shipped; a browser with dev tools open would try to fetch them.
    text = _SOURCE_MAP.sub("\n", text)
    return text.replace("</script", "<\\/script")


@functools.cache
def style_text(path: str) -> str:
    """A vendored stylesheet, ready to inline: comments dropped, its images as data: URIs.

    Inlined into a page, ``url(images/x.png)`` would resolve against the page, not the
    stylesheet, so the images the CSS names are embedded instead.
    """
    folder = (STATIC_DIR / path).parent
    text = _CSS_COMMENT.sub("", (STATIC_DIR / path).read_text(encoding="utf-8"))

    def embed(match: re.Match[str]) -> str:
        data = base64.b64encode((folder / match.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _CSS_URL.sub(embed, text).replace("</style", "<\\/style")


@functools.cache
def data_url(path: str) -> str:
    """A vendored file as a ``data:`` URL (scripts and stylesheets as `script_text` / `style_text`)."""
    if path.endswith(".js"):
        mime, text = "text/javascript", script_text(path)
    else:
        mime, text = "text/css", style_text(path)
    return f"data:{mime};base64,{base64.b64encode(text.encode('utf-8')).decode('ascii')}"


@functools.cache
def _by_data_url() -> dict[str, str]:
    return {data_url(path): path for path in _ALL}


def vendored_file(url: str) -> str | None:
    """The vendored file a URL stands for: one of our ``data:`` URLs, or by file name.

    >>> vendored_file(data_url(CLUSTER_JS)), vendored_file("/app/static/leaflet/leaflet.css")
    ('leaflet.markercluster/leaflet.markercluster.js', 'leaflet/leaflet.css')
    """
    if url.startswith("data:"):
        return _by_data_url().get(url)
    return by_file_name(url)


# --- where Leaflet comes from: inline, or the app's static files ----------------------------------

# folium's default assets that these maps do not use (and that are not vendored): dropped.
_UNUSED_NAMES = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)
_SCRIPT_SRC = re.compile(r"<script\s+src=\"([^\"]*)\"\s*>\s*</script>")
_CSS_LINK = re.compile(r"<link\s+rel=\"stylesheet\"\s+href=\"([^\"]*)\"\s*/?>")
_ANY_EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]*)\"")


@functools.cache
def _unused_urls() -> frozenset[str]:
    pairs = [*folium.Map.default_js, *folium.Map.default_css]
    return frozenset(url for name, url in pairs if name in _UNUSED_NAMES)


def _not_vendored(url: str) -> ValidationError:
    shown = url if len(url) < 120 else url[:117] + "..."
    return ValidationError(
        f"the map loads {shown}, which locator does not ship (only Leaflet "
        f"{VERSIONS['leaflet']} and Leaflet.markercluster); draw it with "
        "locator.maps layers or leave that element out"
    )


def _check_no_jquery(page: str) -> None:
    # folium.Popup builds its content with jQuery's $(`...`); without jQuery it breaks.
    if "$(`" in page or "$(document)" in page:
        msg = "the map uses folium.Popup or keep_in_front, which need jQuery (not shipped); use the locator.maps layers"
        raise ValidationError(msg)


def standalone_html(m: folium.Map, *, title: str | None = None) -> str:
    """The map as one HTML page with Leaflet's JS and CSS inlined: no network needed.

    Every ``<script src>`` and stylesheet link of the page is replaced by the vendored
    file's text (folium's unused defaults, jQuery and Bootstrap among them, are dropped);
    a resource that is not shipped raises `ValidationError`. Tile images still come from
    the tile server; without network the vector layers draw on a grey background.
    """
    page = m.get_root().render()

    def inline(match: re.Match[str], *, script: bool) -> str:
        url = html.unescape(match.group(1))
        path = vendored_file(url)
        if path is None and url in _unused_urls():
            return ""
        if path is None:
            raise _not_vendored(url)
        if script:
            return f"<script>{script_text(path)}</script>"
        return f"<style>{style_text(path)}</style>"

    page = _SCRIPT_SRC.sub(lambda match: inline(match, script=True), page)
    page = _CSS_LINK.sub(lambda match: inline(match, script=False), page)
    leftover = _ANY_EXTERNAL.search(page)
    if leftover:
        raise _not_vendored(html.unescape(leftover.group(1)))
    _check_no_jquery(page)
    if title is not None:
        page = page.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
    return page


def _asset_elements(m: folium.Map) -> Iterable[Any]:
    stack: list[Any] = [m]
    while stack:
        element = stack.pop()
        if isinstance(element, branca.colormap.ColorMap):
            msg = "the map has a branca colormap, for which st_folium loads d3 from a CDN; use a locator.maps legend"
            raise ValidationError(msg)
        if isinstance(element, folium.elements.JSCSSMixin):
            yield element
        stack.extend(getattr(element, "_children", {}).values())


def use_local_assets(m: folium.Map, base_url: str) -> folium.Map:
    """Point the map's Leaflet JS/CSS at ``base_url`` + the file's path in ``locator/maps/static``.

    For the Streamlit app: with ``server.enableStaticServing = true`` and ``static`` beside
    the app's page being (a symlink to) ``locator/maps/static``, ``base_url`` is
    ``"/app/static"`` (the module docstring explains why). folium's unused defaults are dropped; a resource
    that is not shipped, or a branca colormap (st_folium fetches d3 for it), raises
    `ValidationError`. Returns the same map, changed in place.
    """
    base = base_url.rstrip("/")
    header = m.get_root().header._children  # type: ignore[attr-defined]
    for element in _asset_elements(m):
        for attribute in ("default_js", "default_css"):
            kept = []
            for name, url in getattr(element, attribute):
                path = vendored_file(url)
                if path is not None:
                    kept.append((name, f"{base}/{path}"))
                elif url in _unused_urls():
                    header.pop(name, None)  # a link left by an earlier render
                else:
                    raise _not_vendored(url)
            setattr(element, attribute, kept)
    return m
