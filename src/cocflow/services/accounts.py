"""Team accounts: the organisation and its owner, invitations, signing in (password, then the
optional TOTP code), sessions, password resets, and personal access tokens.

Every outcome of a sign-in attempt is written to the audit log. A wrong password, an unknown
address and a paused account get the same answer and cost the same time, so the sign-in page
tells nobody which addresses have accounts. Ten failures in a row pause the account for
fifteen minutes (at most 40 password checks an hour, under the 100 that NIST SP 800-63B and
ASVS allow).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cocflow.accounts import passwords, totp
from cocflow.accounts.tokens import Grant, TokenKind, grant_problem, new_token, token_digest
from cocflow.errors import InputError, Problem
from cocflow.services.access import Action, Actor, Role, require
from cocflow.store.team import Member, TeamStore, Token, User

__all__ = [
    "FAILURES_BEFORE_PAUSE",
    "IDLE",
    "LIFETIME",
    "PAUSE",
    "Accounts",
    "SignIn",
    "SignedIn",
]

FAILURES_BEFORE_PAUSE = 10
PAUSE = timedelta(minutes=15)
IDLE = timedelta(minutes=15)  # a team's sessions: 15 minutes idle, 12 hours in all
LIFETIME = timedelta(hours=12)
INVITATION_LIFE = timedelta(days=7)
RESET_LIFE = timedelta(hours=1)
ACCESS_TOKEN_LIFE = timedelta(days=365)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
NOT_SIGNED_IN = (
    "The e-mail address or the password is not right, or the account is paused for 15 "
    "minutes after too many tries."
)


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _problem(path: str, code: str, message: str, fix: str) -> InputError:
    return InputError([Problem(path, code, message, fix)])


def _actor(member: Member) -> Actor:
    """The actor a membership makes."""
    return Actor(
        member.user.id,
        member.org_id,
        Role(member.role),
        member.all_cases,
        member.case_id,
        member.user.name,
    )


def normal_email(email: str) -> str:
    """The address as stored: trimmed and lowercased (addresses are compared that way)."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class SignIn:
    """A sign-in that passed the password: the cookie value to set, and whether the TOTP code
    is still needed before any client data is shown."""

    cookie: str
    needs_code: bool


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who, and the form token of its pages."""

    actor: Actor
    user: User
    csrf: str
    needs_code: bool
    digest: str


class Accounts:
    """The team's accounts, in the case store's database."""

    def __init__(
        self,
        store: TeamStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.clock = clock

    def _digest(self, secret: str) -> str:
        return token_digest(self.store.keys.mac_key, secret)

    def _token(self, secret: str) -> Token | None:
        """The token of ``secret``: its digest under the key, or under a key it replaced (a
        link or access token made before a key rotation)."""
        for key in self.store.keys.ring:
            token = self.store.token(token_digest(key.mac_key, secret))
            if token is not None:
                return token
        return None

    def _issue(
        self, kind: TokenKind, prefix: str, org_id: str, life: timedelta, **fields: Any
    ) -> str:
        """A new secret of ``kind`` (shown once): only its keyed digest is stored."""
        secret = new_token(prefix)
        expires = (self.clock() + life).isoformat()
        self.store.add_token(self._digest(secret), kind.value, org_id, expires_at=expires, **fields)
        return secret

    # --- setting up ----------------------------------------------------------------------

    def create_organisation(self, name: str, email: str, owner_name: str, password: str) -> Actor:
        """A new organisation with its first owner."""
        email = normal_email(email)
        self._check_email(email)
        if not name.strip():
            raise _problem(
                "organisation", "REQUIRED", "The organisation needs a name.", "type its name."
            )
        self._check_password(password, context=(email, name), second_factor=False)
        if self.store.user_by_email(email) is not None:
            raise _problem(
                "email",
                "EMAIL_TAKEN",
                "This e-mail address already has an account.",
                "use another address, or ask that organisation's owner to invite you.",
            )
        org_id = self.store.create_org(name.strip())
        user_id = self.store.create_user(
            email, owner_name.strip() or email, passwords.hash_password(password)
        )
        self.store.add_member(org_id, user_id, Role.OWNER.value, all_cases=True)
        self.store.audit(org_id=org_id, actor=user_id, action="organisation.create")
        return Actor(user_id, org_id, Role.OWNER, True, name=owner_name.strip() or email)

    def invite(
        self,
        actor: Actor,
        email: str,
        name: str,
        role: Role,
        *,
        all_cases: bool = False,
        case_id: str | None = None,
    ) -> str:
        """An invitation link's secret for ``email`` to join the actor's organisation (valid
        seven days, once). The owner hands the link over; cocflow sends no e-mail."""
        require(actor, Action.MEMBERS_MANAGE)
        assert actor.org_id is not None
        email = normal_email(email)
        self._check_email(email)
        user = self.store.user_by_email(email)
        user_id = user.id if user else self.store.create_user(email, name.strip() or email, None)
        secret = self._issue(
            TokenKind.INVITATION,
            "cfinv_",
            actor.org_id,
            INVITATION_LIFE,
            user_id=user_id,
            role=role.value,
            case_id=case_id,
            label="all" if all_cases else "",
            created_by=actor.user_id,
        )
        self.store.audit(
            org_id=actor.org_id,
            actor=actor.user_id,
            action="member.invite",
            target=user_id,
            detail={"role": role.value},
        )
        return secret

    def invitation(self, secret: str) -> tuple[Token, User]:
        """The invitation behind a link, or a problem saying why the link does not work."""
        token = self._grant(secret, TokenKind.INVITATION)
        user = self.store.user(token.user_id or "")
        assert user is not None
        return token, user

    def accept(self, secret: str, password: str, name: str = "") -> Actor:
        """Join with an invitation link: set the password (first time) and become a member."""
        token, user = self.invitation(secret)
        if user.password_hash is None:
            self._check_password(password, context=(user.email,), second_factor=user.has_totp)
        elif not passwords.verify_password(user.password_hash, password):
            raise _problem(
                "password",
                "WRONG_PASSWORD",
                "You already have an account: this is not its password.",
                "type the password you sign in with.",
            )
        if not self.store.use_token(token.digest):
            raise _problem("link", "LINK_USED", "This link was already used.", "ask for a new one.")
        if user.password_hash is None:
            self.store.set_password(user.id, passwords.hash_password(password))
        if name.strip():
            self.store.set_name(user.id, name.strip())
        role = Role(token.role or Role.PREPARER.value)
        self.store.add_member(
            token.org_id, user.id, role.value, all_cases=token.label == "all", case_id=token.case_id
        )
        self.store.audit(org_id=token.org_id, actor=user.id, action="member.join")
        return Actor(user.id, token.org_id, role, token.label == "all", token.case_id, user.name)

    # --- signing in ----------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> SignIn | None:
        """A new session for a right e-mail address and password, else None (always the same
        answer and about the same time, whatever was wrong)."""
        now = self.clock()
        user = self.store.user_by_email(normal_email(email))
        locked = user is not None and (_utc(user.locked_until) or now) > now
        if user is None or user.password_hash is None or locked:
            passwords.burn_time(password)
            self._audit_sign_in(user, "denied", "paused" if locked else "unknown")
            return None
        if not passwords.verify_password(user.password_hash, password):
            failures = user.failures + 1
            pause = failures >= FAILURES_BEFORE_PAUSE
            self.store.sign_in_result(
                user.id,
                failures=0 if pause else failures,
                locked_until=(now + PAUSE).isoformat() if pause else None,
            )
            self._audit_sign_in(user, "denied", "paused now" if pause else "wrong password")
            return None
        if passwords.needs_rehash(user.password_hash):
            self.store.set_password(user.id, passwords.hash_password(password))
        self.store.sign_in_result(user.id, failures=0, locked_until=None)
        orgs = self.store.orgs_of(user.id)
        if not orgs:
            self._audit_sign_in(user, "denied", "no organisation")
            return None
        cookie = new_token()
        self.store.open_session(
            self._digest(cookie),
            user.id,
            orgs[0],
            secrets.token_urlsafe(32),
            second_factor=not user.has_totp,
            at=now.isoformat(),
        )
        self._audit_sign_in(user, "ok", "password")
        return SignIn(cookie, user.has_totp)

    def _audit_sign_in(self, user: User | None, outcome: str, why: str) -> None:
        orgs = self.store.orgs_of(user.id) if user else []
        self.store.audit(
            org_id=orgs[0] if orgs else None,
            actor=user.id if user else None,
            action="sign_in",
            outcome=outcome,
            detail={"why": why},
        )

    def session(self, cookie: str | None) -> SignedIn | None:
        """The live session for a cookie's value, else None (expired ones are ended)."""
        if not cookie:
            return None
        digest = self._digest(cookie)
        row = self.store.session(digest)
        if row is None:
            return None
        now = self.clock()
        seen, started = datetime.fromisoformat(row.seen_at), datetime.fromisoformat(row.started_at)
        if now - seen > IDLE or now - started > LIFETIME:
            self.store.close_session(digest)
            return None
        member = self.store.member(row.org_id, row.user_id)
        if member is None:  # removed from the organisation since
            self.store.close_session(digest)
            return None
        self.store.touch_session(digest, at=now.isoformat())
        actor = _actor(member)
        return SignedIn(actor, member.user, row.csrf, not row.second_factor, digest)

    def second_factor(self, signed: SignedIn, code: str) -> bool:
        """Check the TOTP code of a session that passed the password; True when it is right
        (a code works once)."""
        secret = self.store.totp_secret(signed.user.id)
        if secret is None:
            return True
        step = totp.check(secret, code, self.clock().timestamp(), last_step=signed.user.totp_step)
        ok = step is not None and self.store.use_totp_step(signed.user.id, step)
        if ok:
            self.store.touch_session(signed.digest, second_factor=True, at=self.clock().isoformat())
        self.store.audit(
            org_id=signed.actor.org_id,
            actor=signed.user.id,
            action="sign_in.code",
            outcome="ok" if ok else "denied",
        )
        return ok

    def sign_out(self, signed: SignedIn) -> None:
        self.store.close_session(signed.digest)
        self.store.audit(org_id=signed.actor.org_id, actor=signed.user.id, action="sign_out")

    # --- the second factor ----------------------------------------------------------------

    def begin_totp(self, signed: SignedIn) -> tuple[str, str]:
        """A new TOTP secret for the user to add to their app, and its otpauth URI (kept by
        the caller until :meth:`confirm_totp` proves the app has it)."""
        secret = totp.new_secret()
        return secret, totp.otpauth_uri(secret, signed.user.email)

    def confirm_totp(self, signed: SignedIn, secret: str, code: str) -> bool:
        step = totp.check(secret, code, self.clock().timestamp(), last_step=None)
        if step is None:
            return False
        self.store.set_totp(signed.user.id, secret)
        self.store.use_totp_step(signed.user.id, step)
        self.store.audit(org_id=signed.actor.org_id, actor=signed.user.id, action="totp.on")
        return True

    # --- password reset -------------------------------------------------------------------

    def reset_link(self, actor: Actor, user_id: str) -> str:
        """A one-time password-reset link's secret for a member (valid one hour), made by the
        owner and handed over: cocflow sends no e-mail."""
        require(actor, Action.MEMBERS_MANAGE)
        assert actor.org_id is not None
        if self.store.member(actor.org_id, user_id) is None:
            raise _problem("member", "UNKNOWN_MEMBER", "There is no such member.", "pick one.")
        return self._reset_link(actor.org_id, user_id, by=actor.user_id)

    def reset_link_for(self, email: str) -> str | None:
        """A reset link's secret for the member with this address, made on the server by
        whoever holds the key (an owner locked out); None when there is no such member."""
        user = self.store.user_by_email(normal_email(email))
        orgs = self.store.orgs_of(user.id) if user else []
        return self._reset_link(orgs[0], user.id, by=None) if user and orgs else None

    def _reset_link(self, org_id: str, user_id: str, *, by: str | None) -> str:
        secret = self._issue(
            TokenKind.PASSWORD_RESET,
            "cfrst_",
            org_id,
            RESET_LIFE,
            user_id=user_id,
            created_by=by,
        )
        self.store.audit(
            org_id=org_id,
            actor=by,
            action="password.reset_link",
            target=user_id,
            detail={} if by else {"by": "command line"},
        )
        return secret

    def reset_password(self, secret: str, password: str) -> None:
        token = self._grant(secret, TokenKind.PASSWORD_RESET)
        user = self.store.user(token.user_id or "")
        assert user is not None
        self._check_password(password, context=(user.email,), second_factor=user.has_totp)
        if not self.store.use_token(token.digest):
            raise _problem("link", "LINK_USED", "This link was already used.", "ask for a new one.")
        self.store.set_password(user.id, passwords.hash_password(password))
        self.store.close_sessions_of(user.id)  # every browser signs in again
        self.store.audit(org_id=token.org_id, actor=user.id, action="password.reset")

    # --- a client's questionnaire link ---------------------------------------------------

    def open_questionnaire(self, secret: str) -> tuple[SignIn, str]:
        """Sign a client in to their own case with a questionnaire link (it works once): the
        session's cookie and the case id. The client gets a member record of role client,
        tied to the case, the first time."""
        token = self._grant(secret, TokenKind.QUESTIONNAIRE)
        case_id = token.case_id or ""
        if not self.store.use_token(token.digest):
            raise _problem("link", "LINK_USED", "This link was already used.", "ask for a new one.")
        email = f"client-{case_id}@clients.cocflow.invalid"  # no address is known or needed
        user = self.store.user_by_email(email)
        user_id = user.id if user else self.store.create_user(email, "Client", None)
        self.store.add_member(token.org_id, user_id, Role.CLIENT.value, case_id=case_id)
        cookie = new_token()
        self.store.open_session(
            self._digest(cookie),
            user_id,
            token.org_id,
            secrets.token_urlsafe(32),
            second_factor=True,
            at=self.clock().isoformat(),
        )
        self.store.audit(
            org_id=token.org_id, actor=user_id, action="questionnaire.open", target=case_id
        )
        return SignIn(cookie, False), case_id

    # --- calendar feeds -------------------------------------------------------------------

    def feed_address(self, signed: SignedIn, scope: str) -> str:
        """A new secret for the member's calendar feed (``scope`` "mine": the cases assigned
        to them; "team": every case they see). The previous one of that scope stops working."""
        require(signed.actor, Action.TOKENS_OWN)
        assert signed.actor.org_id is not None
        for old in self.store.tokens(
            signed.actor.org_id, kind=TokenKind.CALENDAR_FEED.value, user_id=signed.user.id
        ):
            if old.label == scope and old.revoked_at is None:
                self.store.revoke_token(old.digest)
        secret = self._issue(
            TokenKind.CALENDAR_FEED,
            "cfcal_",
            signed.actor.org_id,
            ACCESS_TOKEN_LIFE,
            user_id=signed.user.id,
            label=scope,
            created_by=signed.user.id,
        )
        self.store.audit(
            org_id=signed.actor.org_id,
            actor=signed.user.id,
            action="calendar.address",
            detail={"scope": scope},
        )
        return secret

    def feed_actor(self, secret: str) -> tuple[Actor, str] | None:
        """The member and scope of a calendar feed's secret, or None."""
        token = self._token(secret) if secret else None
        if token is None or token.kind != TokenKind.CALENDAR_FEED.value:
            return None
        if grant_problem(self._as_grant(token), self.clock()) is not None:
            return None
        member = self.store.member(token.org_id, token.user_id or "")
        if member is None:
            return None
        actor = _actor(member)
        return actor, token.label

    # --- personal access tokens (the API) -------------------------------------------------

    def new_access_token(self, signed: SignedIn, label: str) -> str:
        """A personal access token for the API, with the member's own role; shown once."""
        require(signed.actor, Action.TOKENS_OWN)
        assert signed.actor.org_id is not None
        secret = self._issue(
            TokenKind.ACCESS_TOKEN,
            "cfpat_",
            signed.actor.org_id,
            ACCESS_TOKEN_LIFE,
            user_id=signed.user.id,
            label=label.strip()[:200] or "API",
            created_by=signed.user.id,
        )
        self.store.audit(org_id=signed.actor.org_id, actor=signed.user.id, action="token.new")
        return secret

    def token_actor(self, secret: str) -> Actor | None:
        """The actor of a personal access token, or None (unknown, expired, withdrawn, or its
        owner no longer a member)."""
        token = self._token(secret)
        if token is None or token.kind != TokenKind.ACCESS_TOKEN.value:
            return None
        if grant_problem(self._as_grant(token), self.clock()) is not None:
            return None
        member = self.store.member(token.org_id, token.user_id or "")
        if member is None:
            return None
        return _actor(member)

    # --- shared checks --------------------------------------------------------------------

    @staticmethod
    def _as_grant(token: Token) -> Grant:
        return Grant(
            TokenKind(token.kind),
            _utc(token.expires_at) or datetime.max.replace(tzinfo=UTC),
            _utc(token.used_at),
            token.revoked_at is not None,
        )

    def _grant(self, secret: str, kind: TokenKind) -> Token:
        token = self._token(secret) if secret else None
        if token is None or token.kind != kind.value:
            raise _problem(
                "link",
                "UNKNOWN_LINK",
                "This link does not work: it may have been cut short when it was copied.",
                "copy the whole link again, or ask for a new one.",
            )
        problem = grant_problem(self._as_grant(token), self.clock())
        if problem is not None:
            raise _problem("link", "LINK_NOT_USABLE", problem, "")
        return token

    @staticmethod
    def _check_email(email: str) -> None:
        if not _EMAIL.fullmatch(email) or len(email) > 254:
            raise _problem(
                "email",
                "BAD_EMAIL",
                "This is not an e-mail address.",
                "type it as name@example.com.",
            )

    @staticmethod
    def _check_password(password: str, *, context: tuple[str, ...], second_factor: bool) -> None:
        found = passwords.password_problems(password, second_factor=second_factor, context=context)
        if found:
            raise InputError(
                [Problem("password", "WEAK_PASSWORD", message, "") for message in found]
            )
