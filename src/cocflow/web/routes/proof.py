"""A case's pages once its answer is go: the request's documents (prepared and recorded in one
step, downloaded, or read on the page), filing and proof (the four checkpoints and the records
of the submission, approval, certificate and delivery), the timeline and the proof bundle.

Addresses carry the case's id and nothing personal; a success banner is named by a fixed word
in the query string. Every page links back to the case's hub, ``/cases/{case_id}``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.documents.pdf import long_date
from cocflow.errors import CocflowError, InputError
from cocflow.filing.channel import CHANNELS
from cocflow.filing.packet import Channel
from cocflow.filing.ssn import mask
from cocflow.services import documents as service
from cocflow.services.filing import NotReady
from cocflow.web.components import Choice, FieldError, Question
from cocflow.web.deps import casework, field_errors, today
from cocflow.web.render import Pages, page

__all__ = ["routes"]

T = TypeVar("T")

UPLOAD_CHUNK = 1024 * 1024

# The documents, as a person names them.
NAMES = {
    "request-letter.pdf": ("Request letter", "The letter to SSA, to sign and send by mail or fax."),
    "fax-cover.pdf": ("Fax cover sheet", "The first page to fax, with SSA's fax number."),
    "online-worksheet.txt": (
        "Online form worksheet",
        "Each field of SSA's online form with the value to type.",
    ),
    "request.json": (
        "Data filed",
        "Exactly the data filed, for a program to read; the proof file keeps its fingerprint.",
    ),
}

CHANNEL_CHOICES = (
    Choice("online", "Online", "SSA's online service: the usual way, and the quickest."),
    Choice("mail", "By mail", "Print the letter, sign it and post it to SSA."),
    Choice("fax", "By fax", "Print the cover sheet and the signed letter, and fax both."),
)
SUBMISSION_CHANNELS = (
    Choice("online", "Online"),
    Choice("mail", "By mail"),
    Choice("fax", "By fax"),
)
DELIVERY_CHANNELS = (
    Choice("email", "By e-mail"),
    Choice("mail", "By mail"),
    Choice("hand", "By hand"),
    Choice("online", "Online"),
    Choice("fax", "By fax"),
)

# What each proof form records, the field a service problem's path points to, the banner.
RECORDS: dict[str, tuple[dict[str, str], str]] = {
    "submission": (
        {
            "--channel": "submission-channel",
            "--date": "submission-date",
            "--control-number": "submission-control-number",
            "--tracking": "submission-tracking",
            "FILE": "submission-file",
        },
        "The submission is recorded in the proof file.",
    ),
    "approval": (
        {"--date": "approval-date", "FILE": "approval-file"},
        "The approval is kept in the proof file.",
    ),
    "certificate": (
        {
            "--country": "certificate-country",
            "--period-start": "certificate-period-start",
            "--period-end": "certificate-period-end",
            "--date": "certificate-date",
            "FILE": "certificate-file",
        },
        "The certificate is kept in the proof file.",
    ),
    "delivery": (
        {
            "--to": "delivery-to",
            "--channel": "delivery-channel",
            "--date": "delivery-date",
            "FILE": "delivery-file",
        },
        "The delivery is recorded in the proof file.",
    ),
}
# The form fields each record takes (the service's details), besides its file.
DETAILS = {
    "submission": ("channel", "date", "control_number", "tracking"),
    "approval": ("date",),
    "certificate": ("country", "period_start", "period_end"),
    "delivery": ("to", "channel", "date"),
}


def _hub(case_id: str) -> str:
    return f"/cases/{case_id}"


async def _call(request: Request, case_id: str, work: Callable[[], T]) -> T:
    """Run a service call off the event loop; an unknown case is a 404 page."""
    try:
        return await run_in_threadpool(work)
    except InputError as err:
        if any(p.code == "UNKNOWN_CASE" for p in err.problems):
            raise HTTPException(404) from None
        raise


def _not_confirmed(request: Request, case_id: str, status: int = 200) -> Response:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages.message(
        request.scope,
        status,
        "Answer the case's questions first",
        "This case has no confirmed answers yet, so there is nothing to file or prove.",
        link=(_hub(case_id), "Go to the case"),
    )


def _notice(
    request: Request, status: int, title: str, text: str, link: tuple[str, str]
) -> Response:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages.message(request.scope, status, title, text, link=link)


# --- documents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Document:
    name: str
    title: str
    about: str
    size: str
    download: str
    view: str


def _size(data: bytes) -> str:
    return f"{len(data)} bytes" if len(data) < 1024 else f"{round(len(data) / 1024)} KB"


def _documents_list(case_id: str, recorded: service.Recorded) -> list[_Document]:
    out = []
    for name, (title, about) in NAMES.items():
        data = recorded.data(name)
        if data is None:
            continue
        base = f"/cases/{case_id}/documents/{name}"
        out.append(_Document(name, title, about, _size(data), base, f"{base}/view"))
    return out


async def documents_page(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    work = casework(request)
    day = today(request)
    days = request.app.state.settings.processing_days
    if request.method == "POST":
        async with request.form() as form:
            chosen = form.get("channel")
        channel: Channel | None = next((c for c in CHANNELS if c == chosen), None)
        try:
            await _call(
                request,
                case_id,
                lambda: service.prepare_and_record(
                    work, case_id, day, channel=channel, processing_days=days
                ),
            )
        except NotReady:
            return RedirectResponse(f"/cases/{case_id}/documents", status_code=303)
        except service.CaseNotConfirmed:
            return _not_confirmed(request, case_id, 409)
        return RedirectResponse(f"/cases/{case_id}/documents?prepared=1", status_code=303)
    try:
        state = await _call(
            request, case_id, lambda: service.documents(work, case_id, day, processing_days=days)
        )
    except service.CaseNotConfirmed:
        return _not_confirmed(request, case_id)
    recorded = state.recorded
    advice = state.advice
    context: dict[str, Any] = {
        "hub": _hub(case_id),
        "case_id": case_id,
        "state": state,
        "errors": [f for f in state.report.findings if f.severity == "error"],
        "warnings": [f for f in state.report.findings if f.severity == "warning"],
        "advice": advice.channel if advice else None,
        "packet": advice.packet if advice else None,
        "recorded": recorded,
        "documents": _documents_list(case_id, recorded) if recorded else [],
        "kept_letter": f"/cases/{case_id}/documents/request-letter.pdf",
        "masked_ssn": mask(advice.packet.ssn) if advice else "",
        "file_by": long_date(advice.packet.file_by) if advice and advice.packet.file_by else "",
        "prepared_on": long_date(advice.packet.prepared_on) if advice else "",
        "prepared": request.query_params.get("prepared") == "1",
        "channel": Question(
            id="channel",
            label="How will you send it?",
            kind="radios",
            hint="You can still change your mind: every document is prepared whichever you "
            "choose, and the proof file records the choice.",
            value="online",
            choices=CHANNEL_CHOICES,
        ),
    }
    return page(request, "proof/documents.html", context)


async def _recorded(request: Request, case_id: str) -> service.Recorded | None:
    work = casework(request)
    days = request.app.state.settings.processing_days
    try:
        return await _call(
            request,
            case_id,
            lambda: service.recorded_request(work, case_id, processing_days=days),
        )
    except service.CaseNotConfirmed:
        return None


def _not_prepared(request: Request, case_id: str) -> Response:
    return _notice(
        request,
        404,
        "This document is not ready",
        "The request has not been prepared, or the case changed after it was: prepare it "
        "(again) on the documents page.",
        (f"/cases/{case_id}/documents", "Go to the request documents"),
    )


async def download(request: Request) -> Response:
    case_id, name = request.path_params["case_id"], request.path_params["name"]
    if name not in service.DOCUMENTS:
        raise HTTPException(404)
    recorded = await _recorded(request, case_id)
    data = recorded.data(name) if recorded else None
    if data is None:
        return _not_prepared(request, case_id)
    return Response(
        data,
        media_type=service.DOCUMENTS[name],
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )


async def view(request: Request) -> Response:
    case_id, name = request.path_params["case_id"], request.path_params["name"]
    if name not in service.DOCUMENTS:
        raise HTTPException(404)
    recorded = await _recorded(request, case_id)
    if recorded is None or recorded.result is None:
        return _not_prepared(request, case_id)
    result = recorded.result
    title, about = NAMES[name]
    context = {
        "hub": _hub(case_id),
        "back": f"/cases/{case_id}/documents",
        "title": title,
        "about": about,
        "name": name,
        "download": f"/cases/{case_id}/documents/{name}",
        "masked_ssn": mask(result.packet.ssn),
        "holds_ssn": name != "fax-cover.pdf",
        "body": Markup(service.document_view(result, name)),  # escaped and masked by documents.html
    }
    return page(request, "proof/document.html", context)


# --- filing and proof ----------------------------------------------------------------------


def _private_file(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _suffix(filename: str) -> str:
    """The original file's suffix only (``.pdf``): its name may carry personal data."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


