"""CI-sized fuzzing of the input parsers (the long runs are fuzz/run.py, with atheris).

For each target of fuzz/targets.py (case_yaml, case_json, roster, trips_csv, trips_ics, rules):

- test_fuzz_corpus: every seed of fuzz/corpus/TARGET/ is accepted or rejected cleanly;
- test_fuzz_nasty: hand-made hostile inputs (alias bombs, NUL and control characters, huge
  numbers, dates at the ends of the calendar, very long lines, unclosed quotes, BOMs, CRLF...);
- test_fuzz_mutations: a few thousand deterministic byte mutations of the seeds (bit flips,
  inserts of dictionary tokens, deletions, duplications, splices of two seeds);
- test_fuzz_crash: every reproducer in fuzz/crashes/ (TARGET-NAME.bin). Those in OPEN are
  known, not yet fixed crashes and are xfail(strict=True): once a fix lands the test XPASSes and
  fails, and the entry is removed from OPEN so that the reproducer becomes a regression test.

Clean means: the target returns, or raises one of targets.ALLOWED (CocflowError); anything else
is a finding, and so is one input taking more than targets.HANG_SECONDS. atheris is not needed.
"""

from __future__ import annotations

import functools
import importlib.util
import random
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
CORPUS = FUZZ / "corpus"
CRASHES = FUZZ / "crashes"
DICTS = FUZZ / "dicts"


def _load_targets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cocflow_fuzz_targets", FUZZ / "targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


targets = _load_targets()
NAMES = sorted(targets.TARGETS)

# Known crashes whose fix has not landed: reproducer stem -> what goes wrong, for example
#     "roster-short-row": "AttributeError in batch._engagement: a short row gets None",
# Its test is then xfail(strict=True); remove the entry when the fix lands (the test XPASSes,
# which fails under strict=True), and the reproducer becomes a regression test. Every
# reproducer in fuzz/crashes/ was found by this harness and is fixed today.
OPEN: dict[str, str] = {}

# Mutated inputs per target, sized so that the whole file runs in well under 20 seconds.
MUTATIONS = {
    "case_yaml": 2500,
    "case_json": 2500,
    "roster": 3000,
    "trips_csv": 3000,
    "trips_ics": 2500,
    "rules": 1500,
}
# A hard stop for one input, far above HANG_SECONDS, so that a real hang fails instead of
# blocking CI (delivered between Python bytecodes, so a hang inside C code still waits).
ALARM_SECONDS = 20


class Hang(Exception):
    pass


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"one input ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def problem(target: Callable[[bytes], None], data: bytes) -> str | None:
    """None when ``target`` handles ``data`` cleanly; else what went wrong, in one line."""
    start = time.perf_counter()
    try:
        # A library's warning is not a crash: keep pytest's "error" filter from making it one.
        with warnings.catch_warnings(), _alarm(ALARM_SECONDS):
            warnings.simplefilter("ignore")
            target(data)
    except targets.ALLOWED:
        pass
    except Exception as exc:
        frame = targets.innermost_frame(exc)
        where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" if frame else "?"
        return f"{type(exc).__name__} at {where}: {str(exc)[:200]}"
    elapsed = time.perf_counter() - start
    if elapsed > targets.HANG_SECONDS:
        return f"Slow: {elapsed:.1f} s for {len(data)} bytes"
    return None


def signature(report: str) -> str:
    """'AttributeError at batch.py:149 in _engagement: ...' -> 'AttributeError _engagement'
    (line numbers move as the source is edited; the function does not)."""
    head = report.split(":", 1)[0] if report.startswith("Slow") else report.split(": ", 1)[0]
    kind, _, where = head.partition(" at ")
    return f"{kind} {where.rpartition(' in ')[2]}".strip()


def seeds(name: str) -> list[Path]:
    return sorted(p for p in (CORPUS / name).iterdir() if p.is_file())


