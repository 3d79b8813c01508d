"""Settings: one typed object built from the environment, never at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cocflow.errors import InputError, Problem

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Where cocflow reads its rules from and keeps its data.

    - ``COCFLOW_HOME``: the folder for the local database, proof files and key
      (default: the user's data directory, ``~/.local/share/cocflow`` on Linux).
    - ``COCFLOW_RULES_DIR``: a folder of rules data to use instead of the shipped one
      (for reviewing edits to the rules before they ship).
    - ``COCFLOW_PROCESSING_DAYS``: the days SSA is assumed to take to issue a certificate
      (default: ``processing_days`` in ``process.yaml``; SSA publishes no figure).
    """

    home: Path
    rules_dir: Path | None
    processing_days: int | None = None  # overrides the assumed SSA processing window

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_home = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        home = Path(env["COCFLOW_HOME"]) if env.get("COCFLOW_HOME") else data_home / "cocflow"
        rules = env.get("COCFLOW_RULES_DIR")
        days = env.get("COCFLOW_PROCESSING_DAYS")
        if days is not None and not (days.isdigit() and 0 < int(days) < 1000):
            raise InputError(
                [
                    Problem(
                        "COCFLOW_PROCESSING_DAYS",
                        "BAD_SETTING",
                        f"'{days}' is not a number of days.",
                        "set a whole number such as 60, or unset it to use the default.",
                    )
                ]
            )
        return cls(
            home=home,
            rules_dir=Path(rules) if rules else None,
            processing_days=int(days) if days else None,
        )
