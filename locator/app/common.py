"""What both pages of the app share: the registry, its index and place search, the map.

The data are loaded once per server and shared by every session, never mutated.
"""

# The cached functions take the registry fingerprint only as (part of) their cache key.
# ruff: noqa: ARG001

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from locator import datasets, hours
from locator.app.state import registry_fingerprint
from locator.gazetteer import Gazetteer
from locator.index import OutletIndex
from locator.maps import MapOptions, resident_base_map, use_local_assets
from locator.planning.demand import estimate_demand

# Streamlit serves the `static` folder beside the page (a link to locator/maps/static) at
# /app/static: Leaflet comes from the app itself.
ASSETS_URL = "/app/static"


@dataclass(frozen=True)
class Page:
    """What every part of one run of the page shares: language, base map, the registry."""

    lang: str
    tiles: str
    outlets: Any
    fingerprint: str
    counties: Any
    index: OutletIndex

    @property
    def map_options(self) -> MapOptions:
        """How this page's maps are drawn: its base map, its language."""
        return MapOptions(tiles=self.tiles, lang=self.lang)


@st.cache_resource(show_spinner=False)
def shipped() -> tuple[Any, Any, str]:
    """The shipped registry (one-stop outlets and bank branches), the counties, its fingerprint."""
    outlets = datasets.registry()
    return outlets, datasets.counties(), registry_fingerprint(outlets)


@st.cache_resource(show_spinner=False)
def demand() -> Any:
    """The estimated demand grid over the shipped counties."""
    return estimate_demand(shipped()[1])


@st.cache_resource(show_spinner=False)
def index_for(fingerprint: str, _outlets: Any) -> OutletIndex:
    """The search index of a registry."""
    return OutletIndex(_outlets)


@st.cache_resource(show_spinner=False)
def gazetteer_for(fingerprint: str, _outlets: Any) -> Gazetteer:
    """The place search over the counties and a registry's outlets."""
    return Gazetteer(shipped()[1], _outlets)


def registry() -> tuple[Any, str]:
    """The registry of this session: the one uploaded, else the shipped sample."""
    if "registry" in st.session_state:
        return st.session_state["registry"], st.session_state["registry_fp"]
    outlets, _, fingerprint = shipped()
    return outlets, fingerprint


def show_map(m: Any, key: str, returned: list[str], height: int = 520, layers: Any = None) -> Any:
    """Draw a folium map; only what ``returned`` lists reruns the page (never a pan or zoom).

    ``layers`` (a feature group, e.g. `locator.maps.resident_layers`) is drawn over ``m``
    and may change from run to run without a new map: streamlit-folium names its frame by a
    hash of the map's script, so a map that stays the same keeps its frame, and only the
    group is swapped in it. Pass a new ``m`` each run (the group is added to it).
    """
    return st_folium(
        use_local_assets(m, ASSETS_URL),
        key=key,
        returned_objects=returned,
        height=height,
        use_container_width=True,
        feature_group_to_add=layers,
    )


def forget_url_errors() -> None:
    """Once the user has chosen something, the link's errors are old news."""
    st.session_state.pop("_url_errors", None)


def answer_map(page: Page, layers: Any, height: int, *, outlines: bool = False) -> Any:
    """The resident's map: only a click reruns (the resident part of the page alone).

    The base map (`locator.maps.resident_base_map`: the province, and the county outlines
    when there are no tiles) is the same in every run, so its frame stays while the answer
    (``layers``, `locator.maps.resident_layers`) changes in it: a click made while the last
    answer is drawn lands on the map, not on a frame being rebuilt. In a container keyed
    ``resident-map``, which `PAGE_CSS` makes compact on a phone.

    ``outlines`` draws the county outlines over tiles too: the map to click before any
    answer, where tiles that do not load would leave nothing to aim at. An answer's map
    goes without them over tiles: the 117 outlines (0.5 MB) would go to the browser again
    with every answer.
    """
    counties = page.counties if outlines or page.tiles == "none" else None
    # clicks_at_once: a click goes to the app at once, not after a 250 ms debounce
    base = resident_base_map(counties=counties, options=page.map_options, clicks_at_once=True)
    with st.container(key="resident-map"):
        return show_map(base, "resident_map", ["last_clicked"], height=height, layers=layers)


@st.cache_resource(show_spinner=False, max_entries=64)
def _filtered(
    fingerprint: str, minute: str | None, filters: tuple[bool, ...], _index: OutletIndex
) -> OutletIndex:
    weekends, instant_issue, transit_topup = filters
    return _index.filtered(
        open_at=None if minute is None else hours.parse_at(minute),
        weekends=weekends,
        instant_issue=instant_issue,
        transit_topup=transit_topup,
    )


def filtered_index(
    page: Page, moment: dt.datetime | None, filters: tuple[bool, ...]
) -> OutletIndex:
    """The index of the outlets the filters keep (`OutletIndex.filtered`), cached.

    ``filters`` is (open at ``moment`` or now, open at weekends, instant issue, transit
    top-up). One index per registry, filter set and minute, built once and shared by every
    session: a click with the same filters only searches.
    """
    open_now, *rest = filters
    if not any(filters):
        return page.index
    minute = None
    if open_now:
        minute = (moment or hours.parse_at(None)).strftime("%Y-%m-%d %H:%M")
    return _filtered(page.fingerprint, minute, tuple(rest), page.index)


# Our own CSS, no data in it: readable captions; on a phone the map is compact, so the first
# result shows without scrolling; sizes in rem and vh, so a larger system font still fits.
PAGE_CSS = """<style>
/* Captions dark enough to read (WCAG AA 4.5:1 on white; Streamlit's grey is below it). */
[data-testid="stCaptionContainer"] { color: rgb(74, 76, 89) !important; opacity: 1 !important; }
/* No fading of the last answer while the next one comes (a click answers in well under a
   second): faded text is unreadable (contrast below 4.5:1) and flickers. */
[data-stale="true"] { opacity: 1 !important; }
/* The resident page's headings come after the title (h1) as h2, at a section's size. */
h2 { font-size: 1.75rem !important; }
@media (max-width: 640px) {
  .st-key-resident-map iframe,
  .st-key-resident-map [data-testid="stSkeleton"] { height: 25vh !important; }
  [data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 2rem; }
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.75rem; }
  h1 { font-size: 1.25rem !important; padding-top: 0 !important; }
  h2 { font-size: 1.125rem !important; padding: 0 !important; }
  /* A result card: tighter lines and buttons (still 2.25rem high to tap), so the whole
     first card shows under the map. */
  [class*="st-key-result-"] { gap: 0.5rem !important; padding: 0.75rem !important; }
  [class*="st-key-acts-"] a, [class*="st-key-acts-"] button,
  [class*="st-key-routes-"] a { min-height: 2.25rem; padding: 0.125rem 0.625rem; }
}
</style>"""


def small(text: str) -> None:
    """A line of small print in the text's own colour.

    ``st.caption`` draws at 60 % opacity (3.9:1 on white, below WCAG AA's 4.5:1) until the
    page's CSS arrives, a moment after the first elements; small print does not wait for it.
    ``text`` is markdown: escape data first (`locator.app.state.escape_markdown`).
    """
    st.markdown(f":small[{text}]")


def page_style() -> None:
    """Add the page's own CSS (`PAGE_CSS`: our text only, never data)."""
    st.html(PAGE_CSS)
