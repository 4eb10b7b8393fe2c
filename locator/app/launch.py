"""Start the web app of the installed package: ``locator app`` and ``python -m locator.app``.

Runs ``streamlit run <package>/app/page.py`` with the settings of the repository's
``.streamlit/config.toml`` given as flags, so the app behaves the same from any folder (an
installed wheel has no ``.streamlit`` folder beside it). Streamlit serves the ``static``
folder beside the page (a link to the vendored Leaflet) at ``/app/static``.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from locator._errors import LocatorError

__all__ = ["PAGE", "command", "run"]

#: The page Streamlit runs.
PAGE = Path(__file__).with_name("page.py")

# The settings of .streamlit/config.toml, as `streamlit run` flags.
_FLAGS: dict[str, str] = {
    "server.headless": "true",
    "server.enableStaticServing": "true",
    "server.maxUploadSize": "60",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "theme.base": "light",
}
_NEEDED = ("streamlit", "streamlit_folium")


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or blocked install is not installed
        return False


def command(port: int = 8501, *, address: str | None = None) -> list[str]:
    """The ``streamlit run`` command line that serves the app on ``port``.

    Examples
    --------
    >>> cmd = command(8600)
    >>> cmd[1:4], cmd[cmd.index("--server.port") + 1]
    (['-m', 'streamlit', 'run'], '8600')
    """
    flags = {**_FLAGS, "server.port": str(port)}
    if address is not None:
        flags["server.address"] = address
    options = [part for name, value in flags.items() for part in (f"--{name}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(PAGE), *options]


def run(port: int = 8501, *, address: str | None = None) -> int:
    """Serve the app on ``port`` until it is stopped; return Streamlit's exit status.

    Raises
    ------
    LocatorError
        When streamlit or streamlit-folium is not installed (the ``app`` extra), or
        ``port`` is not a port number.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        msg = f"port {port!r} is not a port number: give a whole number from 1 to 65535"
        raise LocatorError(msg)
    missing = [name for name in _NEEDED if not _installed(name)]
    if missing:
        msg = (
            f"the web app needs {' and '.join(missing)}, which are not installed: "
            'pip install "locator[app]"'
        )
        raise LocatorError(msg)
    server = subprocess.Popen(command(port, address=address))  # noqa: S603 (a fixed command)

    def stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 (signal handler)
        server.terminate()

    # Whoever stops `locator app` (SIGTERM) stops the server with it: no orphan left serving.
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl+C reaches the server too; it stops by itself
        return server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
