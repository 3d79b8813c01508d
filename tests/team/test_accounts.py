"""Signing in to a team: passwords, the pause after ten failures, the TOTP code, sessions that
end, invitations and reset links that work once, and the audit log of it all."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from cocflow.accounts import totp
from cocflow.errors import InputError
from cocflow.services.access import Role
from cocflow.services.accounts import Accounts
from tests.team.conftest import OWNER_PASSWORD, Clock

MEMBER_PASSWORD = "a long passphrase nobody guesses"


def _owner(accounts: Accounts) -> None:
    accounts.create_organisation("Rivera & Co", "ana@rivera.example", "Ana Rivera", OWNER_PASSWORD)


def test_the_owner_signs_in_and_the_session_names_her(accounts: Accounts) -> None:
    _owner(accounts)
    signed = accounts.sign_in("  ANA@rivera.example ", OWNER_PASSWORD)
    assert signed is not None and not signed.needs_code
    session = accounts.session(signed.cookie)
    assert session is not None
    assert session.actor.role is Role.OWNER and session.actor.name == "Ana Rivera"
    assert len(signed.cookie) >= 43  # 256 bits
    stored = accounts.store.session(session.digest)
    assert stored is not None and signed.cookie not in stored.digest


def test_every_failure_gets_the_same_answer(accounts: Accounts) -> None:
    _owner(accounts)
    assert accounts.sign_in("ana@rivera.example", "wrong password entirely") is None
    assert accounts.sign_in("nobody@rivera.example", OWNER_PASSWORD) is None


def test_an_unknown_address_costs_the_same_time_as_a_wrong_password(accounts: Accounts) -> None:
    _owner(accounts)

    def median(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            accounts.sign_in(email, "not the password at all")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    known, unknown = median("ana@rivera.example"), median("nobody@rivera.example")
    assert abs(known - unknown) / known < 0.5  # both pay for one argon2id check


def test_ten_failures_pause_the_account_for_fifteen_minutes(
    accounts: Accounts, clock: Clock
) -> None:
    _owner(accounts)
    for _ in range(10):
        assert accounts.sign_in("ana@rivera.example", "wrong password entirely") is None
    assert accounts.sign_in("ana@rivera.example", OWNER_PASSWORD) is None  # paused
    clock.advance(minutes=14)
    assert accounts.sign_in("ana@rivera.example", OWNER_PASSWORD) is None
    clock.advance(minutes=2)
    assert accounts.sign_in("ana@rivera.example", OWNER_PASSWORD) is not None
    why = [e.detail.get("why") for e in accounts.store.audit_entries() if e.action == "sign_in"]
    assert why.count("paused") == 2 and why.count("paused now") == 1


def test_sessions_end_after_fifteen_idle_minutes_and_twelve_hours(
    accounts: Accounts, clock: Clock
) -> None:
    _owner(accounts)
    signed = accounts.sign_in("ana@rivera.example", OWNER_PASSWORD)
    assert signed is not None
    clock.advance(minutes=16)
    assert accounts.session(signed.cookie) is None
    signed = accounts.sign_in("ana@rivera.example", OWNER_PASSWORD)
    assert signed is not None
    began = clock.now
    while accounts.session(signed.cookie) is not None:  # in use every 14 minutes
        clock.advance(minutes=14)
    alive = clock.now - began
    assert timedelta(hours=11, minutes=46) <= alive <= timedelta(hours=12, minutes=14)


def test_signing_out_ends_the_session_on_the_server(accounts: Accounts) -> None:
    _owner(accounts)
    signed = accounts.sign_in("ana@rivera.example", OWNER_PASSWORD)
    assert signed is not None
    session = accounts.session(signed.cookie)
    assert session is not None
    accounts.sign_out(session)
    assert accounts.session(signed.cookie) is None


def test_the_totp_code_is_needed_once_turned_on_and_works_once(
    accounts: Accounts, clock: Clock
) -> None:
    _owner(accounts)
    signed = accounts.sign_in("ana@rivera.example", OWNER_PASSWORD)
    assert signed is not None
    session = accounts.session(signed.cookie)
    assert session is not None
    secret, uri = accounts.begin_totp(session)
    assert uri.startswith("otpauth://totp/") and "secret=" in uri
    assert not accounts.confirm_totp(
        session,
        secret,
        "000000" if totp.code_at(secret, clock.now.timestamp()) != "000000" else "111111",
    )
    assert accounts.confirm_totp(session, secret, totp.code_at(secret, clock.now.timestamp()))
    clock.advance(seconds=60)
    again = accounts.sign_in("ana@rivera.example", OWNER_PASSWORD)
    assert again is not None and again.needs_code
    pending = accounts.session(again.cookie)
    assert pending is not None and pending.needs_code
    code = totp.code_at(secret, clock.now.timestamp())
    assert accounts.second_factor(pending, code)
    after = accounts.session(again.cookie)
    assert after is not None and not after.needs_code
    assert not accounts.second_factor(after, code)  # the same code twice: refused
    with accounts.store.engine.connect() as c:
        stored = c.execute(text("SELECT totp_secret FROM users")).all()
    assert all(secret.encode() not in (row[0] or b"") for row in stored)


def test_an_invitation_link_works_once_and_gives_its_role(accounts: Accounts) -> None:
    _owner(accounts)
    owner = accounts.session(accounts.sign_in("ana@rivera.example", OWNER_PASSWORD).cookie)  # type: ignore[union-attr]
    assert owner is not None
    link = accounts.invite(owner.actor, "ben@rivera.example", "Ben", Role.REVIEWER)
    with pytest.raises(InputError) as weak:
        accounts.accept(link, "short")
    assert weak.value.problems[0].code == "WEAK_PASSWORD"
    actor = accounts.accept(link, MEMBER_PASSWORD)
    assert actor.role is Role.REVIEWER and actor.org_id == owner.actor.org_id
    with pytest.raises(InputError) as used:
        accounts.accept(link, MEMBER_PASSWORD)
    assert "already used" in used.value.problems[0].message
    assert accounts.sign_in("ben@rivera.example", MEMBER_PASSWORD) is not None


def test_an_invitation_expires_after_seven_days(accounts: Accounts, clock: Clock) -> None:
    _owner(accounts)
    owner = accounts.session(accounts.sign_in("ana@rivera.example", OWNER_PASSWORD).cookie)  # type: ignore[union-attr]
    assert owner is not None
    link = accounts.invite(owner.actor, "ben@rivera.example", "Ben", Role.PREPARER)
    clock.advance(days=7, seconds=1)
    with pytest.raises(InputError) as late:
        accounts.accept(link, MEMBER_PASSWORD)
    assert "expired" in late.value.problems[0].message


def test_only_the_owner_invites(accounts: Accounts) -> None:
    from cocflow.services.access import Denied

    _owner(accounts)
    owner = accounts.session(accounts.sign_in("ana@rivera.example", OWNER_PASSWORD).cookie)  # type: ignore[union-attr]
    assert owner is not None
    preparer = accounts.accept(
        accounts.invite(owner.actor, "ben@rivera.example", "Ben", Role.PREPARER), MEMBER_PASSWORD
    )
    with pytest.raises(Denied):
        accounts.invite(preparer, "eve@rivera.example", "Eve", Role.OWNER)


def test_a_reset_link_sets_a_new_password_and_ends_every_session(accounts: Accounts) -> None:
    _owner(accounts)
    owner = accounts.session(accounts.sign_in("ana@rivera.example", OWNER_PASSWORD).cookie)  # type: ignore[union-attr]
    assert owner is not None
    accounts.accept(
        accounts.invite(owner.actor, "ben@rivera.example", "Ben", Role.PREPARER), MEMBER_PASSWORD
    )
    ben = accounts.sign_in("ben@rivera.example", MEMBER_PASSWORD)
    assert ben is not None
    user = accounts.store.user_by_email("ben@rivera.example")
    assert user is not None
    link = accounts.reset_link(owner.actor, user.id)
    accounts.reset_password(link, "another long passphrase for ben")
    assert accounts.session(ben.cookie) is None
    assert accounts.sign_in("ben@rivera.example", MEMBER_PASSWORD) is None
    assert accounts.sign_in("ben@rivera.example", "another long passphrase for ben") is not None
    with pytest.raises(InputError):
        accounts.reset_password(link, "yet another long passphrase")


def test_passwords_are_stored_as_argon2id(accounts: Accounts) -> None:
    _owner(accounts)
    user = accounts.store.user_by_email("ana@rivera.example")
    assert user is not None and user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert OWNER_PASSWORD not in user.password_hash


def test_an_access_token_acts_with_its_owner_role_until_withdrawn(accounts: Accounts) -> None:
    _owner(accounts)
    owner = accounts.session(accounts.sign_in("ana@rivera.example", OWNER_PASSWORD).cookie)  # type: ignore[union-attr]
    assert owner is not None
    secret = accounts.new_access_token(owner, "payroll sync")
    actor = accounts.token_actor(secret)
    assert actor is not None and actor.role is Role.OWNER
    (token,) = accounts.store.tokens(owner.actor.org_id or "", kind="access_token")
    accounts.store.revoke_token(token.digest)
    assert accounts.token_actor(secret) is None
    assert accounts.token_actor(secret + "x") is None


def test_the_audit_log_is_append_only_and_its_chain_shows_an_edit(accounts: Accounts) -> None:
    _owner(accounts)
    accounts.sign_in("ana@rivera.example", OWNER_PASSWORD)
    store = accounts.store
    assert store.audit_break() is None
    with store.engine.connect() as c, pytest.raises(Exception, match="append-only"):
        c.execute(text("UPDATE audit_log SET outcome = 'x'"))
    with store.engine.connect() as c, pytest.raises(Exception, match="append-only"):
        c.execute(text("DELETE FROM audit_log"))
    with store.engine.begin() as c:  # someone with the database's owner rights
        if c.dialect.name == "sqlite":
            c.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        first = c.execute(text("SELECT MIN(id) FROM audit_log")).scalar()
        c.execute(text("UPDATE audit_log SET outcome = 'denied' WHERE id = :i"), {"i": first})
    assert store.audit_break() == first
