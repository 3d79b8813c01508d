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

__all__ = ["MAX_VALUES", "DuplicateKeyError", "TooLargeError", "load_json", "load_yaml", "loads"]


class DuplicateKeyError(ValueError):
    """A mapping holds the same key twice. ``path`` names it (``engagements[0].end``)."""

    def __init__(self, path: str, line: int | None) -> None:
        self.path = path
        self.key = path
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"the key '{path}' appears twice{where}")


_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


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


def _string_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    """Mappings keep their keys as text: ``1:`` is the key "1", never an index."""
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    return {str(k) if not isinstance(k, str) else k: v for k, v in mapping.items()}


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _string_keys)


def _check_duplicates(node: yaml.Node, path: str, seen_nodes: set[int] | None = None) -> None:
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:  # an alias: its node was checked where it was defined
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:  # "<<": merged keys may be overridden on purpose
                continue
            key = str(key_node.value)
            where = f"{path}.{key}" if path else key
            if key in seen:
                raise DuplicateKeyError(where, key_node.start_mark.line + 1)
            seen.add(key)
            _check_duplicates(value_node, where, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicates(item, f"{path}[{index}]", seen_nodes)


MAX_VALUES = 100_000  # values in a document once its aliases are expanded


class TooLargeError(ValueError):
    """The document expands (through YAML aliases) to more values than any case or rules file."""


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for with every alias expanded, computed once per node
    (an alias "bomb" of a few hundred bytes can stand for billions)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a node that contains itself counts once
    if isinstance(node, yaml.MappingNode):
        total = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_size(item, sizes) for item in node.value)
    else:
        total = 1
    total = min(total, MAX_VALUES + 1)
    sizes[id(node)] = total
    return total


def load_yaml(text: str) -> Any:
    """Parse YAML text strictly (see the module doc)."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_VALUES:
            raise TooLargeError(
                f"the document expands to more than {MAX_VALUES:,} values through its aliases"
            )
        _check_duplicates(node, "")
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Duplicate:
    """Marks a JSON object that repeated a key, until its path is known."""

    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for key, value in pairs:
        if key in result:
            result[_Duplicate] = _Duplicate(key)
        result[key] = value
    return result


def _find_duplicate(value: Any, path: str) -> None:
    if isinstance(value, dict):
        if _Duplicate in value:
            key = value[_Duplicate].key
            raise DuplicateKeyError(f"{path}.{key}" if path else key, None)
        for key, item in value.items():
            _find_duplicate(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _find_duplicate(item, f"{path}[{index}]")


def load_json(text: str) -> Any:
    """Parse JSON text, refusing duplicate keys."""
    data = json.loads(text, object_pairs_hook=_pairs)
    _find_duplicate(data, "")
    return data


def _no_surrogates(value: Any) -> None:
    """JSON's ``\\ud800`` and YAML's escapes can make text no file could hold (a lone UTF-16
    surrogate): refuse it here, before it breaks the first write or print."""
    if isinstance(value, str):
        for ch in value:
            if "\ud800" <= ch <= "\udfff":
                raise ValueError(
                    f"the file holds an escaped character that is not valid Unicode "
                    f"(\\u{ord(ch):04x})"
                )
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_surrogates(key)
            _no_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _no_surrogates(item)


def loads(text: str, suffix: str) -> Any:
    """Parse ``text`` as JSON when ``suffix`` is ``.json``, else as YAML."""
    data = load_json(text) if suffix.lower() == ".json" else load_yaml(text)
    _no_surrogates(data)
    return data