def tokens(name: str) -> list[bytes]:
    """The libFuzzer dictionary of ``name`` as byte strings (\\xNN, \\\\ and \\" escapes)."""
    path = DICTS / f"{name}.dict"
    found = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line.startswith('"') and line.endswith('"'):
            body = line[1:-1].encode("ascii")
            found.append(body.decode("unicode_escape").encode("latin-1"))
    return found


# ------------------------------------------------------------------------------ corpus


@pytest.mark.parametrize(
    "path", [p for n in NAMES for p in seeds(n)], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_fuzz_corpus(path: Path) -> None:
    assert problem(targets.TARGETS[path.parent.name], path.read_bytes()) is None


def test_fuzz_corpus_is_small_and_complete() -> None:
    assert set(NAMES) == {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert all(seeds(n) for n in NAMES)
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert total < 200_000


# ------------------------------------------------------------------------------ mutations


def mutate(rng: random.Random, data: bytes, others: list[bytes], words: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(out))
        op = rng.randrange(9)
        if op == 0 and out:  # flip a bit
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1 and out:  # set a byte
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif op == 2:  # insert random bytes
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op in (3, 4) and words:  # insert a dictionary token
            out[pos:pos] = rng.choice(words)
        elif op == 5 and out:  # delete a range
            out[pos : pos + rng.randint(1, 64)] = b""
        elif op == 6 and out:  # duplicate a range
            start = rng.randrange(len(out))
            out[pos:pos] = out[start : start + rng.randint(1, 128)]
        elif op == 7 and others:  # splice: our head, another seed's tail
            other = rng.choice(others)
            out = out[:pos] + other[rng.randint(0, len(other)) :]
        elif op == 8:  # swap two lines
            lines = bytes(out).split(b"\n")
            if len(lines) > 1:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                out = bytearray(b"\n".join(lines))
    return bytes(out)


@functools.cache
def reproducer_report(path: Path) -> str | None:
    """What the reproducer ``path`` (TARGET-NAME.bin) does today (run once per session)."""
    name = next(n for n in sorted(NAMES, key=len, reverse=True) if path.stem.startswith(n + "-"))
    return problem(targets.TARGETS[name], path.read_bytes())


def open_signatures(name: str) -> set[str]:
    """Signatures of the OPEN reproducers of ``name`` that still fail: tolerated in the
    mutation run until their fix lands (computed, so a fixed crash is never tolerated). A slow
    input is never tolerated."""
    found = set()
    for path in sorted(CRASHES.glob(f"{name}-*.bin")):
        if path.stem in OPEN and (report := reproducer_report(path)):
            found.add(signature(report))
    return found - {"Slow"}


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_mutations(name: str) -> None:
    target = targets.TARGETS[name]
    corpus = [p.read_bytes() for p in seeds(name)]
    words = tokens(name)
    known = open_signatures(name)
    rng = random.Random(f"cocflow-fuzz-{name}")
    findings: dict[str, tuple[str, bytes]] = {}
    tolerated: set[str] = set()
    for _ in range(MUTATIONS[name]):
        data = mutate(rng, rng.choice(corpus), corpus, words)
        report = problem(target, data)
        if report is None:
            continue
        if signature(report) in known:
            tolerated.add(signature(report))
        else:
            findings.setdefault(signature(report), (report, data))
    if tolerated:
        print(f"{name}: known open crashes seen again: {sorted(tolerated)}")
    assert not findings, "\n".join(
        f"{report}\n    input: {data[:300]!r}" for report, data in findings.values()
    )


# ------------------------------------------------------------------------------ nasties


def _alias_bomb(width: int, depth: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


CASE = (
    "cocflow_case: 1\n"
    "worker:\n"
    "  kind: self_employed\n"
    "  citizenship: [US]\n"
    "  residence:\n"
    "    - {country: US, from: 2020-01-01}\n"
    "engagements:\n"
    "  - {country: DE, start: 2027-01-01, end: 2027-06-30, description: Audit}\n"
)
CASE_JSON = (
    '{"cocflow_case": 1, "worker": {"kind": "self_employed", "citizenship": ["US"], '
    '"residence": [{"country": "US", "from": "2020-01-01"}]}, '
    '"engagements": [{"country": "DE", "start": "2027-01-01", "end": "2027-06-30"}]}'
)
LONG = "x" * 200_000


def _case_yaml_nasties() -> dict[str, bytes]:
    def dated(a: str, b: str, c: str) -> str:
        return CASE.replace("2020-01-01", a).replace("2027-01-01", b).replace("2027-06-30", c)

    cases = {
        "empty": "",
        "only-spaces": "   \n\t\n",
        "null": "~\n",
        "scalar": "just text\n",
        "list": "- 1\n- 2\n",
        "two-documents": CASE + "---\n" + CASE,
        "bom": "\ufeff" + CASE,
        "crlf": CASE.replace("\n", "\r\n"),
        "cr-only": CASE.replace("\n", "\r"),
        "nul-in-value": CASE.replace("Audit", "Au\x00dit"),
        "control-chars": CASE.replace("Audit", "".join(map(chr, range(1, 32)))),
        "c1-and-separators": CASE.replace("Audit", "\x85\u2028\u2029\x7f\ufffe"),
        "lone-surrogate-escape": CASE.replace("Audit", '"\\ud800"'),
        "unclosed-double-quote": CASE.replace("Audit", '"Audit'),
        "unclosed-single-quote": CASE.replace("Audit", "'Audit"),
        "unclosed-flow": CASE.replace("Audit}", "Audit"),
        "tab-indent": CASE.replace("  kind", "\tkind"),
        "huge-int": CASE.replace("cocflow_case: 1", "cocflow_case: " + "9" * 5000),
        "huge-float": CASE.replace("cocflow_case: 1", "cocflow_case: 1e999"),
        "nan": CASE.replace("cocflow_case: 1", "cocflow_case: .nan"),
        "hex-int": CASE.replace("cocflow_case: 1", "cocflow_case: 0x1"),
        "bool-version": CASE.replace("cocflow_case: 1", "cocflow_case: true"),
        "dates-min": dated("0001-01-01", "0001-01-01", "0001-01-01"),
        "dates-max": dated("9999-12-31", "9999-12-31", "9999-12-31"),
        "dates-span": dated("0001-01-01", "0001-01-01", "9999-12-31"),
        "date-zero": dated("0000-01-01", "2027-00-01", "2027-01-00"),
        "date-feb-29": dated("2027-02-29", "2028-02-29", "2100-02-29"),
        "date-timestamp-tag": dated(
            "!!timestamp 2020-01-01", "!!timestamp 2027-01-01 10:00:00", "2027-06-30"
        ),
        "date-as-int": dated("20200101", "2027", "-1"),
        "very-long-line": CASE.replace("Audit", LONG),
        "very-long-key": CASE + LONG + ": 1\n",
        "deep-flow": "[" * 5000 + "]" * 5000,
        "deep-block": "".join(" " * i + "- \n" for i in range(500)),
        "deep-mapping": "".join(" " * i + f"k{i}:\n" for i in range(800)),
        "duplicate-key": CASE + "cocflow_case: 1\n",
        "merge-key": "base: &b {kind: self_employed}\nworker:\n  <<: *b\n  kind: employee\n",
        "recursive-alias": "a: &a [*a]\n",
        "undefined-alias": "a: *nope\n",
        "alias-bomb-small": _alias_bomb(6, 6),
        "alias-bomb-as-value": _alias_bomb(5, 5) + CASE.replace("Audit", "*a4"),
        "python-tag": "!!python/object/apply:os.system ['true']\n",
        "binary-tag": CASE.replace("Audit", "!!binary //79"),
        "set-tag": CASE.replace("[US]", "!!set {US}"),
        "unhashable-key": "? [a, b]\n: 1\n",
        "null-key": CASE + "~: 1\n",
        "int-key": CASE.replace("cocflow_case", "1"),
        "yaml-directive": "%YAML 1.1\n---\n" + CASE,
        "bad-directive": "%YAML 9.9\n---\n" + CASE,
        "not-utf8": b"\xff\xfe\x00c\x00o".decode("latin-1"),
    }
    out = {k: v.encode("utf-8", "surrogatepass") for k, v in cases.items()}
    out["not-utf8"] = b"\xff\xfe\x00c\x00o\x00"
    out["utf16"] = CASE.encode("utf-16")
    out["invalid-utf8-in-value"] = CASE.encode().replace(b"Audit", b"Au\xc3\x28dit")
    return out


def _case_json_nasties() -> dict[str, bytes]:
    cases = {
        "empty": "",
        "null": "null",
        "array": "[1, 2]",
        "string": '"x"',
        "bom": "\ufeff" + CASE_JSON,
        "crlf": CASE_JSON.replace(", ", ",\r\n"),
        "trailing-comma": CASE_JSON[:-1] + ",}",
        "unclosed-string": CASE_JSON[:40],
        "unclosed-object": CASE_JSON[:-1],
        "nul-escape": CASE_JSON.replace('"DE"', '"D\\u0000E"'),
        "raw-control": CASE_JSON.replace('"DE"', '"D\x01E"'),
        "lone-surrogate": CASE_JSON.replace('"DE"', '"\\ud800"'),
        "lone-surrogate-key": CASE_JSON.replace('"engagements"', '"\\udfff"'),
        "huge-int": CASE_JSON.replace('"cocflow_case": 1', '"cocflow_case": ' + "9" * 5000),
        "huge-float": CASE_JSON.replace('"cocflow_case": 1', '"cocflow_case": 1e999'),
        "nan": CASE_JSON.replace('"cocflow_case": 1', '"cocflow_case": NaN'),
        "infinity": CASE_JSON.replace('"cocflow_case": 1', '"cocflow_case": -Infinity'),
        "float-version": CASE_JSON.replace('"cocflow_case": 1', '"cocflow_case": 1.0'),
        "dates-min": CASE_JSON.replace("2020-01-01", "0001-01-01").replace(
            "2027-01-01", "0001-01-01"
        ),
        "dates-max": CASE_JSON.replace("2027-06-30", "9999-12-31").replace(
            "2027-01-01", "9999-12-31"
        ),
        "date-as-number": CASE_JSON.replace('"2027-01-01"', "20270101"),
        "date-as-object": CASE_JSON.replace('"2027-01-01"', '{"y": 2027}'),
        "very-long-string": CASE_JSON.replace('"DE"', '"' + LONG + '"'),
        "deep-array": "[" * 100_000 + "]" * 100_000,
        "deep-object": '{"a":' * 5000 + "1" + "}" * 5000,
        "duplicate-key": CASE_JSON[:-1] + ', "cocflow_case": 1}',
        "duplicate-nested": CASE_JSON.replace('"kind"', '"kind": "employee", "kind"'),
        "yaml-not-json": CASE,
    }
    out = {k: v.encode("utf-8", "surrogatepass") for k, v in cases.items()}
    out["not-utf8"] = b'{"cocflow_case": 1, "x": "\xff"}'
    return out


ROSTER_HEADER = "client_id,kind,country,start,end,residence_country,statements"
ROSTER_ROW = "A1,self_employed,GB,2027-03-01,2027-06-30,US,private_health_insurance=yes"


def _csv_common(header: str, row: str) -> dict[str, str]:
    good = f"{header}\n{row}\n"
    quoted_newline, inner_quote = row.replace("GB", '"G\nB"'), row.replace("GB", 'G"B')
    over_limit = row.replace("GB", '"' + "x" * 140_000 + '"')
    return {
        "empty": "",
        "blank-lines": "\n\n\n",
        "header-only": header + "\n",
        "bom": "\ufeff" + good,
        "double-bom": "\ufeff\ufeff" + good,
        "crlf": good.replace("\n", "\r\n"),
        "cr-only": good.replace("\n", "\r"),
        "no-final-newline": good.rstrip("\n"),
        "nul-byte": good.replace("GB", "G\x00B"),
        "control-chars": good.replace("GB", "GB" + "".join(map(chr, range(1, 32)))),
        "unclosed-quote": f'{header}\n"{row}\n',
        "unclosed-quote-last-field": f'{header}\n{row},"open\n',
        "quote-in-unquoted": f"{header}\n{inner_quote}\n",
        "quoted-newline": f"{header}\n{quoted_newline}\n",
        "short-row": f"{header}\n{row.split(',', 1)[0]}\n",
        "long-row": f"{header}\n{row},extra,more\n",
        "duplicate-column": f"{header},country\n{row},PT\n",
        "empty-column-name": f"{header},\n{row},\n",
        "spaces-in-header": " " + header.replace(",", " , ") + " \n" + row + "\n",
        "upper-header": f"{header.upper()}\n{row}\n",
        "semicolon-separated": good.replace(",", ";"),
        "very-long-line": f"{header}\n{row.replace('GB', 'G' * 100_000)}\n",
        "field-over-csv-limit": f"{header}\n{over_limit}\n",
        "many-rows": header + "\n" + (row + "\n") * 2000,
        "dates-min": good.replace("2027-03-01", "0001-01-01").replace("2027-06-30", "0001-01-01"),
        "dates-max": good.replace("2027-03-01", "9999-12-31").replace("2027-06-30", "9999-12-31"),
        "dates-bad": good.replace("2027-03-01", "2027-02-30").replace("2027-06-30", "99999-1-1"),
        "date-with-time": good.replace("2027-03-01", "2027-03-01T10:00:00"),
        "huge-number-date": good.replace("2027-03-01", "9" * 5000),
        "lone-surrogate": good.replace("GB", "\udcff"),
    }


def _roster_nasties() -> dict[str, bytes]:
    h, r = ROSTER_HEADER, ROSTER_ROW
    employee = r.replace("self_employed", "employee")
    cases = _csv_common(h, r)
    cases |= {
        "unknown-column": "client_id,kind,country,start,x\nA,self_employed,PT,2027-01-01,US\n",
        "missing-required-column": "client_id,kind,country\nA,self_employed,PT\n",
        "statements-bad": f"{h}\n{r.replace('=yes', '=maybe;=no;x')}\n",
        "statements-empty-key": f"{h}\n{r.replace('private_health_insurance', ' ')}\n",
        "client-fields-differ": f"{h}\n{r}\n{employee}\n",
        "employee-no-employer": f"{h}\n{employee}\n",
        "empty-client-id": f"{h}\n{r.replace('A1', '')}\n",
        "all-columns-empty-row": "client_id,kind,country,start\n,,,\n",
    }
    return {k: v.encode("utf-8", "surrogatepass") for k, v in cases.items()} | {
        "not-utf8": b"client_id,kind,country,start\n\xff,self_employed,PT,2027-01-01\n",
        "utf16": (ROSTER_HEADER + "\n" + ROSTER_ROW + "\n").encode("utf-16"),
    }


def _trips_csv_nasties() -> dict[str, bytes]:
    header, row = "country,start,end,purpose,note", "PT,2024-01-01,2024-01-10,work,Lisbon"
    cases = _csv_common(header, row.replace("PT", "GB"))
    cases |= {
        "reversed-dates": f"{header}\nPT,2024-01-10,2024-01-01,work,\n",
        "bad-purpose": f"{header}\nPT,2024-01-01,,holiday,\n",
        "overlapping-max": f"{header}\nPT,0001-01-01,9999-12-31,,\nES,0001-01-01,9999-12-31,,\n",
        "gap-at-ends": f"{header}\nPT,0001-01-01,0001-01-01,,\nES,9999-12-31,9999-12-31,,\n",
        "duplicate-header-case": "Country,COUNTRY,start\nPT,PT,2024-01-01\n",
    }
    return {k: v.encode("utf-8", "surrogatepass") for k, v in cases.items()} | {
        "not-utf8": b"country,start\n\xff,2024-01-01\n",
    }


def _ics(*events: str, head: str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nUID:e{i}\r\n{e}END:VEVENT\r\n" for i, e in enumerate(events))
    return (head + body + "END:VCALENDAR\r\n").encode("utf-8", "surrogatepass")


def _trips_ics_nasties() -> dict[str, bytes]:
    loc = "LOCATION:Lisbon, Portugal\r\n"
    day = "DTSTART;VALUE=DATE:20240101\r\n"
    return {
        "empty": b"",
        "nul": b"\x00" * 64,
        "garbage": bytes(range(256)),
        "lone-event": b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
        "unclosed-calendar": b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n",
        "end-without-begin": b"END:VEVENT\r\nEND:VCALENDAR\r\n",
        "lf-only": _ics(day + loc).replace(b"\r\n", b"\n"),
        "bom": b"\xef\xbb\xbf" + _ics(day + loc),
        "folded-lines": _ics(day + "LOCATION:Lis\r\n bon\\, Port\r\n\tugal\r\n"),
        "no-dtstart": _ics(loc),
        "dtstart-empty": _ics("DTSTART:\r\n" + loc),
        "dtstart-bad": _ics("DTSTART;VALUE=DATE:2024023\r\n" + loc),
        "dtstart-min-dtend-min": _ics(
            "DTSTART;VALUE=DATE:00010101\r\nDTEND;VALUE=DATE:00010101\r\n" + loc
        ),
        "dtstart-max-no-dtend": _ics("DTSTART;VALUE=DATE:99991231\r\n" + loc),
        "dtstart-max-timed": _ics("DTSTART:99991231T235959\r\nDURATION:PT1H\r\n" + loc),
        "dtstart-min-tz": _ics(
            "DTSTART;TZID=Europe/Berlin:00010101T000000\r\n"
            "DTEND;TZID=Europe/Berlin:00010101T000000\r\n" + loc
        ),
        "unknown-tzid": _ics("DTSTART;TZID=Mars/Olympus:20240101T100000\r\n" + loc),
        "huge-duration": _ics("DTSTART:20240101T000000Z\r\nDURATION:P99999999W\r\n" + loc),
        "negative-duration": _ics(day + "DURATION:-P10D\r\n" + loc),
        "dtend-before-dtstart": _ics(day + "DTEND;VALUE=DATE:20231201\r\n" + loc),
        "date-and-datetime": _ics("DTSTART:20240101T100000Z\r\nDTEND;VALUE=DATE:20240105\r\n"),
        "period-value": _ics("DTSTART;VALUE=PERIOD:20240101T100000Z/20240102T100000Z\r\n" + loc),
        "rrule": _ics(day + "RRULE:FREQ=DAILY;COUNT=999999999\r\n" + loc),
        "cancelled": _ics(day + "STATUS:CANCELLED\r\n" + loc),
        "categories-empty": _ics(day + "CATEGORIES:\r\n"),
        "categories-conflict": _ics(day + "CATEGORIES:work,personal,PT\r\n"),
        "location-control": _ics(day + "LOCATION:\x01\x02\x1b[31m\r\n"),
        "location-long": _ics(day + "LOCATION:" + "P" * 100_000 + "\r\n"),
        "summary-surrogate": _ics(day + loc + "SUMMARY:\udcff\r\n"),
        "not-utf8": _ics(day + loc).replace(b"Lisbon", b"Lis\xffbon"),
        "many-events": _ics(*[day + loc] * 500),
        "nested-calendars": b"BEGIN:VCALENDAR\r\n" * 200 + b"END:VCALENDAR\r\n" * 200,
        "deep-components": b"BEGIN:VCALENDAR\r\n"
        + b"BEGIN:VEVENT\r\n" * 2000
        + b"END:VEVENT\r\n" * 2000
        + b"END:VCALENDAR\r\n",
        "param-quotes": _ics('DTSTART;TZID="Europe/Berlin:20240101T100000\r\n' + loc),
    }


def _rules_nasties() -> dict[str, bytes]:
    base = (CORPUS / "rules" / "de.yaml").read_text(encoding="utf-8")
    cases = {
        "empty": "",
        "list": "- 1\n",
        "bom": "\ufeff" + base,
        "crlf": base.replace("\n", "\r\n"),
        "nul": base.replace("Germany", "Ger\x00many"),
        "control-chars": base.replace("Germany", "".join(map(chr, range(1, 32)))),
        "dates-min": base.replace("2026-", "0001-").replace("2025-", "0001-"),
        "dates-max": base.replace("2026-", "9999-").replace("1979-", "9999-"),
        "timestamp-tag": base.replace("verified: 2026-", "verified: !!timestamp 2026-"),
        "timestamp-with-time": base.replace(
            "value: 1979-12-01", "value: !!timestamp 1979-12-01 9:00:00"
        ),
        "huge-limit": base.replace("limit_months: 60", "limit_months: " + "9" * 5000),
        "float-limit": base.replace("limit_months: 60", "limit_months: 1e999"),
        "nan-limit": base.replace("limit_months: 60", "limit_months: .nan"),
        "very-long-line": base.replace("Germany", "G" * 200_000),
        "unclosed-quote": base.replace("name: Germany", 'name: "Germany'),
        "alias-bomb-small": _alias_bomb(6, 6),
        "alias-bomb-as-value": _alias_bomb(5, 5) + base.replace("name: Germany", "name: *a4"),
        "deep-flow": "[" * 5000 + "]" * 5000,
        "duplicate-key": base + "id: ZZ\n",
        "two-documents": base + "---\n" + base,
    }
    return {k: v.encode("utf-8", "surrogatepass") for k, v in cases.items()} | {
        "not-utf8": base.encode().replace(b"Germany", b"\xffGermany"),
    }


NASTIES: dict[str, Callable[[], dict[str, bytes]]] = {
    "case_yaml": _case_yaml_nasties,
    "case_json": _case_json_nasties,
    "roster": _roster_nasties,
    "trips_csv": _trips_csv_nasties,
    "trips_ics": _trips_ics_nasties,
    "rules": _rules_nasties,
}
# Hand-made inputs that hit a known open crash: "target/nasty" -> the OPEN reproducer it hits,
# for example "roster/short-row": "roster-short-row".
NASTY_OPEN: dict[str, str] = {}


def _nasty_params() -> list[object]:
    params: list[object] = []
    for name in NAMES:
        for key, data in NASTIES[name]().items():
            marks = []
            if (crash := NASTY_OPEN.get(f"{name}/{key}")) is not None:
                marks.append(pytest.mark.xfail(strict=True, reason=f"{crash}: {OPEN[crash]}"))
            params.append(pytest.param(name, data, id=f"{name}/{key}", marks=marks))
    return params


@pytest.mark.parametrize(("name", "data"), _nasty_params())
def test_fuzz_nasty(name: str, data: bytes) -> None:
    assert problem(targets.TARGETS[name], data) is None


# ------------------------------------------------------------------------------ crashes


def _crash_params() -> list[object]:
    params: list[object] = []
    for path in sorted(CRASHES.glob("*.bin")) if CRASHES.is_dir() else []:
        marks = []
        if path.stem in OPEN:
            marks.append(pytest.mark.xfail(strict=True, reason=OPEN[path.stem]))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", _crash_params())
def test_fuzz_crash(path: Path) -> None:
    assert reproducer_report(path) is None


def test_fuzz_open_crashes_have_reproducers() -> None:
    stems = {p.stem for p in CRASHES.glob("*.bin")} if CRASHES.is_dir() else set()
    assert set(OPEN) <= stems
    assert set(NASTY_OPEN.values()) <= set(OPEN)
    assert all(any(s.startswith(n + "-") for n in NAMES) for s in stems)
