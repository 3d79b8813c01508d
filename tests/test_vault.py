from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocflow.errors import InputError
from cocflow.store import vault as vault_module
from cocflow.store.vault import MEDIA_TYPES, StoredFile, Vault

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(40))
MAIL = (
    b"Received: from mx.ssa.gov by mail.example.com; Mon, 4 Jan 2027 10:00:00 -0500\r\n"
    b"From: Office of International Programs <oip@ssa.gov>\r\n"
    b"To: client@example.com\r\n"
    b"Subject: Your request for a Certificate of Coverage\r\n"
    b"  (continued subject line)\r\n"
    b"Date: Mon, 4 Jan 2027 10:00:00 -0500\r\n"
    b"\r\n"
    b"Your certificate is attached. \xc3\xa9\r\n"
)
TEXT = "Notes on the case: the client moved to Lisbon. Überweisung erledigt.\n".encode()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if not p.is_dir()) if root.exists() else []


def rejection(error: pytest.ExceptionInfo[InputError]) -> str:
    (problem,) = error.value.problems
    assert problem.path == "FILE"
    assert problem.message and problem.fix
    return problem.code


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "vault")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


# -- accepted kinds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("request.pdf", PDF, "application/pdf"),
        ("REQUEST.PDF", PDF, "application/pdf"),
        ("scan.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("approval.eml", MAIL, "message/rfc822"),
        ("approval.eml", b"\n\nFrom: a@b.example\nX-Other: 1\n\nbody\n", "message/rfc822"),
        ("approval.txt", MAIL, "text/plain"),  # an e-mail saved as text is text
        ("notes.txt", TEXT, "text/plain"),
    ],
)
def test_accepted_kinds(vault: Vault, docs: Path, name: str, data: bytes, media_type: str) -> None:
    stored = vault.ingest(write(docs, name, data))
    assert stored == StoredFile(hashlib.sha256(data).hexdigest(), len(data), media_type)
    assert media_type in MEDIA_TYPES
    assert vault.read(stored.sha256) == data
    assert vault.exists(stored.sha256)
    assert vault.verify(stored.sha256)
    assert vault.path(stored.sha256) == (
        vault.root / "objects" / stored.sha256[:2] / stored.sha256[2:]
    )


def test_ingest_bytes(vault: Vault) -> None:
    stored = vault.ingest_bytes(PDF, "application/pdf")
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert vault.read(stored.sha256) == PDF
    with pytest.raises(InputError) as error:
        vault.ingest_bytes(PNG, "application/pdf")
    assert rejection(error) == "FILE_TYPE_MISMATCH"
    with pytest.raises(InputError) as error:
        vault.ingest_bytes(PDF, "application/msword")
    assert rejection(error) == "FILE_TYPE_NOT_ALLOWED"
    with pytest.raises(InputError) as error:
        vault.ingest_bytes(b"", "text/plain")
    assert rejection(error) == "FILE_EMPTY"
    with pytest.raises(InputError) as error:
        Vault(vault.root, max_bytes=10).ingest_bytes(PDF, "application/pdf")
    assert rejection(error) == "FILE_TOO_LARGE"
    assert files_under(vault.root) == [vault.path(stored.sha256)]


# -- rejections -----------------------------------------------------------------------------


def test_png_named_pdf_is_a_mismatch(vault: Vault, docs: Path) -> None:
    with pytest.raises(InputError) as error:
        vault.ingest(write(docs, "certificate.pdf", PNG))
    assert rejection(error) == "FILE_TYPE_MISMATCH"
    assert "says PDF but the content is PNG" in error.value.problems[0].message
    assert files_under(vault.root) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("letter.eml", TEXT),  # text without mail headers is not an e-mail
        ("notes.txt", PDF),
        ("scan.jpg", PNG),
    ],
)
def test_other_mismatches(vault: Vault, docs: Path, name: str, data: bytes) -> None:
    with pytest.raises(InputError) as error:
        vault.ingest(write(docs, name, data))
    assert rejection(error) == "FILE_TYPE_MISMATCH"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("letter.docx", b"PK\x03\x04" + bytes(20)),  # extension not accepted
        ("letter", PDF),  # no extension
        ("letter.pdf", b"PK\x03\x04" + bytes(20)),  # content none of the kinds
        ("notes.txt", b"abc\x00def"),  # NUL byte
        ("notes.txt", b"caf\xe9\n"),  # Latin-1, not UTF-8
        ("approval.eml", b"From: a@b.example\n\n\xff\xfe\n"),  # mail, but not UTF-8
    ],
)
def test_type_not_allowed(vault: Vault, docs: Path, name: str, data: bytes) -> None:
    with pytest.raises(InputError) as error:
        vault.ingest(write(docs, name, data))
    assert rejection(error) == "FILE_TYPE_NOT_ALLOWED"
    assert files_under(vault.root) == []


