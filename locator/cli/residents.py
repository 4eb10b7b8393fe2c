"""The residents' subcommands: ``nearest``, ``tasks`` and ``banks``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from locator import hours, settings
from locator._validate import check_lonlat
from locator.banks import BANKS
from locator.cli._common import (
    EXIT_OK,
    LANG_HELP,
    check_output,
    emit,
    emit_csv,
    output_format,
    warn,
    warn_if_sample,
)
from locator.cli.planning import add_network_arguments, road_network
from locator.output import render_table, to_json
from locator.tasks import KIND_LABELS, TASKS, Task, far_alternatives, get_task, is_far

__all__ = ["add_banks", "add_nearest", "add_tasks"]

_NEAREST_FORMATS = ("table", "json", "csv")
_TABLE_COLUMNS = ["distance_km", "name", "kind", "bank", "hours_badge", "address", "phone"]

# --- nearest -------------------------------------------------------------------------------


def add_nearest(sub: Any) -> None:
    """Add ``locator nearest``."""
    p = sub.add_parser(
        "nearest",
        help="the nearest outlets that can do a task",
        description=(
            "The k nearest outlets to a point (WGS-84 decimal degrees) that can do a task; "
            "bank-side tasks need the bank printed on the card (--bank) and search every "
            "branch of that bank, one-stop or not; other tasks the one-stop outlets."
        ),
    )
    p.add_argument("--lat", required=True, help="latitude, decimal degrees (WGS-84)")
    p.add_argument("--lon", required=True, help="longitude, decimal degrees (WGS-84)")
    p.add_argument(
        "-k", type=int, default=None, help=f"how many outlets (default {settings.default_k})"
    )
    p.add_argument("--task", help="task code (see `locator tasks`)")
    p.add_argument("--bank", help="the bank printed on the card (see `locator banks`)")
    p.add_argument(
        "--outlets",
        type=Path,
        help="outlet registry GeoJSON (default: the shipped sample, one-stop outlets and bank branches)",
    )
    p.add_argument(
        "--format",
        choices=_NEAREST_FORMATS,
        default=None,
        help="table, json or csv (UTF-8 with BOM, for Excel); default: -o's suffix, else table",
    )
    p.add_argument("-o", "--output", help="write to this file (.txt, .json or .csv)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=LANG_HELP)
    p.add_argument(
        "--open-now",
        action="store_true",
        help="only outlets open now (or at --at); those with unknown hours are kept, marked",
    )
    p.add_argument(
        "--weekends",
        action="store_true",
        help="only outlets open on Saturdays or Sundays (unknown hours kept, marked)",
    )
    p.add_argument(
        "--instant-issue",
        action="store_true",
        help="only outlets that issue cards while you wait (立等可取)",
    )
    p.add_argument(
        "--transit-topup",
        action="store_true",
        help="only outlets with transport card top-up (交通一卡通)",
    )
    p.add_argument(
        "--at",
        default=None,
        help='judge opening hours at "YYYY-MM-DD HH:MM" (Asia/Shanghai) instead of now',
    )
    add_network_arguments(p)  # the 4k nearest in a straight line, re-ranked by road
    p.set_defaults(run=_run_nearest)


def _load_index(path: Path | None) -> Any:
    from locator import datasets
    from locator.index import OutletIndex

    if path is None:
        return OutletIndex(datasets.registry())
    return OutletIndex.from_file(path)


def _far_text(found: pd.DataFrame, alternatives: list[str], lang: str) -> list[str]:
    """The far-branch note: how far the nearest branch of the card's bank is, and what else."""
    if found.empty:
        head = "该银行附近没有网点" if lang == "zh" else "no branch of the card's bank was found"
    else:
        km = f"{found['distance_km'].iloc[0]:.0f}"
        head = (
            f"注意：社保卡所属银行最近的网点也在 {km} 公里外（超过 {settings.far_branch_km:g} 公里）。"
            "也可以："
            if lang == "zh"
            else f"Note: the nearest branch of the card's bank is {km} km away (more than "
            f"{settings.far_branch_km:g} km). Instead:"
        )
    return [head, *(f"- {line}" for line in alternatives)]


def _nearest_text(
    found: pd.DataFrame, task: Task | None, lang: str, alternatives: list[str] | None
) -> str:
    lines = []
    if task is not None:
        lines.append(
            f"{task.label(lang)} | {'带上' if lang == 'zh' else 'bring'}: {task.bring(lang)}"
        )
        lines.append(task.note(lang))
        if task.online(lang):
            lines.append(f"{'线上' if lang == 'zh' else 'online'}: {task.online(lang)}")
    if found.empty:
        lines.append("没有可办理的网点" if lang == "zh" else "no outlet can do this task")
    else:
        table = found.assign(kind=found["kind_label"], distance_km=found["distance_km"].round(2))
        lines.append(render_table(table, _TABLE_COLUMNS))
    if alternatives is not None:
        lines.extend(_far_text(found, alternatives, lang))
    return "\n".join(lines)