@asynccontextmanager
async def _saved(upload: UploadFile | None) -> AsyncIterator[Path | None]:
    """The upload in a private temporary file, named with its suffix only; removed after."""
    if upload is None or not upload.filename:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="cocflow-upload-"))  # 0700
    try:
        path = folder / f"upload{_suffix(upload.filename)}"
        with open(path, "xb", opener=_private_file) as out:
            while chunk := await upload.read(UPLOAD_CHUNK):
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _proof_context(
    request: Request,
    case_id: str,
    overview: service.ProofOverview,
    *,
    record: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: list[FieldError] | None = None,
    file_sent: bool = False,
) -> dict[str, Any]:
    errors = errors or []
    by_field = {e.field_id: e.message for e in errors}
    values = values or {}
    added = request.query_params.get("added")
    # A no go: the other country covers the work, so its office, not SSA, issues the certificate.
    foreign = overview.outcome == "no_go"
    issuer = "the other country's office" if foreign else "SSA"
    issuer_s = "The other country's office's" if foreign else "SSA's"

    def field(form: str, name: str, label: str, hint: str = "", **more: Any) -> Question:
        field_id = f"{form}-{name.replace('_', '-')}"
        value = values.get(name, "") if form == record else ""
        return Question(
            id=field_id,
            name=name,
            label=label,
            hint=hint,
            value=value,
            error=by_field.get(field_id, ""),
            **more,
        )

    def upload(form: str, label: str, hint: str) -> Question:
        if form == record and file_sent and errors:
            hint += " Choose the file again: a page cannot keep a file you chose."
        return field(form, "file", label, hint)

    date_hint = "Write it as YYYY-MM-DD, for example 2026-12-02."
    return {
        "hub": _hub(case_id),
        "case_id": case_id,
        "overview": overview,
        "status": overview.status,
        "errors": errors,
        "banner_text": RECORDS[added][1] if added in RECORDS else "",
        "submission": {
            "channel": field(
                "submission",
                "channel",
                "How did you send it?",
                kind="radios",
                choices=SUBMISSION_CHANNELS,
            ),
            "date": field(
                "submission", "date", "When did you send it? (optional)", date_hint, width="medium"
            ),
            "control_number": field(
                "submission",
                "control_number",
                "Control number",
                "The reference the other country's office gave, if any."
                if foreign
                else "Needed for an online request: SSA's confirmation page and e-mail show it.",
                width="medium",
            ),
            "tracking": field(
                "submission",
                "tracking",
                "Tracking or fax confirmation (optional)",
                "The mail tracking number, or the fax machine's confirmation number.",
                width="medium",
            ),
            "file": upload(
                "submission",
                "The confirmation",
                f"{issuer_s} confirmation page or e-mail; for a request sent by mail or fax, "
                "a scan of the signed letter, the postage receipt or the fax confirmation. PDF, "
                "PNG, JPEG, EML or TXT.",
            ),
        },
        "approval": {
            "date": field(
                "approval", "date", "When was it approved? (optional)", date_hint, width="medium"
            ),
            "file": upload(
                "approval",
                "The approval",
                f"{issuer_s} approval e-mail or letter, saved as a file.",
            ),
        },
        "certificate": {
            "country": field(
                "certificate",
                "country",
                "Country",
                "The country the certificate is for, as printed on it: a code such as PT, "
                "or its name.",
                width="medium",
            ),
            "period_start": field(
                "certificate",
                "period_start",
                "First day it covers",
                "As printed on the certificate, written YYYY-MM-DD.",
                width="medium",
            ),
            "period_end": field(
                "certificate",
                "period_end",
                "Last day it covers",
                "As printed on the certificate, written YYYY-MM-DD.",
                width="medium",
            ),
            "file": upload(
                "certificate",
                "The certificate",
                f"The certificate {issuer} sent, scanned or saved as PDF, PNG or JPEG.",
            ),
        },
        "delivery": {
            "to": field(
                "delivery",
                "to",
                "Who received it?",
                "The foreign authority, the payroll office or the client.",
            ),
            "channel": field(
                "delivery",
                "channel",
                "How did it reach them?",
                kind="radios",
                choices=DELIVERY_CHANNELS,
            ),
            "date": field("delivery", "date", "When? (optional)", date_hint, width="medium"),
            "file": upload(
                "delivery",
                "Proof of receipt (optional)",
                "Their reply or acknowledgement. Add it later if you have none yet: the "
                "exemption is proven only with it.",
            ),
        },
    }


