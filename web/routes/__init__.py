"""The routers of the web UI: module names, each exposing ``router``; create_app includes them in order.

Add a module by appending its name here (one line each, so parallel additions merge cleanly).
"""

from __future__ import annotations

ROUTERS: list[str] = [
    "web.routes.core",
    "web.routes.search",
    "web.routes.documents",
    "web.routes.claims",
    "web.routes.calendar",
    "web.routes.alerts",
    "web.routes.sources",
    "web.routes.plots",
]
