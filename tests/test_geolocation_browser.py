"""Use my location (locator.app.geolocation): the value check, and the button in Chromium.

The browser tests start `streamlit run tests/apps/geolocation_app.py` (the button alone, its
value shown as text) and drive Debian's Chromium with Playwright, offline: every request that
is not to the app's own server is blocked and recorded. Chromium gets its position from
Playwright (`grant_permissions` + `set_geolocation`); without the permission, headless
Chromium denies it. A second host name mapped to 127.0.0.1 (`locator.test`) is plain http on a
host that is not localhost: no secure context, so the button must say "insecure". axe-core
(bundled by axe-playwright-python) checks the page and the button's frame.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from locator.app.geolocation import ERRORS, FRONTEND, Geolocation, parse_geolocation
from locator.i18n import t
from tests.test_app_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    streamlit_server,
)

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
APP = REPO / "tests" / "apps" / "geolocation_app.py"
FRAME = 'iframe[title="locator.app.geolocation.locator_geolocation"]'
#: An http host name that is not localhost, resolved by Chromium itself to the local server.
INSECURE_HOST = "locator.test"
LOCAL_HOSTS = ("127.0.0.1", INSECURE_HOST)
TAIYUAN = {"latitude": 37.87, "longitude": 112.55, "accuracy": 25}


# --- the value the component sends back, checked in Python -------------------------------


def test_a_position_is_read_as_floats():
    got = parse_geolocation({"lon": 112, "lat": 37.87, "accuracy_m": 25, "at": 1.5e12})
    assert got == Geolocation(lon=112.0, lat=37.87, accuracy_m=25.0, error=None, at=1.5e12)
    assert got is not None and got.found and isinstance(got.lon, float)


def test_nothing_before_the_first_press():
    assert parse_geolocation(None) is None


@pytest.mark.parametrize("error", ERRORS)
def test_every_known_error_is_kept_and_has_a_message_in_both_languages(error):
    got = parse_geolocation({"error": error, "at": 7})
    assert got == Geolocation(error=error, at=7.0)
    assert got is not None and not got.found
    assert got.message("zh") == t(f"geo_{error}", "zh")
    assert got.message("en") == t(f"geo_{error}", "en")
    assert got.message("zh") != got.message("en")


GOOD = {"lon": 112.55, "lat": 37.87, "accuracy_m": 25.0, "at": 1}


@pytest.mark.parametrize(
    "value",
    [
        {**GOOD, "lon": math.nan},
        {**GOOD, "lat": math.nan},
        {**GOOD, "accuracy_m": math.nan},
        {**GOOD, "lon": math.inf},
        {**GOOD, "lat": -math.inf},
        {**GOOD, "lon": "112.55"},  # text, even text that reads as a number
        {**GOOD, "lat": "north"},
        {**GOOD, "lon": True},  # a boolean is no coordinate
        {**GOOD, "lon": None},
        {**GOOD, "lon": [112.55]},
        {**GOOD, "lat": 90.000001},
        {**GOOD, "lat": -91},
        {**GOOD, "lon": 180.5},
        {**GOOD, "lon": -1e308},
        {**GOOD, "lat": 10**400},  # beyond float's range
        {**GOOD, "accuracy_m": -1},
        {**GOOD, "accuracy_m": "25"},
        {"lat": 37.87, "accuracy_m": 25.0, "at": 1},  # keys missing
        {"lon": 112.55, "accuracy_m": 25.0, "at": 1},
        {"lon": 112.55, "lat": 37.87, "at": 1},
        {"at": 1},
        {"error": "stolen", "at": 1},  # an error nobody defined
        {"error": 1, "at": 1},
        {"error": None, "at": 1},
    ],
)
def test_odd_values_count_as_unavailable(value):
    got = parse_geolocation(value)
    assert got is not None
    assert (got.error, got.lon, got.lat, got.accuracy_m) == ("unavailable", None, None, None)
    assert got.at == 1.0


@pytest.mark.parametrize("value", ["112.55,37.87", [112.55, 37.87], 42, b"{}", {"lon", "lat"}])
def test_a_value_of_another_shape_is_unavailable(value):
    assert parse_geolocation(value) == Geolocation(error="unavailable")


@pytest.mark.parametrize("at", [math.nan, "1764547200000", True, None, 10**400])
def test_an_odd_timestamp_is_dropped_but_the_position_kept(at):
    got = parse_geolocation({**GOOD, "at": at})
    assert got == Geolocation(lon=112.55, lat=37.87, accuracy_m=25.0, at=None)


def test_the_edges_of_the_globe_are_positions():
    for lon, lat in [(-180, -90), (180, 90), (0, 0)]:
        got = parse_geolocation({"lon": lon, "lat": lat, "accuracy_m": 0, "at": 1})
        assert got is not None and got.found and (got.lon, got.lat) == (lon, lat)


def test_the_found_message_gives_the_accuracy_in_metres():
    got = Geolocation(lon=112.55, lat=37.87, accuracy_m=1234.4, at=1)
    assert "1,234" in got.message("zh") and "米" in got.message("zh")
    assert "1,234 m" in got.message("en")


def test_the_component_files_are_there_and_fetch_nothing_from_elsewhere():
    html = (FRONTEND / "index.html").read_text(encoding="utf-8")
    script = (FRONTEND / "geolocation.js").read_text(encoding="utf-8")
    assert '<script src="geolocation.js">' in html
    for text in (html, script):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
    # words go in as text, never as markup
    assert "innerHTML" not in script and "textContent" in script


# --- the button in Chromium ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test page, served by `streamlit run` on a free port; terminated after the tests."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(APP, cwd=REPO, log_path=log_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    rules = f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser context that reaches nothing but the local server; blocked requests recorded."""
    context = browser.new_context(viewport={"width": 900, "height": 700}, locale="zh-CN")
    context.blocked = []

    def only_local(route: Any) -> None:
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            context.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    context.set_default_timeout(UI_TIMEOUT_MS)
    yield context
    context.close()


