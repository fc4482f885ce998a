"""All models, imported so that Alembic and the app see every table."""

from models.base import UTCDateTime, utcnow
from models.care import (
    SCOPES,
    AccessEntry,
    Assignment,
    AssignmentAnswer,
    CheckIn,
    Consent,
    TherapistLink,
    TherapistNote,
)
from models.conversation import Answer, PromptInstance, Reflection
from models.couple import Couple, Invite, Membership
from models.idempotency import RequestKey
from models.intake import Intake
from models.journal import JOURNAL_TAGS, JournalEntry
from models.library import Prompt, Theme
from models.mail import MailMessage
from models.moments import ReassuranceRequest
from models.push import NOTIFICATION_KINDS, PushMessage, PushSubscription
from models.repair import Commitment, CommitmentMoment, RepairConversation, RepairTurn
from models.user import ROLE_PARTNER, ROLE_THERAPIST, LoginSession, User

__all__ = [
    "AccessEntry",
    "Assignment",
    "AssignmentAnswer",
    "CheckIn",
    "Consent",
    "SCOPES",
    "TherapistLink",
    "TherapistNote",
    "Answer",
    "Commitment",
    "CommitmentMoment",
    "Intake",
    "JOURNAL_TAGS",
    "JournalEntry",
    "ReassuranceRequest",
    "RepairConversation",
    "RepairTurn",
    "Couple",
    "Invite",
    "LoginSession",
    "MailMessage",
    "Membership",
    "NOTIFICATION_KINDS",
    "Prompt",
    "PromptInstance",
    "PushMessage",
    "PushSubscription",
    "ROLE_PARTNER",
    "ROLE_THERAPIST",
    "Reflection",
    "RequestKey",
    "Theme",
    "User",
    "UTCDateTime",
    "utcnow",
]
