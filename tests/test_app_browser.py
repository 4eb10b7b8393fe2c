"""End to end in a real browser: `streamlit run app.py`, driven by Playwright in Debian's Chromium.

Offline: every request that is not to the app's own server is blocked, so the map must
draw from the Leaflet the app serves itself (no CDN) and without tiles. When the browser
cannot run, these tests fail; they never skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from locator import datasets
from locator.counties import SHANXI_BOUNDS
from locator.index import OutletIndex

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
START_TIMEOUT_S = 90
UI_TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def streamlit_server(
    script: Path, *, cwd: Path, log_path: Path, extra: Sequence[str] = ()
) -> Iterator[str]:
    """``streamlit run script`` on a free local port: its URL once healthy; stopped after.

    Fails the test with the server log's tail when it exits or is not healthy in time.
    """
    port = _free_port()
    log = log_path.open("wb")
    command = [sys.executable, "-m", "streamlit", "run", str(script)]
    command += ["--server.headless", "true", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *extra]
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    f"streamlit did not serve {url} within {START_TIMEOUT_S} s "
                    f"(exit code {process.poll()}):\n{log_path.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, served by `streamlit run` on a free port; terminated after the tests."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(REPO / "app.py", cwd=REPO, log_path=log_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page that reaches nothing but the app's server, and records script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 1800}, locale="zh-CN")
    page = context.new_page()
    page.blocked = []
    page.errors = []

    def only_local(route: Any) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            page.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    context.close()


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlparse(url).query).items()}


def _pick(page: Any, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_resident_picks_a_task_clicks_the_map_and_sees_the_nearest_outlets(
    server: str, page: Any
) -> None:
    page.goto(server)
    page.get_by_text("您要办理什么？").wait_for()
    _pick(page, "您要办理什么？", "忘记实体社保卡密码")
    page.wait_for_function("() => location.search.includes('task=reset_card_pin')")

    frame = page.frame_locator(MAP_FRAME).first
    # Leaflet loaded from the app itself draws the 117 county outlines (SVG paths).
    frame.locator("path.leaflet-interactive").nth(100).wait_for(state="attached")
    container = frame.locator(".leaflet-container")
    box = container.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    # Near the middle of the province view: inside Shanxi.
    container.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.55})

    page.wait_for_function("() => location.search.includes('lat=')")
    query = _query(page.url)
    assert query["task"] == "reset_card_pin"
    lon, lat = float(query["lon"]), float(query["lat"])
    assert 110.2 < lon < 114.6 and 34.5 < lat < 40.8
    expected = OutletIndex(datasets.outlets()).nearest(lon=lon, lat=lat, k=5, task="reset_card_pin")
    first = str(expected["name"].iloc[0])
    page.get_by_text(f"1. {first}").wait_for()
    # Streamlit draws the cards one by one: wait for each, in rank order.
    for rank, name in enumerate(expected["name"], start=1):
        page.get_by_text(f"{rank}. {name}").first.wait_for(state="visible")
    # The map now shows you, the outlets and the way to each (dashed lines).
    frame.locator("path.leaflet-interactive[stroke-dasharray]").first.wait_for(state="attached")
    # Each card: a tel: link and three Amap routes (walk, transit, drive) from the click.
    page.locator(".st-key-result-1").wait_for()
    # a card's buttons come after its text: wait for the last card's call link
    page.locator(f'.st-key-result-{len(expected)} a[href^="tel:"]').wait_for()
    assert page.locator('a[href^="tel:"]').count() == len(expected)
    routes = page.locator('a[href^="https://uri.amap.com/navigation"]')
    assert routes.count() == 3 * len(expected)
    # The questions folded into one line: the task named, a button to change it.
    page.get_by_role("button", name="更改").wait_for()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resident.png"), full_page=True)
    assert not [e for e in page.errors if "L is not defined" in e or "Leaflet" in e], page.errors
    assert all(urlparse(u).hostname != "127.0.0.1" for u in page.blocked)


def test_a_shared_link_reopens_the_answer_in_english(server: str, page: Any) -> None:
    params = "lang=en&task=activate_finance&bank=%E5%B7%A5%E8%A1%8C&lat=37.87&lon=112.55"
    page.goto(f"{server}/?{params}")
    expected = OutletIndex(datasets.registry()).nearest(
        lon=112.55, lat=37.87, k=5, task="activate_finance", bank="工行"
    )
    page.get_by_text(f"1. {expected['name'].iloc[0]}").wait_for()
    # Answered by the link: the task, bank and place in one line, with a button to change.
    page.get_by_role("button", name="Change").click()
    page.get_by_role("combobox", name="What do you need to do?").wait_for()
    routes = page.locator('a[href^="https://uri.amap.com/navigation"]')
    routes.nth(3 * len(expected) - 1).wait_for()
    assert _query(page.url)["bank"] == "中国工商银行"  # the short name, normalized
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator("path.leaflet-interactive[stroke-dasharray]").first.wait_for(state="attached")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resident_link_en.png"), full_page=True)


def test_the_planner_map_opens_on_shanxi(server: str, page: Any) -> None:
    """The planner's choropleth opens fitted to the province (folium's fit_bounds, made when the
    map is created in its frame): all of Shanxi in view, at the zoom Leaflet finds for it."""
    page.goto(f"{server}/?view=planner&lang=en")
    drawn = page.frame_locator(MAP_FRAME).first.locator("path.leaflet-interactive")
    drawn.nth(100).wait_for(state="attached")
    west, south, east, north = SHANXI_BOUNDS
    view = drawn.first.evaluate(
        """(_, [w, s, e, n]) => {
      const province = L.latLngBounds([[s, w], [n, e]]);
      return {zoom: window.map.getZoom(), fits: window.map.getBoundsZoom(province),
              all: window.map.getBounds().contains(province)};
    }""",
        [west, south, east, north],
    )
    assert view["all"] and view["zoom"] >= view["fits"] - 1, view  # not the whole world