def _nearest(args: argparse.Namespace, index: Any, lon: float, lat: float) -> Any:
    """The nearest outlets in a straight line, or with ``--network`` by road (re-ranked)."""
    if args.network is None:
        return index.nearest(lon=lon, lat=lat, k=args.k, task=args.task, bank=args.bank)
    from locator.planning.network import nearest_by_road

    network = road_network(args)
    found = nearest_by_road(
        index, network, lon=lon, lat=lat, k=args.k, task=args.task, bank=args.bank
    )
    found["distance"] = network.label
    return found


def _run_nearest(args: argparse.Namespace) -> int:
    from locator import datasets
    from locator.counties import in_shanxi

    fmt = output_format(args.format, args.output, _NEAREST_FORMATS)
    check_output(args.output)
    lon, lat = check_lonlat(args.lon, args.lat)
    task = get_task(args.task) if args.task else None
    moment = hours.parse_at(args.at)
    # Filtered before the search, so k suitable outlets are found while k exist.
    index = _load_index(args.outlets).filtered(
        open_at=moment if args.open_now else None,
        weekends=args.weekends,
        instant_issue=args.instant_issue,
        transit_topup=args.transit_topup,
    )
    found = _nearest(args, index, lon, lat)
    # After every input is checked, so a mistake in one is the only line on stderr.
    warn_if_sample(index.outlets)
    if (note := hours.calendar_note(moment.date())) is not None:
        warn(note)
    if not bool(in_shanxi([lon], [lat], counties=datasets.counties())[0]):
        warn(f"({lon}, {lat}) is outside Shanxi; these are the nearest Shanxi outlets all the same")
    lang = args.lang
    found.insert(
        found.columns.get_loc("kind") + 1,
        "kind_label",
        found["kind"].map(lambda k: KIND_LABELS.get(k, {}).get(lang, k)),
    )
    found = found.drop(columns=["opening_hours"], errors="ignore").join(
        hours.hours_status(found, moment, lang=lang)
    )
    far = is_far(task, None if found.empty else float(found["distance_km"].iloc[0]))
    alternatives = far_alternatives(args.bank, lang) if far else None
    if task is not None:
        found["task"] = task.code
        found["bring"] = task.bring(lang)
        found["note"] = task.note(lang)
        found["online"] = task.online(lang)
        found["far"] = far
        found["alternatives"] = [alternatives or [] for _ in range(len(found))]
    if fmt in ("json", "csv"):
        from locator.datasets import is_sample
        from locator.output import mark_sample

        found = mark_sample(found, is_sample(index.outlets))
    if fmt == "json":
        emit(to_json(found.to_dict(orient="records")), args.output)
    elif fmt == "csv":
        emit_csv(found, args.output)
    else:
        text = _nearest_text(found, task, lang, alternatives)
        if args.network is not None:
            text = f"distance_km: {found['distance'].iloc[0]}\n{text}" if len(found) else text
        emit(text, args.output)
    return EXIT_OK


# --- tasks, banks ---------------------------------------------------------------------------


def add_tasks(sub: Any) -> None:
    """Add ``locator tasks``."""
    p = sub.add_parser("tasks", help="list the tasks and where each can be done")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=LANG_HELP)
    p.set_defaults(run=_run_tasks)


def _run_tasks(args: argparse.Namespace) -> int:
    lang = args.lang
    rows = [
        {
            "code": t.code,
            "label": t.label(lang),
            "kinds": sorted(t.kinds),
            "own_bank": t.own_bank,
            "bring": t.bring(lang),
            "online": t.online(lang),
        }
        for t in TASKS.values()
    ]
    if args.format == "json":
        print(to_json(rows))
    else:
        print(render_table(pd.DataFrame(rows), ["code", "label", "kinds", "own_bank", "online"]))
    return EXIT_OK


def add_banks(sub: Any) -> None:
    """Add ``locator banks``."""
    p = sub.add_parser("banks", help="list the 16 partner banks and the short names accepted")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(run=_run_banks)


def _run_banks(args: argparse.Namespace) -> int:
    rows = [
        {"name": b.name, "name_en": b.name_en, "short": b.short, "aliases": list(b.aliases)}
        for b in BANKS
    ]
    print(to_json(rows) if args.format == "json" else render_table(pd.DataFrame(rows)))
    return EXIT_OK
