"""Checks on the shipped data/counties.geojson, against the original census extracts.

The census CSVs live outside the repository, in ``../shared/data`` beside the clone
(as in CI). The population checks recompute the zone allocation here, independently
of scripts/build_counties.py.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from locator.counties import COUNTY_COLUMNS

REPO_ROOT = Path(__file__).resolve().parents[1]
COUNTIES_PATH = REPO_ROOT / "data" / "counties.geojson"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
COUNTY_CSV = "shanxi_county_population_2020.csv"
ZONES_CSV = "shanxi_unassigned_zones_population_2020.csv"
EQUAL_AREA_CRS = "EPSG:6933"
PROVINCE_POPULATION = 34_915_616
COLUMNS = list(COUNTY_COLUMNS)


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return gpd.read_file(COUNTIES_PATH)


@pytest.fixture(scope="module")
def shared_data() -> Path:
    if not (SHARED_DATA / COUNTY_CSV).is_file() or not (SHARED_DATA / ZONES_CSV).is_file():
        pytest.fail(
            f"census extracts not found in {SHARED_DATA}: these tests need {COUNTY_CSV} and "
            f"{ZONES_CSV} in a folder 'shared/data' beside the repository clone"
        )
    return SHARED_DATA


@pytest.fixture(scope="module")
def projected(counties) -> gpd.GeoSeries:
    return counties.geometry.to_crs(EQUAL_AREA_CRS)


def expected_populations(shared: Path) -> pd.Series:
    """County census totals plus zone shares, split by the Hamilton (largest remainder) method."""
    county = pd.read_csv(shared / COUNTY_CSV, dtype={"adcode": str})
    expected = county.set_index("adcode")["population_2020"].astype("int64")
    zones = pd.read_csv(shared / ZONES_CSV, dtype=str, keep_default_na=False)
    for total_text, hosts_text in zip(
        zones["population_2020"], zones["host_counties_by_area_share"], strict=True
    ):
        total = int(total_text)
        hosts = [item.split() for item in hosts_text.split(";")]
        codes = [fields[0] for fields in hosts]
        weights = [Decimal(fields[-1]) for fields in hosts]
        exact = [total * w / sum(weights) for w in weights]
        floors = [int(x) for x in exact]
        ranked = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
        for i in ranked[: total - sum(floors)]:
            floors[i] += 1
        assert sum(floors) == total
        for code, part in zip(codes, floors, strict=True):
            expected[code] += part
    return expected


def test_file_is_small_utf8_geojson():
    assert COUNTIES_PATH.stat().st_size < 2_000_000
    text = COUNTIES_PATH.read_text(encoding="utf-8")
    assert "小店区" in text  # Chinese written as UTF-8, not \\u escapes


def test_crs_is_wgs84(counties):
    assert counties.crs is not None
    assert counties.crs.to_epsg() == 4326


def test_columns(counties):
    assert list(counties.columns) == [*COLUMNS, "geometry"]


def test_117_unique_shanxi_adcodes(counties):
    assert len(counties) == 117
    assert counties["adcode"].is_unique
    assert counties["adcode"].str.fullmatch(r"14\d{4}").all()
    assert counties["adcode"].is_monotonic_increasing


def test_11_cities(counties):
    assert counties["city"].nunique() == 11
    assert (counties["city_adcode"] == counties["adcode"].str[:4] + "00").all()
    assert len(counties[["city", "city_adcode"]].drop_duplicates()) == 11


def test_population_adds_up_to_census(counties):
    assert int(counties["population"].sum()) == PROVINCE_POPULATION


def test_population_is_census_plus_zone_shares(counties, shared_data):
    expected = expected_populations(shared_data)
    assert int(expected.sum()) == PROVINCE_POPULATION
    actual = counties.set_index("adcode")["population"]
    assert sorted(actual.index) == sorted(expected.index)
    diff = actual - expected.loc[actual.index]
    assert (diff == 0).all(), diff[diff != 0].to_dict()


def test_census_extracts_add_up(shared_data):
    county = pd.read_csv(shared_data / COUNTY_CSV)
    zones = pd.read_csv(shared_data / ZONES_CSV)
    assert county["population_2020"].sum() == 34_551_187
    assert zones["population_2020"].sum() == PROVINCE_POPULATION - 34_551_187


def test_urban_plus_rural_is_population(counties):
    assert (counties["urban_population"] + counties["rural_population"]).equals(
        counties["population"]
    )
    counts = counties[["urban_population", "rural_population", "population_65plus"]]
    assert (counts >= 0).all().all()
    assert (counties["population_65plus"] < counties["population"]).all()


def test_geometries_are_valid_polygons(counties):
    assert counties.geometry.is_valid.all()
    assert counties.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    west, south, east, north = counties.total_bounds
    assert 110.0 < west < east < 114.7
    assert 34.4 < south < north < 40.9


def test_no_overlaps(projected):
    sum_area = projected.area.sum()
    union_area = shapely.union_all(projected.values).area
    assert abs(sum_area - union_area) / sum_area < 0.001


def test_no_gaps_between_counties(counties):
    province = shapely.union_all(counties.geometry.values)
    assert province.geom_type == "Polygon"
    assert len(province.interiors) == 0


def test_total_area_is_shanxi(projected):
    total_km2 = projected.area.sum() / 1e6
    assert total_km2 == pytest.approx(156_840, rel=0.005)


def test_every_seat_inside_its_county(counties):
    seats = gpd.GeoSeries.from_xy(counties["seat_lon"], counties["seat_lat"], crs=counties.crs)
    inside = counties.geometry.contains(seats, align=False)
    assert inside.all(), counties.loc[~inside, "adcode"].tolist()
    assert np.isfinite(counties[["seat_lon", "seat_lat"]].to_numpy()).all()
