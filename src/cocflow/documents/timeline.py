"""The proof file as a page a foreign inspector can be handed: the checkpoints, then each record
in words with its date and the hash that ties it to the chain. Self-contained: no scripts, no
outside assets, printable."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from cocflow.proof.chain import ChainEntry
from cocflow.proof.sentences import entry_sentence
from cocflow.tracking.foreignpath import Checkpoint

__all__ = ["render_timeline"]

_TIMELINE_STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.sub { color: #505050; margin-top: 0; }
.rely { display: inline-block; padding: .3rem .8rem; border-radius: .3rem; font-weight: 600; }
.yes { background: #e3f4e8; color: #0b5c26; } .not { background: #fdf0d8; color: #6b4400; }
ol.checks { padding-left: 1.4rem; } ol.checks li { margin: .4rem 0; }
.done::marker { color: #0b5c26; } .open::marker { color: #6b4400; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left;
        vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid #d8d8d8; }
th { background: #f3f3f3; } code { font-size: .8rem; color: #505050; }
td.date { white-space: nowrap; } .hash code { word-break: break-all; }
@media print { body { margin: 0; } .rely { border: 1px solid #999; } }
"""


def render_timeline(
    case_id: str,
    title: str,
    outcome: str,
    entries: Sequence[ChainEntry],
    checkpoints: Sequence[Checkpoint],
) -> bytes:
    """A page a foreign inspector can be handed: the checkpoints, then each record in words,
    with its date and the hash that ties it to the chain (self-contained, no scripts)."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{x.seq}</td><td class='date'>{e(x.at[:10])}<br><code>{e(x.at[11:19])} UTC"
        f"</code></td><td>{e(entry_sentence(x.kind, json.loads(x.payload)))}</td>"
        f"<td class='hash'><code>{x.hash}</code></td></tr>"
        for x in entries
    )
    marks = "".join(
        f"<li class='{'done' if c.done else 'open'}'><strong>{e(c.name)}</strong>: "
        f"{'done' if c.done else 'not yet'}. {e(c.evidence)}</li>"
        for c in checkpoints
    )
    rely = all(c.done for c in checkpoints)
    head = entries[-1].hash if entries else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Proof file of case {e(case_id)}</title><style>{_TIMELINE_STYLE}</style>"
        f"</head><body><main><h1>Proof file: {e(title)}</h1>"
        f"<p class='sub'>Case {e(case_id)}; screening says {e(outcome.replace('_', ' '))}; "
        f"{len(entries)} records; head of the chain "
        f"<span class='hash'><code>{head}</code></span></p>"
        f"<p class='rely {'yes' if rely else 'not'}'>Rely on the exemption: "
        f"{'yes' if rely else 'not yet'}</p>"
        f"<h2>Checkpoints</h2><ol class='checks'>{marks}</ol>"
        "<h2>Records, oldest first</h2><table><thead><tr><th>#</th><th>Date</th>"
        f"<th>Record</th><th>Hash</th></tr></thead><tbody>{rows}</tbody></table>"
        "<p class='sub'>Each record's hash covers the one before it: check the files with "
        "<code>sha256sum -c SHA256SUMS</code> and the chain with "
        "<code>cocflow proof verify</code>.</p></main></body></html>\n"
    ).encode()
