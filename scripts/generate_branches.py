"""Generate data/branches.geojson: a sample of ordinary branches of the 16 partner banks.

A card belongs to one bank, and its bank-side tasks (activate the financial function,
reset the bank password, lift a freeze) can be done at ANY branch of that bank, not only
at the 1,443 one-stop outlets. This script invents those ordinary branches, as a second
layer beside ``data/outlets.geojson`` (which it reads and leaves alone), so every
published figure keeps counting one-stop outlets only. Every branch has ``kind =
"branch"``, the bank-side task codes of the routing table as ``services``, and
``sample = true``; names, addresses, phones, hours and positions are invented.

Footprints follow how banks are spread over a Chinese province:

- the five large state banks, the Postal Savings Bank and the rural commercial banks are
  in every county (at least one ordinary branch each); the rural banks and the postal
  bank reach down to the towns, the Agricultural Bank half as often, the others rarely;
- the two city banks (山西银行, 晋商银行) sit in city districts and in the county seats of
  the cities they grew from;
- the seven joint-stock banks sit only in prefecture-city districts, most in Taiyuan;
- a bank's branches in a county follow the county's population (urban population for the
  city-oriented banks); a branch is in a town with probability ``town_share`` times the
  county's rural share, round-robin over town centres spread over the county, else in a
  cluster around the seat; every point lies inside its county (checked), and none is
  within 10 m of a one-stop outlet or another branch of the same bank.

Run ``python scripts/generate_branches.py -o data/branches.geojson`` (after the outlets);
``--table`` prints the per-bank table that data/SOURCES.md shows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
from generate_outlets import AREA_CODES, SEED, STREETS, allocate, point_near, project, town_centres
from pyproj import Transformer

from locator import datasets
from locator.banks import BANK_NAMES
from locator.counties import SHANXI_EQUAL_AREA, load_counties
from locator.hours import from_chinese
from locator.registry import load_outlets, outlets_from_records, write_outlets
from locator.tasks import TASKS

__all__ = [
    "BANK_SIDE_TASKS",
    "FOOTPRINTS",
    "METADATA",
    "Footprint",
    "bank_table",
    "generate",
    "main",
]

# The tasks only the card's own bank can do, at any of its branches: what an ordinary
# branch serves. Taken from the routing table so the two never disagree.
BANK_SIDE_TASKS: tuple[str, ...] = tuple(t.code for t in TASKS.values() if t.own_bank)


@dataclass(frozen=True)
class Footprint:
    """Where one bank has branches.

    Attributes
    ----------
    network : int
        Rough size of the bank's whole network in Shanxi, one-stop outlets included (an
        order of magnitude, not a statistic); the ordinary branches are what the one-stop
        outlets leave.
    where : str
        ``every`` county (at least one ordinary branch each), ``city`` (city districts and
        the counties of ``home`` cities) or ``districts`` (prefecture-city districts only).
    weight : str
        County column the bank's branches follow: ``population`` or ``urban_population``.
    town_share : float
        A branch is in a town with probability ``town_share`` times the county's rural share.
    weekend : float
        Share of the bank's branches open at weekends.
    home : frozenset of str
        4-digit city codes where the bank is at home (3 times the weight; ``city`` banks
        reach the county seats only there).
    """

    network: int
    where: str
    weight: str
    town_share: float
    weekend: float
    home: frozenset[str] = frozenset()


# The joint-stock banks have their provincial branch (分行) in Taiyuan.
_JOINT_STOCK = Footprint(0, "districts", "urban_population", 0.0, 0.5, frozenset({"1401"}))
FOOTPRINTS: dict[str, Footprint] = {
    "中国工商银行": Footprint(420, "every", "urban_population", 0.15, 0.4),
    "中国农业银行": Footprint(650, "every", "population", 0.5, 0.5),
    "中国银行": Footprint(330, "every", "urban_population", 0.15, 0.4),
    "中国建设银行": Footprint(400, "every", "urban_population", 0.15, 0.4),
    "农商行": Footprint(2400, "every", "population", 1.0, 0.7),
    "中国邮政储蓄银行": Footprint(1600, "every", "population", 1.0, 0.7),
    "招商银行": replace(_JOINT_STOCK, network=45),
    "浦发银行": replace(_JOINT_STOCK, network=40),
    "民生银行": replace(_JOINT_STOCK, network=45),
    "交通银行": Footprint(200, "every", "urban_population", 0.1, 0.4),
    "渤海银行": replace(_JOINT_STOCK, network=20),
    "晋商银行": Footprint(150, "city", "urban_population", 0.0, 0.5, frozenset({"1401"})),
    "兴业银行": replace(_JOINT_STOCK, network=45),
    "光大银行": replace(_JOINT_STOCK, network=40),
    "山西银行": Footprint(
        260,
        "city",
        "urban_population",
        0.0,
        0.5,
        # Merged in 2021 from the city banks of Datong, Yangquan, Changzhi, Jincheng and
        # Jinzhong; head office in Taiyuan.
        frozenset({"1401", "1402", "1403", "1404", "1405", "1407"}),
    ),
    "中信银行": replace(_JOINT_STOCK, network=40),
}
HOME_FACTOR = 3.0
COUNTY_SEAT_FACTOR = 0.3  # a city bank's weight in a county seat of its home city
KM2_PER_TOWN = 150.0  # Shanxi has about 1,200 townships on 156,700 km2
SEAT_SIGMA_M = {True: 2500.0, False: 1200.0}  # city district, county
TOWN_SIGMA_M = 600.0
# Beyond settings.merge_distance_m (50 m): merging never mistakes two branches for one.
MIN_GAP_M = 60.0
# Invented street and town names (a town is a word plus 镇): the outlets' streets and more.
PLACE_WORDS = (
    *STREETS,
    "红旗", "向阳", "丰收", "富民", "安乐", "太平", "永安", "长乐", "宏图", "石门",
    "柳林", "杏园", "槐树", "清泉", "青山", "白沙", "金桥", "银河", "双井", "三合",
)  # fmt: skip
HOURS = ("周一至周日 9:00-17:00，法定节假日 10:00-16:00", "周一至周五 9:00-17:00")


def _eligible(footprint: Footprint, counties: gpd.GeoDataFrame) -> np.ndarray:
    district = counties["name"].str.endswith("区").to_numpy()
    home = counties["adcode"].str[:4].isin(footprint.home).to_numpy()
    if footprint.where == "every":
        return np.ones(len(counties), dtype=bool)
    if footprint.where == "districts":
        return district
    return district | home


def _branch_counts(counties: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Ordinary branches per bank and county (counties in their order)."""
    one_stop = outlets["bank"].value_counts()
    district = counties["name"].str.endswith("区").to_numpy()
    counts: dict[str, np.ndarray] = {}
    for bank in BANK_NAMES:
        footprint = FOOTPRINTS[bank]
        total = footprint.network - int(one_stop.get(bank, 0))
        if total <= 0:
            msg = f"{bank}: network {footprint.network} is not more than its one-stop outlets"
            raise ValueError(msg)
        home = counties["adcode"].str[:4].isin(footprint.home).to_numpy()
        weights = counties[footprint.weight].to_numpy(float) * np.where(home, HOME_FACTOR, 1.0)
        if footprint.where == "city":
            weights = weights * np.where(district, 1.0, COUNTY_SEAT_FACTOR)
        eligible = _eligible(footprint, counties)
        minimum = 1 if footprint.where == "every" else 0
        counts[bank] = np.zeros(len(counties), dtype=int)
        counts[bank][eligible] = allocate(weights[eligible], total, minimum)
    return counts


