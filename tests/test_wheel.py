"""The wheel carries everything a default needs: built, installed outside the checkout, run.

A non-editable install once had no GeoJSON, so every default failed. Here the wheel is built
from a copy of the source (setuptools' ``build/`` folder would otherwise keep stale modules
between builds), installed with ``pip --no-deps --no-index`` into a fresh virtual
environment in a temporary folder, and run from yet another folder: the command line's
``nearest`` and ``coverage``, and the web app's health check and its Leaflet. The
environment sees the development environment's third-party packages through a ``.pth``
file listing that site-packages folder: a plain path line, so the editable ``locator``
installed there (itself a ``.pth`` with an import hook) is not seen. No network is used.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from locator import datasets
from locator.index import OutletIndex
from tests.test_app_browser import START_TIMEOUT_S, _free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
# What the wheel must hold besides the modules: the shipped data, Leaflet for exported maps
# and for the app, the app's "use my location" component, and the typing marker.
SHIPPED = [
    "locator/datasets/outlets.geojson",
    "locator/datasets/counties.geojson",
    "locator/maps/static/leaflet/leaflet.js",
    "locator/maps/static/leaflet/leaflet.css",
    "locator/maps/static/leaflet.markercluster/leaflet.markercluster.js",
    "locator/app/static/leaflet/leaflet.js",
    "locator/app/geolocation/index.html",
    "locator/app/geolocation/geolocation.js",
    "locator/py.typed",
]


def _copy_source(target: Path) -> Path:
    """What a build reads: pyproject, README, the package (links kept) and the data they name."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "locator", target / "locator", symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "data", target / "data", ignore=ignore)
    return target


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The wheel, and a fresh environment outside the checkout with it installed."""
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    source = _copy_source(root / "src")
    dist = root / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-w", str(dist), str(source)],
        cwd=root,
        env=env,
    )
    (wheel,) = dist.glob("locator-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=env)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], root, env
        ).strip()
    )
    dev_site = sysconfig.get_path("purelib")
    (site / "dev_packages.pth").write_text(dev_site + "\n", encoding="utf-8")
    _run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        cwd=root,
        env=env,
    )
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return {"wheel": wheel, "venv": venv, "site": site, "cwd": elsewhere, "env": env}


def test_the_wheel_holds_the_data_and_the_assets(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    missing = [name for name in SHIPPED if name not in names]
    assert not missing, missing
    # the files themselves, not links or pointers: the same bytes as in the checkout
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        assert (
            wheel.read("locator/datasets/outlets.geojson")
            == (REPO / "data" / "outlets.geojson").read_bytes()
        )
        assert (
            wheel.read("locator/app/static/leaflet/leaflet.js")
            == (REPO / "locator" / "maps" / "static" / "leaflet" / "leaflet.js").read_bytes()
        )
    assert not any(name.startswith(("tests/", "data/", "scripts/")) for name in names)


def test_the_installed_package_is_the_one_imported(installed):
    where = _run(
        [
            str(installed["venv"] / "bin" / "python"),
            "-c",
            "import locator; print(locator.__file__)",
        ],
        installed["cwd"],
        installed["env"],
    ).strip()
    assert Path(where).resolve().is_relative_to(installed["site"].resolve()), where
    assert not Path(where).resolve().is_relative_to(REPO), where


def test_nearest_from_another_folder_matches_the_checkout(installed):
    out = _run(
        [str(installed["venv"] / "bin" / "locator"), "nearest", "--lat", "37.87", "--lon", "112.55"]
        + ["--format", "json"],
        installed["cwd"],
        installed["env"],
    )
    got = [row["id"] for row in json.loads(out)]
    expected = OutletIndex(datasets.outlets()).nearest(lon=112.55, lat=37.87, k=5)
    assert len(got) == 5
    assert got == list(expected["id"])


def test_coverage_from_another_folder_counts_117_counties(installed):
    out = _run(
        [str(installed["venv"] / "bin" / "locator"), "coverage", "--format", "json"],
        installed["cwd"],
        installed["env"],
    )
    report = json.loads(out)
    assert report["province"]["counties"] == 117
    assert len(report["counties"]) == 117
    assert report["province"]["outlets"] == len(datasets.outlets())


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def test_the_app_starts_from_another_folder_and_serves_leaflet(installed, tmp_path):
    port = _free_port()
    log_path = tmp_path / "app.log"
    with log_path.open("wb") as log:
        # its own process group: `locator app` runs streamlit as a child, stopped with it
        process = subprocess.Popen(
            [str(installed["venv"] / "bin" / "locator"), "app", "--port", str(port)],
            cwd=installed["cwd"],
            env=installed["env"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            status, body = _get(f"{url}/_stcore/health")
            while body != b"ok":
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the installed app did not answer at {url} (exit code {process.poll()}):\n"
                        + log_path.read_text(errors="replace")[-3000:]
                    )
                time.sleep(0.5)
                status, body = _get(f"{url}/_stcore/health")
            status, script = _get(f"{url}/app/static/leaflet/leaflet.js")
            assert status == 200
            assert (
                script
                == (
                    installed["site"] / "locator" / "maps" / "static" / "leaflet" / "leaflet.js"
                ).read_bytes()
            )
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the process group this test started (``locator app`` and its streamlit)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue
