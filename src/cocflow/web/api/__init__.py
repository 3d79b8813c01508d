"""The team's JSON API (``/api/v1``): personal-access-token auth, one error shape (RFC 9457
problem details) and an OpenAPI 3.1 document built from the same table as the routes.

Mount it in the team server: ``ApiMount("/api/v1", app=build_api(desk, accounts, today=...))``
(:class:`ApiMount` is Starlette's ``Mount`` that also takes a path holding a line break).
"""

from cocflow.web.api.app import ApiMount, build_api

__all__ = ["ApiMount", "build_api"]