def _numbered(base: str, suffix: str, used: set[str]) -> str:
    """``base`` or, when taken, the bank's way of telling branches apart: 东关第2支行."""
    name, number = base, 1
    while name in used:
        number += 1
        name = base.removesuffix(suffix) + f"第{number}{suffix}"
    used.add(name)
    return name


def _too_close(point: tuple[float, float], others: list[tuple[float, float]]) -> bool:
    if not others:
        return False
    xy = np.asarray(others)
    return bool((np.hypot(xy[:, 0] - point[0], xy[:, 1] - point[1]) < MIN_GAP_M).any())


class _County(NamedTuple):
    """One county as branches are placed in it: the row, its seat and its towns."""

    row: Any  # a row of the county layer (``itertuples``)
    seat: tuple[float, float]  # metres, equal-area
    towns: list[tuple[float, float]]  # metres, equal-area
    town_names: list[str]
    district: bool  # a prefecture-city district
    rural_share: float
    area_code: str  # telephone


class _Branch(NamedTuple):
    """One generated branch: its attributes and its position (lon/lat)."""

    record: dict[str, object]
    lon: float
    lat: float


def _taken_by_outlets(
    outlets: gpd.GeoDataFrame, to_m: Transformer
) -> dict[str, list[tuple[float, float]]]:
    """Per bank, the positions of its one-stop outlets, in metres (equal-area)."""
    taken: dict[str, list[tuple[float, float]]] = {bank: [] for bank in BANK_NAMES}
    banked = outlets[outlets["bank"].notna()]
    xs, ys = to_m.transform(banked.geometry.x.to_numpy(), banked.geometry.y.to_numpy())
    for bank, x, y in zip(banked["bank"], xs, ys, strict=True):
        taken[bank].append((float(x), float(y)))
    return taken


