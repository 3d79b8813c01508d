# ruff: noqa: E501 - the catalogue is a table: one entry a line reads better than wrapped ones
"""A catalogue of hostile and broken inputs at every entry point, run through the real CLI.

Each entry is a command and the files it needs; every one of them should end in a clean
refusal (exit 2, a message, no traceback, nothing lost). The run prints, per entry and in all,
how many were tried, refused cleanly, crashed or hung (exit 1 with an internal error, a
traceback, or no answer within the time limit), or were silently accepted (exit 0).

    .venv/bin/python fuzz/catalogue.py            # the whole catalogue
    .venv/bin/python fuzz/catalogue.py -v         # with each entry's first line of output
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CLI = [str(Path(sys.executable).parent / "cocflow")]
TIMEOUT = 30

HEADER = (
    "client_id,kind,country,start,end,region,residence_country,citizenship,employer_name,"
    "employer_country,employer_hired,business_operating_since,statements,client_name,"
    "client_country,description"
)
GOOD_ROW = "A1,self_employed,PT,2027-01-01,2027-06-30,,US,,,,,,,,,"


@dataclass(frozen=True)
class Entry:
    name: str
    args: Callable[[Path], list[str]]
    setup: Callable[[Path], None] = lambda _: None
    env: dict[str, str] | None = None


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (work / name).write_bytes(data)

    return setup


def _case(body: str) -> str:
    return "cocflow_case: 1\n" + body


WORKER = "worker: {kind: self_employed, residence: [{country: US, from: 2015-01-01}]}\n"
BOMB = "\n".join(
    ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    + [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
)
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\n"
    "{event}\r\nLOCATION:Portugal\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _screen(name: str) -> Callable[[Path], list[str]]:
    return lambda work: ["screen", str(work / name)]


def _batch(*extra: str) -> Callable[[Path], list[str]]:
    return lambda work: [
        "screen-batch",
        str(work / "roster.csv"),
        "--out",
        str(work / "out.csv"),
        *[e.replace("{w}", str(work)) for e in extra],
    ]


def _trips(name: str) -> Callable[[Path], list[str]]:
    return lambda work: ["trips", "import", str(work / name)]


def _case_with_dates(start: str, end: str) -> str:
    return _case(WORKER + f"engagements: [{{country: DE, start: {start}, end: {end}}}]\n")


CATALOGUE: list[Entry] = [
    # case files
    Entry(
        "case: YAML alias bomb", _screen("c.yaml"), _write("c.yaml", BOMB + "\ncocflow_case: 1\n")
    ),
    Entry(
        "case: alias bomb as a value",
        _screen("c.yaml"),
        _write("c.yaml", BOMB + "\ncocflow_case: *a8\n"),
    ),
    Entry("case: a FIFO", _screen("c.yaml"), lambda w: os.mkfifo(w / "c.yaml")),
    Entry("case: a folder", _screen("c.yaml"), lambda w: (w / "c.yaml").mkdir()),
    Entry("case: 2 MB of comment", _screen("c.yaml"), _write("c.yaml", "# " + "x" * 2_000_000)),
    Entry("case: not UTF-8", _screen("c.yaml"), _write("c.yaml", b"cocflow_case: 1\n\xff\xfe\n")),
    Entry("case: empty file", _screen("c.yaml"), _write("c.yaml", "")),
    Entry("case: a list", _screen("c.yaml"), _write("c.yaml", "- 1\n- 2\n")),
    Entry("case: deep nesting", _screen("c.json"), _write("c.json", "[" * 100_000)),
    Entry("case: JSON syntax", _screen("c.json"), _write("c.json", '{"cocflow_case": 1,}')),
    Entry(
        "case: lone surrogate (JSON)",
        _screen("c.json"),
        _write("c.json", '{"cocflow_case": "\\ud800"}'),
    ),
    Entry(
        "case: NUL in a name",
        _screen("c.yaml"),
        _write(
            "c.yaml",
            _case(
                "worker: {kind: employee, residence: [{country: US, from: 2015-01-01}]}\n"
                'employer: {name: "Ac\\0me", country: US}\n'
                "engagements: [{country: DE, start: 2027-01-01, end: 2027-12-31}]\n"
            ),
        ),
    ),
    Entry(
        "case: escape sequence",
        _screen("c.yaml"),
        _write(
            "c.yaml",
            _case(
                WORKER + 'engagements: [{country: DE, start: 2027-01-01, description: "\\e[2J"}]\n'
            ),
        ),
    ),
    Entry("case: duplicate key", _screen("c.yaml"), _write("c.yaml", _case(WORKER + WORKER))),
    Entry("case: unknown key", _screen("c.yaml"), _write("c.yaml", _case(WORKER + "extra: 1\n"))),
    Entry(
        "case: year 0001",
        _screen("c.yaml"),
        _write("c.yaml", _case_with_dates("0001-01-01", "0001-12-31")),
    ),
    Entry(
        "case: work in 9999",
        _screen("c.yaml"),
        _write("c.yaml", _case_with_dates("9999-01-01", "9999-12-31")),
    ),
    Entry(
        "case: end 9999-12-31",
        _screen("c.yaml"),
        _write("c.yaml", _case_with_dates("2027-01-01", "9999-12-31")),
    ),
    Entry(
        "case: date with a time",
        _screen("c.yaml"),
        _write(
            "c.yaml",
            _case(
                WORKER + "engagements: [{country: DE, start: !!timestamp 2027-01-01 10:00:00}]\n"
            ),
        ),
    ),
    Entry(
        "case: 30 February",
        _screen("c.yaml"),
        _write("c.yaml", _case_with_dates("2027-02-30", "2027-03-30")),
    ),
    Entry(
        "case: end before start",
        _screen("c.yaml"),
        _write("c.yaml", _case_with_dates("2027-03-01", "2027-02-01")),
    ),
    Entry(
        "case: 100,000-character country",
        _screen("c.yaml"),
        _write(
            "c.yaml",
            _case(WORKER + f"engagements: [{{country: {'Q' * 100_000}, start: 2027-01-01}}]\n"),
        ),
    ),
    Entry(
        "case: region ZZ",
        _screen("c.yaml"),
        _write(
            "c.yaml",
            _case(WORKER + "engagements: [{country: CA, region: ZZ, start: 2027-01-01}]\n"),
        ),
    ),
    Entry(
        "screen: --as-of 0001-01-01",
        lambda w: [
            "screen",
            str(EXAMPLES / "portugal-digital-nomad.yaml"),
            "--as-of",
            "0001-01-01",
        ],
    ),
    Entry(
        "screen: --as-of 9999-12-31",
        lambda w: [
            "screen",
            str(EXAMPLES / "portugal-digital-nomad.yaml"),
            "--as-of",
            "9999-12-31",
        ],
    ),
    Entry(
        "screen: --as-of not a date",
        lambda w: ["screen", str(EXAMPLES / "portugal-digital-nomad.yaml"), "--as-of", "tomorrow"],
    ),
    # rosters
    Entry(
        "roster: unclosed quote",
        _batch(),
        _write(
            "roster.csv",
            f'{HEADER}\n{GOOD_ROW}\nB1,"self_employed,PT,2027-01-01\n{GOOD_ROW.replace("A1", "C1")}\n',
        ),
    ),
    Entry(
        "roster: short row",
        _batch(),
        _write("roster.csv", f"{HEADER}\n{GOOD_ROW}\nB1,self_employed,PT\n"),
    ),
    Entry("roster: long row", _batch(), _write("roster.csv", f"{HEADER}\n{GOOD_ROW},extra\n")),
    Entry(
        "roster: 140,000-character cell",
        _batch(),
        _write("roster.csv", f"{HEADER}\n{GOOD_ROW[:-1]}{'d' * 140_000}\n"),
    ),
    Entry(
        "roster: duplicated column",
        _batch(),
        _write("roster.csv", f"{HEADER},country\n{GOOD_ROW},DE\n"),
    ),
    Entry(
        "roster: region ZZ",
        _batch(),
        _write("roster.csv", f"{HEADER}\nA1,self_employed,CA,2027-01-01,,ZZ,US,,,,,,,,,\n"),
    ),
    Entry(
        "roster: date 9999",
        _batch(),
        _write("roster.csv", f"{HEADER}\nA1,self_employed,PT,9999-01-01,,,US,,,,,,,,,\n"),
    ),
    Entry(
        "roster: escape sequence",
        _batch(),
        _write("roster.csv", f"{HEADER}\n{GOOD_ROW[:-1]}\x1b[2J\n"),
    ),
    Entry("roster: empty file", _batch(), _write("roster.csv", "")),
    Entry("roster: a FIFO", _batch(), lambda w: os.mkfifo(w / "roster.csv")),
    Entry(
        "roster: --errors is the roster",
        _batch("--errors", "{w}/roster.csv"),
        _write(
            "roster.csv", f"{HEADER}\n{GOOD_ROW}\nB1,self_employed,PT,2027-02-30,,,US,,,,,,,,,\n"
        ),
    ),
    Entry(
        "roster: --out is the roster",
        lambda w: ["screen-batch", str(w / "roster.csv"), "--out", str(w / "roster.csv")],
        _write("roster.csv", f"{HEADER}\n{GOOD_ROW}\n"),
    ),
    Entry(
        "roster: --out is a symlink",
        lambda w: ["screen-batch", str(w / "roster.csv"), "--out", str(w / "link.csv")],
        lambda w: (
            _write("roster.csv", f"{HEADER}\n{GOOD_ROW}\n")(w),
            (w / "keep.txt").write_text("keep"),
            (w / "link.csv").symlink_to(w / "keep.txt"),
        ),
    ),
    Entry(
        "roster: --out is a folder",
        lambda w: ["screen-batch", str(w / "roster.csv"), "--out", str(w)],
        _write("roster.csv", f"{HEADER}\n{GOOD_ROW}\n"),
    ),
    Entry(
        "roster: --out is /dev/null",
        lambda w: ["screen-batch", str(w / "roster.csv"), "--out", "/dev/null"],
        _write("roster.csv", f"{HEADER}\n{GOOD_ROW}\n"),
    ),
    # trip logs
    Entry(
        "trips: unclosed quote",
        _trips("t.csv"),
        _write("t.csv", 'country,start,end\nDE,2027-01-01,2027-01-05\nFR,"2027-02-01\n'),
    ),
    Entry("trips: short row", _trips("t.csv"), _write("t.csv", "country,start,end\nDE\n")),
    Entry(
        "trips: huge cell",
        _trips("t.csv"),
        _write("t.csv", f"country,start,note\nDE,2027-01-01,{'n' * 200_000}\n"),
    ),
    Entry(
        "trips: escape sequence in a note",
        _trips("t.csv"),
        _write("t.csv", "country,start,note\nDE,2027-01-01,\x1b]0;x\x07\n"),
    ),
    Entry("trips: year 0001", _trips("t.csv"), _write("t.csv", "country,start\nDE,0001-01-01\n")),
    Entry(
        "trips: ICS ends before it starts",
        _trips("t.ics"),
        _write(
            "t.ics", ICS.format(event="DTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270301")
        ),
    ),
    Entry(
        "trips: ICS VALUE=,DATE",
        _trips("t.ics"),
        _write(
            "t.ics", ICS.format(event="DTSTART;VALUE=,DATE:20270301\r\nDTEND;VALUE=DATE:20270302")
        ),
    ),
    Entry(
        "trips: ICS year 0001",
        _trips("t.ics"),
        _write(
            "t.ics", ICS.format(event="DTSTART;VALUE=DATE:00010101\r\nDTEND;VALUE=DATE:00010101")
        ),
    ),
    Entry(
        "trips: ICS year 9999",
        _trips("t.ics"),
        _write(
            "t.ics", ICS.format(event="DTSTART;VALUE=DATE:99991231\r\nDTEND;VALUE=DATE:99991231")
        ),
    ),
    Entry(
        "trips: ICS TZID a folder",
        _trips("t.ics"),
        _write(
            "t.ics",
            ICS.format(
                event="DTSTART;TZID=Europe:20270301T100000\r\nDTEND;TZID=Europe:20270301T120000"
            ),
        ),
    ),
    Entry("trips: not a calendar", _trips("t.ics"), _write("t.ics", "hello")),
    Entry("trips: a FIFO", _trips("t.csv"), lambda w: os.mkfifo(w / "t.csv")),
    # settings and rules
    Entry(
        "settings: COCFLOW_PROCESSING_DAYS=²",
        lambda w: ["request", str(EXAMPLES / "filing-complete.yaml"), "--out", str(w / "o")],
        env={"COCFLOW_PROCESSING_DAYS": "²"},
    ),
    Entry(
        "settings: COCFLOW_PROCESSING_DAYS=٣",
        lambda w: ["request", str(EXAMPLES / "filing-complete.yaml"), "--out", str(w / "o")],
        env={"COCFLOW_PROCESSING_DAYS": "٣"},
    ),
    Entry(
        "settings: COCFLOW_KEY not a key", lambda w: ["case", "list"], env={"COCFLOW_KEY": "short"}
    ),
    Entry(
        "settings: COCFLOW_DATABASE_URL nonsense",
        lambda w: ["case", "list"],
        env={"COCFLOW_DATABASE_URL": "nonsense://x"},
    ),
    Entry(
        "rules: a FIFO in the folder",
        lambda w: ["agreements"],
        lambda w: _rules_with(w, "fifo"),
        env={"COCFLOW_RULES_DIR": "{w}/rules"},
    ),
    Entry(
        "rules: an escape sequence",
        lambda w: ["agreements"],
        lambda w: _rules_with(w, "escape"),
        env={"COCFLOW_RULES_DIR": "{w}/rules"},
    ),
    # outputs
    Entry(
        "request: --out is a file",
        lambda w: ["request", str(EXAMPLES / "filing-complete.yaml"), "--out", str(w / "f")],
        _write("f", "x"),
    ),
    Entry("reminders: --ics is a folder", lambda w: ["reminders", "--ics", str(w)]),
    Entry(
        "check: unprintable place of birth",
        lambda w: ["check", str(w / "c.yaml")],
        lambda w: (w / "c.yaml").write_text(
            (EXAMPLES / "filing-complete.yaml")
            .read_text()
            .replace("place_of_birth: ", "place_of_birth: 東京 ", 1)
        ),
    ),
]


def _rules_with(work: Path, kind: str) -> None:
    from cocflow.rules.loader import default_rules_dir

    rules = work / "rules"
    shutil.copytree(default_rules_dir(), rules)
    if kind == "fifo":
        (rules / "de.yaml").unlink()
        os.mkfifo(rules / "de.yaml")
    else:
        de = rules / "de.yaml"
        de.write_text(de.read_text().replace("name: Germany", 'name: "Germany\\e[2J"'))


def run(entry: Entry) -> tuple[str, str]:
    """The verdict, and the problem the command printed (its first specific line)."""
    with tempfile.TemporaryDirectory(prefix="catalogue-") as folder:
        work = Path(folder)
        entry.setup(work)
        env = {**os.environ, "COCFLOW_HOME": str(work / "home")}
        env.pop("COCFLOW_DATABASE_URL", None)
        for key, value in (entry.env or {}).items():
            env[key] = value.replace("{w}", str(work))
        if entry.name.startswith("trips:"):  # the log belongs to a stored case
            subprocess.run(
                [*CLI, "case", "new", str(EXAMPLES / "drift-case.yaml")],
                env=env, capture_output=True, check=True, timeout=TIMEOUT,
            )  # fmt: skip
        # a check finding is the clean answer for check; a refusal (exit 2) for the others
        expected_exit = 0 if entry.name.startswith("check:") else 2
        try:
            done = subprocess.run(
                CLI + entry.args(work), env=env, capture_output=True, text=True,
                timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return "crash (hang)", ""
        output = done.stdout + done.stderr
        if "Traceback" in output or "internal error" in output:
            verdict = "crash"
        elif done.returncode == expected_exit and (expected_exit != 0 or "NOT_PRINTABLE" in output):
            verdict = "clean error"
        elif done.returncode == 0:
            verdict = "silently wrong"
        else:
            verdict = f"clean error (exit {done.returncode})"
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        said = next((line for line in lines if not line.endswith("cannot use this input:")), "")
        return verdict, said


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the catalogue of hostile inputs.")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    counts: dict[str, int] = {}
    for entry in CATALOGUE:
        verdict, said = run(entry)
        kind = verdict.split(" (")[0]
        counts[kind] = counts.get(kind, 0) + 1
        print(f"{verdict:<24} {entry.name}")
        if args.verbose:
            print(f"    {said[:150]}")
    tried = len(CATALOGUE)
    print(
        f"\ntried {tried}: clean error {counts.get('clean error', 0)}, "
        f"crash or hang {counts.get('crash', 0)}, silently wrong {counts.get('silently wrong', 0)}"
    )
    sys.exit(0 if counts.get("clean error", 0) == tried else 1)


if __name__ == "__main__":
    main()
