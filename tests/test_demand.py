"""The demand model: county totals kept, cells assigned by centre, rasters and points read."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pyproj import Transformer
from rasterio.transform import Affine

from locator import settings
from locator._errors import DataFileError, LocatorWarning, ValidationError
from locator.counties import SHANXI_EQUAL_AREA, county_of
from locator.planning import demand as demand_module
from locator.planning.demand import (
    MIN_URBAN_SCALE_KM,
    URBAN_CORE_DENSITY_PER_KM2,
    Demand,
    demand_from_points,
    demand_from_raster,
    estimate_demand,
)

TO_ALBERS = Transformer.from_crs("EPSG:4326", SHANXI_EQUAL_AREA, always_xy=True)
FROM_ALBERS = Transformer.from_crs(SHANXI_EQUAL_AREA, "EPSG:4326", always_xy=True)


def county_totals(demand: Demand, column: str) -> pd.Series:
    return pd.Series(getattr(demand, column)).groupby(demand.county).sum()


def square_counties(*specs) -> gpd.GeoDataFrame:
    """Hand-made counties: (adcode, x0_km, y0_km, side_km, urban, rural, older, seat_xy_km)."""
    rows, geometries = [], []
    for adcode, x0, y0, side, urban, rural, older, seat in specs:
        box = shapely.box(x0 * 1000, y0 * 1000, (x0 + side) * 1000, (y0 + side) * 1000)
        outline = shapely.Polygon(np.column_stack(FROM_ALBERS.transform(*box.exterior.xy)))
        seat_lon, seat_lat = FROM_ALBERS.transform(seat[0] * 1000, seat[1] * 1000)
        geometries.append(outline)
        rows.append(
            {
                "adcode": adcode,
                "name": f"县{adcode}",
                "city": "测试市",
                "city_adcode": adcode[:4] + "00",
                "population": urban + rural,
                "urban_population": urban,
                "rural_population": rural,
                "population_65plus": older,
                "seat_lon": seat_lon,
                "seat_lat": seat_lat,
            }
        )
    return gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")


# --- the estimate ----------------------------------------------------------------------------


def test_county_totals_are_preserved(counties):
    demand = estimate_demand(counties)
    census = counties.set_index("adcode")
    for column in ("population", "population_65plus"):
        totals = county_totals(demand, column)
        assert sorted(totals.index) == sorted(census.index)
        np.testing.assert_allclose(totals, census.loc[totals.index, column], rtol=0, atol=1e-6)
    assert math.isclose(demand.population.sum(), 34_915_616, abs_tol=1e-5)
    assert demand.source == "estimate" and demand.cell_size_m == pytest.approx(1000.0)
    assert (demand.population > 0).all() and (demand.population_65plus >= 0).all()


def test_cells_belong_to_the_county_holding_their_centre(counties):
    demand = estimate_demand(counties, cell_area_km2=4.0)
    located = county_of(demand.lon, demand.lat, counties=counties).to_numpy(dtype=object)
    assert (located == demand.county).all()


def test_cells_are_an_equal_area_grid(counties):
    demand = estimate_demand(counties, cell_area_km2=4.0)
    x, y = TO_ALBERS.transform(demand.lon, demand.lat)
    for v in (np.asarray(x), np.asarray(y)):
        offset = np.mod(v - 1000.0, 2000.0)  # centres sit at (i + 1/2) * 2 km
        assert np.minimum(offset, 2000.0 - offset).max() < 1e-3
    cells = demand.to_geodataframe(polygons=True)
    areas = cells.to_crs(SHANXI_EQUAL_AREA).area / 1e6
    np.testing.assert_allclose(areas, 4.0, rtol=1e-6)
    assert list(cells.columns) == [
        "cell", "county_adcode", "population", "population_65plus", "lon", "lat", "geometry",
    ]  # fmt: skip
    # About the province's area: every cell centre in a county, each cell counted once.
    assert len(demand) * 4.0 == pytest.approx(156_840, rel=0.01)


def test_urban_population_peaks_at_the_seat(counties):
    demand = estimate_demand(counties, cell_area_km2=4.0)
    x, y = TO_ALBERS.transform(demand.lon, demand.lat)
    seat = counties.set_index("adcode")
    sx, sy = TO_ALBERS.transform(seat["seat_lon"].to_numpy(), seat["seat_lat"].to_numpy())
    seat_xy = dict(zip(seat.index, zip(sx, sy, strict=True), strict=True))
    frame = pd.DataFrame({"county": demand.county, "pop": demand.population, "x": x, "y": y})
    for adcode, cells in frame.groupby("county"):
        d = np.hypot(cells["x"] - seat_xy[adcode][0], cells["y"] - seat_xy[adcode][1])
        # Population falls with distance from the seat (the rural part is flat).
        assert cells["pop"].to_numpy()[np.argmin(d.to_numpy())] == cells["pop"].max()
        assert np.all(np.diff(cells["pop"].to_numpy()[np.argsort(d.to_numpy())]) <= 1e-9)


def test_hand_made_county_matches_the_formula():
    # One 10 km square county, 1 km cells, seat at a cell centre.
    counties = square_counties(("149901", 0, 0, 10, 50_000, 20_000, 7_000, (4.5, 4.5)))
    demand = estimate_demand(counties, cell_area_km2=1.0)
    assert len(demand) == 100
    x, y = TO_ALBERS.transform(demand.lon, demand.lat)
    d_km = np.hypot(np.asarray(x) - 4500, np.asarray(y) - 4500) / 1000
    scale = max(MIN_URBAN_SCALE_KM, math.sqrt(50_000 / (2 * math.pi * URBAN_CORE_DENSITY_PER_KM2)))
    kernel = np.exp(-d_km / scale)
    urban, rural = 50_000 * kernel / kernel.sum(), 20_000 / 100
    np.testing.assert_allclose(demand.population, urban + rural, rtol=1e-9)
    # The census's national 65+ shares (rural 17.72 %, urban 11.11 %), scaled to the county.
    scale = 7_000 / (50_000 * 0.1111 + 20_000 * 0.1772)
    expected_older = scale * (0.1111 * urban + 0.1772 * rural)
    np.testing.assert_allclose(demand.population_65plus, expected_older, rtol=1e-9)


def test_rural_cells_carry_a_higher_65plus_share_than_urban_cells():
    # Seat in a corner of a 20 km square: the far corner holds only rural residents.
    counties = square_counties(("149901", 0, 0, 20, 80_000, 40_000, 15_000, (0.5, 0.5)))
    demand = estimate_demand(counties, cell_area_km2=1.0)
    share = demand.population_65plus / demand.population
    x, y = TO_ALBERS.transform(demand.lon, demand.lat)
    d_km = np.hypot(np.asarray(x) - 500, np.asarray(y) - 500) / 1000
    seat_cell, far_cell = np.argmin(d_km), np.argmax(d_km)
    assert share[far_cell] > share[seat_cell]
    # The far cell is all rural: its share is the rural one, 17.72/11.11 times the urban one.
    urban_share = 15_000 / (80_000 + 40_000 * 17.72 / 11.11)
    assert share[far_cell] == pytest.approx(urban_share * 17.72 / 11.11, rel=1e-4)
    assert demand.population_65plus.sum() == pytest.approx(15_000, abs=1e-6)
    # Share falls steadily towards the seat, where the urban residents are.
    order = np.argsort(d_km)
    assert np.all(np.diff(share[order]) >= -1e-12)


def test_in_every_shipped_county_the_seat_cell_is_younger_than_the_emptiest(counties):
    demand = estimate_demand(counties)
    census = counties.set_index("adcode")
    frame = pd.DataFrame(
        {"county": demand.county, "pop": demand.population, "old": demand.population_65plus}
    )
    checked = 0
    for adcode, cells in frame.groupby("county"):
        if (
            len(cells) < 2
            or not 0 < census.loc[adcode, "urban_population"] < census.loc[adcode, "population"]
        ):
            continue
        share = cells["old"] / cells["pop"]
        assert share.loc[cells["pop"].idxmax()] < share.loc[cells["pop"].idxmin()], adcode
        assert cells["old"].sum() == pytest.approx(census.loc[adcode, "population_65plus"])
        checked += 1
    assert checked >= 100


def test_65plus_beyond_what_the_rural_share_allows_fills_rural_first():
    # 1,900 of 2,000 aged 65+: the rural share would pass 100 %, so every rural resident
    # is 65+ and the urban residents take the rest (900 of 1,000).
    counties = square_counties(("149901", 0, 0, 10, 1_000, 1_000, 1_900, (0.5, 0.5)))
    demand = estimate_demand(counties, cell_area_km2=1.0)
    assert demand.population_65plus.sum() == pytest.approx(1_900, abs=1e-6)
    assert (demand.population_65plus <= demand.population + 1e-9).all()
    rural_per_cell = 1_000 / len(demand)
    urban_per_cell = demand.population - rural_per_cell
    np.testing.assert_allclose(
        demand.population_65plus, rural_per_cell + 0.9 * urban_per_cell, rtol=1e-9
    )


def test_county_smaller_than_a_cell_keeps_its_population():
    counties = square_counties(
        ("149901", 0, 0, 30, 1000, 1000, 100, (15, 15)),
        ("149902", 30.2, 30.2, 0.5, 300, 200, 50, (30.4, 30.4)),  # 0.25 km², no centre inside
        ("149903", 40, 0, 0.5, 10, 0, 1, (0, 0)),  # the seat lies outside it
    )
    demand = estimate_demand(counties, cell_area_km2=25.0)
    totals = county_totals(demand, "population")
    assert totals.to_dict() == pytest.approx({"149901": 2000, "149902": 500, "149903": 10})
    small = demand.county == "149903"
    assert county_of(demand.lon[small], demand.lat[small], counties=counties).tolist() == ["149903"]


def test_shipped_counties_at_coarse_cells_all_get_people(counties):
    demand = estimate_demand(counties, cell_area_km2=100.0)
    totals = county_totals(demand, "population")
    assert len(totals) == 117
    census = counties.set_index("adcode")["population"]
    np.testing.assert_allclose(totals, census.loc[totals.index], rtol=0, atol=1e-6)


@hsettings(max_examples=15, deadline=None)
@given(
    area=st.floats(0.3, 40.0),
    urban=st.integers(0, 2_000_000),
    rural=st.integers(0, 500_000),
    seat=st.tuples(st.floats(-5, 25), st.floats(-5, 25)),
)
def test_totals_hold_for_any_cell_size_and_seat(area, urban, rural, seat):
    assume(urban + rural > 0)  # a layer without residents is refused (tested below)
    counties = square_counties(
        ("149901", 0, 0, 20, urban, rural, rural // 3, seat),
        ("149902", 20, 0, 7, rural, urban, urban // 5, (23, 3)),
    )
    demand = estimate_demand(counties, cell_area_km2=area)
    totals = county_totals(demand, "population")
    assert totals["149901"] == pytest.approx(urban + rural, abs=1e-6)
    assert totals["149902"] == pytest.approx(urban + rural, abs=1e-6)
    older = county_totals(demand, "population_65plus")
    assert older["149901"] == pytest.approx(rural // 3, abs=1e-6)
    assert older["149902"] == pytest.approx(urban // 5, abs=1e-6)
    assert (demand.population_65plus <= demand.population * (1 + 1e-9)).all()


def test_settings_are_read_at_call_time_and_chunks_do_not_change_the_answer(counties, monkeypatch):
    reference = estimate_demand(counties, cell_area_km2=9.0)
    monkeypatch.setattr(settings, "cell_area_km2", 9.0)
    monkeypatch.setattr(settings, "chunk_size", 5_000)
    monkeypatch.setattr(demand_module, "_ESTIMATES", {})  # the same content would be cached
    chunked = estimate_demand(counties.copy())
    assert chunked is not reference
    assert chunked.cell_size_m == pytest.approx(3000.0)
    np.testing.assert_array_equal(chunked.county, reference.county)
    np.testing.assert_allclose(chunked.population, reference.population, rtol=1e-12)


def test_the_estimate_cache_follows_the_content_of_the_counties(counties):
    first = estimate_demand(counties, cell_area_km2=25.0)
    # The same content in another frame (e.g. read again) shares the estimate...
    assert estimate_demand(counties.copy(), cell_area_km2=25.0) is first
    # ...and a changed population, even in place in the same frame, gives a new one.
    changed = counties.copy()
    row = changed.index[changed["adcode"] == "140105"][0]
    changed.loc[row, "population"] += 100_000
    changed.loc[row, "urban_population"] += 100_000
    again = estimate_demand(changed, cell_area_km2=25.0)
    assert again is not first
    in_county = again.county == "140105"
    assert again.population[in_county].sum() == pytest.approx(
        first.population[in_county].sum() + 100_000
    )
    assert again.population.sum() == pytest.approx(first.population.sum() + 100_000)
    changed.loc[row, "geometry"] = changed.loc[row, "geometry"].buffer(-0.01)
    assert estimate_demand(changed, cell_area_km2=25.0) is not again
    # Another cell area is another grid.
    assert len(estimate_demand(counties, cell_area_km2=16.0)) > len(first)


@pytest.mark.parametrize("area", [1e-6, 0.009, 100.5, 1e9])
def test_cell_areas_outside_the_sensible_range_are_refused(counties, area):
    with pytest.raises(ValidationError, match=rf"cell_area_km2={area!r} is outside 0.01-100 km²"):
        estimate_demand(counties, cell_area_km2=area)


def test_bad_cell_areas_are_refused(counties, monkeypatch):
    with pytest.raises(ValidationError, match="cell_area_km2=-1 must be a number above 0"):
        estimate_demand(counties, cell_area_km2=-1)
    # The grid-size guard still holds for a grid larger than MAX_CELLS at an allowed area.
    monkeypatch.setattr(demand_module, "MAX_CELLS", 1_000)
    with pytest.raises(ValidationError, match="use a cell area of at least"):
        estimate_demand(counties, cell_area_km2=50.0)


def test_a_county_layer_without_residents_is_refused():
    counties = square_counties(("149901", 0, 0, 20, 0, 0, 0, (5, 5)))
    with pytest.raises(DataFileError, match="population of every county is 0"):
        estimate_demand(counties)


def test_demand_arrays_are_read_only(counties):
    demand = estimate_demand(counties)
    with pytest.raises(ValueError, match="read-only"):
        demand.population[0] = 1.0
    with pytest.raises(ValidationError, match="differ in length"):
        Demand([1.0], [2.0], [3.0, 4.0], [0.0], ["140105"], None, "points:x")


# --- a raster --------------------------------------------------------------------------------


def from_origin(west, north, xsize, ysize):
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_raster(path, values, transform, crs="EPSG:4326", nodata=-1.0):
    with rasterio.open(
        path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=nodata,
    ) as out:  # fmt: skip
        out.write(values.astype("float32"), 1)
    return path


def test_raster_pixels_go_to_the_county_of_their_centre(tmp_path, counties):
    # 0.05 degree pixels around Taiyuan, plus a column east of Shanxi's border at 114.6.
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 1000, (12, 16)).round()
    values[0, 0] = -1.0  # nodata
    values[1, 1] = 0.0
    transform = from_origin(112.3, 38.1, 0.05, 0.05)
    path = write_raster(tmp_path / "pop.tif", values, transform)
    demand = demand_from_raster(path, counties)

    rows, cols = np.nonzero(values > 0)
    lon = 112.3 + (cols + 0.5) * 0.05
    lat = 38.1 - (rows + 0.5) * 0.05
    where = county_of(lon, lat, counties=counties).to_numpy(dtype=object)
    inside = np.array([w is not None for w in where])
    expected = pd.Series(values[rows, cols][inside]).groupby(where[inside]).sum()
    got = county_totals(demand, "population")
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert demand.outside_population == pytest.approx(values[rows, cols][~inside].sum())
    assert demand.source == f"raster:{path}"
    share = (
        counties.set_index("adcode")["population_65plus"]
        / counties.set_index("adcode")["population"]
    )
    np.testing.assert_allclose(
        demand.population_65plus, demand.population * share.loc[demand.county].to_numpy()
    )
    # A 0.05 degree pixel at 37.8 N is about 5.55 km by 4.39 km.
    assert demand.cell_size_m == pytest.approx(math.sqrt(5559 * 4393), rel=0.01)
    cells = demand.to_geodataframe(polygons=True)
    np.testing.assert_allclose(
        shapely.area(cells.geometry.to_numpy()), 0.05 * 0.05
    )  # the pixels themselves, in degrees


def test_projected_raster_read_in_small_windows(tmp_path, counties, monkeypatch):
    # A UTM 49N raster of 2 km pixels over Jinzhong, read 7 pixels at a time.
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    x0, y0 = to_utm.transform(112.6, 37.8)
    values = np.arange(1, 11 * 9 + 1, dtype=float).reshape(9, 11)
    transform = from_origin(x0, y0, 2000, 2000)
    path = write_raster(tmp_path / "utm.tif", values, transform, crs="EPSG:32649")
    whole = demand_from_raster(path, counties)
    monkeypatch.setattr(settings, "chunk_size", 7)
    chunked = demand_from_raster(path, counties)
    np.testing.assert_array_equal(whole.population, chunked.population)
    assert whole.population.sum() + whole.outside_population == pytest.approx(values.sum())
    assert whole.cell_size_m == pytest.approx(2000, rel=0.01)  # UTM is nearly equal-area here
    lon, lat = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True).transform(
        x0 + 1000, y0 - 1000
    )
    first = np.argmin(np.hypot(whole.lon - lon, whole.lat - lat))
    assert whole.population[first] == 1.0


def test_raster_errors_name_the_problem(tmp_path, counties):
    values = np.ones((3, 3))
    values[2, 1] = -5
    path = write_raster(tmp_path / "neg.tif", values, from_origin(112.3, 38.1, 0.05, 0.05))
    with pytest.raises(DataFileError, match=r"pixel \(row 2, column 1\) holds -5.0"):
        demand_from_raster(path, counties)
    with pytest.raises(ValidationError, match="band=2 does not exist"):
        demand_from_raster(path, counties, band=2)
    (tmp_path / "junk.tif").write_text("not a raster")
    with pytest.raises(DataFileError, match="junk.tif: cannot be read as a raster"):
        demand_from_raster(tmp_path / "junk.tif", counties)
    with rasterio.open(
        tmp_path / "nocrs.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
        transform=from_origin(112.3, 38.1, 0.05, 0.05),
    ) as out:  # fmt: skip
        out.write(np.ones((2, 2), dtype="float32"), 1)
    with pytest.raises(DataFileError, match="no coordinate reference system"):
        demand_from_raster(tmp_path / "nocrs.tif", counties)


def test_raster_outside_the_province_is_refused(tmp_path, counties):
    path = write_raster(tmp_path / "far.tif", np.ones((2, 2)), from_origin(0, 1, 0.1, 0.1))
    with pytest.raises(DataFileError, match="far.tif: no resident falls in the province.*overlap"):
        demand_from_raster(path, counties)


# --- weighted points -------------------------------------------------------------------------


def test_points_from_csv_with_bom_and_from_geojson(tmp_path, counties):
    frame = pd.DataFrame(
        {"lon": [112.55, 112.56, 113.6, 120.0], "lat": [37.87, 37.86, 37.86, 30.0],
         "people": [100, 50.5, 20, 7]}
    )  # fmt: skip
    frame.to_csv(tmp_path / "p.csv", index=False, encoding="utf-8-sig")
    with pytest.warns(LocatorWarning, match=r"p.csv: 1 point\(s\) with 7 residents"):
        demand = demand_from_points(tmp_path / "p.csv", counties, weight="people")
    assert demand.population.tolist() == [100, 50.5, 20]
    assert (
        demand.county.tolist()
        == county_of(frame.lon[:3], frame.lat[:3], counties=counties).tolist()
    )
    assert demand.outside_population == 7 and demand.outside_cells == 1
    assert demand.cell_size_m is None and demand.source.startswith("points:")

    points = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]).assign(population_65plus=[10, 5, 2, 1]),
        geometry=gpd.points_from_xy(frame.lon, frame.lat), crs="EPSG:4326",
    ).to_crs("EPSG:32649")  # fmt: skip
    points.to_crs("EPSG:4326").to_file(tmp_path / "p.geojson", driver="GeoJSON")
    for source in (tmp_path / "p.geojson", points):
        with pytest.warns(LocatorWarning, match="7 residents"):
            demand = demand_from_points(source, counties, weight="people")
        np.testing.assert_allclose(demand.population, [100, 50.5, 20])
        np.testing.assert_allclose(demand.population_65plus, [10, 5, 2])
        np.testing.assert_allclose(demand.lon, frame.lon[:3], atol=1e-9)
        assert demand.to_geodataframe(polygons=True).geom_type.unique().tolist() == ["Point"]


def test_points_errors_name_the_row(tmp_path, counties):
    frame = pd.DataFrame({"lon": [112.5, 112.6], "lat": [37.8, 37.9], "population": [1, "x"]})
    with pytest.raises(
        ValidationError, match=r"row 2, column 'population': 'x' is not a population"
    ):
        demand_from_points(frame, counties)
    with pytest.raises(DataFileError, match="missing column.*households"):
        demand_from_points(frame, counties, weight="households")
    with pytest.raises(DataFileError, match=r"points: row 2: lon 112.6, lat 137.9 is not a point"):
        demand_from_points(frame.assign(lat=[37.8, 137.9], population=1), counties)
    with pytest.raises(DataFileError, match="no such file"):
        demand_from_points(tmp_path / "none.csv", counties)
    (tmp_path / "p.xlsx").write_bytes(b"")
    with pytest.raises(DataFileError, match="unknown file type '.xlsx'"):
        demand_from_points(tmp_path / "p.xlsx", counties)
