"""The resident page in a real browser: how long each interaction takes to an updated answer.

Starts ``streamlit run app.py`` on a free localhost port, drives Debian's Chromium with
Playwright (every request not to the app's own server blocked) and times each action until
the answer shown is the new one, read from the DOM: Streamlit's running indicator gone, the
list's cards all there (none where the filter empties it) and its first and last card
different from before (cards are drawn in order, so a half-drawn list does not count):

- cold first load: a fresh server, then a shared link (task and position) to the first answer,
- warm reload of the same link,
- a click on the map (at one of two points in Taiyuan, off the pins and routes) to the answer
  from it,
- a place typed and chosen to the answer from that place,
- a filter toggled (open now, under a fixed holiday clock) to the filtered answer.

Each is the median of ``--repeats`` runs (cold: one fresh server per run). Two counts go with
them, out of ``--repeats`` each:

- frames rebuilt: after each timed map click (and a second's wait), whether the map's iframe,
  its window or its Leaflet map is a new one (each is tagged with a property before the click),
- second clicks lost: a click at one point, its answer, then 100, 300, 500 or 1000 ms later a
  click at the other point (where it was on the map of that answer, found beforehand); lost
  when within 8 s no answer comes from the second point (cards new and the page's link at
  the second point's position, not the first's).

Clicks are the mouse's, at a point of the screen, as a person's are: Playwright does not wait
for the map to be ready first. With ``--before COMMIT`` the same actions run on that
commit's page too (a ``git archive`` copy in a temporary folder, run with this checkout's
interpreter) and the ratios are printed; an action the old page does not have is marked
``n/a``.

Run: ``.venv/bin/python benchmarks/bench_resident.py --before 35e23ac``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import bench_app  # the sibling script: the same server checks and pages
from bench_app import free_port, healthy
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 120_000
LOST_AFTER_MS = 30_000
# Taiyuan, the PIN task (government halls only: both pages have it, no bank asked).
LINK = "lang=en&task=reset_card_pin&lat=37.87&lon=112.55"
# A national holiday at 10:00: every government hall is closed, so "open now" empties the list.
HOLIDAY = "at=2026-10-01T10:00"
K = 5  # outlets listed: both pages' default
PLACES = ("平遥", "五台")
# Two points in Taiyuan, clicked in turn (inside the view fitted to the last answer).
CLICKS = ((112.53, 37.86), (112.58, 37.84))
SETTLE_MS = 1_000  # an untimed wait: the map of the last answer has drawn
# Where a point is in the map's box, moved off any pin, route, "you" dot (SVG paths,
# .leaflet-interactive: a click there is the layer's, not the map's), popup or control.
AIM = """(container, [lon, lat]) => {
  const p = window.map.latLngToContainerPoint([lat, lon]);
  const box = container.getBoundingClientRect();
  const busy = '.leaflet-marker-icon, .leaflet-interactive, .leaflet-control, '
    + '.leaflet-popup, .leaflet-tooltip';
  const moves = [[0, 0], [24, 0], [-24, 0], [0, 24], [0, -24], [36, 36], [-36, -36],
    [36, -36], [-36, 36], [48, 0], [-48, 0], [0, 48], [0, -48]];
  for (const [dx, dy] of moves) {
    const x = p.x + dx, y = p.y + dy;
    const hit = document.elementFromPoint(box.left + x, box.top + y);
    if (hit && container.contains(hit) && !hit.closest(busy)) return {x, y};
  }
  return {x: p.x, y: p.y};
}"""
# The map's iframe, its window and its Leaflet map tagged; `KEPT`: all three still tagged.
TAG = f"""() => {{
  const frame = document.querySelector('{MAP_FRAME}');
  for (const o of [frame, frame.contentWindow, frame.contentWindow.map]) o.benchTag = true;
}}"""
KEPT = f"""() => {{
  const frame = document.querySelector('{MAP_FRAME}');
  const w = frame && frame.contentWindow;
  return Boolean(frame && frame.benchTag && w.benchTag && w.map && w.map.benchTag);
}}"""
DELAYS_MS = (100, 300, 500, 1000)  # from an answer to a second click
SECOND_LOST_MS = 8_000
PLACE_LABEL = "Type a place"
# The rebuilt page folds its questions once answered ("Change" opens them) and keeps its
# filters in an expander.
CHANGE = "Change"
FILTERS = "Filters and time"
OPEN_NOW = "Open at that time only"

# The result cards' texts: ``.st-key-result-N`` containers on the rebuilt page; on the old one
# the card texts (markdown) that start with "N. ".
CARDS = r"""() => {
  let cards = [...document.querySelectorAll('[class*="st-key-result-"]')]
    .filter((e) => [...e.classList].some((c) => /^st-key-result-\d+$/.test(c)));
  if (!cards.length) {
    cards = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
      .filter((e) => /^\d+\. /.test((e.innerText || '').trim()));
  }
  return cards.map((c) => c.innerText);
}"""
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
# Updated: Streamlit idle, ``n`` cards shown, and both the first and the last card new (the
# cards are drawn in order, so a list half redrawn does not count).
UPDATED = f"""([before, n]) => {{
  if (!({IDLE})()) return false;
  const now = ({CARDS})();
  if (now.length !== n) return false;
  return n === 0 || (now[0] !== before[0] && now[n - 1] !== before[before.length - 1]);
}}"""
# The answer from ``to``: updated (as `UPDATED`) and the page's link (lat, lon) nearer ``to``
# than ``other``, the (lat, lon) the link had for each point's own answer.
ANSWERED_FROM = f"""([before, n, to, other]) => {{
  const link = new URLSearchParams(location.search);
  const far = ([lat, lon]) => (lat - link.get('lat')) ** 2 + (lon - link.get('lon')) ** 2;
  return ({UPDATED})([before, n]) && far(to) < far(other);
}}"""


@contextmanager
def served(root: Path) -> Iterator[str]:
    """``streamlit run app.py`` of the checkout ``root`` on a free port, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(root / "app.py")]
    command += ["--server.headless", "true", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(
        command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"streamlit did not serve {url}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def new_page(browser: Any) -> Any:
    """A desktop-sized page that reaches nothing but the app's server."""
    page = bench_app.new_page(browser, width=1400, height=900)
    page.set_default_timeout(TIMEOUT_MS)
    return page


LOST: dict[str, int] = {}  # actions that brought no new answer within LOST_AFTER_MS, by kind


def until_updated(page: Any, act: Callable[[], None], *, fresh: bool = False, n: int = K) -> float:
    """Seconds from ``act`` until ``n`` new cards show (``fresh``: whatever was there before).

    An action that brings no new answer within ``LOST_AFTER_MS`` is counted in `LOST` and
    done again (the page's fault, not the timer's: a click lost during a rerun).
    """
    before = [] if fresh else page.evaluate(CARDS)
    for _ in range(3):
        start = time.perf_counter()
        act()
        try:
            limit = TIMEOUT_MS if fresh else LOST_AFTER_MS  # a cold load can take long
            page.wait_for_function(UPDATED, arg=[before, n], timeout=limit)
        except PlaywrightTimeout:
            name = getattr(act, "__name__", "action")
            LOST[name] = LOST.get(name, 0) + 1
            continue
        return time.perf_counter() - start
    sys.exit(f"{page.url}: no new answer after {act} three times")


def cold_load(browser: Any, root: Path) -> float:
    """A fresh server, then the shared link to its first answer."""
    with served(root) as url:
        page = new_page(browser)
        seconds = until_updated(page, lambda: page.goto(f"{url}/?{LINK}"), fresh=True)
        page.context.close()
    return seconds


Point = tuple[float, float]  # in the page's viewport, pixels
LatLon = tuple[float, float]  # a position in the page's link


def aim(page: Any, lonlat: tuple[float, float]) -> Point:
    """Where ``lonlat`` is on the map as drawn now (`AIM`), after `SETTLE_MS` untimed."""
    page.wait_for_timeout(SETTLE_MS)
    container = page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")
    point = container.evaluate(AIM, lonlat)
    box = container.bounding_box()
    return box["x"] + point["x"], box["y"] + point["y"]


def click_at(page: Any, point: Point) -> Callable[[], None]:
    """A mouse click at ``point``, whatever is there (no wait for the map to be ready)."""

    def click() -> None:
        page.mouse.click(*point)

    return click


def map_clicks(page: Any, repeats: int) -> tuple[list[float], int]:
    """Clicks on the map at two points in turn, each to the answer from the point clicked.

    Also how many of these answers came in a new map frame (`TAG`, `KEPT`, checked after
    `SETTLE_MS`, so a frame rebuilt after the cards counts too).
    """
    times, rebuilt = [], 0
    for i in range(repeats):
        point = aim(page, CLICKS[i % 2])
        page.evaluate(TAG)
        times.append(until_updated(page, click_at(page, point)))
        page.wait_for_timeout(SETTLE_MS)
        rebuilt += not page.evaluate(KEPT)
    return times, rebuilt


def link_position(page: Any) -> LatLon:
    """The (lat, lon) in the page's link: the position of the answer shown."""
    query = parse_qs(urlparse(page.url).query)
    return float(query["lat"][0]), float(query["lon"][0])


def second_click_setup(page: Any, url: str) -> tuple[list[Point], list[LatLon]]:
    """Where to click for each of `CLICKS` on the map of the other's answer, and its position.

    From the link's answer, the two points are clicked in turn twice; the second round's
    points (each aimed on the other's answer) and the positions of their answers are kept.
    The page then shows the answer from ``CLICKS[1]``.
    """
    until_updated(page, lambda: page.goto(f"{url}/?{LINK}"), fresh=True)
    points, positions = [], []
    for lonlat in (*CLICKS, *CLICKS):
        points.append(aim(page, lonlat))
        until_updated(page, click_at(page, points[-1]))
        positions.append(link_position(page))
    return points[2:], positions[2:]


def second_click_lost(
    page: Any, points: list[Point], positions: list[LatLon], delay_ms: int
) -> bool:
    """Whether a click at ``CLICKS[1]``, ``delay_ms`` after one at ``CLICKS[0]`` answered, is lost.

    Lost when no answer from the second click shows within `SECOND_LOST_MS`; then
    ``CLICKS[1]`` is clicked again (not counted), so the next round starts from its answer.
    """
    (first, second), (first_at, second_at) = points, positions
    page.wait_for_timeout(SETTLE_MS)
    until_updated(page, click_at(page, first))
    before = page.evaluate(CARDS)
    page.wait_for_timeout(delay_ms)
    page.mouse.click(*second)
    try:
        page.wait_for_function(
            ANSWERED_FROM, arg=[before, K, second_at, first_at], timeout=SECOND_LOST_MS
        )
    except PlaywrightTimeout:
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
        page.wait_for_timeout(SETTLE_MS)
        if link_position(page) != second_at:
            until_updated(page, click_at(page, second))
        return True
    return False


def second_clicks(page: Any, url: str, repeats: int) -> dict[str, str]:
    """For each of `DELAYS_MS`: of ``repeats`` second clicks that long after an answer, lost."""
    points, positions = second_click_setup(page, url)
    figures = {}
    for delay_ms in DELAYS_MS:
        lost = sum(second_click_lost(page, points, positions, delay_ms) for _ in range(repeats))
        figures[f"second click {delay_ms} ms after an answer"] = f"lost {lost} of {repeats}"
    return figures


def place_choices(page: Any, repeats: int) -> list[float]:
    """Places typed into the place box (Enter), each to the answer from that place."""
    times = []
    box = page.get_by_role("textbox", name=PLACE_LABEL).first
    for i in range(repeats):
        name = PLACES[i % 2]
        if page.locator(".st-key-result-1").count():  # the rebuilt page: open the questions
            page.get_by_role("button", name=CHANGE, exact=True).click()
        box.wait_for()
        page.wait_for_timeout(1_000)  # not timed: the questions are open and still
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS)

        def choose(name: str = name) -> None:
            box.fill(name)
            box.press("Enter")

        times.append(until_updated(page, choose))
    return times


def filter_toggles(page: Any, url: str, repeats: int) -> list[float] | None:
    """The open-now filter toggled on a holiday (the halls close, the list empties) and back."""
    until_updated(page, lambda: page.goto(f"{url}/?{LINK}&{HOLIDAY}"), fresh=True)
    if page.locator(".st-key-result-1").count() == 0:  # the old page has no filters
        return None
    page.get_by_text(FILTERS, exact=True).click()
    toggle = page.get_by_text(OPEN_NOW, exact=True).first
    toggle.wait_for()
    return [until_updated(page, toggle.click, n=0 if i % 2 == 0 else K) for i in range(repeats)]


Figures = dict[str, list[float] | str | None]  # seconds of each run, or a count as text


def warm_figures(browser: Any, url: str, repeats: int) -> Figures:
    """Every warm interaction, ``repeats`` times each, on one page; then the second clicks."""
    page = new_page(browser)
    until_updated(page, lambda: page.goto(f"{url}/?{LINK}"), fresh=True)
    figures: Figures = {
        "warm reload": [
            until_updated(page, lambda: page.goto(f"{url}/?{LINK}"), fresh=True)
            for _ in range(repeats)
        ]
    }
    clicks, rebuilt = map_clicks(page, repeats)
    figures["map click to answer"] = clicks
    figures["map frames rebuilt (map click answers)"] = f"{rebuilt} of {repeats}"
    figures["place choice to answer"] = place_choices(page, repeats)
    figures["filter toggle to answer"] = filter_toggles(page, url, repeats)
    figures.update(second_clicks(page, url, repeats))
    page.context.close()
    return figures


def measure(browser: Any, root: Path, repeats: int) -> dict[str, float | str | None]:
    """Medians of every interaction (and the counts) on the page of the checkout ``root``."""
    cold = [cold_load(browser, root) for _ in range(repeats)]
    with served(root) as url:
        warm = warm_figures(browser, url, repeats)
    figures = {"cold first load (fresh server)": cold, **warm}
    if LOST:
        print(f"{root}: actions redone after no new answer in {LOST_AFTER_MS} ms: {LOST}")
        LOST.clear()
    return {name: median(figure) for name, figure in figures.items()}


def median(figure: list[float] | str | None) -> float | str | None:
    """The median of a figure's runs (None when there are none); a count as it is."""
    if isinstance(figure, list):
        return statistics.median(figure) if figure else None
    return figure


@contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """The files of ``commit`` in a temporary folder (``git archive``), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="locator-before-") as folder:
        archive = Path(folder) / "tree.tar"
        with archive.open("wb") as out:
            subprocess.run(["git", "archive", commit], cwd=REPO, stdout=out, check=True)
        root = Path(folder) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="tar")
        yield root


def cell(figure: float | str | None) -> str:
    """A table cell: seconds, a count, or n/a."""
    if isinstance(figure, str):
        return figure
    return "n/a" if figure is None else f"{figure:.2f} s"


def ratio(after: float | str | None, before: float | str | None) -> str:
    """After / before, for two times; n/a otherwise."""
    if isinstance(after, float) and isinstance(before, float):
        return f"{after / before:.2f}"
    return "n/a"


def report(
    after: dict[str, float | str | None], before: dict[str, float | str | None] | None
) -> None:
    """Print the figures as a markdown table (with the before page and the ratio, if run)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Resident page (Playwright), {os.cpu_count()} CPUs, load average {load}")
    if before is None:
        print("| interaction | median |\n|---|---|")
        for name, figure in after.items():
            print(f"| {name} | {cell(figure)} |")
        return
    print("| interaction | before | after | after / before |\n|---|---|---|---|")
    for name, figure in after.items():
        old = before.get(name)
        print(f"| {name} | {cell(old)} | {cell(figure)} | {ratio(figure, old)} |")


def main() -> None:
    """Time the resident page (and the page of ``--before``), print a table."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each action (median)")
    parser.add_argument("--before", metavar="COMMIT", help="also time this commit's page")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        before = None
        if args.before:
            with checkout(args.before) as root:
                before = measure(browser, root, args.repeats)
        after = measure(browser, REPO, args.repeats)
        browser.close()
    report(after, before)


if __name__ == "__main__":
    main()
