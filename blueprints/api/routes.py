"""API routes: thin wrappers over the same services as the pages."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from blueprints.api import bp
from blueprints.api.schemas import (
    AnswerInputSchema,
    ApiErrorSchema,
    CoupleSchema,
    DeviceListSchema,
    DeviceSchema,
    HistoryQuerySchema,
    HistorySchema,
    IdempotencyHeaderSchema,
    MeSchema,
    PromptListSchema,
    PromptSchema,
    ReflectionInputSchema,
    ReflectionSchema,
    ResponseInputSchema,
    SubscriptionInputSchema,
)
from extensions import db
from services.conversation import conversation, reading
from services.conversation.conversation import Direction
from services.delivery import delivery
from services.notifications import devices, vapid

# Ids are 32-bit integers in every database Attune runs on: a larger one names nothing (404), and is
# refused by the URL converter before it could reach (and overflow) a query.

ERRORS = {
    400: "Bad request, such as a missing CSRF token",
    401: "Not logged in",
    404: "Not found, or not yours",
    409: "The request conflicts with the prompt's state",
    422: "The input failed validation",
    429: "Too many requests",
}


def documented_errors(*codes: int):
    """Declare the error responses a route can give, so the OpenAPI document lists them."""

    def decorate(view):
        for code in codes:
            view = bp.alt_response(code, description=ERRORS[code], schema=ApiErrorSchema)(view)
        return view

    return decorate


def _direction(direction: Direction | None) -> dict | None:
    if direction is None:
        return None
    return {
        "state": direction.state,
        "rounds": [
            {
                "id": r.id,
                "round": r.round,
                "by": "me" if r.listener_id == current_user.id else "partner",
                "body": r.body,
                "response": r.response,
                "addition": r.addition,
                "created_at": r.created_at,
            }
            for r in direction.rounds
        ],
    }


def prompt_payload(card: reading.Card) -> dict:
    instance, sealed = card.instance, card.sealed
    theme = instance.theme
    return {
        "id": instance.id,
        "text": instance.text,
        "follow_up": instance.follow_up,
        "depth": instance.depth,
        "source": instance.source,
        "theme": {"id": theme.id, "name": theme.name} if theme else None,
        "delivered_at": instance.delivered_at,
        "state": card.state,
        "my_answer": sealed.mine.body if sealed.mine else None,
        "partner_answered": sealed.partner_answered,
        "partner_answer": sealed.partner.body if sealed.partner else None,
        "guidance": (
            {k: getattr(theme, k) for k in ("mirror", "validate", "empathise", "avoid", "starters")}
            if theme and sealed.revealed
            else None
        ),
        "listening": _direction(card.listening),
        "being_heard": _direction(card.being_heard),
    }


@bp.route("/me")
@login_required
@bp.response(200, MeSchema)
@documented_errors(401)
def me():
    """Who am I, with the CSRF token for state-changing requests."""
    user = current_user
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "max_depth": user.max_depth,
        "csrf_token": generate_csrf(),
    }


@bp.route("/couple")
@login_required
@bp.response(200, CoupleSchema)
@documented_errors(401)
def couple():
    """Whether I'm paired, and with whom."""
    membership = current_user.active_membership
    if membership is None:
        return {"status": "unpaired", "couple_id": None, "partner": None, "depth_ceiling": None}
    partner = reading.partner_in(current_user, membership.couple_id)
    return {
        "status": "paired" if partner else "waiting",
        "couple_id": membership.couple_id,
        "partner": {"display_name": partner.display_name} if partner else None,
        "depth_ceiling": delivery.depth_ceiling(membership.couple_id),
    }


@bp.route("/prompts")
@login_required
@bp.response(200, PromptListSchema)
@documented_errors(401)
def prompts():
    """Open prompts and unfinished conversations, as on the Today page."""
    view = reading.today(current_user)
    return {
        "open": [prompt_payload(card) for card in view.open_cards],
        "conversations": [prompt_payload(card) for card in view.conversations],
    }


@bp.route("/prompts/<id:instance_id>")
@login_required
@bp.response(200, PromptSchema)
@documented_errors(401, 404)
def prompt(instance_id: int):
    """One prompt as I may see it: my answer, and my partner's only once both are in."""
    return prompt_payload(reading.conversation(current_user, instance_id))


