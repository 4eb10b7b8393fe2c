"""Vendor the Leaflet files the maps need into ``locator/maps/static/``.

folium loads Leaflet and its plugins from public CDNs, so a plain ``folium.Map.save()``
page is blank offline and where those CDNs are blocked (mainland China). ``locator``
ships the files instead, taken from the npm registry packages that publish them, with
their licences, and inlines them into exported HTML (``locator.maps.standalone_html``)
or serves them to the app (``locator.maps.use_local_assets``).

How the files were obtained (run from the repository root; needs ``npm``)::

    python scripts/vendor_assets.py

which runs ``npm pack leaflet@1.9.4 leaflet.markercluster@1.5.3`` in a temporary folder,
extracts the two tarballs, copies the built ``dist/`` files below and each package's
licence into ``locator/maps/static/<package>/``, and writes ``locator/maps/static/assets.json``
(package, version, npm integrity, and the SHA-256 and size of every file copied).
The files are copied byte for byte; ``tests/test_maps.py`` checks them against
``assets.json``. jQuery, Bootstrap, Font Awesome and Leaflet.awesome-markers, which
folium also loads by default, are not needed by ``locator``'s maps and are not vendored.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# package -> (version, files copied from the package root, the licence file)
PACKAGES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "leaflet": (
        "1.9.4",
        (
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        ),
        "LICENSE",
    ),
    "leaflet.markercluster": (
        "1.5.3",
        (
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ),
        "MIT-LICENCE.txt",
    ),
}

# Where locator.maps reads them (locator/maps/_assets.py, STATIC_DIR).
STATIC = Path(__file__).resolve().parents[1] / "locator" / "maps" / "static"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pack(workdir: Path) -> list[dict[str, object]]:
    specs = [f"{name}@{version}" for name, (version, _, _) in PACKAGES.items()]
    result = subprocess.run(
        ["npm", "pack", *specs, "--json"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    packed: list[dict[str, object]] = json.loads(result.stdout)
    return packed


def vendor(static: Path = STATIC) -> dict[str, object]:
    """Fetch the packages with npm, copy their files into ``static``; return the manifest."""
    manifest: dict[str, object] = {"packages": {}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        packed = {str(p["name"]): p for p in _pack(workdir)}
        for name, (version, files, licence) in PACKAGES.items():
            info = packed[name]
            if info["version"] != version:
                msg = f"npm packed {name}@{info['version']}, expected {version}"
                raise RuntimeError(msg)
            root = workdir / name
            with tarfile.open(workdir / str(info["filename"])) as tar:
                tar.extractall(root, filter="data")
            target = static / name
            if target.exists():
                shutil.rmtree(target)
            entries = {}
            for relative in (*files, licence):
                source = root / "package" / relative
                # dist/images/x.png -> <package>/images/x.png; the licence keeps its name
                destination = target / relative.removeprefix("dist/")
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
                entries[destination.relative_to(static).as_posix()] = {
                    "sha256": _sha256(destination),
                    "bytes": destination.stat().st_size,
                }
            manifest["packages"][name] = {  # type: ignore[index]
                "version": version,
                "integrity": info["integrity"],
                "licence": f"{name}/{licence}",
                "files": entries,
            }
    (static / "assets.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Vendor the files into ``--static`` and print, per package, how many and their size.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``); ``--help`` lists them.

    Returns
    -------
    int
        The exit status, 0 (a failed ``npm pack`` raises).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--static", type=Path, default=STATIC, help="target folder")
    args = parser.parse_args(argv)
    manifest = vendor(args.static)
    for name, entry in manifest["packages"].items():  # type: ignore[attr-defined]
        size = sum(f["bytes"] for f in entry["files"].values())
        print(f"{name} {entry['version']}: {len(entry['files'])} files, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
