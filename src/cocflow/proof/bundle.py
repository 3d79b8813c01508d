"""The proof bundle: a zip whose ``SHA256SUMS`` checks with ``sha256sum -c`` after unzipping.

Deterministic: members in name order, every timestamp 1980-01-01, so the same proof file gives
the same bytes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping

__all__ = ["bundle"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def bundle(members: Mapping[str, bytes]) -> bytes:
    """The zip of ``members`` (name -> bytes) with their ``SHA256SUMS``."""
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(members.items())
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(members.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=_EPOCH), data)
        archive.writestr(zipfile.ZipInfo("SHA256SUMS", date_time=_EPOCH), sums)
    return buffer.getvalue()
