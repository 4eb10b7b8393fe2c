"""The app in a real browser: how long each planner (and resident) interaction takes.

Starts ``streamlit run app.py`` on a free localhost port, drives Debian's Chromium with
Playwright (every request not to the app's own server blocked) and times, until the page's
figures are updated and Streamlit is no longer running the script:

- the cold first load of the planner page (``?view=planner``, a fresh server),
- a warm reload of it (best of 3),
- a task-filter change, a radius change, the first siting (slider to 5): each on a fresh
  setting, so the first time it is computed; each change is seen in the page (the metrics'
  text changes, or the siting section shows), never by waiting a fixed time,
- the resident page: a click on the map until the answer list shows.

Run: ``.venv/bin/python benchmarks/bench_app.py`` (``--planner-only``: the planner page alone;
``--script``: also the planner's script without a browser, AppTest in one process).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 180_000
REPEATS = 3

# While the script runs, Streamlit marks every element not yet drawn again as stale
# (data-stale="true") and, after a moment, shows its status widget; the figures are the
# metrics. Done: the metrics changed, nothing stale, no status widget.
SETTLED = """(before) => {
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  const stale = document.querySelector('[data-stale="true"]');
  const metrics = [...document.querySelectorAll('[data-testid="stMetric"]')];
  const text = metrics.map((m) => m.innerText).join('|');
  return !running && !stale && metrics.length >= 5 && text !== before;
}"""
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
  && !document.querySelector('[data-stale="true"]')"""
METRIC_TEXT = """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
  .map((m) => m.innerText).join('|')"""


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether the Streamlit server answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_server(port: int) -> subprocess.Popen[bytes]:
    """``streamlit run app.py`` on ``port``, headless."""
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")]
    options = ["--server.headless", "true", "--server.port", str(port)]
    options += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(
        command + options, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def settle(page: Any, before: str) -> None:
    """Wait until the script has run and the metrics differ from ``before``.

    The update is seen in the page itself (the metrics' text, no element left stale,
    Streamlit's running indicator gone), never by waiting a fixed time: every timed change
    alters the metrics.
    """
    page.wait_for_function(SETTLED, arg=before, timeout=TIMEOUT_MS)


def timed(action: Callable[[], None]) -> float:
    """Seconds ``action`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def new_page(browser: Any, width: int = 1280, height: int = 1800) -> Any:
    """A page of ``width`` x ``height`` that reaches nothing but the app's server."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")

    def only_local(route: Any) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def load_planner(page: Any, url: str) -> None:
    """Open the planner page and wait for its figures."""
    page.goto(f"{url}/?view=planner&lang=en")
    settle(page, "")


def change(page: Any, act: Callable[[], None], marker: str | None = None) -> None:
    """Do ``act`` and wait for the figures (or ``marker`` text) to be updated."""
    before = page.evaluate(METRIC_TEXT)
    act()
    if marker is None:
        settle(page, before)
    else:
        page.get_by_text(marker).first.wait_for()
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def pick_task(page: Any, option: str) -> None:
    """Choose ``option`` in the planner's task filter."""
    page.get_by_role("combobox", name="Outlets that can do").click()
    page.get_by_role("option", name=option, exact=True).click()


def nudge(page: Any, label: str, presses: int) -> None:
    """Move the slider ``label`` by ``presses`` steps to the right."""
    thumb = page.get_by_role("slider", name=label)
    thumb.focus()
    for _ in range(presses):
        thumb.press("ArrowRight")


def planner_figures(browser: Any, url: str) -> dict[str, float]:
    """The planner timings; the first load is on a fresh server (cold)."""
    page = new_page(browser)
    times = {"planner first load (cold)": timed(lambda: load_planner(page, url))}
    times["planner reload (warm)"] = min(
        timed(lambda: load_planner(page, url)) for _ in range(REPEATS)
    )
    # Each task leaves a different number of outlets than the one before (1,443 for any task,
    # then 181, 505, 443), so the metrics show when the page has caught up.
    tasks = ["Forgot the physical card's PIN", "Instant issuance (while you wait)"]
    tasks.append("Exchange or top up the transport function")
    times["task-filter change"] = min(
        timed(lambda option=option: change(page, lambda: pick_task(page, option)))  # type: ignore[misc]
        for option in tasks
    )
    times["radius change"] = min(
        timed(lambda: change(page, lambda: nudge(page, "“Nearby” distance (km)", 1)))
        for _ in range(REPEATS)
    )
    times["first siting (slider to 5)"] = timed(
        lambda: change(page, lambda: nudge(page, "New outlets", 5), "Where to add outlets")
    )
    page.context.close()
    return times


def planner_script_times() -> dict[str, float]:
    """The planner's script alone (``streamlit.testing`` AppTest, no browser, one process).

    What the server spends per interaction: the rest of a browser figure is the page
    drawing (the map's frame above all) and the traffic.
    """
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(REPO))  # this checkout's locator, as `streamlit run` would import

    def timed_run(run: Callable[[], Any]) -> float:
        start = time.perf_counter()
        at = run()
        seconds = time.perf_counter() - start
        if at.exception:
            sys.exit(f"the page failed: {at.exception}")
        return seconds

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT_MS / 1000)
    at.query_params.update({"view": "planner", "lang": "en"})
    times = {"script: first run (fresh process)": timed_run(at.run)}
    times["script: rerun (warm)"] = min(timed_run(at.run) for _ in range(REPEATS))
    tasks = ("reset_card_pin", "instant_issue", "transit_topup")
    times["script: task-filter change"] = min(
        timed_run(at.selectbox(key="planner_task").set_value(task).run) for task in tasks
    )
    times["script: radius change"] = min(
        timed_run(at.slider(key="radius").set_value(radius).run) for radius in (5.5, 6.0, 6.5)
    )
    times["script: first siting (5)"] = timed_run(at.slider(key="new_sites").set_value(5).run)
    return times


def resident_answer(browser: Any, url: str) -> float:
    """Best of 3: a click on the resident map until the first answer shows."""
    page = new_page(browser)
    page.goto(f"{url}/?lang=en")
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator("path.leaflet-interactive").nth(100).wait_for(state="attached")
    container = frame.locator(".leaflet-container")
    box = container.bounding_box()
    best = float("inf")
    for i in range(REPEATS):
        point = {"x": box["width"] * (0.45 + 0.05 * i), "y": box["height"] * 0.55}
        start = time.perf_counter()
        container.click(position=point)
        page.wait_for_timeout(200)
        page.get_by_text("1. ").first.wait_for()
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=TIMEOUT_MS,
        )
        best = min(best, time.perf_counter() - start)
    page.context.close()
    return best


def main() -> None:
    """Run the server, time the interactions, print a table."""
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planner-only", action="store_true", help="skip the resident page")
    parser.add_argument(
        "--script", action="store_true", help="also time the planner's script alone (AppTest)"
    )
    args = parser.parse_args()
    script = planner_script_times() if args.script else {}

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        deadline = time.monotonic() + 120
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"streamlit did not serve {url}")
            time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            times = planner_figures(browser, url)
            if not args.planner_only:
                times["resident map click to answer"] = resident_answer(browser, url)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"App (Playwright), {os.cpu_count()} CPUs, load average {load}")
    print(f"{'interaction':36} {'seconds':>8}")
    for name, seconds in {**times, **script}.items():
        print(f"{name:36} {seconds:8.2f}")


if __name__ == "__main__":
    main()
