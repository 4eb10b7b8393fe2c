"""Generate data/outlets.geojson: a sample outlet registry that reproduces the published figures.

No open list of Shanxi's 1,443 real outlets with coordinates exists offline, so the
project ships this sample, generated deterministically from the county layer:

- exactly 1,443 outlets; every county gets at least 2, the rest in proportion to its
  2020 census population (largest remainders);
- every county has one government card service hall (社保卡服务机构网点) near its seat;
  larger counties a second hall in a town; the other outlets are branches of the 16
  partner banks;
- bank branches cluster around the county seat in the share of the county's urban
  population; the others sit in a few towns scattered over the county, so rural and
  mountain areas have the distance gaps a real network has; all points lie inside
  their county (checked);
- small joint-stock banks only in prefecture-city districts; rural towns are served by
  the rural commercial banks, the Postal Savings Bank and the Agricultural Bank;
- exactly 443 bank outlets exchange and top up the transport function, mostly in towns;
  about 40 % of the bank outlets issue cards while you wait.

Run ``python scripts/generate_outlets.py -o data/outlets.geojson`` (``make data``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from locator import datasets
from locator.banks import BANK_NAMES
from locator.counties import SHANXI_EQUAL_AREA, load_counties
from locator.hours import from_chinese
from locator.registry import outlets_from_records, write_outlets
from locator.tasks import default_services

SEED = 20240403  # the date of the report the figures come from
# Bank outlets open at weekends keep shorter hours on public holidays.
WEEKEND_HOURS = "周一至周日 9:00-17:00，法定节假日 10:00-16:00"
TOTAL_OUTLETS = 1443
TRANSIT_OUTLETS = 443
INSTANT_SHARE = 0.40

# Share of bank branches by bank, in county seats; the big state banks and the local
# rural banks dominate, the joint-stock banks are few and only in city districts.
SEAT_BANK_WEIGHTS: dict[str, float] = {
    "中国工商银行": 0.12, "中国农业银行": 0.13, "中国银行": 0.08, "中国建设银行": 0.12,
    "农商行": 0.17, "中国邮政储蓄银行": 0.12, "招商银行": 0.02, "浦发银行": 0.015,
    "民生银行": 0.015, "交通银行": 0.03, "渤海银行": 0.01, "晋商银行": 0.04,
    "兴业银行": 0.015, "光大银行": 0.015, "山西银行": 0.06, "中信银行": 0.015,
}  # fmt: skip
CITY_ONLY_BANKS = {
    "招商银行",
    "浦发银行",
    "民生银行",
    "渤海银行",
    "兴业银行",
    "光大银行",
    "中信银行",
}
TOWN_BANK_WEIGHTS: dict[str, float] = {
    "农商行": 0.50, "中国邮政储蓄银行": 0.28, "中国农业银行": 0.15, "山西银行": 0.07,
}  # fmt: skip
AREA_CODES = {
    "1401": "0351", "1402": "0352", "1403": "0353", "1404": "0355", "1405": "0356", "1406": "0349",
    "1407": "0354", "1408": "0359", "1409": "0350", "1410": "0357", "1411": "0358",
}  # fmt: skip
STREETS = (
    "迎宾", "府前", "新华", "文化", "建设", "解放", "人民", "振兴", "朝阳", "和平",
    "东关", "西关", "南关", "北关", "育才", "长安", "滨河", "学府", "兴华", "锦绣",
)  # fmt: skip


def allocate(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Split ``total`` into integers >= ``minimum`` in proportion to ``weights`` (largest remainders)."""
    base = np.full(weights.size, minimum)
    quota = (total - base.sum()) * weights / weights.sum()
    counts = base + np.floor(quota).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(quota - np.floor(quota)), kind="stable")[:remainder]] += 1
    return counts


def point_near(
    rng: np.random.Generator,
    centre: tuple[float, float],
    sigma_m: float,
    polygon: shapely.Geometry,
    to_lonlat: Transformer,
) -> tuple[float, float]:
    """A random point around ``centre`` (metres, equal-area) that lies inside ``polygon``."""
    for _ in range(200):
        x, y = centre[0] + rng.normal(0, sigma_m), centre[1] + rng.normal(0, sigma_m)
        lon, lat = to_lonlat.transform(x, y)
        if shapely.contains_xy(polygon, lon, lat):
            return float(lon), float(lat)
        sigma_m *= 0.9
    msg = "could not place a point inside the county; is the seat outside its polygon?"
    raise RuntimeError(msg)


