"""The rules as a compiled bundle: validated in full once, then loaded without validation.

Validating the YAML rules against the schema takes most of the start of a command. The first
command that needs a given set of rules validates them as :func:`~cocflow.rules.loader.load_rules`
always did, and writes what it read to a bundle: plain JSON (never pickle: a cache folder is
not trusted to run code), in the user's cache folder (``$XDG_CACHE_HOME/cocflow``, by default
``~/.cache/cocflow``; the folder 0700, the files 0600, written atomically). Later commands
read the YAML files only to hash them, and load the bundle whose key matches.

The key is a SHA-256 of the rules data files (names and contents: the shipped data or
``COCFLOW_RULES_DIR``), the cocflow version, the pydantic version and the source of the
modules that define and check the schema, so an edit to any of them makes a new bundle. A
bundle is used only when its header names that key and the SHA-256 of its body matches, and
when it and its folder belong to the user and nobody else can write them; anything else
(missing, from other data, corrupt, unreadable, or a cache folder that cannot be written) falls
back to validating the YAML, which never depends on the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import types
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from cocflow.rules.loader import (
    NETWORK_FILE,
    PROCESS_FILE,
    RuleBook,
    default_rules_dir,
    make_book,
    read_rules_files,
    validate_rules,
)
from cocflow.rules.model import Agreement, Network
from cocflow.rules.process import Process

__all__ = [
    "BUNDLE_FORMAT",
    "bundle_key",
    "cache_dir",
    "decode_book",
    "encode_book",
    "load_rules_cached",
]

BUNDLE_FORMAT = 1
MAX_BUNDLE_BYTES = 16 * 1024 * 1024  # the shipped rules make about 300 kB
KEEP_BUNDLES = 8  # bundles of other data (edited rules, other versions) kept at most
_PREFIX, _SUFFIX = "rules-", ".json"
# The modules whose code decides what a valid rule book is and how a bundle encodes it: an
# edit to one of them (an editable install keeps its version number) makes a new key.
_SCHEMA_MODULES = (
    "cocflow.rules.model",
    "cocflow.rules.process",
    "cocflow.rules.loader",
    "cocflow.rules.bundle",
    "cocflow.isodate",
    "cocflow.text",
)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's cache folder for cocflow (``$XDG_CACHE_HOME/cocflow``, else
    ``~/.cache/cocflow``; a relative ``XDG_CACHE_HOME`` is ignored, as the XDG spec says)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "cocflow"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("cocflow")
    except Exception:  # not installed (run from a source tree): the code hash still keys it
        return "unknown"


def _code_fingerprint() -> bytes:
    digest = hashlib.sha256()
    for name in _SCHEMA_MODULES:
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None)
        try:
            digest.update(name.encode() + b"\0" + Path(str(origin)).read_bytes() + b"\0")
        except OSError:
            digest.update(name.encode() + b"\0?\0")
    return digest.digest()


def bundle_key(data_digest: str) -> str:
    """The key of the bundle for rules data whose files hash to ``data_digest``."""
    import pydantic

    digest = hashlib.sha256()
    for part in (
        f"cocflow-rules-bundle/{BUNDLE_FORMAT}",
        _version(),
        pydantic.VERSION,
        data_digest,
    ):
        digest.update(part.encode() + b"\0")
    digest.update(_code_fingerprint())
    return digest.hexdigest()


# Encoding: a model is a JSON object of its fields by name (defaults left out), a tuple a list,
# a date its ISO text. Decoding follows the fields' annotations, so the schema is the one
# description of the data; an annotation the codec does not know is refused when the bundle is
# written, never guessed at when it is read.

Decoder = Callable[[Any], Any]
_PLANS: dict[type[BaseModel], list[tuple[str, Decoder | None, Any]]] = {}


def _decoder(annotation: Any) -> Decoder | None:
    """How to turn the JSON form of a value of ``annotation`` back into it (None: as is)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _decoder(get_args(annotation)[0])
    if annotation is date:
        return date.fromisoformat
    if annotation in (str, int, bool) or origin is Literal:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        model = annotation
        return lambda value: _construct(model, value)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            inner = _decoder(options[0])
            if inner is None:
                return None
            return lambda value: None if value is None else inner(value)
    if origin is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            each = _decoder(args[0])
            if each is None:
                return tuple
            return lambda value: tuple(map(each, value))
    if origin is dict:
        key, item = get_args(annotation)
        if key is str:
            decode = _decoder(item)
            if decode is None:
                return dict
            return lambda value: {k: decode(v) for k, v in value.items()}
    raise TypeError(f"the rules bundle cannot hold a value of type {annotation!r}")


def _plan(model: type[BaseModel]) -> list[tuple[str, Decoder | None, Any]]:
    plan = _PLANS.get(model)
    if plan is None:
        plan = []
        for name, info in model.model_fields.items():
            if info.default_factory is not None:
                raise TypeError(f"{model.__name__}.{name}: a default factory cannot be bundled")
            plan.append((name, _decoder(info.annotation), info.default))
        _PLANS[model] = plan
    return plan


