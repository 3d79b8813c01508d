"""The rules data as data: what changed between two rule books, value by value with the sources
of each side, and which values were last verified too long ago.

Every value sits at a stable dotted path that follows the keys of the YAML files:

- ``agreements.<ID>.<key>`` (``agreements.DE.entry_into_force.value``), ``network.<key>``,
  ``process.<key>`` (``process.field_limits.fields.city``);
- an item of a list is named by its ``id`` (``request_extras[private_health_insurance]``), else
  by its ``from`` date (``self_employed[1996-05-01].limit_months``), else by its ``signed``
  date (``later_agreements[2024-03-01]``), else by its place (``delivery_notes[0]``), so that
  inserting a dated entry does not rename the ones after it;
- a list of plain values (``network.united_states``, ``process.mail.value``) is one value.

A value's sources are those of the innermost mapping around it that has ``sources``; a list
``<key>_sources`` vouches for its sibling ``<key>`` (``network.united_states_sources``), the
superseded claims' ``current_sources`` for ``replaced_by``, and a list of sources on its own
(``network.agreements_list``) for itself. A value's last-verified date is the newest
``verified`` among its sources, as the model's ``last_verified`` has it. A few values have no
sources (an agreement's ``name`` and ``status``, ``process.buffer_days``): they are compared
but are never stale.

A missing key, ``null`` and an empty list are the same: no value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from cocflow.rules.loader import RuleBook

__all__ = [
    "SHIPPED",
    "AgreementInfo",
    "BookInfo",
    "Change",
    "Kind",
    "RulesDiff",
    "Side",
    "Sourcing",
    "StaleValue",
    "diff_rules",
    "sourced_values",
    "stale",
]

SHIPPED = "shipped"  # how the data shipped with cocflow is named
Kind = Literal["changed", "added", "removed", "sources", "reverified"]
KINDS: tuple[Kind, ...] = ("changed", "added", "removed", "sources", "reverified")
PathParts = tuple[str, ...]

# Lists of sources named after what they vouch for, where the name does not say it.
_OWNER = {"current_sources": "replaced_by"}
# The keys that name an item of a list, tried in this order (see the module docstring).
_ITEM_KEYS = ("id", "from", "signed")


def _text(path: PathParts) -> str:
    out = ""
    for part in path:
        out += part if part.startswith("[") else ("." if out else "") + part
    return out


def _agreement(path: PathParts) -> str | None:
    return path[1] if len(path) > 1 and path[0] == "agreements" else None


def _is_source(item: Any) -> bool:
    return isinstance(item, dict) and "url" in item and "verified" in item


def _is_sources(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_source(i) for i in value)


def _is_items(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) for i in value)


def _present(value: Any) -> bool:
    return value is not None and value not in ([], {})


def _owners(node: Mapping[str, Any]) -> dict[str, str | None]:
    """The node's lists of sources, by key, each with the key of the value it vouches for:
    None for the node itself (``sources``), else a sibling key or the list's own key."""
    found: dict[str, str | None] = {}
    for key, value in node.items():
        if not _is_sources(value):
            continue
        sibling = _OWNER.get(key, key.removesuffix("_sources"))
        if key == "sources":
            found[key] = None
        elif sibling != key and sibling in node:
            found[key] = sibling
        else:
            found[key] = key
    return found


def _items(items: list[Any]) -> dict[str, Any]:
    """A list's items by their name in a path: ``[id]``, ``[from]``, ``[signed]`` or ``[n]``."""
    for field in _ITEM_KEYS:
        keys = [item.get(field) if isinstance(item, dict) else None for item in items]
        if all(isinstance(k, str) and k for k in keys) and len(set(keys)) == len(keys):
            return {f"[{k}]": item for k, item in zip(keys, items, strict=True)}
    return {f"[{n}]": item for n, item in enumerate(items)}


def _clean(value: Any) -> Any:
    """``value`` without its empty parts (None, empty lists and mappings)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if _present(v)}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class Sourcing:
    """The sources of one value (``path``), as the data gives them (url, title, section,
    verified)."""

    path: str
    sources: tuple[Mapping[str, Any], ...]

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(s["url"]) for s in self.sources))

    @property
    def last_verified(self) -> date | None:
        dates = [date.fromisoformat(str(s["verified"])) for s in self.sources]
        return max(dates) if dates else None


def _own(path: PathParts, node: Mapping[str, Any], inherited: Sourcing | None) -> Sourcing | None:
    if _is_sources(node.get("sources")):
        return Sourcing(_text(path), tuple(node["sources"]))
    return inherited


def _of_key(
    path: PathParts, node: Mapping[str, Any], key: str, context: Sourcing | None
) -> Sourcing | None:
    """The sources of the value at ``node[key]``: a sibling list that vouches for it, else the
    node's."""
    for list_key, owner in _owners(node).items():
        if owner == key and list_key != key:
            return Sourcing(_text((*path, key)), tuple(node[list_key]))
    return context


