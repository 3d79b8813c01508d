"""Load and validate the rules data.

Every problem is a :class:`~cocflow.errors.RulesError` naming the file and the key
(``employee[0].limit_months``): unknown keys, duplicate keys, bad dates, missing sources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cocflow.errors import InputError, RulesError
from cocflow.io.inputs import MAX_RULES_BYTES, read_text_input
from cocflow.rules.model import Agreement, Network
from cocflow.rules.process import Process
from cocflow.text import control_character

__all__ = [
    "RuleBook",
    "default_rules_dir",
    "load_agreement_file",
    "load_rules",
    "make_book",
    "read_rules_files",
    "validate_rules",
]

NETWORK_FILE = "network.yaml"
PROCESS_FILE = "process.yaml"


@dataclass(frozen=True)
class RuleBook:
    """All agreements, indexed by work country, with the data version they came from."""

    agreements: Mapping[str, Agreement]
    network: Network
    process: Process
    version: str
    by_country: Mapping[str, tuple[Agreement, ...]] = field(default_factory=dict)
    # The folder the rules came from when it is not the shipped data (COCFLOW_RULES_DIR).
    custom_dir: Path | None = None

    @cached_property
    def memo(self) -> dict[str, Any]:
        """Lookups its readers derive from this book, kept with it (the book never changes):
        the engine's index of arrangements per work country, for example."""
        return {}

    @cached_property
    def conditions(self) -> Mapping[str, str]:
        """Every yes/no condition a rule may need (``worker.statements.<id>``), in the rule's
        words (computed once per book: batch screening asks for it on every roster)."""
        return {
            c.id: " ".join(c.text.split())
            for a in self.agreements.values()
            for e in (*a.employee, *a.self_employed)
            for spec in (e, *e.readings)
            for c in spec.conditions
        }

    def for_country(self, country: str) -> tuple[Agreement, ...]:
        """The arrangements for work in ``country``: the national one first."""
        return self.by_country.get(country, ())

    def oldest_verification(self, agreement: Agreement) -> date:
        dates = [e.last_verified for e in (*agreement.employee, *agreement.self_employed)]
        if agreement.entry_into_force is not None:
            dates.append(agreement.entry_into_force.last_verified)
        return min(dates) if dates else date.min


def default_rules_dir() -> Path:
    return Path(str(resources.files("cocflow.rules") / "data"))


def _key_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against docs/rules.md)"
    if kind == "missing":
        return "required key is missing"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _read(path: Path) -> str:
    """A rules file's text: a regular UTF-8 file of bounded size (never a pipe or device)."""
    try:
        return read_text_input(path, path.name, MAX_RULES_BYTES)
    except InputError as exc:
        raise RulesError(path.name, "(file)", exc.problems[0].message) from None


def _parse(
    path: Path, model: type[Agreement] | type[Network] | type[Process], text: str | None = None
) -> Any:
    from cocflow.io.yamlio import DuplicateKeyError, load_yaml  # only when validating

    try:
        raw = load_yaml(_read(path) if text is None else text)
    except DuplicateKeyError as exc:
        raise RulesError(path.name, exc.key, f"duplicate key (line {exc.line})") from None
    except Exception as exc:  # yaml.YAMLError and decoding errors
        raise RulesError(path.name, "(file)", f"not readable YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RulesError(path.name, "(top level)", "the file must hold a mapping")
    _no_controls(path, raw, "")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Pydantic reports model-level checks with an empty location.
        raise RulesError(path.name, _key_path(first["loc"]), _message(first)) from None


def _no_controls(path: Path, value: Any, where: str) -> None:
    """Rules text is shown on screens and documents: no control characters in it."""
    if isinstance(value, str):
        bad = control_character(value)
        if bad is not None:
            raise RulesError(path.name, where or "(top level)", f"a control character ({bad})")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_controls(path, item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_controls(path, item, f"{where}[{index}]")


def read_rules_files(directory: Path) -> tuple[list[tuple[Path, str]], str]:
    """The text of every ``*.yaml`` in ``directory`` (in name order) and the SHA-256 of them
    all, names included: the data's identity (its version suffix, the bundle's key)."""
    for required in (NETWORK_FILE, PROCESS_FILE):
        if not (directory / required).is_file():
            raise RulesError(required, "(file)", f"missing from {directory}")
    digest = hashlib.sha256()
    files: list[tuple[Path, str]] = []
    for path in sorted(directory.glob("*.yaml")):
        text = _read(path)
        digest.update(path.name.encode() + b"\0" + text.encode("utf-8") + b"\0")
        files.append((path, text))
    return files, digest.hexdigest()


def validate_rules(directory: Path, files: Iterable[tuple[Path, str]], digest: str) -> RuleBook:
    """The rule book of ``files`` (as :func:`read_rules_files` gives them), every file
    validated in full against the schema."""
    agreements: dict[str, Agreement] = {}
    network: Network | None = None
    process: Process | None = None
    for path, text in files:
        if path.name == NETWORK_FILE:
            network = _parse(path, Network, text)
            continue
        if path.name == PROCESS_FILE:
            process = _parse(path, Process, text)
            continue
        agreement: Agreement = _parse(path, Agreement, text)
        if path.stem.upper() != agreement.id:
            raise RulesError(path.name, "id", f"'{agreement.id}' does not match the file name")
        agreements[agreement.id] = agreement
    assert network is not None and process is not None
    return make_book(directory, agreements, network, process, digest)


def make_book(
    directory: Path,
    agreements: dict[str, Agreement],
    network: Network,
    process: Process,
    digest: str,
) -> RuleBook:
    """The rule book of agreements (in file order) read from ``directory``."""
    by_country: dict[str, list[Agreement]] = {}
    for agreement in agreements.values():
        by_country.setdefault(agreement.country, []).append(agreement)
    ordered = {
        c: tuple(sorted(a, key=lambda x: x.subdivision or "")) for c, a in by_country.items()
    }
    version = f"{network.version}+{digest[:12]}"
    shipped = directory.resolve() == default_rules_dir().resolve()
    custom = None if shipped else directory.resolve()
    return RuleBook(agreements, network, process, version, ordered, custom)


def load_rules(directory: Path | None = None) -> RuleBook:
    """Read every ``*.yaml`` in ``directory`` (default: the shipped data), validated in full.

    The commands use :func:`cocflow.rules.bundle.load_rules_cached`, which validates once and
    keeps the result in a compiled bundle."""
    directory = directory or default_rules_dir()
    files, digest = read_rules_files(directory)
    return validate_rules(directory, files, digest)


def load_agreement_file(path: Path) -> Agreement:
    """Validate one agreement file on its own (for editors of the data)."""
    agreement: Agreement = _parse(path, Agreement)
    if path.stem.upper() != agreement.id:
        raise RulesError(path.name, "id", f"'{agreement.id}' does not match the file name")
    return agreement
