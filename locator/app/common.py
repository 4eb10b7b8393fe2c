"""What both pages of the app share: the registry, its index and place search, the map.

The data are loaded once per server and shared by every session, never mutated.
"""

# The cached functions take the registry fingerprint only as (part of) their cache key.
# ruff: noqa: ARG001

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from locator import datasets
from locator.app.state import registry_fingerprint
from locator.gazetteer import Gazetteer
from locator.index import OutletIndex
from locator.maps import MapOptions, use_local_assets
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


def show_map(m: Any, key: str, returned: list[str], height: int = 520) -> Any:
    """Draw a folium map; only what ``returned`` lists reruns the page (never a pan or zoom)."""
    return st_folium(
        use_local_assets(m, ASSETS_URL),
        key=key,
        returned_objects=returned,
        height=height,
        use_container_width=True,
    )


def forget_url_errors() -> None:
    """Once the user has chosen something, the link's errors are old news."""
    st.session_state.pop("_url_errors", None)
