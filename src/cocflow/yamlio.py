"""Strict reading of YAML and JSON documents.

YAML 1.1 turns ``NO`` (Norway) into ``False`` and ``2027-02-30`` into an exception, and both
YAML and JSON silently keep the last of two equal keys. The readers here keep every scalar a
plain string unless it is ``true``/``false``, a number or ``null``, and refuse duplicate keys,
so that typos and country codes never change meaning on the way in.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

__all__ = ["DuplicateKeyError", "load_json", "load_yaml", "loads"]


class DuplicateKeyError(ValueError):
    """A mapping holds the same key twice."""

    def __init__(self, key: str, line: int | None) -> None:
        self.key = key
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"the key '{key}' appears twice{where}")


_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BASE):  # type: ignore[valid-type,misc]
    """SafeLoader without YAML 1.1 booleans (yes/no/on/off) and without implicit dates."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in result:
            raise DuplicateKeyError(str(key), key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> Any:
    """Parse YAML text strictly (see the module doc)."""
    return yaml.load(text, Loader=_StrictLoader)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key, None)
        result[key] = value
    return result


def load_json(text: str) -> Any:
    """Parse JSON text, refusing duplicate keys."""
    return json.loads(text, object_pairs_hook=_pairs)


def loads(text: str, suffix: str) -> Any:
    """Parse ``text`` as JSON when ``suffix`` is ``.json``, else as YAML."""
    return load_json(text) if suffix.lower() == ".json" else load_yaml(text)