def project(geometry: shapely.Geometry, transformer: Transformer) -> shapely.Geometry:
    """``geometry`` with every vertex moved by ``transformer`` (e.g. lon/lat to metres)."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def town_centres(
    rng: np.random.Generator, polygon_m: shapely.Geometry, count: int, seat: tuple[float, float]
) -> list[tuple[float, float]]:
    """Town centres spread over the county, at least 4 km from the seat and from each other."""
    minx, miny, maxx, maxy = polygon_m.bounds
    centres: list[tuple[float, float]] = []
    for _ in range(5000):
        if len(centres) == count:
            break
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not shapely.contains_xy(polygon_m, x, y):
            continue
        if all(np.hypot(x - a, y - b) > 4000 for a, b in [seat, *centres]):
            centres.append((x, y))
    return centres or [seat]


class _County(NamedTuple):
    """One county as the generator places its outlets: the row and where its people live."""

    row: Any  # a row of the county layer (``itertuples``)
    seat: tuple[float, float]  # metres, equal-area
    towns: list[tuple[float, float]]  # metres, equal-area
    is_city_district: bool
    urban_share: float


class _Outlet(NamedTuple):
    """One generated outlet: its attributes, its position and whether it was put in a town."""

    record: dict[str, object]
    lon: float
    lat: float
    in_town: bool


def _county(rng: np.random.Generator, row: Any, area_km2: float, to_m: Transformer) -> _County:
    """The county ``row`` with its seat and a town centre for every 250 km2 (in metres)."""
    seat = to_m.transform(row.seat_lon, row.seat_lat)
    towns = town_centres(rng, project(row.geometry, to_m), max(1, round(area_km2 / 250)), seat)
    return _County(
        row=row,
        seat=seat,
        towns=towns,
        is_city_district=row.name.endswith("区"),
        urban_share=row.urban_population / row.population,
    )


def _government_hall(county: _County, i: int) -> tuple[None, str, str, str]:
    """Bank (none), name, hours and phone of the county's ``i``-th card service hall."""
    row = county.row
    name = f"{row.name}社会保障卡服务中心" if i == 0 else f"{row.name}社会保障卡乡镇服务站"
    # Halls keep the official working days (调休 Saturdays too) with a lunch break.
    return None, name, "工作日 9:00-12:00, 13:30-17:30", f"{AREA_CODES[row.adcode[:4]]}-12333"


def _bank_branch(
    rng: np.random.Generator, county: _County, street: str, *, in_town: bool
) -> tuple[str, str, str, str]:
    """Bank, name, hours and phone of a bank outlet on ``street``, in a town or at the seat."""
    row = county.row
    if in_town:
        weights = TOWN_BANK_WEIGHTS
    else:
        weights = {
            b: w
            for b, w in SEAT_BANK_WEIGHTS.items()
            if county.is_city_district or b not in CITY_ONLY_BANKS
        }
    names, p = list(weights), np.array(list(weights.values()))
    bank = names[rng.choice(len(names), p=p / p.sum())]
    suffix = "营业所" if in_town else "支行"
    name = f"{bank}{row.name}{street}{suffix}"
    hours = WEEKEND_HOURS if rng.random() < 0.5 else "周一至周五 9:00-17:00"
    phone = f"{AREA_CODES[row.adcode[:4]]}-{rng.integers(2000000, 8000000)}"
    return bank, name, hours, phone


def _county_outlets(
    rng: np.random.Generator, county: _County, count: int, to_lonlat: Transformer
) -> list[_Outlet]:
    """The ``count`` outlets of ``county``: one or two government halls first, then banks."""
    row = county.row
    n_gov = 2 if count >= 10 else 1
    outlets: list[_Outlet] = []
    for i in range(count):
        government = i < n_gov
        # Banks are in a town in the share of the county's rural population; the second
        # government hall always is.
        in_town = (i == 1 and government) or (not government and rng.random() > county.urban_share)
        centre = county.towns[rng.integers(len(county.towns))] if in_town else county.seat
        sigma = 600.0 if in_town else (2500.0 if county.is_city_district else 1200.0)
        x, y = point_near(rng, centre, sigma, row.geometry, to_lonlat)
        street = STREETS[rng.integers(len(STREETS))]
        number = int(rng.integers(1, 300))
        if government:
            bank, name, hours, phone = _government_hall(county, i)
        else:
            bank, name, hours, phone = _bank_branch(rng, county, street, in_town=in_town)
        record: dict[str, object] = {
            "id": f"{row.adcode}-{'G' if government else 'B'}{i + 1:03d}",
            "name": name,
            "kind": "government" if government else "bank",
            "bank": bank,
            "county_adcode": row.adcode,
            "address": f"{row.city}{row.name}{street}街{number}号（示例地址）",
            "phone": phone,
            "hours": hours,
            "opening_hours": from_chinese(hours)[0],
            "sample": True,
        }
        outlets.append(_Outlet(record, x, y, in_town))
    return outlets