def test_invalid_utf8_late_in_the_stream(
    vault: Vault, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vault_module, "CHUNK", 16)  # the bad byte arrives in a later chunk
    source = write(docs, "notes.txt", b"plain ascii text, then " * 10 + b"\xc3(")
    with pytest.raises(InputError) as error:
        vault.ingest(source)
    assert rejection(error) == "FILE_TYPE_NOT_ALLOWED"
    assert files_under(vault.root) == []  # the temporary file is gone


def test_empty(vault: Vault, docs: Path) -> None:
    with pytest.raises(InputError) as error:
        vault.ingest(write(docs, "request.pdf", b""))
    assert rejection(error) == "FILE_EMPTY"


def test_not_found(vault: Vault, docs: Path) -> None:
    with pytest.raises(InputError) as error:
        vault.ingest(docs / "missing.pdf")
    assert rejection(error) == "FILE_NOT_FOUND"


def test_directory_symlink_and_fifo_are_not_regular(vault: Vault, docs: Path) -> None:
    folder = docs / "folder.pdf"
    folder.mkdir()
    link = docs / "link.pdf"
    link.symlink_to(write(docs, "real.pdf", PDF))
    fifo = docs / "pipe.pdf"
    os.mkfifo(fifo)
    for source in (folder, link, fifo):
        with pytest.raises(InputError) as error:
            vault.ingest(source)
        assert rejection(error) == "FILE_NOT_REGULAR"
    assert files_under(vault.root) == []


def test_size_limit(tmp_path: Path, docs: Path) -> None:
    limit = 1000
    small = Vault(tmp_path / "vault", max_bytes=limit)
    at_limit = PDF + b"x" * (limit - len(PDF))
    assert small.ingest(write(docs, "a.pdf", at_limit)).size == limit
    with pytest.raises(InputError) as error:
        small.ingest(write(docs, "b.pdf", at_limit + b"x"))
    assert rejection(error) == "FILE_TOO_LARGE"
    assert "MB" in error.value.problems[0].message
    assert len(files_under(small.root)) == 1
    with pytest.raises(InputError) as error:
        Vault(tmp_path / "v2").ingest(write(docs, "c.pdf", PDF + bytes(25 * 1024 * 1024)))
    assert "25 MB" in error.value.problems[0].message


def test_file_growing_past_the_limit_is_stopped_during_the_copy(
    tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vault_module, "CHUNK", 64)
    source = write(docs, "a.pdf", PDF + b"x" * 2000)
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> os.stat_result:  # the size seen before the file grew
        info = list(real_fstat(fd))
        info[stat.ST_SIZE] = 10
        return os.stat_result(info)

    monkeypatch.setattr(os, "fstat", stale_fstat)
    small = Vault(tmp_path / "vault", max_bytes=1000)
    with pytest.raises(InputError) as error:
        small.ingest(source)
    assert rejection(error) == "FILE_TOO_LARGE"
    assert files_under(small.root) == []


# -- names never matter ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["..%2F..%2Fetc%2Fpasswd.pdf", "..\\..\\etc\\passwd.pdf", "CON.pdf", "-rf .pdf", "..pdf"],
)
def test_hostile_names_are_stored_by_hash(tmp_path: Path, name: str) -> None:
    docs = tmp_path / "a" / "b"
    docs.mkdir(parents=True)
    source = write(docs, name, PDF)
    before = set(tmp_path.rglob("*"))
    vault = Vault(tmp_path / "a" / "b" / "vault")
    stored = vault.ingest(source)
    created = set(tmp_path.rglob("*")) - before
    assert all(vault.root in (p, *p.parents) for p in created)
    assert files_under(vault.root) == [vault.path(stored.sha256)]
    names = [p.name for p in vault.root.rglob("*")]
    assert all(n in {"tmp", "objects"} or len(n) in {2, 62} for n in names)
    assert not any("passwd" in n or "CON" in n for n in names)


def test_source_reached_through_dotdot_is_fine(vault: Vault, docs: Path) -> None:
    (docs / "sub").mkdir()
    write(docs, "request.pdf", PDF)
    stored = vault.ingest(docs / "sub" / ".." / "request.pdf")
    assert vault.read(stored.sha256) == PDF


