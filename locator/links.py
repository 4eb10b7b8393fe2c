"""Links a resident can act on: a route in Amap from where they stand, a number to call.

Positions inside ``locator`` are WGS-84; Amap reads GCJ-02, so `amap_route_url`
converts both ends with `locator.crs.wgs84_to_gcj02` (the URI says ``coordinate=gaode``).
Amap's URI API for a route is ``https://uri.amap.com/navigation?from=lon,lat[,name]&to=
lon,lat[,name]&mode=car|bus|walk``; ``callnative=1`` asks a phone to open the Amap app
when it has it. Names are percent-encoded whole (``,`` ``&`` ``#`` included), so a name
can never end its own parameter or add another.

`tel_number` finds the number to dial in the phone text of a registry ("0351-1234567",
"(0351) 123 4567", "0351-1234567/0351-7654321"): digits and a leading ``+`` only, or None
when the text is not plainly one number (``0351-55278l5``, an ``l`` for a ``1``, would dial
a wrong number). `tel_url` makes it a ``tel:`` link; the resident map uses the same rule.

Examples
--------
>>> url = amap_route_url(from_lon=112.55, from_lat=37.87, to_lon=112.56, to_lat=37.86,
...                      mode="walk", to_name="小店区 #1")
>>> url.startswith("https://uri.amap.com/navigation?from=112.556"), "%20%231" in url
(True, True)
>>> tel_url("0351-1234567/0351-7654321"), tel_url("(0351) 123 4567"), tel_url("0351-55278l5")
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

__all__ = ["ROUTE_MODES", "amap_route_url", "tel_number", "tel_url"]

#: The ways to travel a route link offers, in the order a page lists them.
ROUTE_MODES: tuple[str, ...] = ("walk", "transit", "drive")
# Amap's names for them (URI API, 路径规划: mode=walk / bus / car).
_AMAP_MODES = {"walk": "walk", "transit": "bus", "drive": "car"}
_AMAP_ROUTE = "https://uri.amap.com/navigation"
# Where the first number of a phone text ends (after NFKC, so full-width ／，；｜ too): another
# number follows, or its extension (转, 分机, ext, x8001).
_SEPARATORS = re.compile(
    r"[/,;、|\n\r\u2028\u2029]|或|及|和|转|分机|ext\.?|x(?=\s*[0-9])", re.IGNORECASE
)
# One number: an optional leading + and country code, an area code in brackets or not, then
# digits with spaces, hyphens or dots between them.
_NUMBER = re.compile(r"\+?(?:[0-9][0-9 ]*)?(?:[(][0-9]{2,4}[)][ \-]?)?[0-9][0-9 \-.]*[0-9]")
# A dialable number: 3 digits (12333 has 5, 110 has 3) to the 15 of E.164.
_MIN_DIGITS, _MAX_DIGITS = 3, 15
# A first group of digits this long is a whole number (area codes and the groups of a
# mobile number are shorter): what follows it after a space is another number or an
# extension, never more of the same number ("0351-1234567 0351-7654321", "0351-1234567 801").
_WHOLE_GROUP = 7


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


def _ascii_digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def tel_number(phone: Any) -> str | None:
    """The number to dial for a registry's phone text: digits and a leading ``+``, or None.

    The first number of the text is taken: the part before a second number or an
    extension (``/``, ``,``, ``;``, ``、``, ``|``, a line break, 或, 和, 转, 分机, ``ext``).
    In that part, one run of digits with the usual separators (``-``, spaces, dots, an area
    code in brackets, a leading ``+``) must hold every digit, 3 to 15 of them (E.164); a
    label around it (``电话：``, ``（办公室）``) may stay. Anything else gives None, so no
    link is made and the text is shown as written: a digit beside a letter (``0351-55278l5``)
    or any other stray digit means the text is not plainly one number, and dialling its
    digits would call someone else. Full-width digits count (NFKC); digits of other scripts,
    and values that are not text (an integer has lost its leading 0), give None.

    Parameters
    ----------
    phone : str or None
        The phone text as the registry has it.

    Returns
    -------
    str or None
        The digits, with ``+`` first for an international number.

    Examples
    --------
    >>> tel_number("0351-5527815"), tel_number("+86 (351) 552 7815"), tel_number("12333")
    ('03515527815', '+863515527815', '12333')
    >>> tel_number("0351-5527815 / 0351-5527816"), tel_number("无"), tel_number("0351-55278l5")
    ('03515527815', None, None)
    """
    if not isinstance(phone, str):
        return None
    first = _SEPARATORS.split(unicodedata.normalize("NFKC", phone), maxsplit=1)[0]
    if any(ch.isdigit() and not ch.isascii() for ch in first):
        return None  # digits of another script: not what a phone here dials
    found = _NUMBER.search(first)
    if found is None or _ascii_digits(first[: found.start()] + first[found.end() :]):
        return None
    run = found.group()
    head = run.split()[0]
    if len(_ascii_digits(head)) >= _WHOLE_GROUP:
        run = head
    digits = _ascii_digits(run)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        return None
    return ("+" if run.startswith("+") else "") + digits


def tel_url(phone: Any) -> str | None:
    """A ``tel:`` link for the first number of a registry's phone text, or None.

    The number is `tel_number`'s: None when the text is not plainly one number.

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
    number = tel_number(phone)
    return None if number is None else f"tel:{number}"