def _equip(rng: np.random.Generator, frame: pd.DataFrame, in_town: np.ndarray) -> None:
    """Pick the bank outlets with transport top-up and instant issue; set ``services``.

    ``frame`` (one row per outlet) gains the columns ``instant_issue``, ``transit_topup``
    and ``services``; ``in_town`` says, per outlet, whether it was put in a town.
    """
    bank_rows = np.flatnonzero(frame["kind"].to_numpy() == "bank")
    town = in_town[bank_rows]
    # Transport top-up counters are where people commute from: towns weigh double.
    p_transit = np.where(town, 2.0, 1.0)
    transit = rng.choice(bank_rows, TRANSIT_OUTLETS, replace=False, p=p_transit / p_transit.sum())
    p_instant = np.where(town, 0.5, 1.0)
    instant = rng.choice(
        bank_rows,
        round(INSTANT_SHARE * bank_rows.size),
        replace=False,
        p=p_instant / p_instant.sum(),
    )
    frame["instant_issue"] = False
    frame["transit_topup"] = False
    frame.loc[instant, "instant_issue"] = True
    frame.loc[transit, "transit_topup"] = True
    frame["services"] = [
        default_services(k, instant_issue=i, transit_topup=t)
        for k, i, t in zip(
            frame["kind"], frame["instant_issue"], frame["transit_topup"], strict=True
        )
    ]


def _number_repeated_names(names: pd.Series) -> list[str]:
    """``names`` with the second and later of a repeated name numbered: 东关第2支行."""
    # Names repeat when a bank has two branches on one street: number them like real branches.
    repeat = names.groupby(names).cumcount()
    return [
        n if r == 0 else n.replace("支行", f"第{r + 1}支行").replace("营业所", f"第{r + 1}营业所")
        for n, r in zip(names, repeat, strict=True)
    ]


def generate(counties: gpd.GeoDataFrame, *, seed: int = SEED) -> gpd.GeoDataFrame:
    """Generate the sample registry for a county layer.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        The county layer (``adcode``, ``name``, ``city``, ``population``,
        ``urban_population``, ``seat_lon``, ``seat_lat``, polygons in EPSG:4326).
    seed : int
        Seed of the random generator: the same seed gives the same registry.

    Returns
    -------
    geopandas.GeoDataFrame
        ``TOTAL_OUTLETS`` outlets, counties in ``adcode`` order.
    """
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs("EPSG:4326", SHANXI_EQUAL_AREA, always_xy=True)
    to_lonlat = Transformer.from_crs(SHANXI_EQUAL_AREA, "EPSG:4326", always_xy=True)
    counties = counties.sort_values("adcode").reset_index(drop=True)
    counts = allocate(counties["population"].to_numpy(float), TOTAL_OUTLETS, 2)
    areas_km2 = counties.to_crs(SHANXI_EQUAL_AREA).area.to_numpy() / 1e6
    outlets = [
        outlet
        for row, n, area in zip(counties.itertuples(index=False), counts, areas_km2, strict=True)
        for outlet in _county_outlets(rng, _county(rng, row, area, to_m), int(n), to_lonlat)
    ]
    frame = pd.DataFrame([o.record for o in outlets])
    _equip(rng, frame, np.array([o.in_town for o in outlets]))
    frame["name"] = _number_repeated_names(frame["name"])
    # The frame's columns are the records' str keys; pandas types them as Hashable.
    records = cast("list[dict[str, Any]]", frame.to_dict(orient="records"))
    return outlets_from_records(records, [o.lon for o in outlets], [o.lat for o in outlets])


METADATA = {
    "sample": True,
    "title": "Generated sample of Shanxi social security card service outlets (NOT the real registry)",
    "title_zh": "山西省社保卡服务网点示例数据（程序生成，并非真实网点名录）",
    "description": (
        "A deterministic sample generated by scripts/generate_outlets.py from data/counties.geojson "
        "to reproduce the published figures (1,443 outlets, at least 2 per county, 16 partner banks, "
        "443 transport top-up outlets). Names, addresses, phones and positions are invented. "
        "Load the real registry with `locator import REAL.csv -o outlets.geojson`."
    ),
    "seed": SEED,
    "crs": "EPSG:4326",
    "figures_source": "Shanxi Evening News, 2024-04-03 (figures as of February 2024)",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample registry to ``--output`` and print what it holds.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``); ``--help`` lists them.

    Returns
    -------
    int
        The exit status, 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="data/outlets.geojson")
    parser.add_argument(
        "--counties", default=None, help="county layer (default: data/counties.geojson)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    outlets = generate(
        load_counties(args.counties or datasets.get_path("counties")), seed=args.seed
    )
    write_outlets(outlets, args.output, metadata={**METADATA, "seed": args.seed})
    banks = outlets["bank"].dropna()
    print(
        f"wrote {args.output}: {len(outlets)} outlets, {int((outlets['kind'] == 'government').sum())} government, "
        f"{banks.nunique()} of {len(BANK_NAMES)} banks, {int(outlets['transit_topup'].sum())} transit top-up, "
        f"{int(outlets['instant_issue'].sum())} instant issue"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
