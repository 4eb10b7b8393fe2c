"""Importing a registry: time and peak memory of ``locator validate`` on a large CSV and a hostile xlsx.

Files made by this script (seeded, in a temporary folder):

- a CSV of 200,000 outlets (``--rows``), about 33 MB, with the columns a real export has:
  Chinese names and addresses, bank, kind, county, phone, hours, services, two yes/no
  flags, longitude and latitude (points scattered around the county seats, so most lie in
  their county and some do not, like real data);
- a 5 KB .xlsx with a header, three rows and one cell at ``XFD1048576`` (the sheet declares
  1,048,576 × 16,384 cells).

Each measurement runs in its own child process; the peak memory is that process's maximum
resident set size (``ru_maxrss`` from ``os.wait4``), the time its wall-clock time, start-up
included. Beside ``locator validate`` (the command line) and ``import_registry`` (the library)
the same CSV is read by ``pandas.read_csv`` (text only, no checks): the floor for reading.

Run: ``python benchmarks/bench_import.py`` (``--rows 50000`` for a quicker run).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

HEADER = ["网点名称", "所属银行", "网点类型", "区县", "地址", "联系电话", "营业时间", "服务项目",
          "即时制卡", "交通一卡通", "经度", "纬度"]  # fmt: skip
BANKS = ["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "中国邮政储蓄银行", "晋商银行",
         "交通银行", "招商银行"]  # fmt: skip
STREETS = ["迎泽大街", "府西街", "南内环街", "长风街", "并州路", "解放路", "体育路", "平阳路"]


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Write a realistic registry CSV of ``rows`` outlets."""
    from locator import datasets

    counties = datasets.counties()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(counties), rows)
    lon = counties["seat_lon"].to_numpy()[pick] + rng.normal(0, 0.05, rows)
    lat = counties["seat_lat"].to_numpy()[pick] + rng.normal(0, 0.05, rows)
    names = counties["name"].to_numpy()[pick]
    bank_of = rng.integers(-2, len(BANKS), rows)  # negative: a government hall
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            county = str(names[i])
            street = STREETS[i % len(STREETS)]
            if bank_of[i] < 0:
                name, bank, kind = f"{county}社保服务站{i}", "", "人社"
                services, instant, transit = "申领、补换卡、社保卡密码重置", "否", "否"
            else:
                bank = BANKS[bank_of[i]]
                name, kind = f"{bank[-4:]}{county}{street[:2]}支行{i}", "银行"
                services = "申领、激活金融功能"
                instant, transit = ("是", "是") if i % 3 == 0 else ("否", "否")
            writer.writerow([
                name, bank, kind, county, f"{county}{street}{i % 500 + 1}号",
                f"0351-{4000000 + i % 5000000}", "8:30-17:30", services,
                instant, transit, f"{lon[i]:.6f}", f"{lat[i]:.6f}",
            ])  # fmt: skip


def make_far_cell_xlsx(path: Path) -> None:
    """A small workbook with three outlets and one stray cell at XFD1048576."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["网点名称", "所属银行", "经度", "纬度"])
    ws.append(["工行迎泽支行", "工行", 112.5492, 37.857])
    ws.append(["人社局服务中心", "", 112.1747, 37.189])
    ws.append(["建行平城支行", "建行", 113.295, 40.09])
    ws["XFD1048576"] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    with zipfile.ZipFile(path) as z:
        assert b"XFD1048576" in z.read("xl/worksheets/sheet1.xml")


def measure(code: str, *args: str) -> tuple[float, float, float, int]:
    """Run ``python -c code args`` in a child: wall seconds, CPU seconds, peak resident MB, exit status."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, 1):
        print(stderr, file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime  # less sensitive than wall time to a busy machine
    return seconds, cpu, usage.ru_maxrss / 1024, process.returncode  # ru_maxrss: KiB on Linux


VALIDATE = "import sys; from locator.cli import main; sys.exit(main(['validate', sys.argv[1]]))"
LIBRARY = (
    "import sys; from locator import datasets; from locator.importer import import_registry; "
    "r = import_registry(sys.argv[1], counties=datasets.counties()); "
    "print(r.read, r.accepted, r.rejected)"
)
PANDAS = "import sys, pandas; pandas.read_csv(sys.argv[1], dtype=str)"
BASELINE = "import locator.importer, pandas"


def main() -> int:
    """Make the files, measure each case ``--repeat`` times, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per method; the best is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = Path(folder) / "registry.csv", Path(folder) / "far_cell.xlsx"
        make_csv(csv_path, args.rows)
        make_far_cell_xlsx(xlsx_path)
        mb = csv_path.stat().st_size / 1e6
        kb = xlsx_path.stat().st_size / 1e3
        cases = [
            ("python start-up + imports (no file)", BASELINE, ()),
            (f"pandas.read_csv, {args.rows:,}-row CSV ({mb:.1f} MB)", PANDAS, (str(csv_path),)),
            ("import_registry, same CSV", LIBRARY, (str(csv_path),)),
            ("locator validate, same CSV", VALIDATE, (str(csv_path),)),
            (
                f"locator validate, {kb:.1f} KB xlsx with a cell at XFD1048576",
                VALIDATE,
                (str(xlsx_path),),
            ),  # fmt: skip
        ]
        print(f"{datetime.date.today()}, python benchmarks/bench_import.py --rows {args.rows}; "
              f"best of {args.repeat}, each run in its own process")  # fmt: skip
        print()
        print("| what | seconds | CPU seconds | peak memory (MB) | exit |")
        print("|---|---:|---:|---:|---:|")
        for label, code, extra in cases:
            runs = [measure(code, *extra) for _ in range(args.repeat)]
            seconds, cpu, peak, status = min(runs)
            print(f"| {label} | {seconds:.2f} | {cpu:.2f} | {peak:.0f} | {status} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
