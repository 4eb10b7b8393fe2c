"""The command line: answers equal the library's, and every user mistake is one line, exit 2."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import subprocess
import sys

import pytest

from locator import datasets
from locator.banks import BANK_NAMES
from locator.cli import main
from locator.cli._common import SAMPLE_WARNING
from locator.registry import write_outlets
from locator.tasks import KIND_LABELS


@pytest.fixture
def real_registry(tmp_path):
    """The shipped outlets with every sample mark taken off: a registry as `import` writes it."""
    outlets = datasets.outlets().drop(columns="sample")
    outlets.attrs["metadata"] = {}
    path = write_outlets(outlets, tmp_path / "real.geojson", metadata={})
    assert not datasets.is_sample(__import__("locator").registry.load_outlets(path))
    return path


@pytest.fixture(scope="module")
def both_index():
    """The index over what `locator nearest` searches by default: both shipped layers."""
    from locator.index import OutletIndex

    return OutletIndex(datasets.registry())


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_nearest_json_equals_the_index(capsys, index):
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "-k", "4", "--format", "json"
    )
    assert code == 0
    items = json.loads(out)
    expected = index.nearest(lon=112.55, lat=37.87, k=4)
    assert [i["id"] for i in items] == expected["id"].tolist()
    assert [i["distance_km"] for i in items] == sorted(i["distance_km"] for i in items)
    for key in ("id", "name", "kind", "bank", "county_adcode", "lon", "lat", "distance_km"):
        assert key in items[0]


def test_nearest_with_task_and_short_bank_name(capsys, both_index):
    code, out, _ = run(
        capsys, "nearest", "--lat", "38.0", "--lon", "112.4", "--task", "activate_finance", "--bank", "建行",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    items = json.loads(out)
    assert {i["bank"] for i in items} == {"中国建设银行"}
    assert all("身份证" in i["bring"] and i["note"] for i in items)
    expected = both_index.nearest(lon=112.4, lat=38.0, task="activate_finance", bank="中国建设银行")
    assert [i["id"] for i in items] == expected["id"].tolist()
    assert all(i["far"] is False and i["alternatives"] == [] for i in items)


def _far_point(bank):
    """From the data: the county seat of the shipped layer farthest from every branch of ``bank``."""
    from locator.distance import haversine_km

    both, counties = datasets.registry(), datasets.counties()
    branches = both[both["bank"] == bank]
    points = counties.geometry.representative_point()
    gap = haversine_km(
        points.x.to_numpy()[:, None],
        points.y.to_numpy()[:, None],
        branches.geometry.x.to_numpy()[None, :],
        branches.geometry.y.to_numpy()[None, :],
    ).min(axis=1)
    at = int(gap.argmax())
    return float(points.x.iloc[at]), float(points.y.iloc[at]), float(gap[at])


@pytest.mark.parametrize(("bank", "lang"), [("渤海银行", "zh"), ("晋商银行", "en")])
def test_a_far_branch_is_said_with_the_alternatives(capsys, both_index, bank, lang):
    from locator import settings
    from locator.banks import bank_hotline

    lon, lat, gap = _far_point(bank)
    assert gap > settings.far_branch_km, "the sample has a county far from this bank"
    argv = ["nearest", "--lat", str(lat), "--lon", str(lon), "--task", "unfreeze_account",
            "--bank", bank, "--lang", lang]  # fmt: skip
    code, out, _ = run(capsys, *argv, "--format", "json")
    items = json.loads(out)
    assert code == 0 and items[0]["distance_km"] == pytest.approx(gap, abs=1e-6)
    assert all(i["far"] is True for i in items)
    alternatives = items[0]["alternatives"]
    assert "上门服务" in alternatives[0] and "代理办理" in alternatives[0]
    assert "12333" in alternatives[2]
    hotline = bank_hotline(bank)
    assert hotline in alternatives[1] if hotline else "back of your card" in alternatives[1]
    assert items[0]["kind_label"] == KIND_LABELS[items[0]["kind"]][lang]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    note = (
        "注意：社保卡所属银行最近的网点也在"
        if lang == "zh"
        else "Note: the nearest branch of the card's bank is"
    )
    assert note in out and f"{gap:.0f}" in out
    assert all(line in out for line in alternatives)


def test_a_near_branch_has_no_far_note_and_a_one_stop_task_never_does(capsys, both_index):
    from locator import settings

    lon, lat, gap = _far_point("渤海银行")
    settings_km = settings.far_branch_km
    try:
        settings.far_branch_km = gap + 1  # the same answer, now within the setting
        code, out, _ = run(capsys, "nearest", "--lat", str(lat), "--lon", str(lon),
                           "--task", "unfreeze_account", "--bank", "渤海", "--format", "json")  # fmt: skip
    finally:
        settings.far_branch_km = settings_km
    assert code == 0 and not json.loads(out)[0]["far"]
    code, out, _ = run(capsys, "nearest", "--lat", str(lat), "--lon", str(lon), "--task", "apply")
    assert code == 0 and "最近的网点也在" not in out and "代理办理" not in out


def test_nearest_says_the_kind_of_each_answer_in_the_language(capsys, both_index):
    argv = ["nearest", "--lat", "36.0", "--lon", "111.5", "--task", "activate_finance",
            "--bank", "招行", "-k", "8"]  # fmt: skip
    expected = both_index.nearest(lon=111.5, lat=36.0, k=8, task="activate_finance", bank="招行")
    assert "branch" in set(expected["kind"])
    for lang in ("zh", "en"):
        code, out, _ = run(capsys, *argv, "--lang", lang, "--format", "json")
        items = json.loads(out)
        assert [i["id"] for i in items] == expected["id"].tolist()
        assert [i["kind"] for i in items] == expected["kind"].tolist()
        assert [i["kind_label"] for i in items] == [KIND_LABELS[k][lang] for k in expected["kind"]]
        code, out, _ = run(capsys, *argv, "--lang", lang)
        assert KIND_LABELS["branch"][lang] in out


def test_nearest_table_in_english(capsys):
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--task", "apply", "--lang", "en"
    )
    assert code == 0
    assert "New card or replacement" in out and "distance_km" in out and "online" in out


def test_bank_task_without_bank_lists_the_banks(capsys):
    code, _, err = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--task", "activate_finance"
    )
    assert code == 2
    line = one_line_error(err)
    assert all(name in line for name in BANK_NAMES)


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        ("abc", "112.5", "lat 'abc' is not a number"),
        ("37.8", "東經", "lon '東經' is not a number"),
        ("137.8", "37.5", "not a latitude"),
        ("37.8", "212.5", "not a longitude"),
        ("nan", "112.5", "not a latitude"),
    ],
)
def test_bad_coordinates(capsys, lat, lon, message):
    code, _, err = run(capsys, "nearest", "--lat", lat, "--lon", lon)
    assert code == 2
    assert message in one_line_error(err)


def test_unknown_task_and_bank(capsys):
    code, _, err = run(capsys, "nearest", "--lat", "37.8", "--lon", "112.5", "--task", "pin")
    assert code == 2 and "reset_card_pin" in one_line_error(err)
    code, _, err = run(
        capsys,
        "nearest",
        "--lat",
        "37.8",
        "--lon",
        "112.5",
        "--task",
        "activate_finance",
        "--bank",
        "花旗",
    )
    assert code == 2 and "花旗" in one_line_error(err)


def test_missing_registry_file(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "nearest",
        "--lat",
        "37.8",
        "--lon",
        "112.5",
        "--outlets",
        str(tmp_path / "no.geojson"),
    )
    assert code == 2 and "no.geojson: no such file" in one_line_error(err)


def test_argparse_errors_are_one_line(capsys):
    code, _, err = run(capsys, "nearest", "--lat", "37.8")
    assert code == 2 and "--lon" in one_line_error(err)
    code, _, err = run(capsys, "nearest", "--lat", "37.8", "--lon", "112", "-k", "x")
    assert code == 2 and "-k" in one_line_error(err)


def test_outside_shanxi_is_answered_with_a_warning(capsys):
    code, out, err = run(capsys, "nearest", "--lat", "39.90", "--lon", "116.40", "--format", "json")
    assert code == 0
    assert len(json.loads(out)) == 5
    assert "outside Shanxi" in err


def test_inside_shanxi_only_the_sample_is_named(capsys):
    code, _, err = run(capsys, "nearest", "--lat", "37.87", "--lon", "112.55")
    assert code == 0 and err == f"locator: warning: {SAMPLE_WARNING}\n"


def test_a_real_registry_inside_shanxi_has_no_warning(capsys, real_registry):
    code, out, err = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--outlets", str(real_registry)
    )
    assert code == 0 and err == "" and out


def test_tasks_and_banks(capsys):
    code, out, _ = run(capsys, "tasks", "--format", "json")
    assert code == 0 and "reset_card_pin" in {t["code"] for t in json.loads(out)}
    code, out, _ = run(capsys, "banks", "--format", "json")
    assert code == 0 and [b["name"] for b in json.loads(out)] == list(BANK_NAMES)
    code, out, _ = run(capsys, "banks")
    assert code == 0 and "邮储" in out


def test_installed_command_runs():
    exe = shutil.which("locator") or str(
        __import__("pathlib").Path(sys.executable).with_name("locator")
    )
    done = subprocess.run(
        [exe, "nearest", "--lat", "x", "--lon", "1"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_every_locator_error_is_one_line_with_flags(capsys, monkeypatch):
    import locator.cli.residents as cli
    from locator._errors import ResourceLimitError

    def too_big(args):
        msg = "k=5 nearest of 9 points is too many:\nquery fewer points at a time"
        raise ResourceLimitError(msg)

    monkeypatch.setattr(cli, "_run_tasks", too_big)
    code, _, err = run(capsys, "tasks")
    assert code == 2
    line = one_line_error(err)
    assert (
        line == "locator: error: -k 5 nearest of 9 points is too many: query fewer points at a time"
    )


def test_library_warnings_are_one_line_and_other_warnings_stay_python_warnings(capsys, monkeypatch):
    import warnings

    import locator.cli.residents as cli
    from locator._errors import LocatorWarning

    def warns(args):
        warnings.warn(
            "radius_km=50 is wide:\nmost residents count as near", LocatorWarning, stacklevel=1
        )
        print("done")
        return 0

    monkeypatch.setattr(cli, "_run_tasks", warns)
    code, out, err = run(capsys, "tasks")
    assert code == 0 and out == "done\n"
    assert err == "locator: warning: --radius-km 50 is wide: most residents count as near\n"

    def other(args):
        warnings.warn("a third-party deprecation", DeprecationWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli, "_run_tasks", other)
    with pytest.raises(DeprecationWarning):  # pytest turns warnings into errors: not swallowed
        run(capsys, "tasks")


# --- -o: one rule for every command ----------------------------------------------------------

NEAREST = ["nearest", "--lat", "37.87", "--lon", "112.55", "-k", "3"]


def test_nearest_writes_what_the_suffix_says(capsys, tmp_path, index):
    expected = index.nearest(lon=112.55, lat=37.87, k=3)["id"].tolist()
    code, out, err = run(capsys, *NEAREST, "-o", str(tmp_path / "a.json"))
    assert code == 0 and out == "" and f"wrote {tmp_path / 'a.json'}" in err
    assert [i["id"] for i in json.loads((tmp_path / "a.json").read_text("utf-8"))] == expected
    code, _, _ = run(capsys, *NEAREST, "-o", str(tmp_path / "a.csv"))
    data = (tmp_path / "a.csv").read_bytes()
    assert code == 0 and data.startswith(b"\xef\xbb\xbf")  # CSV for Excel
    assert [r["id"] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))] == expected
    code, _, _ = run(capsys, *NEAREST, "-o", str(tmp_path / "a.txt"))
    text = (tmp_path / "a.txt").read_text("utf-8")
    assert code == 0 and text.startswith("distance_km") and len(text.splitlines()) == 2 + 3
    code, out, _ = run(capsys, *NEAREST, "--format", "csv")  # on screen: the same cells
    assert code == 0 and [r["id"] for r in csv.DictReader(io.StringIO(out))] == expected


@pytest.mark.parametrize(
    ("argv", "name", "suffixes"),
    [
        ([*NEAREST, "-o"], "out.geojson", ".csv, .json, .txt"),
        ([*NEAREST, "-o"], "out", ".csv, .json, .txt"),
        (["import", "REG", "-o"], "out.csv", ".geojson"),
        (["import", "REG", "-o", "OUT.geojson", "--report"], "problems.xlsx", ".csv"),
        (["validate", "REG", "--report"], "problems.json", ".csv"),
        (["export-map", "--layers", "outlets", "-o"], "map.json", ".html"),
    ],
)
def test_a_suffix_the_command_cannot_write_is_refused_before_any_work(
    capsys, tmp_path, real_registry, argv, name, suffixes
):
    folder = tmp_path / "out"
    folder.mkdir()
    argv = [str(real_registry) if a == "REG" else a for a in argv]
    argv = [str(folder / "x.geojson") if a == "OUT.geojson" else a for a in argv]
    code, _, err = run(capsys, *argv, str(folder / name))
    line = one_line_error(err)
    assert code == 2 and f"end the name in {suffixes}" in line and name in line
    assert list(folder.iterdir()) == []  # nothing written, not even the other output


def test_format_and_a_contradicting_suffix_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, *NEAREST, "--format", "json", "-o", str(tmp_path / "a.csv"))
    assert code == 2 and "ends in .csv but --format 'json'" in one_line_error(err)


# --- the sample warning ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        NEAREST,
        ["coverage", "--cell-area-km2", "100"],
        ["gaps", "--cell-area-km2", "100", "--top", "1"],
        ["suggest", "--new", "1", "--cell-area-km2", "100"],
        ["export-map", "--layers", "outlets", "-o", "OUT.html"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_command_reading_the_sample_says_so(capsys, tmp_path, real_registry, argv):
    argv = [str(tmp_path / a) if a == "OUT.html" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 0 and f"locator: warning: {SAMPLE_WARNING}\n" in err
    code, _, err = run(capsys, *argv, "--outlets", str(real_registry))
    assert code == 0 and SAMPLE_WARNING not in err


def test_import_says_nothing_of_the_sample(capsys, tmp_path, real_registry):
    # It reads the user's file, not the shipped registry.
    code, _, err = run(capsys, "validate", str(real_registry))
    assert code == 0 and SAMPLE_WARNING not in err


# --- help ------------------------------------------------------------------------------------


def _commands_with(option: str) -> list[str]:
    from locator.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [
        name
        for name, p in sub.choices.items()
        if any(option in a.option_strings for a in p._actions)
    ]


def test_every_lang_option_has_help(capsys):
    commands = _commands_with("--lang")
    assert {"nearest", "tasks", "import", "validate", "export-map"} <= set(commands)
    for command in commands:
        code, out, _ = run(capsys, command, "--help")
        assert code == 0
        assert re.search(r"--lang \{zh,en\}\s+language of labels and messages", out), command


def test_every_output_option_has_help(capsys):
    for command in _commands_with("-o"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and re.search(r"-o \w+, --output \w+\s+\S", out), command


# --- the app, and the command line without it -----------------------------------------------


def test_app_help(capsys):
    code, out, _ = run(capsys, "app", "--help")
    assert code == 0 and "--port PORT" in out and "Streamlit" in out
    code, out, _ = run(capsys, "--help")
    assert code == 0 and re.search(r"app\s+start the web app", out)


def test_python_m_locator_app_is_locator_app():
    done = subprocess.run(
        [sys.executable, "-m", "locator.app", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "usage: locator app [-h] [--port PORT]" in done.stdout


def test_a_bad_port_is_one_line(capsys):
    code, _, err = run(capsys, "app", "--port", "70000")
    assert code == 2 and "port 70000 is not a port number" in one_line_error(err)


# Run Python with streamlit (and streamlit_folium) impossible to import.
_NO_STREAMLIT = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("streamlit", "streamlit_folium"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Block())
from locator.cli import main
code = main(sys.argv[1:])
assert "streamlit" not in sys.modules, "the command imported streamlit"
sys.exit(code)
"""


def test_the_command_line_runs_without_streamlit(tmp_path):
    argv = [sys.executable, "-c", _NO_STREAMLIT]
    done = subprocess.run(
        [*argv, *NEAREST, "--format", "json"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3
    done = subprocess.run([*argv, "app"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert 'pip install "locator[app]"' in done.stderr and "streamlit" in done.stderr
