"""Atomic file writes: the data is written and synced first, then the file gets its name.

A reader sees the old file or the new one, never a half-written one. Where the system allows
(Linux ``O_TMPFILE``), the data is written into a file that has no name at all until it is
complete, so a process killed mid-write leaves nothing behind, not even a hidden file with an
SSN in it. Elsewhere a hidden temporary file is used, and hidden temporary files left by a
killed process are removed the next time the same file is written. A folder that cannot be
written (missing, read-only, full) is an :class:`~cocflow.errors.InputError` naming the path.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cocflow.errors import InputError, Problem

__all__ = [
    "STALE_AFTER_SECONDS",
    "StagedFile",
    "atomic_write",
    "atomic_write_all",
    "fsync_folder",
    "remove_stale",
]

STALE_AFTER_SECONDS = 3600  # a temporary file this old belongs to no running write


def fsync_folder(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale(folder: Path, pattern: str) -> None:
    """Temporary files matching ``pattern`` left in ``folder`` by a killed process."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    try:
        for leftover in folder.glob(pattern):
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink(missing_ok=True)
    except OSError:
        return


class StagedFile:
    """A file being written in ``folder``: unnamed (``O_TMPFILE``) or, where that is not
    available, under a hidden temporary name; :meth:`publish` gives it its real name."""

    def __init__(self, folder: Path, name: str, mode: int) -> None:
        self.folder = folder
        self.tmp: str | None = None
        flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
        try:
            self.fd = os.open(folder, os.O_TMPFILE | flags, mode)
        except (AttributeError, OSError):  # no O_TMPFILE here (not Linux, or the file system)
            self.fd, self.tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        os.fchmod(self.fd, mode)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def sync(self) -> None:
        os.fsync(self.fd)

    def publish(self, target: Path) -> None:
        """Give the complete file the name ``target`` (same file system), atomically replacing
        what was there."""
        if self.tmp is None:
            tmp = self.folder / f".{target.name}.{os.getpid()}.{time.time_ns()}.tmp"
            # linkat(AT_SYMLINK_FOLLOW) of the descriptor's /proc entry names an O_TMPFILE file;
            # a dir_fd makes Python call linkat rather than link.
            proc = os.open("/proc/self/fd", os.O_RDONLY)
            try:
                os.link(str(self.fd), tmp, src_dir_fd=proc, follow_symlinks=True)
            finally:
                os.close(proc)
            self.tmp = str(tmp)
        os.replace(self.tmp, target)
        self.tmp = None

    def discard(self) -> None:
        if self.tmp is not None:
            Path(self.tmp).unlink(missing_ok=True)
            self.tmp = None

    def close(self) -> None:
        os.close(self.fd)


@contextmanager
def _writable(target: Path) -> Iterator[None]:
    """Turn a failure to write into a problem a person can act on."""
    try:
        yield
    except IsADirectoryError:
        raise _cannot(target, "it is a folder") from None
    except OSError as exc:
        raise _cannot(target, exc.strerror or str(exc) or type(exc).__name__) from None


def _cannot(target: Path, why: str) -> InputError:
    return InputError(
        [
            Problem(
                str(target),
                "CANNOT_WRITE",
                f"the file cannot be written ({why}); nothing was changed.",
                "choose a file in a folder you can write to, on a disk with free space.",
            )
        ]
    )


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically; the file gets permissions ``mode``."""
    atomic_write_all(path.parent, {path.name: data}, mode)


def atomic_write_all(folder: Path, files: dict[str, bytes], mode: int = 0o600) -> list[Path]:
    """Write several files as one step: every file is written and synced first, and only then
    given its name; a failure before that leaves the old files as they were."""
    targets = [folder / name for name in files]
    for target in targets:
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise _cannot(target, "it is a folder, a link or a device, not a regular file")
    staged: list[StagedFile] = []
    with _writable(targets[0] if len(targets) == 1 else folder):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            for target, data in zip(targets, files.values(), strict=True):
                remove_stale(folder, f".{target.name}.*.tmp")
                staged.append(StagedFile(folder, target.name, mode))
                staged[-1].write(data)
                staged[-1].sync()
            for item, target in zip(staged, targets, strict=True):
                item.publish(target)
        except BaseException:
            for item in staged:
                item.discard()
            raise
        finally:
            for item in staged:
                item.close()
        fsync_folder(folder)
    return targets
