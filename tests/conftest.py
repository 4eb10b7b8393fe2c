"""Shared fixtures: the shipped data, loaded once per test session, and random points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from locator import datasets
from locator.index import OutletIndex

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def outlets() -> gpd.GeoDataFrame:
    return datasets.outlets()


@pytest.fixture(scope="session")
def counties() -> gpd.GeoDataFrame:
    return datasets.counties()


@pytest.fixture(scope="session")
def index(outlets: gpd.GeoDataFrame) -> OutletIndex:
    return OutletIndex(outlets)


def random_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random points over Shanxi's bounding box (and a little beyond)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(110.0, 114.8, n), rng.uniform(34.4, 40.9, n)
