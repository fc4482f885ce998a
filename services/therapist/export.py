"""What a therapist may take away of one couple: progress and check-ins, and conversations if both allow them."""

from __future__ import annotations

from services.access.therapist import TherapistAccess
from services.checkins import checkins
from services.conversation import reading
from services.therapist import progress

EXPORT_CONVERSATIONS = 200


def couple_export(access: TherapistAccess, couple) -> dict:
    """The couple as the therapist may see it, as plain data; conversations only within that scope."""
    summary = progress.of_couple(access)
    data = {
        "couple": access.state.partner_names,
        "scope": access.state.scope,
        "progress_last_28_days": {
            "status": summary.status,
            "delivered": summary.delivered,
            "answered": summary.answered,
            "revealed": summary.revealed,
            "felt_heard_rate": summary.felt_heard_rate,
        },
        "checkins": [
            {"week": p.week.isoformat(), "connection": p.connection, "safety": p.safety}
            for p in checkins.series(couple)
        ],
    }
    if access.allows("conversations"):
        data["conversations"] = [
            {
                "prompt": shared.instance.text,
                "revealed_at": shared.instance.revealed_at.isoformat(),
                "answers": [{"by": name, "text": body} for name, body in shared.answers],
                "reflections": [
                    {"by": name, "text": r.body, "response": r.response, "addition": r.addition}
                    for name, r in shared.rounds
                ],
            }
            for shared in reading.shared_conversations(access, limit=EXPORT_CONVERSATIONS)
        ]
    return data