@dataclass
class _Sampler:
    """What placing branches carries from county to county.

    Attributes
    ----------
    rng : numpy.random.Generator
        The one random generator: its draws happen in a fixed order, so a seed gives one file.
    to_m, to_lonlat : pyproj.Transformer
        From lon/lat to equal-area metres and back.
    taken : dict of str to list of (float, float)
        Per bank, the points (metres) its outlets and branches already hold.
    used_names : set of str
        Outlet and branch names already given.
    """

    rng: np.random.Generator
    to_m: Transformer
    to_lonlat: Transformer
    taken: dict[str, list[tuple[float, float]]]
    used_names: set[str]

    def county(self, row: Any, area_km2: float) -> _County:
        """The county ``row`` with its seat and a named town for every ``KM2_PER_TOWN``."""
        seat = self.to_m.transform(row.seat_lon, row.seat_lat)
        polygon_m = project(row.geometry, self.to_m)
        towns = town_centres(self.rng, polygon_m, max(1, round(area_km2 / KM2_PER_TOWN)), seat)
        town_names = [f"{w}镇" for w in self.rng.choice(PLACE_WORDS, len(towns), replace=False)]
        return _County(
            row=row,
            seat=seat,
            towns=towns,
            town_names=town_names,
            district=row.name.endswith("区"),
            rural_share=1.0 - row.urban_population / row.population,
            area_code=AREA_CODES[row.adcode[:4]],
        )

    def branches(self, county: _County, counts: dict[str, int]) -> list[_Branch]:
        """The ordinary branches of ``county``: ``counts[bank]`` of each bank, banks in order."""
        branches: list[_Branch] = []
        for bank in BANK_NAMES:
            footprint = FOOTPRINTS[bank]
            next_town = int(self.rng.integers(len(county.towns)))
            for _ in range(counts[bank]):
                town = None
                if self.rng.random() < footprint.town_share * county.rural_share:
                    # Round-robin, so a bank's town branches spread over the county.
                    town = next_town % len(county.towns)
                    next_town += 1
                lon, lat = self._position(county, bank, town)
                branches.append(self._branch(county, bank, town, len(branches) + 1, (lon, lat)))
        if len(branches) > 999:
            msg = f"{county.row.adcode}: {len(branches)} branches do not fit the R001-R999 ids"
            raise ValueError(msg)
        return branches

    def _position(self, county: _County, bank: str, town: int | None) -> tuple[float, float]:
        """A point (lon, lat) in ``town`` (index) or near the seat, apart from ``bank``'s others."""
        if town is None:
            centre, sigma = county.seat, SEAT_SIGMA_M[county.district]
        else:
            centre, sigma = county.towns[town], TOWN_SIGMA_M
        while True:
            x, y = point_near(self.rng, centre, sigma, county.row.geometry, self.to_lonlat)
            xy_m = self.to_m.transform(x, y)
            if not _too_close(xy_m, self.taken[bank]):
                break
        self.taken[bank].append(xy_m)
        return x, y

    def _branch(
        self,
        county: _County,
        bank: str,
        town: int | None,
        number_in_county: int,
        lonlat: tuple[float, float],
    ) -> _Branch:
        """The branch's invented name, address, phone and hours, as a record at ``lonlat``."""
        row = county.row
        street = PLACE_WORDS[self.rng.integers(len(PLACE_WORDS))]
        number = int(self.rng.integers(1, 300))
        if town is None:
            place = row.name
            name = _numbered(f"{bank}{place}{street}支行", "支行", self.used_names)
        else:
            place = f"{row.name}{county.town_names[town]}"
            name = _numbered(f"{bank}{place}营业所", "营业所", self.used_names)
        record: dict[str, object] = {
            "id": f"{row.adcode}-R{number_in_county:03d}",
            "name": name,
            "kind": "branch",
            "bank": bank,
            "county_adcode": row.adcode,
            "address": f"{row.city}{place}{street}街{number}号（示例地址）",
            "phone": f"{county.area_code}-{self.rng.integers(2000000, 8000000)}",
            "hours": HOURS[0] if self.rng.random() < FOOTPRINTS[bank].weekend else HOURS[1],
            "services": list(BANK_SIDE_TASKS),
            "instant_issue": False,
            "transit_topup": False,
            "sample": True,
        }
        record["opening_hours"] = from_chinese(str(record["hours"]))[0]
        return _Branch(record, *lonlat)


