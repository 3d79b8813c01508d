"""A team set up directly in the store (no password hashing): one organisation with a member of
each role, and a second organisation whose cases must stay invisible."""

from __future__ import annotations

from dataclasses import dataclass

from cocflow.services.access import Actor, Role
from cocflow.store.team import TeamStore


@dataclass
class Team:
    org: str
    other_org: str
    owner: Actor
    preparer: Actor  # sees only the cases assigned to them
    colleague: Actor  # another preparer, granted every case
    reviewer: Actor
    auditor: Actor
    outsider: Actor  # the owner of the other organisation

    def client(self, case_id: str) -> Actor:
        return Actor("client-user", self.org, Role.CLIENT, case_id=case_id, name="Client")


def make_team(store: TeamStore) -> Team:
    org, other = store.create_org("Rivera & Co"), store.create_org("Elsewhere LLP")

    def member(org_id: str, email: str, name: str, role: Role, all_cases: bool = False) -> Actor:
        user_id = store.create_user(email, name, None)
        store.add_member(org_id, user_id, role.value, all_cases=all_cases)
        return Actor(user_id, org_id, role, all_cases, name=name)

    return Team(
        org,
        other,
        member(org, "ana@rivera.example", "Ana Rivera", Role.OWNER, True),
        member(org, "ben@rivera.example", "Ben Okafor", Role.PREPARER),
        member(org, "cy@rivera.example", "Cy Tanaka", Role.PREPARER, True),
        member(org, "dee@rivera.example", "Dee Novak", Role.REVIEWER),
        member(org, "eli@rivera.example", "Eli Haddad", Role.AUDITOR),
        member(other, "zoe@elsewhere.example", "Zoe Park", Role.OWNER, True),
    )
