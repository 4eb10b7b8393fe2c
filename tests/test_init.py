"""The package's public surface: every exported name resolves, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import locator


def test_every_exported_name_resolves_to_its_module_object():
    import locator.counties
    import locator.index
    import locator.planning.siting

    for name in locator.__all__:
        assert getattr(locator, name) is not None
    assert locator.OutletIndex is locator.index.OutletIndex
    assert locator.suggest_sites is locator.planning.siting.suggest_sites
    assert locator.load_counties is locator.counties.load_counties
    assert locator.datasets is sys.modules["locator.datasets"]
    assert set(locator.__all__) <= set(dir(locator))


def test_unknown_names_still_raise_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = locator.no_such_name  # type: ignore[attr-defined]


def test_import_does_not_load_the_heavy_libraries():
    code = "import sys, locator; print('sklearn' in sys.modules, 'rasterio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
