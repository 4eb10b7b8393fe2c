"""Use my location: the browser's position, from a small Streamlit component with no CDN.

The component is a button (``geolocation/index.html`` and ``geolocation.js`` beside this
module, plain JavaScript, no build step, nothing fetched from elsewhere) that asks the browser
for its position (``navigator.geolocation``, high accuracy, 10 s timeout) and hands back
``{"lon", "lat", "accuracy_m", "at"}`` or ``{"error", "at"}``. Browsers give a position only
to a secure page (https, or ``localhost`` / ``127.0.0.1``); elsewhere the button answers
``insecure``. Streamlit's component frame allows ``geolocation`` (its ``allow`` list).

The browser gives WGS-84 degrees, the package's own coordinate system: no conversion. What
comes back is checked here before the page uses it: anything that is not a position with
numbers in range, or one of the known errors, counts as ``unavailable``.

Examples
--------
>>> parse_geolocation({"lon": 112.55, "lat": 37.87, "accuracy_m": 20, "at": 1764547200000})
Geolocation(lon=112.55, lat=37.87, accuracy_m=20.0, error=None, at=1764547200000.0)
>>> parse_geolocation({"error": "denied", "at": 1764547200000}).message("en")[:40]
'The browser did not allow your location.'
>>> parse_geolocation({"lon": "112.55", "lat": 37.87, "accuracy_m": 20}).error
'unavailable'
>>> parse_geolocation(None) is None  # not pressed yet
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlit.components.v1 import declare_component

from locator._errors import ValidationError
from locator._validate import check_lonlat
from locator.i18n import t

__all__ = ["ERRORS", "FRONTEND", "Geolocation", "locate_me", "parse_geolocation"]

#: The component's files: index.html and geolocation.js, shipped as package data.
FRONTEND = Path(__file__).resolve().parent / "geolocation"
#: Why the browser gave no position: the person said no, no fix, too slow, not https, no API.
ERRORS: tuple[str, ...] = ("denied", "unavailable", "timeout", "insecure", "unsupported")
# The page's words for each error (quoted whole, so the word table sees them used).
_MESSAGES = {
    "denied": "geo_denied",
    "unavailable": "geo_unavailable",
    "timeout": "geo_timeout",
    "insecure": "geo_insecure",
    "unsupported": "geo_unsupported",
}
#: The frame's height before the button reports its own (the button, its focus ring).
_FRAME_HEIGHT_PX = 56


@dataclass(frozen=True)
class Geolocation:
    """What the browser said when the button was pressed: a position, or why there is none.

    ``lon`` and ``lat`` are WGS-84 degrees and ``accuracy_m`` the browser's radius of
    confidence in metres, all ``None`` when ``error`` is one of :data:`ERRORS`. ``at`` is
    the press's time in the browser (ms since 1970, ``None`` if it sent none): a new press
    gives a new ``at``, even at the same place.
    """

    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    error: str | None = None
    at: float | None = None

    @property
    def found(self) -> bool:
        """True when the browser gave a usable position."""
        return self.error is None

    def message(self, lang: str = "zh") -> str:
        """What to tell the resident, in ``lang``: the position's accuracy, or the error's cause."""
        if self.error is not None:
            return t(_MESSAGES[self.error], lang)
        return t("geo_found", lang, accuracy_m=f"{self.accuracy_m or 0.0:,.0f}")


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None: JSON numbers only (no text, no booleans)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float's range
        return None
    return number if math.isfinite(number) else None


def _position(value: dict[str, Any], at: float | None) -> Geolocation:
    """A position whose numbers are all there and in range, else ``unavailable``."""
    lon, lat, accuracy = (_number(value.get(name)) for name in ("lon", "lat", "accuracy_m"))
    if lon is None or lat is None or accuracy is None or accuracy < 0:
        return Geolocation(error="unavailable", at=at)
    try:
        lon, lat = check_lonlat(lon, lat)
    except ValidationError:
        return Geolocation(error="unavailable", at=at)
    return Geolocation(lon=lon, lat=lat, accuracy_m=accuracy, at=at)


def parse_geolocation(value: Any) -> Geolocation | None:
    """Check the component's value: ``None`` before the first press, else a :class:`Geolocation`.

    A position needs ``lon`` and ``lat`` (numbers, -180..180 and -90..90) and ``accuracy_m``
    (a number of at least 0); an error must be one of :data:`ERRORS`. Anything else (text,
    NaN, infinities, missing keys, another shape) becomes the error ``unavailable``.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        return Geolocation(error="unavailable")
    at = _number(value.get("at"))
    if "error" in value:
        error = value["error"]
        known = isinstance(error, str) and error in ERRORS
        return Geolocation(error=error if known else "unavailable", at=at)
    return _position(value, at)


def locate_me(lang: str, *, key: str = "geolocation") -> Geolocation | None:
    """Draw the "use my location" button; return what the browser said at the last press.

    ``None`` until the button is first pressed. The value stays the same on every rerun
    until the next press, which brings a new :attr:`Geolocation.at`: compare it with the
    one already used to tell a new press from an old one. ``lang`` is the page's language
    (the button's words); ``key`` is the Streamlit widget key (one per button on a page).
    """
    # Declared on every call: Streamlit registers a component only inside a script run.
    component = declare_component("locator_geolocation", path=str(FRONTEND))
    value = component(
        label=t("geo_button", lang),
        busy_label=t("geo_busy", lang),
        lang=lang,
        height=_FRAME_HEIGHT_PX,
        key=key,
        default=None,
    )
    return parse_geolocation(value)
