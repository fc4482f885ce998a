"""A demo couple with a few weeks of revealed conversations and check-ins, made through the services.

Everything goes through the same service calls the pages use (pairing, conversation, check-ins,
therapist links), so the demo shows what the app really does; only the dates are moved back
afterwards, so that the history reads as weeks rather than one afternoon.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Answer, Couple, PromptInstance, Reflection, User, utcnow
from services.accounts import accounts
from services.accounts.accounts import RegistrationClaim
from services.checkins import checkins
from services.conversation import conversation
from services.couples import pairing
from services.delivery import delivery
from services.therapist import links

# (Alex's answer, Sam's answer, Alex's reflection of Sam, Sam's reflection of Alex)
CONVERSATIONS = (
    (
        "Walking home in the rain last week, when you gave me your scarf without saying anything.",
        "When you made soup on Sunday because I'd had a long week. It felt like being looked after.",
        "You felt looked after when I made soup on a hard week.",
        "Little things without words, like the scarf, matter a lot to you.",
    ),
    (
        "I'd like more evenings with our phones in another room.",
        "I'd love us to plan one small trip this spring, just the two of us.",
        "You'd like something to look forward to together, a trip that's only ours.",
        "You want evenings where we're really with each other, without screens.",
    ),
    (
        "I worry sometimes that I talk about work too much.",
        "I find it hard to ask for help, even from you.",
        "Asking for help is hard for you, even with me.",
        "You worry that work takes up too much of our time together.",
    ),
    (
        "Laughing until we cried at your sister's wedding.",
        "The morning we got lost in Porto and found that bakery.",
        "Getting lost and finding something good, together, is a favourite memory of yours.",
        "That wedding, laughing together, is one of your happiest moments.",
    ),
    (
        "Feeling that you're on my side when things are hard.",
        "Knowing I can tell you something difficult and you'll stay calm.",
        "You feel safest when you can tell me hard things and I stay steady.",
        "What matters most is feeling that I'm on your side.",
    ),
)
CHECK_INS = (
    {"connection": "6", "safety": "7", "feeling": "hopeful", "appreciation": "The soup.", "need": "A slow Sunday."},
    {"connection": "7", "safety": "7", "feeling": "calm", "appreciation": "You listened.", "need": "A walk."},
    {"connection": "8", "safety": "8", "feeling": "close", "appreciation": "The trip plan.", "need": "More of this."},
)


@dataclass(frozen=True)
class DemoPeople:
    alex_id: int
    sam_id: int
    therapist_id: int
    couple_id: int
    conversations: int


def _person(name: str, tag: str, role: str = "partner") -> User:
    email = f"{name.lower().replace(' ', '.')}+{tag}@demo.attune.test"
    # Nobody types this password: the demo is entered through its one-time sign-in links.
    password = secrets.token_urlsafe(24)
    practice = "Demo Counselling" if role == "therapist" else None
    user = accounts.create_account(RegistrationClaim(email, role, None), name, password, practice)
    user.timezone = "UTC"
    return user


def _talk(alex: User, sam: User, instance_id: int, lines: tuple[str, str, str, str]) -> None:
    """Both answer (the second reveals), each reflects the other, each feels heard."""
    a_answer, s_answer, a_reflects, s_reflects = lines
    conversation.submit_answer(alex, instance_id, a_answer)
    conversation.submit_answer(sam, instance_id, s_answer)
    of_sam = conversation.reflect(alex, instance_id, a_reflects)
    of_alex = conversation.reflect(sam, instance_id, s_reflects)
    conversation.respond(sam, instance_id, of_sam.id, "heard")
    conversation.respond(alex, instance_id, of_alex.id, "heard")


def _move_back(instance_id: int, when: datetime) -> None:
    """Date a finished conversation `when` (its answers and reflections a little after)."""
    db.session.execute(
        sa.update(PromptInstance)
        .where(PromptInstance.id == instance_id)
        .values(
            slot_at=when,
            delivered_at=when,
            revealed_at=when + timedelta(hours=3),
            completed_at=when + timedelta(hours=5),
        )
    )
    db.session.execute(
        sa.update(Answer)
        .where(Answer.instance_id == instance_id)
        .values(created_at=when + timedelta(hours=2), updated_at=when + timedelta(hours=2))
    )
    db.session.execute(
        sa.update(Reflection)
        .where(Reflection.instance_id == instance_id)
        .values(created_at=when + timedelta(hours=4), responded_at=when + timedelta(hours=5))
    )


def create_demo_couple(now: datetime | None = None) -> DemoPeople:
    """Alex and Sam, paired, with five revealed conversations over three weeks, three weekly check-ins,
    today's prompt waiting, and a therapist both have let see their progress. Flushes; the caller commits."""
    now = now or utcnow()
    tag = secrets.token_hex(3)
    alex, sam, therapist = _person("Alex", tag), _person("Sam", tag), _person("Dr Rivera", tag, "therapist")
    invite = pairing.create_couple(alex, timezone="UTC")
    couple = pairing.join(sam, code=invite.code)
    first = db.session.scalar(
        sa.select(PromptInstance.id).where(PromptInstance.couple_id == couple.id).order_by(PromptInstance.id)
    )
    days_back = [21, 17, 12, 8, 4]
    instance_ids = [first]
    for days in days_back[1:]:
        instance = delivery.deliver(db.session.get(Couple, couple.id), now - timedelta(days=days))
        if instance is None:
            break
        instance_ids.append(instance.id)
    for instance_id, lines in zip(instance_ids, CONVERSATIONS, strict=False):
        _talk(alex, sam, instance_id, lines)
    for instance_id, days in zip(instance_ids, days_back, strict=False):
        _move_back(instance_id, now - timedelta(days=days))
    # Today's prompt, still unanswered: the loop to try.
    delivery.deliver(db.session.get(Couple, couple.id), now)
    for weeks_ago, values in zip((3, 2, 1), CHECK_INS, strict=True):
        moment = now - timedelta(weeks=weeks_ago)
        for person in (alex, sam):
            checkins.submit(person, db.session.get(Couple, couple.id), values, moment)
    link = links.link_by_code(alex, links.link_code(therapist))
    for person in (alex, sam):
        links.consent(person, link.id, "progress")
    db.session.flush()
    return DemoPeople(alex.id, sam.id, therapist.id, couple.id, len(instance_ids))
