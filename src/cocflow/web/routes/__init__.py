"""The routes of the case pages, by area. Each module's ``routes()`` returns its routes; a route
parses the form, calls one service and renders (no business rule in a route or a template)."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute

__all__ = ["all_routes"]


class CaseId(Convertor[str]):
    """A case id in a URL: 16 lowercase hex digits (so /cases/import is never a case)."""

    regex = "[0-9a-f]{16}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("case", CaseId())


def all_routes() -> list[BaseRoute]:
    from cocflow.web.routes import interview, proof, tracking

    return [*tracking.routes(), *interview.routes(), *proof.routes()]
