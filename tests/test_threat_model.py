"""THREAT_MODEL.md names the test behind each mitigation: every one it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_the_threat_model_names_exists() -> None:
    text = (ROOT / "THREAT_MODEL.md").read_text(encoding="utf-8")
    files = set(re.findall(r"`(tests/[\w/]+\.py)", text))
    assert len(files) >= 8
    for name in files:
        assert (ROOT / name).is_file(), name
    current = ""
    for file, test in re.findall(r"`(tests/[\w/]+\.py)?::?(\w+)", text):
        current = file or current
        if not test.startswith("test_"):
            continue
        source = (ROOT / current).read_text(encoding="utf-8")
        assert f"def {test}(" in source, f"{current}::{test}"