def generate(
    counties: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame, *, seed: int = SEED
) -> gpd.GeoDataFrame:
    """Generate the sample branches for a county layer, apart from the one-stop outlets.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        The county layer (``adcode``, ``name``, ``city``, ``population``,
        ``urban_population``, ``seat_lon``, ``seat_lat``, polygons in EPSG:4326).
    outlets : geopandas.GeoDataFrame
        The one-stop outlets: they count towards each bank's network, and no branch is
        within ``MIN_GAP_M`` of one of its bank's outlets or takes an outlet's name.
    seed : int
        Seed of the random generator: the same seed gives the same branches.

    Returns
    -------
    geopandas.GeoDataFrame
        The branches in the registry's columns (``kind = "branch"``), counties in
        ``adcode`` order.
    """
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs("EPSG:4326", SHANXI_EQUAL_AREA, always_xy=True)
    to_lonlat = Transformer.from_crs(SHANXI_EQUAL_AREA, "EPSG:4326", always_xy=True)
    counties = counties.sort_values("adcode").reset_index(drop=True)
    counts = _branch_counts(counties, outlets)
    areas_km2 = counties.to_crs(SHANXI_EQUAL_AREA).area.to_numpy() / 1e6
    sampler = _Sampler(rng, to_m, to_lonlat, _taken_by_outlets(outlets, to_m), set(outlets["name"]))
    branches = [
        branch
        for index, (row, area) in enumerate(
            zip(counties.itertuples(index=False), areas_km2, strict=True)
        )
        for branch in sampler.branches(
            sampler.county(row, area), {bank: int(counts[bank][index]) for bank in BANK_NAMES}
        )
    ]
    return outlets_from_records(
        [b.record for b in branches], [b.lon for b in branches], [b.lat for b in branches]
    )


def bank_table(
    branches: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> str:
    """Markdown table: per bank, one-stop outlets, ordinary branches, counties, town share."""
    lines = [
        "| bank | footprint | one-stop outlets | ordinary branches | counties with a branch | branches > 5 km from the seat |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    one_stop = outlets["bank"].value_counts()
    far = _far_from_seat(branches, counties)
    for bank in BANK_NAMES:
        mine = branches["bank"] == bank
        lines.append(
            f"| {bank} | {FOOTPRINTS[bank].where} | {int(one_stop.get(bank, 0)):,} "
            f"| {int(mine.sum()):,} | {branches.loc[mine, 'county_adcode'].nunique()} "
            f"| {int((mine & far).sum()):,} |"
        )
    lines.append(
        f"| **all** | | {int(outlets['bank'].notna().sum()):,} | {len(branches):,} "
        f"| {branches['county_adcode'].nunique()} | {int(far.sum()):,} |"
    )
    return "\n".join(lines)


def _far_from_seat(
    branches: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, km: float = 5.0
) -> np.ndarray:
    seats = (
        counties.set_index("adcode")
        .loc[branches["county_adcode"], ["seat_lon", "seat_lat"]]
        .to_numpy()
    )
    to_m = Transformer.from_crs("EPSG:4326", SHANXI_EQUAL_AREA, always_xy=True)
    bx, by = to_m.transform(branches.geometry.x.to_numpy(), branches.geometry.y.to_numpy())
    sx, sy = to_m.transform(seats[:, 0], seats[:, 1])
    return np.hypot(bx - sx, by - sy) > km * 1000


METADATA = {
    "sample": True,
    "title": "Generated sample of ordinary branches of Shanxi's 16 card partner banks (NOT a real branch directory)",
    "title_zh": "山西省社保卡合作银行普通网点示例数据（程序生成，并非真实网点名录）",
    "description": (
        "A deterministic sample generated by scripts/generate_branches.py from data/counties.geojson "
        "and data/outlets.geojson. kind 'branch': an ordinary branch of a partner bank that is NOT a "
        "one-stop card outlet; it serves only the tasks the card's own bank does at any of its "
        "branches (services). The published figures (1,443 one-stop outlets, at least 2 per county, "
        "443 transport top-up outlets) do not count these. Counts per bank are rough orders of "
        "magnitude; names, addresses, phones, hours and positions are invented."
    ),
    "seed": SEED,
    "crs": "EPSG:4326",
    "layer": "branches",
    "one_stop_layer": "data/outlets.geojson",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample branches to ``--output``; with ``--table``, print the per-bank table.

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
    parser.add_argument("-o", "--output", default="data/branches.geojson")
    parser.add_argument(
        "--counties", default=None, help="county layer (default: data/counties.geojson)"
    )
    parser.add_argument(
        "--outlets", default=None, help="one-stop outlets (default: data/outlets.geojson)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--table", action="store_true", help="also print the per-bank table for SOURCES.md"
    )
    args = parser.parse_args(argv)
    outlets = load_outlets(args.outlets or datasets.get_path("outlets"))
    counties = load_counties(args.counties or datasets.get_path("counties"))
    branches = generate(counties, outlets, seed=args.seed)
    path = write_outlets(branches, args.output, metadata={**METADATA, "seed": args.seed})
    print(
        f"wrote {path}: {len(branches):,} ordinary branches of {branches['bank'].nunique()} banks "
        f"in {branches['county_adcode'].nunique()} counties, {Path(path).stat().st_size:,} bytes"
    )
    if args.table:
        print(bank_table(branches, outlets, counties))
    return 0


if __name__ == "__main__":
    sys.exit(main())
