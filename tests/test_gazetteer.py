"""Offline place search over the shipped counties, cities and outlets."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locator.gazetteer import Gazetteer, Place, search_places
from locator.registry import outlets_from_records


@pytest.fixture(scope="module")
def gazetteer(counties: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame) -> Gazetteer:
    return Gazetteer(counties, outlets)


def _seat(counties: gpd.GeoDataFrame, name: str, city: str | None = None) -> tuple:
    rows = counties[counties["name"] == name]
    if city is not None:
        rows = rows[rows["city"] == city]
    row = rows.iloc[0]
    return (row["name"], float(row["seat_lon"]), float(row["seat_lat"]), row["adcode"])


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("小店", "小店区"),  # suffix left out
        ("小店区", "小店区"),
        (" 小 店 ", "小店区"),  # spaces
        ("山西省太原市小店区", "小店区"),  # province and city in front
        ("太原小店", "小店区"),
        ("太原市小店区振兴街110号", "小店区"),  # a whole address
        ("杏花", "杏花岭区"),  # the beginning of a name
        ("杏岭", "杏花岭区"),  # characters in order
        ("盂", "盂县"),  # one-character stem
        ("古交", "古交市"),  # county-level city
        ("临县", "临县"),
    ],
)
def test_counties_are_found_forgivingly(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, query: str, name: str
) -> None:
    best = gazetteer.search(query)[0]
    assert best.kind == "county"
    assert tuple(best[:4]) == _seat(counties, name)


def test_a_city_resolves_to_its_most_populous_district(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    for query in ("太原", "太原市", "山西太原"):
        best = gazetteer.search(query)[0]
        assert (best.name, best.kind) == ("太原市", "city")
        districts = counties[(counties["city"] == "太原市") & counties["name"].str.endswith("区")]
        core = districts.sort_values("population").iloc[-1]
        assert (best.context, best.adcode) == (core["name"], core["adcode"])
        assert (best.lon, best.lat) == (float(core["seat_lon"]), float(core["seat_lat"]))


def test_two_counties_named_the_same_are_told_apart_by_their_city(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    assert tuple(gazetteer.search("晋城城区")[0][:4]) == _seat(counties, "城区", "晋城市")
    assert tuple(gazetteer.search("阳泉市城区")[0][:4]) == _seat(counties, "城区", "阳泉市")
    both = [p for p in gazetteer.search("城区") if p.kind == "county"]
    assert {p.context for p in both[:2]} == {"阳泉市", "晋城市"}


def test_outlets_are_found_by_name_and_address(
    gazetteer: Gazetteer, outlets: gpd.GeoDataFrame
) -> None:
    row = outlets.iloc[10]
    best = gazetteer.search(row["name"])[0]
    assert (best.name, best.kind, best.context) == (row["name"], "outlet", row["address"])
    assert (best.lon, best.lat) == (row.geometry.x, row.geometry.y)
    street = row["address"].split("区", 1)[-1][:3]  # e.g. 振兴街
    assert any(p.kind == "outlet" and street in p.context for p in gazetteer.search(street))


def test_counties_rank_above_outlets_named_after_them(gazetteer: Gazetteer) -> None:
    found = gazetteer.search("娄烦", limit=20)
    assert found[0].name == "娄烦县"
    assert [p.kind for p in found[1:]] == ["outlet"] * (len(found) - 1)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "上海", "Xiaodian", "北格镇", "!!!"])
def test_unknown_places_and_towns_find_nothing(gazetteer: Gazetteer, query: str) -> None:
    assert gazetteer.search(query) == []


def test_towns_are_documented_as_not_placeable() -> None:
    import locator.gazetteer

    assert "no township coordinates" in (locator.gazetteer.__doc__ or "")


def test_limit_and_search_places(counties: gpd.GeoDataFrame) -> None:
    assert len(search_places("城区", counties=counties, limit=1)) == 1
    assert search_places("小店", counties=counties, limit=0) == []
    assert all(isinstance(p, Place) for p in search_places("区", counties=counties))


def test_outlets_without_a_name_or_position_are_skipped(counties: gpd.GeoDataFrame) -> None:
    records = [
        {"id": "a", "name": "测试网点", "kind": "bank", "address": "某路1号"},
        {"id": "b", "name": None, "kind": "bank", "address": None},
        {"id": "c", "name": "无坐标网点", "kind": "bank", "address": "某路2号"},
    ]
    frame = outlets_from_records(records, [112.5, 112.6, float("nan")], [37.8, 37.9, float("nan")])
    gazetteer = Gazetteer(counties, frame)
    assert [p.name for p in gazetteer.search("网点")] == ["测试网点"]
    assert [p.name for p in gazetteer.search("某路")] == ["测试网点"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_gives_a_ranked_list_of_places_in_shanxi(gazetteer: Gazetteer, query: str) -> None:
    found = gazetteer.search(query)
    assert len(found) <= 10
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    assert all(110.0 < p.lon < 115.0 and 34.0 < p.lat < 41.0 for p in found)