def _dump(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return data


def _areas(rules: RuleBook) -> Iterator[tuple[PathParts, dict[str, Any]]]:
    for agreement_id in sorted(rules.agreements):
        yield ("agreements", agreement_id), _dump(rules.agreements[agreement_id])
    yield ("network",), _dump(rules.network)
    yield ("process",), _dump(rules.process)


def _sourcings(path: PathParts, node: Mapping[str, Any]) -> Iterator[Sourcing]:
    owners = _owners(node)
    for list_key, owner in owners.items():
        where = path if owner is None else (*path, owner)
        yield Sourcing(_text(where), tuple(node[list_key]))
    for key, value in node.items():
        if key in owners:
            continue
        if isinstance(value, dict):
            yield from _sourcings((*path, key), value)
        elif _is_items(value):
            for name, item in _items(value).items():
                if isinstance(item, dict):
                    yield from _sourcings((*path, key, name), item)


def sourced_values(rules: RuleBook) -> tuple[Sourcing, ...]:
    """Every value that has sources, in the order of the data (agreements by id, then
    ``network``, then ``process``; each file in its own order)."""
    return tuple(s for path, node in _areas(rules) for s in _sourcings(path, node))


# -- The difference ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One side of a change: the value (for a change of sources, the list of sources), its
    source URLs and its last-verified date (None for a value without sources)."""

    value: Any
    urls: tuple[str, ...]
    last_verified: date | None

    def as_dict(self) -> dict[str, Any]:
        lv = self.last_verified
        return {
            "value": self.value,
            "sources": list(self.urls),
            "last_verified": lv.isoformat() if lv else None,
        }


def _side(value: Any, sourcing: Sourcing | None) -> Side:
    if sourcing is None:
        return Side(value, (), None)
    return Side(value, sourcing.urls, sourcing.last_verified)


@dataclass(frozen=True)
class Change:
    """One value added, removed or changed; or its sources changed (``sources``), or only
    their ``verified`` dates (``reverified``)."""

    path: str
    kind: Kind
    old: Side | None
    new: Side | None
    agreement: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "agreement": self.agreement,
            "old": self.old.as_dict() if self.old else None,
            "new": self.new.as_dict() if self.new else None,
        }


@dataclass(frozen=True)
class BookInfo:
    """Which rule book: ``shipped`` or its folder, and its data version."""

    label: str
    version: str

    @classmethod
    def of(cls, rules: RuleBook) -> BookInfo:
        label = SHIPPED if rules.custom_dir is None else str(rules.custom_dir)
        return cls(label, rules.version)

    def as_dict(self) -> dict[str, str]:
        return {"data": self.label, "version": self.version}


@dataclass(frozen=True)
class AgreementInfo:
    id: str
    name: str
    status: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "status": self.status}


@dataclass(frozen=True)
class RulesDiff:
    old: BookInfo
    new: BookInfo
    changes: tuple[Change, ...]
    agreements_added: tuple[AgreementInfo, ...]
    agreements_removed: tuple[AgreementInfo, ...]
    # Agreement names by id, from either book (for headings).
    names: Mapping[str, str]

    @property
    def empty(self) -> bool:
        return not (self.changes or self.agreements_added or self.agreements_removed)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {k: sum(c.kind == k for c in self.changes) for k in KINDS}
        counts["agreements_added"] = len(self.agreements_added)
        counts["agreements_removed"] = len(self.agreements_removed)
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "cocflow_rules_diff": 1,
            "old": self.old.as_dict(),
            "new": self.new.as_dict(),
            "summary": self.counts(),
            "agreements_added": [a.as_dict() for a in self.agreements_added],
            "agreements_removed": [a.as_dict() for a in self.agreements_removed],
            "changes": [c.as_dict() for c in self.changes],
        }


class _Differ:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(self, path: PathParts, kind: Kind, old: Side | None, new: Side | None) -> None:
        self.changes.append(Change(_text(path), kind, old, new, _agreement(path)))

    def node(
        self,
        path: PathParts,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        old_context: Sourcing | None,
        new_context: Sourcing | None,
    ) -> None:
        old_context, new_context = _own(path, old, old_context), _own(path, new, new_context)
        old_lists, new_lists = _owners(old), _owners(new)
        for key in dict.fromkeys([*old, *new]):
            if key in old_lists or key in new_lists:
                self.sources(
                    (*path, key),
                    old[key] if key in old_lists else [],
                    new[key] if key in new_lists else [],
                )
                continue
            self.value(
                (*path, key),
                old.get(key),
                new.get(key),
                _of_key(path, old, key, old_context),
                _of_key(path, new, key, new_context),
            )

    def value(
        self,
        path: PathParts,
        old: Any,
        new: Any,
        old_context: Sourcing | None,
        new_context: Sourcing | None,
    ) -> None:
        if not _present(old) and not _present(new):
            return
        if not _present(old):
            self.add(path, "added", None, self.whole(path, new, new_context))
        elif not _present(new):
            self.add(path, "removed", self.whole(path, old, old_context), None)
        elif isinstance(old, dict) and isinstance(new, dict):
            self.node(path, old, new, old_context, new_context)
        elif _is_items(old) and _is_items(new):
            before, after = _items(old), _items(new)
            for name in dict.fromkeys([*before, *after]):
                self.value(
                    (*path, name), before.get(name), after.get(name), old_context, new_context
                )
        elif old != new:
            self.add(path, "changed", _side(old, old_context), _side(new, new_context))

    @staticmethod
    def whole(path: PathParts, value: Any, context: Sourcing | None) -> Side:
        """A value added or removed whole: a mapping with its own sources shows them apart."""
        if isinstance(value, dict) and _is_sources(value.get("sources")):
            own = Sourcing(_text(path), tuple(value["sources"]))
            return _side(_clean({k: v for k, v in value.items() if k != "sources"}), own)
        return _side(_clean(value), context)

    def sources(self, path: PathParts, old: list[Any], new: list[Any]) -> None:
        if old == new:
            return

        def undated(sources: list[Any]) -> list[Any]:
            return [{k: v for k, v in s.items() if k != "verified"} for s in sources]

        kind: Kind = "reverified" if old and new and undated(old) == undated(new) else "sources"
        where = _text(path)
        before = _side(_clean(old), Sourcing(where, tuple(old))) if old else None
        after = _side(_clean(new), Sourcing(where, tuple(new))) if new else None
        self.add(path, kind, before, after)


def _info(rules: RuleBook, agreement_id: str) -> AgreementInfo:
    a = rules.agreements[agreement_id]
    return AgreementInfo(a.id, a.name, a.status)


def diff_rules(old: RuleBook, new: RuleBook) -> RulesDiff:
    """What changed from ``old`` to ``new``: agreements added or removed, then every value of
    the agreements both hold (by id), of ``network.yaml`` and of ``process.yaml``."""
    differ = _Differ()
    added, removed = [], []
    for agreement_id in sorted(set(old.agreements) | set(new.agreements)):
        if agreement_id not in old.agreements:
            added.append(_info(new, agreement_id))
        elif agreement_id not in new.agreements:
            removed.append(_info(old, agreement_id))
        else:
            path = ("agreements", agreement_id)
            before, after = old.agreements[agreement_id], new.agreements[agreement_id]
            differ.node(path, _dump(before), _dump(after), None, None)
    differ.node(("network",), _dump(old.network), _dump(new.network), None, None)
    differ.node(("process",), _dump(old.process), _dump(new.process), None, None)
    names = {k: a.name for k, a in old.agreements.items()}
    names.update({k: a.name for k, a in new.agreements.items()})
    return RulesDiff(
        BookInfo.of(old),
        BookInfo.of(new),
        tuple(differ.changes),
        tuple(added),
        tuple(removed),
        names,
    )


# -- Stale values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleValue:
    path: str
    last_verified: date
    age_days: int
    urls: tuple[str, ...]
    agreement: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "agreement": self.agreement,
            "last_verified": self.last_verified.isoformat(),
            "age_days": self.age_days,
            "sources": list(self.urls),
        }


def stale(rules: RuleBook, as_of: date, days: int = 365) -> tuple[StaleValue, ...]:
    """Every value whose last-verified date is more than ``days`` before ``as_of``, oldest
    first (values verified on the same day in the order of the data)."""
    if days < 0:
        raise ValueError("days must not be negative")
    cutoff = as_of - timedelta(days=days)
    found = []
    for s in sourced_values(rules):
        verified = s.last_verified
        if verified is not None and verified < cutoff:
            agreement = s.path.split(".")[1] if s.path.startswith("agreements.") else None
            found.append(StaleValue(s.path, verified, (as_of - verified).days, s.urls, agreement))
    return tuple(sorted(found, key=lambda v: v.last_verified))
