"""Logging without query strings: a token or a personal detail in an address never reaches a log.

Uvicorn's access log gets the request's path with its query string; :class:`NoQueryString`
cuts the query off every path in a record before any handler sees it.
"""

from __future__ import annotations

import logging

__all__ = ["ACCESS_LOGGER", "NoQueryString", "keep_query_strings_out"]

ACCESS_LOGGER = "uvicorn.access"


def _cut(value: object) -> object:
    if isinstance(value, str) and value.startswith("/"):
        return value.split("?", 1)[0]
    return value


class NoQueryString(logging.Filter):
    """Cuts the query string off every argument of a record that is a path ("/cases?x=1")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_cut(arg) for arg in record.args)
        return True


def keep_query_strings_out(*names: str) -> None:
    """Puts the filter on uvicorn's access logger and on the named loggers (once on each)."""
    for name in (ACCESS_LOGGER, *names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoQueryString) for f in logger.filters):
            logger.addFilter(NoQueryString())
