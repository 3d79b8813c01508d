"""Reading a file the user names: a regular file of a bounded size, or a clear refusal.

A case file that is ``/dev/zero``, a FIFO or a folder must not block, exhaust memory or crash:
the file is opened without blocking, checked to be a regular file, and read up to a limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cocflow.errors import InputError, Problem

__all__ = [
    "MAX_CASE_BYTES",
    "MAX_ROSTER_BYTES",
    "MAX_RULES_BYTES",
    "MAX_TRIPS_BYTES",
    "read_input_bytes",
    "read_text_input",
]

MAX_CASE_BYTES = 1 * 1024 * 1024  # a case file is a few kilobytes
MAX_RULES_BYTES = 1 * 1024 * 1024
MAX_ROSTER_BYTES = 64 * 1024 * 1024  # a few hundred thousand rows
MAX_TRIPS_BYTES = 16 * 1024 * 1024


def _refuse(path: Path, code: str, message: str, fix: str) -> InputError:
    return InputError([Problem("", code, message, fix)], str(path))


def read_input_bytes(path: Path, what: str, max_bytes: int) -> bytes:
    """The bytes of ``path``, refused unless it is a regular file of at most ``max_bytes``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise _refuse(path, "NO_SUCH_FILE", f"{what} does not exist.", "check the path.") from None
    except IsADirectoryError:
        raise _refuse(path, "NOT_A_FILE", f"{what} is a folder.", "name a file.") from None
    except OSError as exc:
        raise _refuse(
            path,
            "UNREADABLE",
            f"{what} cannot be opened ({exc.strerror or type(exc).__name__}).",
            "check the path and its permissions.",
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(
                path,
                "NOT_A_FILE",
                f"{what} is not a regular file (a folder, device or pipe).",
                "save it as a file and name that file.",
            )
        if info.st_size > max_bytes:
            raise _refuse(
                path,
                "TOO_LARGE",
                f"{what} is {info.st_size:,} bytes; at most {max_bytes:,} are read.",
                "check that this is the right file, or split it.",
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # Read what the file holds (and one byte more, to see it did not grow past the
            # limit): a read of max_bytes would reserve that much memory up front.
            data = handle.read(min(info.st_size, max_bytes) + 1)
    except OSError as exc:
        raise _refuse(
            path,
            "UNREADABLE",
            f"{what} cannot be read ({exc.strerror or type(exc).__name__}).",
            "check the file.",
        ) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while being read
        raise _refuse(path, "TOO_LARGE", f"{what} is over {max_bytes:,} bytes.", "split it.")
    return data


def read_text_input(path: Path, what: str, max_bytes: int) -> str:
    """The UTF-8 text of ``path`` (a BOM is dropped), with the same checks as the bytes."""
    data = read_input_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            path,
            "NOT_UTF8",
            f"{what} is not UTF-8 text (byte {exc.start + 1} cannot be read).",
            "save it as UTF-8.",
        ) from None
