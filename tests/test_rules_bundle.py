"""The compiled rules bundle: the validated book, loaded without validation, never trusted
blindly, and never in the way."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from cocflow.errors import RulesError
from cocflow.io.settings import Settings
from cocflow.rules import bundle
from cocflow.rules.loader import RuleBook, default_rules_dir, load_rules, validate_rules
from cocflow.services.screening import rules_for

FIXTURE = Path(__file__).parent / "rules_fixture"


def _same_book(got: RuleBook, want: RuleBook) -> None:
    assert got.agreements == want.agreements
    assert list(got.agreements) == list(want.agreements)
    assert got.network == want.network
    assert got.process == want.process
    assert got.version == want.version
    assert got.by_country == want.by_country
    assert got.custom_dir == want.custom_dir
    assert dict(got.conditions) == dict(want.conditions)


class _Validations:
    """Counts the validations of YAML rules (and can forbid them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, allowed: bool = True) -> None:
        self.count = 0
        self.allowed = allowed

        def counted(*args: object) -> RuleBook:
            self.count += 1
            assert self.allowed, "the rules were validated again"
            return validate_rules(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(bundle, "validate_rules", counted)


def _bundles(cache: Path) -> list[Path]:
    return sorted(cache.glob("rules-*.json"))


@pytest.mark.parametrize("folder", [None, FIXTURE])
def test_the_bundle_gives_the_validated_book(
    folder: Path | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    want = load_rules(folder)
    _same_book(bundle.load_rules_cached(folder, cache), want)  # validated, bundle written
    assert len(_bundles(cache)) == 1
    _Validations(monkeypatch, allowed=False)
    loaded = bundle.load_rules_cached(folder, cache)  # from the bundle alone
    _same_book(loaded, want)
    agreement = next(iter(loaded.agreements.values()))
    assert agreement.employee[0].urls == want.agreements[agreement.id].employee[0].urls


def test_the_bundle_is_private_json(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    bundle.load_rules_cached(None, cache)
    (path,) = _bundles(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    head, _, body = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    assert header["cocflow_rules_bundle"] == bundle.BUNDLE_FORMAT
    assert header["sha256"] == hashlib.sha256(body).hexdigest()
    assert path.name == f"rules-{header['key']}.json"
    assert isinstance(json.loads(body), dict)  # plain data, never pickle


def _corrupt(path: Path, how: str) -> None:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    header = json.loads(head)
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "flipped":
        path.write_bytes(raw[:-100] + bytes([raw[-100] ^ 1]) + raw[-99:])
    elif how == "garbage":
        path.write_bytes(os.urandom(4096))
    elif how == "empty":
        path.write_bytes(b"")
    elif how in ("other-key", "other-format"):
        header["key" if how == "other-key" else "cocflow_rules_bundle"] = "0" * 64
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    elif how in ("missing-field", "other-data", "wrong-type"):
        data = json.loads(body)
        if how == "missing-field":
            del data["agreements"][0]["id"]
        elif how == "other-data":
            data["digest"] = "0" * 64
        else:
            data["agreements"][0]["employee"] = 7
        new = json.dumps(data).encode()
        header["sha256"] = hashlib.sha256(new).hexdigest()
        path.write_bytes(json.dumps(header).encode() + b"\n" + new)
    path.chmod(0o600)


@pytest.mark.parametrize(
    "how",
    [
        "truncated",
        "flipped",
        "garbage",
        "empty",
        "other-key",
        "other-format",
        "missing-field",
        "other-data",
        "wrong-type",
    ],
)
def test_a_damaged_bundle_is_rebuilt(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    bundle.load_rules_cached(None, cache)
    (path,) = _bundles(cache)
    sound = path.read_bytes()
    _corrupt(path, how)
    validations = _Validations(monkeypatch)
    _same_book(bundle.load_rules_cached(None, cache), load_rules())
    assert validations.count == 1
    assert path.read_bytes() == sound  # written again


def test_a_bundle_others_could_write_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    bundle.load_rules_cached(None, cache)
    (path,) = _bundles(cache)
    path.chmod(0o666)
    validations = _Validations(monkeypatch)
    bundle.load_rules_cached(None, cache)
    assert validations.count == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # replaced by a private one


def test_a_linked_bundle_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    bundle.load_rules_cached(None, cache)
    (path,) = _bundles(cache)
    elsewhere = tmp_path / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    validations = _Validations(monkeypatch)
    _same_book(bundle.load_rules_cached(None, cache), load_rules())
    assert validations.count == 1


def test_an_open_cache_folder_is_made_private(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    bundle.load_rules_cached(None, cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


@pytest.mark.parametrize("where", ["a-file", "under-a-file"])
def test_an_unusable_cache_folder_breaks_nothing(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    cache = blocker if where == "a-file" else blocker / "cocflow"
    validations = _Validations(monkeypatch)
    for _ in range(2):
        _same_book(bundle.load_rules_cached(None, cache), load_rules())
    assert validations.count == 2  # validated every time, as before the bundle
    assert blocker.read_text() == "not a folder"


def test_edited_rules_get_their_own_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    cache = tmp_path / "cache"
    before = bundle.load_rules_cached(rules, cache)
    path = rules / "de.yaml"
    path.write_text(path.read_text() + "\n# edited\n")
    validations = _Validations(monkeypatch)
    after = bundle.load_rules_cached(rules, cache)
    assert validations.count == 1
    assert after.version != before.version
    _same_book(after, load_rules(rules))
    assert len(_bundles(cache)) == 2
    # A broken edit is refused, whatever bundles the cache holds.
    path.write_text(path.read_text().replace("employee:", "employe:", 1))
    with pytest.raises(RulesError, match=r"de\.yaml"):
        bundle.load_rules_cached(rules, cache)


def test_the_same_rules_elsewhere_name_their_folder(tmp_path: Path) -> None:
    """The bundle is keyed by content; the folder a book came from is the one it is loaded
    from (COCFLOW_RULES_DIR names it in every decision)."""
    cache = tmp_path / "cache"
    first, second = tmp_path / "one", tmp_path / "two"
    shutil.copytree(FIXTURE, first)
    shutil.copytree(FIXTURE, second)
    assert bundle.load_rules_cached(first, cache).custom_dir == first.resolve()
    assert bundle.load_rules_cached(second, cache).custom_dir == second.resolve()
    assert len(_bundles(cache)) == 1


def test_old_bundles_are_dropped(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    for n in range(bundle.KEEP_BUNDLES + 4):
        old = cache / f"rules-{n:064x}.json"
        old.write_text("{}")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    bundle.load_rules_cached(None, cache)
    left = _bundles(cache)
    assert len(left) == bundle.KEEP_BUNDLES
    assert sum(not p.name.startswith("rules-0000") for p in left) == 1  # the new one is kept


def test_the_cache_follows_xdg(tmp_path: Path) -> None:
    assert bundle.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "cocflow"
    assert bundle.cache_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache" / "cocflow"
    assert bundle.cache_dir({}) == Path.home() / ".cache" / "cocflow"


def test_the_commands_use_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("COCFLOW_RULES_DIR", raising=False)
    settings = Settings.from_env()
    _same_book(rules_for(settings), load_rules())
    assert len(_bundles(tmp_path / "xdg" / "cocflow")) == 1
    _Validations(monkeypatch, allowed=False)
    _same_book(rules_for(settings), load_rules())


def test_the_key_covers_the_data_the_code_and_the_versions() -> None:
    import pydantic

    digest = "ab" * 32
    key = bundle.bundle_key(digest)
    assert key == bundle.bundle_key(digest)
    assert key != bundle.bundle_key("cd" * 32)
    real = pydantic.VERSION
    try:
        pydantic.VERSION = "0.0.0"
        assert bundle.bundle_key(digest) != key
    finally:
        pydantic.VERSION = real


def test_no_home_folder_breaks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def nowhere(env: object = None) -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(bundle, "cache_dir", nowhere)
    _same_book(bundle.load_rules_cached(), load_rules())


def test_a_deeply_nested_header_is_not_a_bundle(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    bundle.load_rules_cached(None, cache)
    (path,) = _bundles(cache)
    path.write_bytes(b"[" * 200_000 + b"\n{}")
    path.chmod(0o600)
    _same_book(bundle.load_rules_cached(None, cache), load_rules())
