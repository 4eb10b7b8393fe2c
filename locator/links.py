"""Links a resident can act on: a route in Amap from where they stand, a number to call.

Positions inside ``locator`` are WGS-84; Amap reads GCJ-02, so `amap_route_url`
converts both ends with `locator.crs.wgs84_to_gcj02` (the URI says ``coordinate=gaode``).
Amap's URI API for a route is ``https://uri.amap.com/navigation?from=lon,lat[,name]&to=
lon,lat[,name]&mode=car|bus|walk``; ``callnative=1`` asks a phone to open the Amap app
when it has it. Names are percent-encoded whole (``,`` ``&`` ``#`` included), so a name
can never end its own parameter or add another.

`tel_url` turns the phone text of a registry ("0351-1234567", "(0351) 123 4567",
"0351-1234567/0351-7654321") into a ``tel:`` link of digits and a leading ``+`` only.

Examples
--------
>>> url = amap_route_url(from_lon=112.55, from_lat=37.87, to_lon=112.56, to_lat=37.86,
...                      mode="walk", to_name="小店区 #1")
>>> url.startswith("https://uri.amap.com/navigation?from=112.556"), "%20%231" in url
(True, True)
>>> tel_url("0351-1234567/0351-7654321"), tel_url("(0351) 123 4567"), tel_url("无")
('tel:03511234567', 'tel:03511234567', None)
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from locator._errors import ValidationError
from locator._validate import check_lonlat
from locator.crs import wgs84_to_gcj02

__all__ = ["ROUTE_MODES", "amap_route_url", "tel_url"]

#: The ways to travel a route link offers, in the order a page lists them.
ROUTE_MODES: tuple[str, ...] = ("walk", "transit", "drive")
# Amap's names for them (URI API, 路径规划: mode=walk / bus / car).
_AMAP_MODES = {"walk": "walk", "transit": "bus", "drive": "car"}
_AMAP_ROUTE = "https://uri.amap.com/navigation"
# Where one number ends and the next begins in a registry's phone text.
_SEPARATORS = re.compile(r"[/／、,，;；|｜\n]|或|及|和|转|ext\.?|分机", re.IGNORECASE)
# A dialable number: 3 digits (12333 has 5, 110 has 3) to the 15 of E.164.
_MIN_DIGITS, _MAX_DIGITS = 3, 15


def _end(lon: float, lat: float, name: str) -> str:
    """One end of a route: GCJ-02 ``lon,lat`` to 1e-6 degree (0.1 m), then the encoded name."""
    lon, lat = check_lonlat(lon, lat)
    lon_g, lat_g = wgs84_to_gcj02(lon, lat)
    text = f"{float(lon_g):.6f},{float(lat_g):.6f}"
    name = " ".join(str(name).split())  # one line: no control characters in a link
    return f"{text},{quote(name, safe='')}" if name else text


def amap_route_url(
    *,
    from_lon: float,
    from_lat: float,
    to_lon: float,
    to_lat: float,
    mode: str,
    from_name: str = "",
    to_name: str = "",
) -> str:
    """A link that opens Amap (web or app) with a route between two WGS-84 points.

    Parameters
    ----------
    from_lon, from_lat, to_lon, to_lat : float
        Start (the resident) and end (the outlet), WGS-84 decimal degrees.
    mode : {"walk", "transit", "drive"}
        How to travel; Amap's ``walk``, ``bus`` and ``car``.
    from_name, to_name : str
        Shown at each end; percent-encoded whole.

    Returns
    -------
    str
        The URL, GCJ-02 coordinates to 6 decimals; escape it (``html.escape``) before
        putting it in HTML.

    Raises
    ------
    ValidationError
        When ``mode`` is not one of `ROUTE_MODES` or a point is not a longitude/latitude.

    Examples
    --------
    >>> amap_route_url(from_lon=112.55, from_lat=37.87, to_lon=112.56, to_lat=37.86,
    ...                mode="drive").split("&")[2:]
    ['mode=car', 'coordinate=gaode', 'callnative=1', 'src=locator']
    """
    if mode not in _AMAP_MODES:
        msg = f"mode {mode!r} is not a way to travel: use one of {', '.join(ROUTE_MODES)}"
        raise ValidationError(msg)
    start = _end(from_lon, from_lat, from_name)
    end = _end(to_lon, to_lat, to_name)
    return (
        f"{_AMAP_ROUTE}?from={start}&to={end}&mode={_AMAP_MODES[mode]}"
        "&coordinate=gaode&callnative=1&src=locator"
    )


def _dialable(part: str) -> str | None:
    """Digits (and a leading ``+``) of one number's text, or None when not a number."""
    digits = "".join(ch for ch in part if ch.isascii() and ch.isdigit())
    if len(digits) > _MAX_DIGITS:  # two numbers side by side: "0351-1234567 0351-7654321"
        chunks = (_dialable(chunk) for chunk in part.split())
        return next((c for c in chunks if c is not None and len(c.lstrip("+")) >= 7), None)
    if len(digits) < _MIN_DIGITS:
        return None
    return ("+" if part.lstrip().startswith("+") else "") + digits


def tel_url(phone: Any) -> str | None:
    """A ``tel:`` link for the first number of a registry's phone text, or None.

    Full-width digits and ``＋`` count (NFKC); every other character is dropped, an
    extension (转 801) too; a text without 3 to 15 digits gives None.

    Parameters
    ----------
    phone : str or None
        The phone text as the registry has it.

    Returns
    -------
    str or None
        ``tel:`` and the digits, with ``+`` first for an international number.

    Examples
    --------
    >>> tel_url("+86 351 123 4567"), tel_url("12333"), tel_url(None)
    ('tel:+863511234567', 'tel:12333', None)
    """
    if not isinstance(phone, str):
        return None
    text = unicodedata.normalize("NFKC", phone)
    for part in _SEPARATORS.split(text):
        number = _dialable(part)
        if number is not None:
            return f"tel:{number}"
    return None
