"""The operations of ``/api/v1``: one table (:data:`OPERATIONS`) that both the router
(:mod:`cocflow.web.api.app`) and the OpenAPI document (:mod:`cocflow.web.api.openapi`) are built
from, so that what is served and what is documented cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cocflow.web.api.handlers import (
    Call,
    Reply,
    approve,
    check,
    create_case,
    document,
    events,
    list_cases,
    prepare,
    show_case,
    sign_off,
    verify,
)
from cocflow.web.api.inputs import Query
from cocflow.web.api.schemas import MAX_QUERY_TEXT, OUTCOMES

__all__ = ["OPERATIONS", "Operation"]


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: its address, handler, answers and refusals (problem kinds by slug), as
    the router and the OpenAPI document both read them."""

    method: str
    path: str
    operation_id: str
    summary: str
    handler: Callable[[Call], Reply]
    success: int
    response: str  # the schema of the success answer, under components/schemas
    refusals: tuple[str, ...] = ()
    query: tuple[Query, ...] = ()
    body: str | None = None  # the schema of the request body; None: the operation takes none
    secured: bool = True
    description: str = ""
    location: bool = False  # a 201 that names the new resource in Location


# --- the table ---------------------------------------------------------------------------

CASE = "/cases/{case_id}"
READ = ("unknown-case",)

OPERATIONS: Sequence[Operation] = (
    Operation(
        "GET",
        "/openapi.json",
        "openapi",
        "This document (no token needed)",
        document,
        200,
        "OpenApi",
        secured=False,
    ),
    Operation(
        "GET",
        "/cases",
        "listCases",
        "The cases you see, as the board shows them",
        list_cases,
        200,
        "CaseList",
        ("forbidden", "invalid-input"),
        query=(
            Query("outcome", "Only cases with this outcome.", choices=OUTCOMES),
            Query(
                "flag", "Only overdue cases, or those due within 30 days.", ("overdue", "due_soon")
            ),
            Query(
                "q",
                "Only cases whose reference or client name contains this (any case).",
                max_length=MAX_QUERY_TEXT,
            ),
            Query(
                "sort",
                "Sort by file-by date, reference or outcome (default: oldest first).",
                ("file_by", "reference", "outcome"),
            ),
        ),
        description="A preparer sees the cases assigned to them (or every case, if granted).",
    ),
    Operation(
        "POST",
        "/cases",
        "createCase",
        "Store a new case and screen it",
        create_case,
        201,
        "Created",
        ("forbidden", "invalid-input", "reference-taken"),
        body="NewCase",
        location=True,
        description="A case holding every fact screening needs is screened (its decision "
        "answered); one that lacks some is kept as answers to complete (decision null, "
        "missing_facts listing them). A preparer's new case is assigned to them.",
    ),
    Operation("GET", CASE, "getCase", "One case (SSN masked)", show_case, 200, "Case", READ),
    Operation(
        "GET",
        f"{CASE}/check",
        "checkCase",
        "The pre-submit check of the case's request",
        check,
        200,
        "CheckReport",
        (*READ, "case-incomplete"),
    ),
    Operation(
        "POST",
        f"{CASE}/requests",
        "prepareRequest",
        "Prepare the request and record it in the proof file",
        prepare,
        201,
        "Recorded",
        (*READ, "forbidden", "not-ready", "invalid-input"),
        description="Takes no body (or {}). Answers 422 with the check's errors when the "
        "request cannot be prepared.",
    ),
    Operation(
        "GET",
        f"{CASE}/sign-off",
        "getSignOff",
        "Where the sign-off stands",
        sign_off,
        200,
        "SignOff",
        READ,
    ),
    Operation(
        "POST",
        f"{CASE}/sign-off",
        "approveRequest",
        "Approve the case's last prepared request",
        approve,
        201,
        "Recorded",
        (*READ, "forbidden", "own-request", "no-request", "invalid-input"),
        description="A reviewer or the owner approves, never the member who prepared it. "
        "Takes no body (or {}).",
    ),
    Operation(
        "GET",
        f"{CASE}/events",
        "listEvents",
        "The proof file's entries",
        events,
        200,
        "EventList",
        READ,
    ),
    Operation(
        "GET",
        f"{CASE}/verify",
        "verifyProof",
        "Verify the proof file (chain, signed head, stored files)",
        verify,
        200,
        "Verification",
        READ,
    ),
)
"""Every operation of the API, in the order the document lists them."""
