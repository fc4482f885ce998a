"""What a therapist may take away of one couple: progress and check-ins, and conversations if both allow them."""

from __future__ import annotations

from services.access.therapist import TherapistAccess
from services.checkins import checkins
from services.conversation import reading
from services.moments import reassurance
from services.therapist import progress

EXPORT_CONVERSATIONS = 200


def couple_export(access: TherapistAccess) -> dict:
    """The couple as the therapist may see it, as plain data; conversations only within that scope."""
    # Said here, not left to the first read's own check: the check-ins, CSI-4 and reassurance counts below
    # need the progress scope too, and once a partner revokes it nothing of them may be downloaded.
    access.require("progress")
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
        # Each partner's own series (a safety score is never averaged), gaps as null.
        "checkins": [
            {
                "partner": series.person.name,
                "weeks": [
                    {"week": week.isoformat(), "connection": connection, "safety": safety}
                    for week, connection, safety in zip(series.weeks, series.connection, series.safety, strict=True)
                ],
            }
            for series in checkins.for_therapist(access)
        ],
        # Each partner's CSI-4 totals (Funk & Rogge 2007, 0-21), every fourth week, gaps as null.
        "csi4": checkins.csi_per_person(access),
        # Hard moments: only how many reassurance requests were sent and answered each week, never the words.
        "reassurance_requests_per_week": [
            {"week": c.week.isoformat(), "sent": c.sent, "answered": c.answered}
            for c in reassurance.weekly_counts(access)
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