def _construct(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """The model instance of ``data`` (its JSON form), built without validation: the values
    were validated when the bundle was written."""
    values: dict[str, Any] = {}
    for name, decode, default in _plan(model):
        if name in data:
            value = data[name]
            values[name] = value if decode is None or value is None else decode(value)
        elif default is PydanticUndefined:
            raise ValueError(f"{model.__name__}.{name} is missing from the bundle")
        else:
            values[name] = default
    return model.model_construct(**values)


def _encode(value: Any) -> Any:
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        _plan(type(value))  # refuse a type the decoder would not know, before writing
        out = {}
        for name, info in fields.items():
            item = getattr(value, name)
            if info.default is not PydanticUndefined and item == info.default:
                continue
            out[name] = _encode(item)
        return out
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"the rules bundle cannot hold {type(value).__name__}")


def encode_book(book: RuleBook, digest: str) -> dict[str, Any]:
    """The plain-data form of a validated rule book read from files hashing to ``digest``."""
    return {
        "digest": digest,
        "version": book.version,
        "network": _encode(book.network),
        "process": _encode(book.process),
        "agreements": [_encode(a) for a in book.agreements.values()],
    }


def decode_book(directory: Path, data: dict[str, Any], digest: str) -> RuleBook:
    """The rule book of :func:`encode_book`'s form, for rules read from ``directory``."""
    if data.get("digest") != digest:
        raise ValueError("the bundle is of other rules data")
    network: Network = _construct(Network, data["network"])
    process: Process = _construct(Process, data["process"])
    agreements: dict[str, Agreement] = {}
    for item in data["agreements"]:
        agreement: Agreement = _construct(Agreement, item)
        agreements[agreement.id] = agreement
    book = make_book(directory, agreements, network, process, digest)
    if book.version != data.get("version"):
        raise ValueError("the bundle's version does not match its data")
    return book


def _private_folder(folder: Path, create: bool) -> bool:
    """Whether ``folder`` is a real folder of this user that nobody else can write (created
    0700 when missing and ``create``)."""
    try:
        if create and not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    if info.st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)  # ours: make it private rather than trust it as it is
        except OSError:
            return False
    return True


def _read_bundle(path: Path, key: str) -> dict[str, Any] | None:
    """The body of the bundle at ``path`` if it is sound and has ``key``, else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.geteuid()
            or info.st_mode & 0o077
            or info.st_size > MAX_BUNDLE_BYTES
        ):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    head, sep, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
        if (
            not sep
            or not isinstance(header, dict)
            or header.get("cocflow_rules_bundle") != BUNDLE_FORMAT
            or header.get("key") != key
            or header.get("sha256") != hashlib.sha256(body).hexdigest()
        ):
            return None
        data = json.loads(body)
    except Exception:  # not JSON, not UTF-8, nested too deep: not a bundle to use
        return None
    return data if isinstance(data, dict) else None


def _write_bundle(folder: Path, key: str, book: RuleBook, digest: str) -> None:
    """Write the bundle (atomically, 0600) and drop the oldest bundles beyond the few kept."""
    from cocflow.io.atomic import atomic_write

    body = json.dumps(encode_book(book, digest), separators=(",", ":")).encode()
    header = {
        "cocflow_rules_bundle": BUNDLE_FORMAT,
        "key": key,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    data = json.dumps(header).encode() + b"\n" + body
    atomic_write(folder / f"{_PREFIX}{key}{_SUFFIX}", data, mode=0o600)
    try:
        others = sorted(
            (p for p in folder.glob(f"{_PREFIX}*{_SUFFIX}") if p.is_file()),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in others[KEEP_BUNDLES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def load_rules_cached(directory: Path | None = None, cache: Path | None = None) -> RuleBook:
    """The rule book of ``directory`` (default: the shipped data), as
    :func:`~cocflow.rules.loader.load_rules` gives it: from the bundle in ``cache`` (default:
    :func:`cache_dir`) when one matches the data, else validated from the YAML, and the bundle
    written for next time. A rules problem is a :class:`~cocflow.errors.RulesError` either way:
    the YAML is read (and hashed) every time, and only valid rules are ever bundled."""
    directory = directory or default_rules_dir()
    files, digest = read_rules_files(directory)
    names = {p.name for p, _ in files} - {NETWORK_FILE, PROCESS_FILE}
    try:
        folder = cache_dir() if cache is None else cache
    except (RuntimeError, KeyError, OSError):  # no home folder to keep a cache in
        return validate_rules(directory, files, digest)
    usable = _private_folder(folder, create=True)
    key = bundle_key(digest)
    if usable:
        data = _read_bundle(folder / f"{_PREFIX}{key}{_SUFFIX}", key)
        if data is not None:
            try:
                book: RuleBook | None = decode_book(directory, data, digest)
            except Exception:  # a bundle that does not decode is rebuilt, never half-used
                book = None
            if book is not None and {f"{a.lower()}.yaml" for a in book.agreements} == names:
                return book
    book = validate_rules(directory, files, digest)
    if usable:
        # A full disk or a read-only cache must not stop a command.
        with contextlib.suppress(Exception):
            _write_bundle(folder, key, book, digest)
    return book
