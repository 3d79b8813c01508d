"""The web face: ``cocflow serve`` shows cocflow's pages in a browser on this computer.

:func:`create_app` builds the app (security layers, pages, static files); :func:`serve` runs it
for one launch. ``docs/web.md`` describes the security model.
"""

from __future__ import annotations

from cocflow.web.app import create_app
from cocflow.web.server import serve

__all__ = ["create_app", "serve"]
