"""The therapist side of the gate: a therapist's link to a couple and its scope, resolved once per request.

The therapist blueprint resolves a TherapistAccess in its before_request hook
(blueprints/therapist/routes.py), and every function that reads a couple's data
for a therapist takes one and checks its scope itself (`require`), so a read
without a checked link and scope cannot be written. Consent is read afresh on
each request: a partner who withdraws is obeyed from the next request on.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from extensions import db
from models import TherapistLink, User
from services.common.errors import NotFound
from services.therapist.links import SCOPE_ORDER, LinkState, link_states, links_of_therapist


@dataclass(frozen=True)
class TherapistAccess:
    """One therapist's live link to one couple, with the scope both partners allow as of this request."""

    state: LinkState

    @property
    def couple_id(self) -> int:
        return self.state.link.couple_id

    def allows(self, scope: str) -> bool:
        return self.state.scope is not None and SCOPE_ORDER[self.state.scope] >= SCOPE_ORDER[scope]

    def require(self, scope: str) -> None:
        """NotFound unless both partners allow at least this scope."""
        if not self.allows(scope):
            raise NotFound(
                "That isn't shared with you." if self.state.scope else "Waiting for both partners to consent."
            )


def resolve(therapist: User, link_id: int) -> TherapistAccess:
    """The therapist's live link to a couple, with its scope as of this instant; NotFound otherwise."""
    if not therapist.is_therapist:
        raise NotFound("We couldn't find that couple.")
    link = db.session.scalar(
        sa.select(TherapistLink).where(
            TherapistLink.id == link_id, TherapistLink.therapist_id == therapist.id, TherapistLink.ended_at.is_(None)
        )
    )
    if link is None:
        raise NotFound("We couldn't find that couple.")
    return TherapistAccess(link_states([link])[0])


def of_dashboard(therapist: User) -> list[TherapistAccess]:
    """Every live link of the therapist, for the dashboard (each still checked per scope before a read)."""
    return [TherapistAccess(state) for state in links_of_therapist(therapist)]