async def proof_page(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    work = casework(request)
    day = today(request)

    def overview() -> service.ProofOverview:
        return service.proof_overview(work, case_id, day)

    if request.method == "GET":
        try:
            current = await _call(request, case_id, overview)
        except service.CaseNotConfirmed:
            return _not_confirmed(request, case_id)
        return page(request, "proof/proof.html", _proof_context(request, case_id, current))
    async with request.form(max_files=1, max_fields=20) as form:
        record = _text(form, "record")
        if record not in RECORDS:
            raise HTTPException(400)
        values = {name: _text(form, name) for name in DETAILS[record]}
        details = {name: value or None for name, value in values.items()}
        sent = form.get("file")
        upload = sent if isinstance(sent, UploadFile) else None
        async with _saved(upload) as path:
            file_sent = path is not None
            try:
                await _call(
                    request,
                    case_id,
                    lambda: service.record_proof(
                        work,
                        case_id,
                        record,
                        path,
                        details,
                        original_name=upload.filename if upload else None,
                    ),
                )
            except service.CaseNotConfirmed:
                return _not_confirmed(request, case_id, 409)
            except InputError as err:
                errors = field_errors(err, RECORDS[record][0])
            else:
                return RedirectResponse(f"/cases/{case_id}/proof?added={record}", status_code=303)
    current = await _call(request, case_id, overview)
    context = _proof_context(
        request,
        case_id,
        current,
        record=record,
        values=values,
        errors=errors,
        file_sent=file_sent,
    )
    return page(request, "proof/proof.html", context, status=400)


# --- the timeline and the proof bundle ------------------------------------------------------


async def timeline_page(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    work = casework(request)
    day = today(request)
    try:
        overview = await _call(request, case_id, lambda: service.proof_overview(work, case_id, day))
    except service.CaseNotConfirmed:
        return _not_confirmed(request, case_id)
    context = {"hub": _hub(case_id), "case_id": case_id, "overview": overview}
    return page(request, "proof/timeline.html", context)


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )


async def timeline_download(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    work = casework(request)
    day = today(request)
    try:
        data = await _call(request, case_id, lambda: service.timeline_file(work, case_id, day))
    except service.CaseNotConfirmed:
        return _not_confirmed(request, case_id)
    return _attachment(data, "text/html; charset=utf-8", f"cocflow-timeline-{case_id[:8]}.html")


async def export(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    work = casework(request)
    try:
        data = await _call(request, case_id, lambda: service.export_bundle(work, case_id))
    except service.CaseNotConfirmed:
        return _not_confirmed(request, case_id)
    except InputError:
        raise
    except CocflowError as err:
        return _notice(
            request,
            409,
            "The proof file does not verify",
            f"Nothing was exported: {err}",
            (f"/cases/{case_id}/proof", "Go to filing and proof"),
        )
    return _attachment(data, "application/zip", f"cocflow-proof-{case_id[:8]}.zip")


def routes() -> list[BaseRoute]:
    base = "/cases/{case_id:case}"
    return [
        Route(f"{base}/documents", documents_page, methods=["GET", "POST"]),
        Route(f"{base}/documents/{{name}}", download, methods=["GET"]),
        Route(f"{base}/documents/{{name}}/view", view, methods=["GET"]),
        Route(f"{base}/proof", proof_page, methods=["GET", "POST"]),
        Route(f"{base}/timeline", timeline_page, methods=["GET"]),
        Route(f"{base}/timeline/download", timeline_download, methods=["GET"]),
        Route(f"{base}/export", export, methods=["GET"]),
    ]