def _button(page: Any) -> Any:
    return page.frame_locator(FRAME).first.locator("button#locate")


def _press(page: Any) -> None:
    button = _button(page)
    button.wait_for()
    button.click()


def _serious_axe_violations(page: Any) -> list[str]:
    """axe-core (bundled, offline) in the page and the button's frame: serious or critical."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for frame in page.frames:
        if frame.url in ("", "about:blank"):
            continue
        for violation in axe.run(frame).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                found.append(
                    f"{violation['id']} in {urlparse(frame.url).path}: {violation['help']}"
                )
    return found


@pytest.mark.browser
@pytest.mark.slow
def test_granted_the_button_returns_the_browser_position(server: str, context: Any) -> None:
    context.grant_permissions(["geolocation"], origin=server)
    context.set_geolocation(TAIYUAN)
    page = context.new_page()
    page.goto(server)
    page.get_by_text("value: none").wait_for()
    button = _button(page)
    button.wait_for()
    assert button.text_content() == t("geo_button", "zh")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    page.get_by_text("position: lon=112.55 lat=37.87 accuracy_m=25.0").wait_for()
    page.get_by_text(f"message: {Geolocation(accuracy_m=25.0).message('zh')}").wait_for()
    page.get_by_text("presses: 1").wait_for()
    # a second press at the same place is a new value (a new `at`), and a move is followed
    context.set_geolocation({"latitude": 35.03, "longitude": 110.99, "accuracy": 8})
    button.click()
    page.get_by_text("position: lon=110.99 lat=35.03 accuracy_m=8.0").wait_for()
    page.get_by_text("presses: 2").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "geolocation_granted.png"))
    assert context.blocked == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_keyboard_reaches_the_button_and_shows_where_focus_is(
    server: str, context: Any
) -> None:
    context.grant_permissions(["geolocation"], origin=server)
    context.set_geolocation(TAIYUAN)
    page = context.new_page()
    page.goto(f"{server}/?lang=en")
    button = _button(page)
    button.wait_for()
    page.get_by_text("value: none").wait_for()
    assert button.text_content() == t("geo_button", "en")
    focused = "() => document.activeElement && document.activeElement.id === 'locate'"
    inner: list[Any] = []
    for _ in range(15):
        page.keyboard.press("Tab")
        inner = [f for f in page.frames if f.url.split("?")[0].endswith("/index.html")]
        if inner and inner[0].evaluate(focused):
            break
    else:
        pytest.fail(f"Tab never reached the button ({len(page.frames)} frames)")
    outline = inner[0].evaluate(
        "() => getComputedStyle(document.getElementById('locate')).outlineWidth"
    )
    assert outline == "3px"  # :focus-visible draws a ring the eye can follow
    # Text in rem: a larger root font (a larger system font) grows the button, and the frame
    # around it follows (setFrameHeight), so nothing is cut off.
    size = inner[0].evaluate(
        "() => { document.documentElement.style.fontSize = '32px';"
        " const b = document.getElementById('locate');"
        " return [getComputedStyle(b).fontSize, b.getBoundingClientRect().height]; }"
    )
    assert size[0] == "32px" and size[1] >= 2.75 * 32
    page.wait_for_function(
        f"() => document.querySelector('{FRAME}').getBoundingClientRect().height >= {size[1]}"
    )
    page.keyboard.press("Enter")
    page.get_by_text("position: lon=112.55 lat=37.87 accuracy_m=25.0").wait_for()
    assert context.blocked == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_permission_the_denied_message_appears(
    server: str, context: Any, lang: str
) -> None:
    page = context.new_page()
    page.goto(f"{server}/?lang={lang}")
    page.get_by_text("value: none").wait_for()
    _press(page)
    page.get_by_text("error: denied").wait_for()
    page.get_by_text(f"message: {t('geo_denied', lang)}").wait_for()
    assert _button(page).text_content() == t("geo_button", lang)  # ready for another try
    assert _serious_axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"geolocation_denied_{lang}.png"))
    assert context.blocked == []


@pytest.mark.browser
@pytest.mark.slow
def test_plain_http_on_another_host_says_insecure(server: str, context: Any) -> None:
    insecure = server.replace("127.0.0.1", INSECURE_HOST)
    # Chromium refuses even to grant the permission to such an origin; the position is set
    # all the same, so only the secure-context check stands between the page and "denied".
    context.set_geolocation(TAIYUAN)
    page = context.new_page()
    page.goto(insecure)
    page.get_by_text("value: none").wait_for()
    assert page.evaluate("() => window.isSecureContext") is False
    _press(page)
    page.get_by_text("error: insecure").wait_for()
    page.get_by_text(f"message: {t('geo_insecure', 'zh')}").wait_for()
    assert context.blocked == []
