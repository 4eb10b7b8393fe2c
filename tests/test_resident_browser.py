"""The resident page in Chromium, as a resident meets it (issue 11, "Done when").

`streamlit run app.py` on a free port, driven by Playwright in Debian's Chromium; every
request not to the app's own server is blocked. Each view runs on a desktop (1400×900) and
a phone-sized touch screen (390×844), in Chinese and in English. The answers are checked
against `OutletIndex.nearest` on the shipped registry, the route links against
`locator.crs` and a haversine written here, the open badges against hours worked out by hand
from the halls' ``WD 09:00-12:00,13:30-17:30`` and China's 2026 calendar. axe-core (bundled
by axe-playwright-python, no network) checks the page and its frames before and after an answer.
A screenshot of each view goes to ``tests/artifacts/`` and its path is printed.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pandas as pd
import pytest
from shapely.geometry import Point

from locator import datasets, settings
from locator.crs import gcj02_to_wgs84
from locator.i18n import t
from locator.index import OutletIndex
from locator.tasks import get_task
from tests.test_app_browser import streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
GEO_FRAME = 'iframe[title="locator.app.geolocation.locator_geolocation"]'
UI_TIMEOUT_MS = 60_000

SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
VIEWS = [(screen, lang) for screen in SCREENS for lang in LOCALES]
TAIYUAN = {"lon": 112.55, "lat": 37.87}
HERE = f"lat={TAIYUAN['lat']}&lon={TAIYUAN['lon']}"
HALL_TASK = "reset_card_pin"  # government halls only, no bank asked
ONLINE_TASK = "reset_ecard_password"  # online only
# Round the card of rank N, and the same class on nothing else.
CARD_KEYS = r"""() => [...document.querySelectorAll('[class*="st-key-result-"]')]
  .flatMap((e) => [...e.classList].filter((c) => /^st-key-result-\d+$/.test(c)))
  .map((c) => Number(c.slice('st-key-result-'.length)))"""
STILL = "() => !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim')"
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


# --- the server and the browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, served by `streamlit run app.py` on a free port; stopped after the module."""
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
def open_page(browser: Any, server: str) -> Iterator[Callable[..., Any]]:
    """Open the app at ``?query`` on a screen, in a language; optionally located."""
    contexts: list[Any] = []

    def open_(
        screen: str, lang: str, query: str = "", *, located: dict[str, float] | None = None
    ) -> Any:
        context = browser.new_context(**SCREENS[screen], locale=LOCALES[lang])
        contexts.append(context)
        if located is not None:
            context.grant_permissions(["geolocation"], origin=server)
            context.set_geolocation({"latitude": located["lat"], "longitude": located["lon"]})
        blocked: list[str] = []

        def only_local(route: Any) -> None:
            if urlparse(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.blocked = blocked
        page.goto(f"{server}/?lang={lang}{'&' + query if query else ''}")
        page.get_by_role("heading", name=t("title", lang)).wait_for()
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(params=VIEWS, ids=[f"{s}-{lang}" for s, lang in VIEWS])
def view(request: pytest.FixtureRequest) -> tuple[str, str]:
    screen, lang = request.param
    return screen, lang


# --- reading the page ---------------------------------------------------------------------------


def settle(page: Any) -> None:
    """Wait until Streamlit has finished its run."""
    page.wait_for_timeout(300)  # a run starts a moment after the event that caused it
    page.wait_for_function(IDLE, timeout=UI_TIMEOUT_MS)


def shot(page: Any, name: str) -> Path:
    """A screenshot of what the screen shows now, saved and named in the test's output."""
    if page.locator(MAP_FRAME).count():  # the map draws after the page: wait for its layers
        drawn = page.frame_locator(MAP_FRAME).first.locator(".locator-legend")  # they bring it
        drawn.first.wait_for(state="attached")
        page.wait_for_timeout(500)  # and for Leaflet's zoom to the answer (a CSS animation)
        for frame in page.frames:
            if "st_folium" in frame.url:
                frame.wait_for_function(STILL)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"resident_{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def pick_task(page: Any, lang: str, code: str) -> None:
    page.get_by_role("combobox", name=t("task", lang)).click()
    page.get_by_role("option", name=get_task(code).label(lang), exact=True).click()
    settle(page)


def cards(page: Any) -> list[Any]:
    """The result cards, by rank (1, 2, ...): the keys must be exactly 1..n."""
    ranks = sorted(page.evaluate(CARD_KEYS))
    assert ranks == list(range(1, len(ranks) + 1)), f"card keys are not 1..n: {ranks}"
    return [page.locator(f".st-key-result-{rank}") for rank in ranks]


def wait_for_answer(page: Any, n: int) -> list[Any]:
    """Wait for ``n`` cards (and the end of the run); return them."""
    page.locator(f".st-key-result-{n}").wait_for()
    settle(page)
    found = cards(page)
    assert len(found) == n, f"{len(found)} cards shown, {n} expected"
    return found


def nearest(lon: float, lat: float, task: str) -> pd.DataFrame:
    """What the page should list, from the library, not from the page."""
    index = OutletIndex(datasets.registry())
    return index.nearest(lon=lon, lat=lat, k=settings.default_k, task=task)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (a sphere of 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def route_ends(href: str) -> tuple[tuple[float, float], tuple[float, float], str]:
    """From an Amap navigation link: its start and end back in WGS-84, and its mode."""
    parsed = urlparse(href)
    assert (parsed.hostname, parsed.path) == ("uri.amap.com", "/navigation"), href
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    assert query.get("coordinate") == "gaode", href
    ends = []
    for key in ("from", "to"):
        lon_g, lat_g = (float(v) for v in unquote(query[key]).split(",")[:2])
        lon, lat = gcj02_to_wgs84(lon_g, lat_g)
        ends.append((float(lon), float(lat)))
    return ends[0], ends[1], query["mode"]


# --- checks shared by the views -----------------------------------------------------------------


def check_list(page: Any, expected: pd.DataFrame, lang: str | None = None) -> list[Any]:
    """The cards are the expected outlets, numbered in their order (with the straight-line
    distance, labelled so, when ``lang`` is given)."""
    found = wait_for_answer(page, len(expected))
    rows = zip(found, expected["name"], expected["distance_km"], strict=True)
    for rank, (card, name, km) in enumerate(rows, start=1):
        text = card.inner_text().strip()
        assert text.startswith(f"{rank}. {name}"), f"card {rank}: {text[:60]!r} is not {name}"
        distance = t("card_distance", lang, km=f"{km:.2f}") if lang else ""
        assert distance in text, f"card {rank}: {distance!r} not in {text!r}"
    return found


def check_choice(page: Any, lang: str, rank: int) -> None:
    """Showing a result on the map draws its pin, and only its pin, highlighted."""
    page.get_by_role("button", name=t("show_on_map", lang, n=rank), exact=True).click()
    frame = page.frame_locator(MAP_FRAME).first
    chosen = frame.locator(".leaflet-marker-icon.locator-pin-selected")
    chosen.first.wait_for()
    settle(page)
    assert chosen.count() == 1
    assert chosen.first.text_content() == str(rank)


def check_pins(page: Any, expected: pd.DataFrame) -> None:
    """The map's pins carry the numbers 1..n, each on the outlet of the card with its number."""
    frame = page.frame_locator(MAP_FRAME).first
    pins = frame.locator(".leaflet-marker-icon.locator-pin")
    pins.nth(len(expected) - 1).wait_for(state="attached")
    drawn = pins.evaluate_all("(ps) => ps.map((p) => [p.textContent, p.title])")
    numbers = sorted(int(number) for number, _ in drawn)
    assert numbers == list(range(1, len(expected) + 1)), drawn
    for number, title in drawn:
        name = expected["name"].iloc[int(number) - 1]
        assert title == f"{number}. {name}", (number, title, name)


def check_links(found: list[Any], expected: pd.DataFrame, you: tuple[float, float]) -> None:
    """Each card: a tel: link with the outlet's number; three routes from you to the outlet."""
    for card, (_, row) in zip(found, expected.iterrows(), strict=True):
        tel = card.locator('a[href^="tel:"]')
        assert tel.count() == 1, f"{row['name']}: {tel.count()} tel: links"
        digits = re.sub(r"\D", "", tel.get_attribute("href"))
        assert digits == re.sub(r"\D", "", str(row["phone"])), (row["name"], row["phone"], digits)
        routes = card.locator('a[href^="https://uri.amap.com/navigation"]')
        hrefs = [routes.nth(i).get_attribute("href") for i in range(routes.count())]
        modes = set()
        for href in hrefs:
            start, end, mode = route_ends(href)
            modes.add(mode)
            assert haversine_m(*start, *you) < 1.0, (href, you)
            assert haversine_m(*end, row["lon"], row["lat"]) < 1.0, (href, row["name"])
        assert modes == {"walk", "bus", "car"}, hrefs


# The numbers of the pins not wholly inside the frame's window (what the map shows).
PINS_OUTSIDE = """() => [...document.querySelectorAll('.locator-pin')].filter((p) => {
  const r = p.getBoundingClientRect();
  return r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight;
}).map((p) => p.textContent)"""


def check_layout(page: Any, screen: str) -> None:
    """Unscrolled, the whole first card is on screen, its call and route links too; on a
    desktop the list is right of the map, on a phone under it."""
    page.evaluate("() => window.scrollTo(0, 0)")
    card = page.locator(".st-key-result-1")
    card.wait_for()
    first = card.bounding_box()
    size = page.viewport_size
    links = card.locator('a[href^="tel:"], a[href^="https://uri.amap.com/navigation"]')
    assert links.count() == 4, links.count()
    for box in [first, *(links.nth(i).bounding_box() for i in range(4))]:
        assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (box, size)
    # every pin in the part of the map the frame shows (the view is fitted to what is seen)
    frame = page.locator(MAP_FRAME).first.element_handle().content_frame()
    frame.wait_for_function(STILL)
    outside = frame.evaluate(PINS_OUTSIDE)
    assert outside == [], f"pins out of the map's view: {outside}"
    if screen == "phone":
        map_box = page.locator(MAP_FRAME).first.bounding_box()
        assert map_box["y"] + map_box["height"] <= first["y"], (map_box, first)
        return
    the_map = page.locator(MAP_FRAME).first
    the_map.wait_for()
    map_box = the_map.bounding_box()
    assert first["x"] > map_box["x"] + map_box["width"] / 2, (first, map_box)
    assert first["y"] + 60 <= size["height"], (first, size)


def axe_violations(page: Any) -> tuple[list[str], list[str]]:
    """axe-core in the page and in each of its frames: (serious or critical, the rest)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    serious: list[str] = []
    rest: list[str] = []
    for frame in page.frames:
        if frame.url in ("about:blank", ""):
            continue
        where = "page" if frame is page.main_frame else urlparse(frame.url).path.split("/")[2]
        for v in axe.run(frame).response["violations"]:
            nodes = "; ".join(f"{n['html'][:80]} {n['failureSummary'][-110:]}" for n in v["nodes"])
            line = f"{v['id']} ({v['impact']}, {where}, {len(v['nodes'])} nodes): {nodes}"
            (serious if v["impact"] in ("serious", "critical") else rest).append(line)
    return serious, rest


# --- the views ------------------------------------------------------------------------------------


def test_the_page_opens_asking_for_the_task(open_page: Any, view: tuple[str, str]) -> None:
    screen, lang = view
    page = open_page(screen, lang)
    settle(page)
    task = page.get_by_role("combobox", name=t("task", lang))
    assert task.input_value() == "", "a task is preselected"
    assert task.get_attribute("placeholder") == t("task_placeholder", lang)
    assert page.evaluate(CARD_KEYS) == []
    assert page.locator(MAP_FRAME).count() == 0, "a map before a task is chosen"
    assert page.locator(GEO_FRAME).count() == 0, "a location prompt before a task is chosen"
    assert "task=" not in page.url
    shot(page, f"opens_{screen}_{lang}")


def test_location_denied_says_so(open_page: Any, view: tuple[str, str]) -> None:
    screen, lang = view
    page = open_page(screen, lang)
    pick_task(page, lang, HALL_TASK)
    page.context.clear_permissions()
    page.frame_locator(GEO_FRAME).first.locator("button").click()
    page.get_by_text(t("geo_denied", lang)).wait_for()
    assert page.evaluate(CARD_KEYS) == []
    shot(page, f"denied_{screen}_{lang}")


def test_my_location_lists_the_nearest_with_pins_calls_and_routes(
    open_page: Any, view: tuple[str, str]
) -> None:
    screen, lang = view
    page = open_page(screen, lang, located=TAIYUAN)
    pick_task(page, lang, HALL_TASK)
    page.frame_locator(GEO_FRAME).first.locator("button").click()
    expected = nearest(TAIYUAN["lon"], TAIYUAN["lat"], HALL_TASK)
    found = check_list(page, expected, lang)
    shot(page, f"located_{screen}_{lang}")
    check_pins(page, expected)
    check_links(found, expected, (TAIYUAN["lon"], TAIYUAN["lat"]))
    check_layout(page, screen)
    check_choice(page, lang, 2)


def _name_of(label: str) -> str:
    """The Chinese name that starts a place's label ("城区 · 区县 · 阳泉市", "Chengqu (城区) · ...")."""
    return re.sub(r"[^\u4e00-\u9fff]", "", label.split("·")[0])


def test_an_ambiguous_place_asks_which_one(
    open_page: Any, view: tuple[str, str], counties: Any
) -> None:
    screen, lang = view
    page = open_page(screen, lang, f"task={HALL_TASK}")
    box = page.get_by_role("textbox", name=t("place", lang))
    box.fill("城区")
    box.press("Enter")
    question = page.get_by_role("radiogroup", name=t("place_pick", lang))
    question.wait_for()
    settle(page)
    # The data's own 城区s, found without the gazetteer: one choice for each, with its city.
    named = counties[counties["name"] == "城区"]
    assert len(named) >= 2
    labels = [text.strip() for text in question.locator("label").all_inner_texts()]
    ones = {
        city: [s for s in labels if _name_of(s) == "城区" and city in s] for city in named["city"]
    }
    assert all(len(found) == 1 for found in ones.values()), (ones, labels)
    assert page.evaluate(CARD_KEYS) == [], "an answer before the place is chosen"
    shot(page, f"which_{screen}_{lang}")
    question.get_by_text(ones["阳泉市"][0], exact=True).click()
    page.wait_for_function("() => location.search.includes('lat=')")
    query = {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}
    lon, lat = float(query["lon"]), float(query["lat"])
    inside = named[named.contains(Point(lon, lat))]
    assert inside["city"].tolist() == ["阳泉市"], f"({lon}, {lat}) is not in 阳泉市's 城区"
    check_list(page, nearest(lon, lat, HALL_TASK))
    shot(page, f"place_{screen}_{lang}")
    check_layout(page, screen)


def test_an_online_only_task_answers_online_with_no_map(
    open_page: Any, view: tuple[str, str]
) -> None:
    screen, lang = view
    page = open_page(screen, lang)
    pick_task(page, lang, ONLINE_TASK)
    channel = get_task(ONLINE_TASK).online_channel(lang)
    assert channel is not None and not channel.outlet_also
    for text in (channel.app, channel.steps, channel.hotline):
        page.get_by_text(text).first.wait_for()
    assert page.locator(MAP_FRAME).count() == 0
    assert page.locator(GEO_FRAME).count() == 0
    assert page.get_by_role("textbox", name=t("place", lang)).count() == 0
    assert page.evaluate(CARD_KEYS) == []
    shot(page, f"online_{screen}_{lang}")


# The halls' hours are WD 09:00-12:00,13:30-17:30 (official working days). Worked out by hand:
# 10-01..10-07 are 2026's National Day holidays (first working day after: Thursday 10-08),
# 10-10 is a Saturday made a working day, 12-01 is a Tuesday, 2027 is beyond the calendar
# (Monday 2027-03-01 taken as a working day).
CLOCKS = {
    "holiday": ("2026-10-01T10:00", "已关门 · 10月8日 9:00 开门", "closed · opens 08 Oct 9:00"),
    "make-up day": ("2026-10-10T10:00", "营业中 · 12:00 关门", "open · closes 12:00"),
    "lunch break": ("2026-12-01T12:30", "已关门 · 13:30 开门", "closed · opens 13:30"),
    "unknown year": ("2027-03-01T10:00", "营业中 · 12:00 关门", "open · closes 12:00"),
}


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("clock", CLOCKS)
def test_open_badges_under_a_fixed_clock(open_page: Any, clock: str, lang: str) -> None:
    at, zh, en = CLOCKS[clock]
    page = open_page("desktop", lang, f"task={HALL_TASK}&{HERE}&at={at}")
    expected = nearest(TAIYUAN["lon"], TAIYUAN["lat"], HALL_TASK)
    assert set(expected["kind"]) == {"government"}
    badge = zh if lang == "zh" else en
    for card in check_list(page, expected):
        assert badge in card.inner_text(), f"{clock}: {badge!r} not in {card.inner_text()!r}"
    note = page.get_by_text(t("calendar_note", lang, year=int(at[:4])))
    if clock == "unknown year":
        note.wait_for()
    else:  # the link's caption comes last in the page: by then the note would be there
        page.get_by_text(t("share", lang)).wait_for()
        assert note.count() == 0
    shot(page, f"clock_{clock.replace(' ', '_')}_{lang}")


# --- map clicks -----------------------------------------------------------------------------------

# Where a point is in the map's frame, moved off any pin, line, dot or control.
AIM = """([lon, lat]) => {
  const p = window.map.latLngToContainerPoint([lat, lon]);
  const box = window.map.getContainer().getBoundingClientRect();
  for (const [dx, dy] of [[0, 0], [30, 0], [-30, 0], [0, 30], [0, -30], [40, 40]]) {
    const x = Math.round(p.x + dx), y = Math.round(p.y + dy);
    const hit = document.elementFromPoint(box.left + x, box.top + y);
    const busy = '.leaflet-marker-icon, .leaflet-interactive, .leaflet-control, .leaflet-popup';
    if (hit && !hit.closest(busy)) return {x: box.left + x, y: box.top + y};
  }
  return null;
}"""
MARK = "() => window.locatorTestMark"


def click_map(page: Any, frame: Any, point: tuple[float, float]) -> tuple[float, float]:
    """Click the map near ``point`` (lon, lat) off its layers; the position clicked."""
    aim = frame.evaluate(AIM, list(point))
    assert aim is not None, f"no free spot near {point} on the map"
    box = page.locator(MAP_FRAME).first.bounding_box()
    page.mouse.click(box["x"] + aim["x"], box["y"] + aim["y"])
    # The position Leaflet took from the click (display = WGS-84 on the English page's
    # OpenStreetMap), as the map sends it to the app: the view may move while it is aimed.
    at = frame.evaluate("() => window.__GLOBAL_DATA__.lat_lng_clicked")
    return at["lng"], at["lat"]


def wait_for_first(page: Any, name: str) -> None:
    """Wait until the first card names ``name`` (and the run has ended)."""
    first = page.locator(".st-key-result-1")
    page.wait_for_function(
        "(name) => { const c = document.querySelector('.st-key-result-1');"
        " return c && c.innerText.trim().startsWith('1. ' + name); }",
        arg=name,
        timeout=UI_TIMEOUT_MS,
    )
    first.wait_for()
    settle(page)


def test_clicks_right_after_an_answer_count_in_the_same_map(open_page: Any) -> None:
    """A click made while the last answer is drawn is taken: the map is not rebuilt under it.

    The map's frame is marked before the clicks; the mark must outlive every answer. Each
    answer is checked against `OutletIndex.nearest` from the very pixel clicked.
    """
    page = open_page("desktop", "en", f"task={HALL_TASK}&{HERE}")
    check_list(page, nearest(TAIYUAN["lon"], TAIYUAN["lat"], HALL_TASK))
    check_pins(page, nearest(TAIYUAN["lon"], TAIYUAN["lat"], HALL_TASK))
    frame = page.locator(MAP_FRAME).first.element_handle().content_frame()
    frame.wait_for_function("() => window.map")  # the map draws a moment after the frame
    frame.wait_for_function(STILL)
    frame.evaluate("() => { window.locatorTestMark = 'kept'; }")
    # two points in the view fitted to Taiyuan's halls, each with another nearest hall
    points = ((112.53, 37.86), (112.58, 37.84))
    for delay_ms in (150, 400):
        for point in points:
            clicked = click_map(page, frame, point)
            expected = nearest(*clicked, HALL_TASK)
            page.wait_for_timeout(delay_ms)  # the next click comes while this one is answered
        wait_for_first(page, expected["name"].iloc[0])
        check_list(page, expected, "en")  # the answer from the last click, all of it
        assert frame.evaluate(MARK) == "kept", "the map's frame was rebuilt"
        check_pins(page, expected)
        frame.wait_for_function(STILL)


# Count what the map's frame sends to the app, then click the map at a point, all in one turn
# of the page's script (a debounced send cannot come in it); what was sent by then.
CLICK_NOW = """([lon, lat]) => {
  const lib = window.Streamlit;
  if (!window.locatorSent) {
    window.locatorSent = [];
    const send = lib.setComponentValue.bind(lib);
    lib.setComponentValue = (value) => { window.locatorSent.push(value); return send(value); };
  }
  window.map.fire('click', {latlng: L.latLng(lat, lon)});
  return JSON.parse(JSON.stringify(window.locatorSent));
}"""


def test_a_click_is_sent_at_once_and_once(open_page: Any) -> None:
    """The click goes to the app in the click's own turn, not after streamlit-folium's 250 ms
    debounce, and the debounced send that follows finds nothing new to send."""
    page = open_page("desktop", "en", f"task={HALL_TASK}&{HERE}")
    wait_for_answer(page, settings.default_k)
    frame = page.locator(MAP_FRAME).first.element_handle().content_frame()
    frame.wait_for_function("() => window.map")
    at = (112.56, 37.81)  # Taiyuan, south of the first answer: another nearest hall
    sent = frame.evaluate(CLICK_NOW, list(at))
    assert sent == [{"last_clicked": {"lat": at[1], "lng": at[0]}}], sent
    expected = nearest(*at, HALL_TASK)
    assert (
        expected["name"].iloc[0]
        != nearest(TAIYUAN["lon"], TAIYUAN["lat"], HALL_TASK)["name"].iloc[0]
    )
    wait_for_first(page, expected["name"].iloc[0])
    check_list(page, expected, "en")
    page.wait_for_timeout(1000)  # well past the debounce
    assert frame.evaluate("() => window.locatorSent.length") == 1


# --- accessibility ------------------------------------------------------------------------------


STATES = {"opening": "", "asking": f"task={HALL_TASK}", "answered": f"task={HALL_TASK}&{HERE}"}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("lang", LOCALES)
def test_axe_finds_nothing_serious(open_page: Any, lang: str, state: str) -> None:
    page = open_page("desktop", lang, STATES[state])
    if state == "answered":
        wait_for_answer(page, settings.default_k)
    elif state == "asking":
        page.locator(GEO_FRAME).wait_for()
        settle(page)
    else:
        settle(page)
    serious, rest = axe_violations(page)
    print(f"axe ({lang}, {state}), not serious: {rest}")
    assert not serious, "\n".join(serious)


# --- keyboard and text size -----------------------------------------------------------------------

FOCUSED = """() => {
  let e = document.activeElement;
  const path = [];
  while (e && e.tagName === 'IFRAME') {
    path.push(e.title);
    e = e.contentDocument ? e.contentDocument.activeElement : null;
  }
  if (!e) return path.join('>') + '>?';
  const key = e.closest('[class*="st-key-"]');
  return [path.join('>'), e.tagName, e.getAttribute('role') || '', e.getAttribute('aria-label')
    || '', (e.getAttribute('href') || '').slice(0, 24), key ? key.className.match(/st-key-\\S+/g)
    .join(' ') : '', (e.innerText || '').slice(0, 30)].join('|');
}"""


def tab_through(page: Any, until: Callable[[list[str]], bool], most: int = 400) -> list[str]:
    """Press Tab from the top of the page, noting what has focus, until ``until`` holds."""
    seen: list[str] = []
    while not until(seen):
        assert len(seen) < most, "\n".join(s for s in seen if "|path|" not in s)
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
    return seen


@pytest.mark.parametrize("lang", LOCALES)
def test_the_keyboard_reaches_the_questions_and_the_first_results_links(
    open_page: Any, lang: str
) -> None:
    page = open_page("desktop", lang, f"task={HALL_TASK}")
    page.locator(GEO_FRAME).wait_for()
    settle(page)
    wanted = {
        "task": f"|INPUT|combobox|{t('task', lang)}|",
        "place": f"|INPUT||{t('place', lang)}|",
        "location": "locator_geolocation|BUTTON|",
    }
    seen = tab_through(page, lambda seen: all(any(w in s for s in seen) for w in wanted.values()))
    order = [next(i for i, s in enumerate(seen) if w in s) for w in wanted.values()]
    assert order[0] < min(order[1:]), (
        f"the task is not asked first: {dict(zip(wanted, order, strict=True))}"
    )

    page = open_page("desktop", lang, f"task={HALL_TASK}&{HERE}")
    wait_for_answer(page, settings.default_k)
    links = ("|A|||tel:", "|A|||https://uri.amap.com/nav")

    def first_card_links(seen: list[str]) -> bool:
        ours = [s for s in seen if re.search(r"\|st-key-(result|acts|routes)-1\|", s)]
        return all(any(link in s for s in ours) for link in links)

    seen = tab_through(page, first_card_links)
    # Past the first card, Tab goes on to the end and back to the top: no trap.
    tab_through(
        page, lambda more: bool(more) and "Skip to main content" in more[-1], 400 - len(seen)
    )


FONT_SIZES = """() => {
  const px = (e) => e ? parseFloat(getComputedStyle(e).fontSize) : null;
  return {card: px(document.querySelector('.st-key-result-1 p')),
          link: px(document.querySelector('.st-key-result-1 a'))};
}"""


def test_text_grows_with_the_root_font_size(open_page: Any) -> None:
    page = open_page("desktop", "zh", f"task={HALL_TASK}&{HERE}")
    wait_for_answer(page, settings.default_k)
    page.locator(".st-key-result-1 a").first.wait_for()
    before = page.evaluate(FONT_SIZES)
    page.evaluate("() => { document.documentElement.style.fontSize = '32px'; }")
    after = page.evaluate(FONT_SIZES)
    for part, size in before.items():
        assert size is not None and after[part] > size * 1.5, (part, before, after)
    pin = page.frame_locator(MAP_FRAME).first.locator(".locator-pin").first
    pin_before = pin.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
    pin.evaluate("(e) => { e.ownerDocument.documentElement.style.fontSize = '32px'; }")
    pin_after = pin.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
    assert pin_after > pin_before * 1.5, (pin_before, pin_after)
