"""Route and phone links: decoded back, they give the points and the number they were made from."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from locator import datasets
from locator._errors import ValidationError
from locator.crs import gcj02_to_wgs84
from locator.links import ROUTE_MODES, amap_route_url, tel_number, tel_url

HOSTILE = [
    "&to=0,0",
    "#top",
    '"><script>alert(1)</script>',
    "a,b,c",
    "x&mode=car&from=1,1",
    "100%25 %E4",
    "line\nbreak\ttab",
    "中国工商银行太原小店支行",
]


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    # Written out here, not taken from locator.distance: the test's own yardstick.
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def _decode(url: str) -> tuple[dict[str, str], tuple[float, float, str], tuple[float, float, str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/navigation")
    assert parts.fragment == ""
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in query.values()), query
    params = {k: v[0] for k, v in query.items()}

    def end(text: str) -> tuple[float, float, str]:
        lon, lat, *name = text.split(",", 2)
        lon_w, lat_w = gcj02_to_wgs84(float(lon), float(lat))
        return float(lon_w), float(lat_w), name[0] if name else ""

    return params, end(params["from"]), end(params["to"])


def _shanxi_points() -> list[tuple[float, float]]:
    # A grid over the province's bounding box and a spread of the shipped outlets.
    grid = [
        (lon, lat) for lon in np.linspace(110.25, 114.55, 5) for lat in np.linspace(34.6, 40.7, 5)
    ]
    outlets = datasets.outlets()
    picked = outlets.iloc[:: max(1, len(outlets) // 25)]
    return grid + list(zip(picked.geometry.x, picked.geometry.y, strict=True))


@pytest.mark.parametrize("mode", ROUTE_MODES)
def test_route_ends_decode_to_the_points_within_a_metre(mode: str) -> None:
    points = _shanxi_points()
    worst = 0.0
    for (a_lon, a_lat), (b_lon, b_lat) in zip(points, points[1:] + points[:1], strict=True):
        url = amap_route_url(
            from_lon=a_lon, from_lat=a_lat, to_lon=b_lon, to_lat=b_lat, mode=mode, to_name="网点"
        )
        params, start, end = _decode(url)
        worst = max(
            worst,
            _haversine_m(start[0], start[1], a_lon, a_lat),
            _haversine_m(end[0], end[1], b_lon, b_lat),
        )
        assert params["coordinate"] == "gaode"
        assert end[2] == "网点" and start[2] == ""
    assert worst < 1.0, worst


def test_the_link_is_in_gcj02_not_wgs84() -> None:
    # In Shanxi GCJ-02 lies 480-630 m from WGS-84: a link left in WGS-84 would be that far off.
    url = amap_route_url(from_lon=112.55, from_lat=37.87, to_lon=112.6, to_lat=37.9, mode="walk")
    lon, lat, *_ = parse_qs(urlsplit(url).query)["to"][0].split(",")
    assert 400 < _haversine_m(float(lon), float(lat), 112.6, 37.9) < 700


def test_modes_are_amaps_own() -> None:
    expected = {"walk": "walk", "transit": "bus", "drive": "car"}  # Amap URI API, 路径规划
    for mode, amap in expected.items():
        url = amap_route_url(from_lon=112.5, from_lat=37.8, to_lon=112.6, to_lat=37.9, mode=mode)
        assert _decode(url)[0]["mode"] == amap


@pytest.mark.parametrize("mode", ["bike", "WALK", "", "car"])
def test_a_bad_mode_is_named(mode: str) -> None:
    with pytest.raises(ValidationError, match=f"mode '{mode}' is not a way to travel"):
        amap_route_url(from_lon=112.5, from_lat=37.8, to_lon=112.6, to_lat=37.9, mode=mode)


def test_a_bad_point_is_refused() -> None:
    with pytest.raises(ValidationError, match="lat"):
        amap_route_url(from_lon=112.5, from_lat=137.8, to_lon=112.6, to_lat=37.9, mode="walk")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_inside_their_parameter(name: str) -> None:
    url = amap_route_url(
        from_lon=112.5,
        from_lat=37.8,
        to_lon=112.6,
        to_lat=37.9,
        mode="walk",
        from_name=name,
        to_name=name,
    )
    params, start, end = _decode(url)
    assert set(params) == {"from", "to", "mode", "coordinate", "callnative", "src"}
    assert params["mode"] == "walk"
    one_line = " ".join(name.split())
    assert start[2] == end[2] == one_line
    assert not set(url) & set(' "<>#\n\t')


@given(st.text(max_size=40))
def test_any_name_round_trips(name: str) -> None:
    url = amap_route_url(
        from_lon=112.5, from_lat=37.8, to_lon=112.6, to_lat=37.9, mode="drive", to_name=name
    )
    params, _, end = _decode(url)
    assert end[2] == " ".join(name.split())
    assert params["mode"] == "car"


# One list for every tel: link locator makes (the app's cards and the resident map's pins).
@pytest.mark.parametrize(
    ("phone", "number"),
    [
        ("0351-1234567", "03511234567"),
        ("0351-12333", "035112333"),
        ("12333", "12333"),
        ("110", "110"),
        ("(0351) 123 4567", "03511234567"),
        ("(0351) 552-7815", "03515527815"),
        ("（0351）1234567", "03511234567"),
        ("  0351.552.7815  ", "03515527815"),
        ("+86 351 123 4567", "+863511234567"),
        ("＋86 351 1234567", "+863511234567"),
        ("０３５１－１２３４５６７", "03511234567"),  # full-width, as typed with a Chinese IME
        ("＋８６ ３５１ ５５２７８１５", "+863515527815"),
        # several numbers, or a number and its extension: the first number
        ("0351-1234567/0351-7654321", "03511234567"),
        ("0351-1234567、0351-7654321", "03511234567"),
        ("0351-1234567 0351-7654321", "03511234567"),
        ("0351-1234567转801", "03511234567"),
        ("0351-5527815 ext. 8", "03515527815"),
        # after a space, an extension or a second local number is not more of the number:
        # both filters once dialled 03511234567801 and 55278155527816, someone else's
        ("0351-1234567 801", "03511234567"),
        ("5527815 5527816", "5527815"),
        # a label around the number may stay
        ("电话：0351-1234567", "03511234567"),
        ("0351-5527815（办公室）", "03515527815"),
        ("tel:12333", "12333"),
        ("<a href=x>12333</a>", "12333"),  # only ever digits: the markup never reaches a link
        ("12333\n<script>", "12333"),
        # not plainly one number: no link, the text is shown as written
        ("0351-55278l5", None),  # a letter l for a one: its digits call someone else
        ("<a href=x1>12333</a>", None),  # a digit outside the number
        ("javascript:alert(1)0351-5527815", None),  # "(1)" is no area code: a stray digit
        ("javascript:alert(1)//0351", None),  # the first part decides, and it holds a stray 1
        ("无/0351-1234567", None),  # the first part holds no number
        ("javascript:alert(1)", None),
        ("{{ 7*7 }}", None),
        ("1+1", None),
        ("٣٥١٢٣٣٣", None),  # Arabic-Indic digits: not what a Chinese phone dials
        ("1" * 21, None),  # longer than E.164's 15 digits
        ("12", None),
        ("无", None),
        ("", None),
        ("  ", None),
        ("-", None),
        (None, None),
        (float("nan"), None),
        (3511234567, None),  # not text: an integer has lost the number's leading 0
    ],
)
def test_tel_numbers_and_links_by_hand(phone: object, number: str | None) -> None:
    assert tel_number(phone) == number
    assert tel_url(phone) == (None if number is None else f"tel:{number}")


@given(st.text(max_size=60))
def test_a_tel_link_holds_only_digits_and_a_leading_plus(text: str) -> None:
    url = tel_url(text)
    if url is not None:
        number = url.removeprefix("tel:")
        assert url.startswith("tel:")
        assert number.lstrip("+").isascii() and number.lstrip("+").isdigit()
        assert 3 <= len(number.lstrip("+")) <= 15


def test_every_sample_phone_gives_a_link() -> None:
    phones = datasets.outlets()["phone"]
    links = [tel_url(p) for p in phones]
    assert all(links), [p for p, link in zip(phones, links, strict=True) if not link][:5]
    # The link holds the digits of the number as written, in order.
    for phone, link in zip(phones[:50], links[:50], strict=True):
        assert link == "tel:" + "".join(c for c in phone.split("/")[0] if c.isdigit())
