"""Settings: one typed object built from the environment, never at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cocflow.errors import InputError, Problem

__all__ = ["Settings"]


def _number(env: Mapping[str, str], name: str, low: int, high: int, fix: str) -> int | None:
    value = env.get(name)
    if value is None or value == "":
        return None
    # ASCII digits only: str.isdigit() accepts "²" (which int() refuses) and "٣" (read as 3).
    digits = value.strip()
    if not (digits.isascii() and digits.isdecimal() and low <= int(digits) <= high):
        raise InputError(
            [
                Problem(
                    name,
                    "BAD_SETTING",
                    f"'{value}' is not a whole number from {low} to {high}.",
                    fix,
                )
            ]
        )
    return int(digits)


@dataclass(frozen=True, slots=True)
class Settings:
    """Where cocflow reads its rules from and keeps its data.

    - ``COCFLOW_HOME``: the folder for the local database, the proof files and (when set)
      the key (default: the user's data directory, ``~/.local/share/cocflow`` on Linux).
    - ``COCFLOW_DATABASE_URL``: a database to use instead of the local SQLite file
      (``postgresql+psycopg://user@host/db`` for a team's server).
    - ``COCFLOW_KEY``: the encryption key itself (urlsafe base64 of 32 bytes); otherwise the key
      file: ``COCFLOW_HOME/key`` when COCFLOW_HOME is set, else ``~/.config/cocflow/key``,
      apart from the data.
    - ``COCFLOW_RULES_DIR``: a folder of rules data to use instead of the shipped one
      (for reviewing edits to the rules before they ship).
    - ``COCFLOW_PROCESSING_DAYS``: the days SSA is assumed to take to issue a certificate
      (default: ``processing_days`` in ``process.yaml``; SSA publishes no figure).
    - ``COCFLOW_MAX_FILE_MB``: the largest file the proof file accepts (default 25).
    """

    home: Path
    rules_dir: Path | None
    processing_days: int | None = None
    database_url: str | None = None
    key_path: Path = Path("key")
    env_key: str | None = None
    env_retired_keys: str | None = None  # COCFLOW_RETIRED_KEYS: the keys COCFLOW_KEY replaced
    max_file_mb: int = 25

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_home = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        explicit = env.get("COCFLOW_HOME")
        home = Path(explicit) if explicit else data_home / "cocflow"
        key_path = home / "key" if explicit else config_home / "cocflow" / "key"
        rules = env.get("COCFLOW_RULES_DIR")
        days = _number(
            env,
            "COCFLOW_PROCESSING_DAYS",
            1,
            999,
            "set a number of days such as 60, or unset it to use the default.",
        )
        max_mb = _number(
            env, "COCFLOW_MAX_FILE_MB", 1, 4096, "set a size in megabytes such as 25, or unset it."
        )
        return cls(
            home=home,
            rules_dir=Path(rules) if rules else None,
            processing_days=days,
            database_url=env.get("COCFLOW_DATABASE_URL") or None,
            key_path=key_path,
            env_key=env.get("COCFLOW_KEY") or None,
            env_retired_keys=env.get("COCFLOW_RETIRED_KEYS") or None,
            max_file_mb=max_mb or 25,
        )