# -- storage ---------------------------------------------------------------------------------


def test_same_content_is_stored_once(vault: Vault, docs: Path) -> None:
    first = vault.ingest(write(docs, "one.pdf", PDF))
    second = vault.ingest(write(docs, "two.PDF", PDF))
    third = vault.ingest_bytes(PDF, "application/pdf")
    assert first == second == third
    assert files_under(vault.root) == [vault.path(first.sha256)]


def test_verify_detects_a_flipped_byte(vault: Vault, docs: Path) -> None:
    stored = vault.ingest(write(docs, "request.pdf", PDF))
    target = vault.path(stored.sha256)
    data = bytearray(target.read_bytes())
    data[20] ^= 0x01
    target.write_bytes(bytes(data))
    assert not vault.verify(stored.sha256)
    assert not vault.verify("0" * 64)  # missing
    assert not vault.exists("0" * 64)


@pytest.mark.parametrize(
    "bad", ["", "abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65, "../" + "0" * 61, " " + "0" * 63]
)
def test_path_wants_64_lowercase_hex(vault: Vault, bad: str) -> None:
    with pytest.raises(ValueError):
        vault.path(bad)
    with pytest.raises(ValueError):
        vault.read(bad)


def test_failure_mid_copy_leaves_nothing(
    vault: Vault, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(docs, "request.pdf", PDF)

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        vault.ingest(source)
    assert files_under(vault.root) == []
    monkeypatch.undo()
    stored = vault.ingest(source)
    assert files_under(vault.root) == [vault.path(stored.sha256)]  # no temporary file left


def test_permissions(tmp_path: Path, docs: Path) -> None:
    old = os.umask(0o022)
    try:
        vault = Vault(tmp_path / "deep" / "vault")
        stored = vault.ingest(write(docs, "request.pdf", PDF))
    finally:
        os.umask(old)
    target = vault.path(stored.sha256)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for folder in (vault.root, vault.root / "tmp", vault.root / "objects", target.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4096))
def test_pdf_round_trip(body: bytes) -> None:
    data = b"%PDF-1.4\n" + body
    with tempfile.TemporaryDirectory() as folder:
        vault = Vault(Path(folder) / "vault")
        source = write(Path(folder), "doc.pdf", data)
        stored = vault.ingest(source)
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.size == len(data) and stored.media_type == "application/pdf"
        assert vault.read(stored.sha256) == data
        assert vault.verify(stored.sha256)
        assert vault.ingest_bytes(data, "application/pdf") == stored


# --- encryption at rest ------------------------------------------------------------------------

KEY = bytes(range(32))


@pytest.mark.parametrize("size", [10, 1024 * 1024 - 40, 1024 * 1024 - 32, 3 * 1024 * 1024 + 5])
def test_documents_are_encrypted_at_rest_and_read_back(tmp_path: Path, size: int) -> None:
    # A certificate carries the SSN: the stored object must not show it.
    secret = b"%PDF-1.4 Certificate of coverage, SSN 123-45-6789 "
    document = secret + bytes(size)
    vault = Vault(tmp_path / "vault", max_bytes=10 * 1024 * 1024, key=KEY)
    stored = vault.ingest_bytes(document, "application/pdf")
    raw = vault.path(stored.sha256).read_bytes()
    assert b"123-45-6789" not in raw and raw.startswith(b"CFV1")
    assert stored.sha256 == hashlib.sha256(document).hexdigest()
    assert vault.read(stored.sha256) == document
    assert vault.verify(stored.sha256)


@pytest.mark.parametrize("damage", ["flip", "cut at a chunk", "other key"])
def test_a_changed_encrypted_object_fails_verify(tmp_path: Path, damage: str) -> None:
    from cocflow.store.sealed import SEAL_CHUNK

    vault = Vault(tmp_path / "vault", max_bytes=10 * 1024 * 1024, key=KEY)
    stored = vault.ingest_bytes(b"%PDF-1.4 " + bytes(2 * SEAL_CHUNK + 7), "application/pdf")
    path = vault.path(stored.sha256)
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[100] ^= 1
        path.write_bytes(bytes(data))
        assert not vault.verify(stored.sha256)
    elif damage == "cut at a chunk":
        path.write_bytes(bytes(data[: 4 + 16 + 2 * (12 + SEAL_CHUNK + 16)]))
        assert not vault.verify(stored.sha256)
    else:
        assert not Vault(vault.root, key=bytes(32)).verify(stored.sha256)
