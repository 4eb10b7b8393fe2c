"""``python -m locator.app [--port N]``: the same as ``locator app``."""

from __future__ import annotations

import sys

from locator.cli import main

if __name__ == "__main__":
    sys.exit(main(["app", *sys.argv[1:]]))
