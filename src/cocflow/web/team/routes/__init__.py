"""The team's pages, by area."""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["team_routes"]


def team_routes() -> list[BaseRoute]:
    from cocflow.web.team.routes import account, board, members, rescreen, roster

    return [
        *account.routes(),
        *board.routes(),
        *members.routes(),
        *roster.routes(),
        *rescreen.routes(),
    ]
