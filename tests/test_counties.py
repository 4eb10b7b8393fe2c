"""The county layer: loading, lookup by code and name, point-in-county, the outline."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import shapely

from locator._errors import DataFileError, ValidationError
from locator.counties import (
    CountyMatcher,
    check_counties,
    city_names,
    county_names,
    county_of,
    fingerprint,
    in_adcode_order,
    in_shanxi,
    load_counties,
    province_outline,
)
from locator.gazetteer import Gazetteer


def test_county_of_matches_a_plain_polygon_scan(counties):
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(110.0, 114.8, 400), rng.uniform(34.4, 40.9, 400)
    found = county_of(lon, lat, counties=counties)
    for x, y, code in zip(lon, lat, found, strict=True):
        inside = [
            a
            for a, g in zip(counties["adcode"], counties.geometry, strict=True)
            if g.intersects(shapely.Point(x, y))
        ]
        assert code == (min(inside) if inside else None)


def test_outside_every_county_is_none_not_nan(counties):
    found = county_of([116.40, 112.55], [39.90, 37.87], counties=counties)
    assert found.iloc[0] is None and isinstance(found.iloc[1], str)


def test_in_shanxi_agrees_with_county_of(counties):
    rng = np.random.default_rng(6)
    lon, lat = rng.uniform(110.0, 114.8, 500), rng.uniform(34.4, 40.9, 500)
    inside = in_shanxi(lon, lat, counties=counties)
    assert (inside == county_of(lon, lat, counties=counties).notna().to_numpy()).all()
    assert province_outline(counties) is province_outline(counties)  # computed once per layer


# ----------------------------------------------------------------------------- lookup by code
def test_lookup_by_code_equals_a_dict_built_row_by_row(counties):
    names, cities = {}, {}
    for i in range(len(counties)):
        row = counties.iloc[i]
        names[str(row["adcode"])] = row["name"]
        cities[str(row["adcode"])] = row["city"]
    assert county_names(counties) == names
    assert city_names(counties) == cities
    shuffled = counties.sample(frac=1.0, random_state=3)
    assert county_names(shuffled) == names  # by code, whatever the row order
    assert list(in_adcode_order(shuffled)["adcode"]) == sorted(names)


# ----------------------------------------------------------------------------- loading
def test_load_counties_orders_by_adcode_and_keeps_codes_as_text(counties, tmp_path):
    path = tmp_path / "c.geojson"
    counties.iloc[::-1].to_file(path, driver="GeoJSON")
    again = load_counties(path)
    assert list(again["adcode"]) == sorted(counties["adcode"])
    assert again.crs.to_epsg() == 4326 and again["adcode"].map(type).eq(str).all()


def test_check_counties_names_the_county_and_column(counties):
    bad = counties.copy()
    bad.loc[3, "population_65plus"] = bad.loc[3, "population"] + 1
    with pytest.raises(DataFileError, match=f"county {bad.loc[3, 'adcode']}: population_65plus"):
        check_counties(bad, "counties")
    with pytest.raises(ValidationError, match="counties is a DataFrame"):
        check_counties(pd.DataFrame(counties.drop(columns="geometry")), "counties")


# ----------------------------------------------------------------------------- caches
def test_the_outline_follows_the_layer_not_the_object(counties):
    whole = province_outline(counties)
    assert shapely.equals(whole, shapely.union_all(counties.geometry.to_numpy()))
    # Same object, changed in place: a cache keyed by id() would answer with the old outline.
    layer = counties.copy()
    taiyuan_point = ([112.55], [37.87])
    assert in_shanxi(*taiyuan_point, counties=layer).tolist() == [True]
    layer.geometry = layer.geometry.translate(xoff=10.0)
    assert in_shanxi(*taiyuan_point, counties=layer).tolist() == [False]
    assert in_shanxi([122.55], [37.87], counties=layer).tolist() == [True]
    # A new object with the same content finds the same outline.
    assert province_outline(counties.copy()) is whole
    assert fingerprint(layer) != fingerprint(counties)


def test_fingerprint_changes_with_every_kind_of_content(counties):
    base = fingerprint(counties)
    renamed = counties.copy()
    renamed.loc[0, "adcode"] = "149999"
    more = counties.copy()
    more.loc[0, "population"] += 1
    assert base not in {fingerprint(renamed), fingerprint(more), fingerprint(counties.iloc[1:])}


def test_shipped_data_reads_a_changed_file_anew(counties, tmp_path, monkeypatch):
    from locator import datasets, settings

    path = tmp_path / "counties.geojson"
    counties.iloc[:5].to_file(path, driver="GeoJSON")
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    assert datasets.get_path("counties") == path
    assert len(datasets.counties()) == 5
    first = datasets.counties()
    first.loc[0, "name"] = "改了"  # a copy: the next reader is not affected
    assert datasets.counties().loc[0, "name"] == counties.loc[0, "name"]
    counties.iloc[:7].to_file(path, driver="GeoJSON")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert len(datasets.counties()) == 7


# ----------------------------------------------------------------------------- names
def test_one_matcher_for_the_importer_and_the_gazetteer(counties):
    """The importer's answer and the gazetteer's best counties agree on shared names."""
    matcher = CountyMatcher(counties)
    gazetteer = Gazetteer(counties)
    by_name = {(r.name, r.city): r.adcode for r in counties.itertuples()}
    expected = {
        "城区": [by_name["城区", "阳泉市"], by_name["城区", "晋城市"]],
        "小店": [by_name["小店区", "太原市"]],
        "晋城城区": [by_name["城区", "晋城市"]],
        "阳泉市城区": [by_name["城区", "阳泉市"]],
    }
    for query, adcodes in expected.items():
        assert matcher.candidates(query) == sorted(adcodes), query
        found = [p for p in gazetteer.search(query, limit=20) if p.kind == "county"]
        best = [p.adcode for p in found if p.score == found[0].score]
        assert sorted(best) == sorted(adcodes), query
        assert matcher.match(query) == (adcodes[0] if len(adcodes) == 1 else None)
        # The importer's row: the same cell with its city column says which.
        for adcode in adcodes:
            assert (
                matcher.match(query, city=counties.set_index("adcode").loc[adcode, "city"])
                == adcode
            )


def test_every_county_is_found_by_its_name_code_and_address(counties):
    matcher = CountyMatcher(counties)
    shared = counties["name"].duplicated(keep=False)
    for row, is_shared in zip(counties.itertuples(), shared, strict=True):
        assert matcher.match(row.adcode) == row.adcode
        assert matcher.match(f"山西省{row.city}{row.name}人民路1号") == row.adcode
        assert matcher.match(row.name, city=row.city) == row.adcode
        assert matcher.candidates(row.name) == (
            sorted(counties.loc[counties["name"] == row.name, "adcode"])
            if is_shared
            else [row.adcode]
        )
        assert matcher.seats[row.adcode] == (row.seat_lon, row.seat_lat)


def test_a_city_column_naming_another_city_rules_a_county_out(counties):
    matcher = CountyMatcher(counties)
    assert matcher.candidates("小店区", city="大同市") == []
    assert matcher.match("小店区", city="大同市") is None
    assert matcher.match("ＸＸ小店区") == matcher.match("小店区")  # full-width text, NFKC


def test_retired_codes_name_the_county_that_took_them_over(counties):
    matcher = CountyMatcher(counties)
    assert matcher.match("140726") == "140703"  # 太谷县 → 太谷区
    assert matcher.match("140726000000") == "140703"
    assert matcher.match("999999") is None