@bp.route("/prompts/<id:instance_id>/answer", methods=["PUT"])
@login_required
@bp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
@bp.arguments(AnswerInputSchema)
@bp.response(200, PromptSchema)
@documented_errors(400, 401, 404, 409, 422)
def put_answer(data: dict, instance_id: int, idempotency_key: str | None = None):
    """Save or edit my answer (until both have answered). Retrying with the same Idempotency-Key changes nothing."""
    conversation.submit_answer(current_user, instance_id, data["body"], idempotency_key)
    db.session.commit()
    return prompt_payload(reading.conversation(current_user, instance_id))


@bp.route("/prompts/<id:instance_id>/reflections", methods=["POST"])
@login_required
@bp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
@bp.arguments(ReflectionInputSchema)
@bp.response(201, ReflectionSchema)
@documented_errors(400, 401, 404, 409, 422)
def post_reflection(data: dict, instance_id: int, idempotency_key: str | None = None):
    """Reflect back what I heard in my partner's answer."""
    reflection = conversation.reflect(current_user, instance_id, data["body"], idempotency_key)
    db.session.commit()
    return {
        "id": reflection.id,
        "round": reflection.round,
        "by": "me",
        "body": reflection.body,
        "response": reflection.response,
        "addition": reflection.addition,
        "created_at": reflection.created_at,
    }


@bp.route("/prompts/<id:instance_id>/reflections/<id:reflection_id>/response", methods=["POST"])
@login_required
@bp.arguments(ResponseInputSchema)
@bp.response(200, PromptSchema)
@documented_errors(400, 401, 404, 409, 422)
def post_response(data: dict, instance_id: int, reflection_id: int):
    """Say whether my partner's reflection left me feeling heard ("heard"), or what I'd add ("partly")."""
    conversation.respond(current_user, instance_id, reflection_id, data["response"], data.get("addition"))
    db.session.commit()
    return prompt_payload(reading.conversation(current_user, instance_id))


@bp.route("/prompts/<id:instance_id>/close", methods=["POST"])
@login_required
@bp.response(200, PromptSchema)
@documented_errors(400, 401, 404, 409)
def post_close(instance_id: int):
    """Close the conversation on my side; it completes when both have closed it."""
    conversation.close(current_user, instance_id)
    db.session.commit()
    return prompt_payload(reading.conversation(current_user, instance_id))


@bp.route("/history")
@login_required
@bp.arguments(HistoryQuerySchema, location="query")
@bp.response(200, HistorySchema)
@documented_errors(401, 422)
def history(query: dict):
    """Revealed conversations, newest first, 20 a page."""
    page = reading.history(current_user, query["page"])
    return {"page": page.page, "has_next": page.has_next, "items": [prompt_payload(c) for c in page.cards]}


def _device(subscription) -> dict:
    return {"id": subscription.id, "label": subscription.label, "created_at": subscription.created_at}


@bp.route("/push/subscriptions")
@login_required
@bp.response(200, DeviceListSchema)
@documented_errors(401)
def push_devices():
    """My devices that get notifications, and the key a new one subscribes with."""
    return {
        "devices": [_device(d) for d in devices.devices_of(current_user)],
        "application_server_key": vapid.application_server_key(current_app.extensions["attune.vapid"]),
    }


@bp.route("/push/subscriptions", methods=["POST"])
@login_required
@bp.arguments(SubscriptionInputSchema)
@bp.response(201, DeviceSchema)
@bp.alt_response(409, description="The endpoint is registered to another account", schema=ApiErrorSchema)
@documented_errors(400, 401, 422)
def add_push_device(data: dict):
    """Register this browser's push subscription (the PushSubscription JSON, plus a label).

    Posting my own endpoint again refreshes it and answers with the same id; an endpoint another
    account holds is refused (409) until that account turns it off.
    """
    subscription = devices.subscribe(
        current_user, data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"], data.get("label")
    )
    db.session.commit()
    return _device(subscription)


@bp.route("/push/subscriptions/<id:subscription_id>", methods=["DELETE"])
@login_required
@bp.response(204)
@documented_errors(400, 401, 404)
def remove_push_device(subscription_id: int):
    """Stop notifications to one of my devices."""
    devices.remove(current_user, subscription_id)
    db.session.commit()
    return None
