"""API routes: thin wrappers over the same services as the pages.

Each operation returns the services' own objects and declares the schema that
dumps them (blueprints/api/schemas.py), so the OpenAPI document describes
exactly what is sent.
"""

from __future__ import annotations

from flask import current_app
from flask_login import current_user, login_required
from marshmallow import Schema

from blueprints.api import bp
from blueprints.api.schemas import (
    AnswerInputSchema,
    ApiErrorSchema,
    CommitmentInputSchema,
    CommitmentListSchema,
    CommitmentSchema,
    CoupleSchema,
    DeviceListSchema,
    DeviceSchema,
    HistoryQuerySchema,
    HistorySchema,
    IdempotencyHeaderSchema,
    MeSchema,
    MomentInputSchema,
    PromptListSchema,
    PromptSchema,
    ReflectionInputSchema,
    ReflectionSchema,
    RepairAnswerInputSchema,
    RepairAskInputSchema,
    RepairBreakInputSchema,
    RepairConversationSchema,
    RepairListSchema,
    RepairNeedInputSchema,
    RepairNotYetInputSchema,
    RepairRespondInputSchema,
    RepairWordsInputSchema,
    ResponseInputSchema,
    SubscriptionInputSchema,
)
from blueprints.commit import commits
from services.access import repair as access_repair
from services.conversation import conversation, reading
from services.delivery import delivery
from services.notifications import devices, vapid
from services.repair import commitments, conversations

# Ids are 32-bit integers in every database Attune runs on: a larger one names nothing (404), and is
# refused by the URL converter before it could reach (and overflow) a query.

ERRORS = {
    400: "Bad request, such as a missing CSRF token",
    401: "Not logged in",
    404: "Not found, or not yours",
    409: "The request conflicts with the prompt's state",
    413: "The request body is larger than Attune accepts",
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


def operation(
    rule: str,
    method: str = "GET",
    *,
    response: type[Schema] | None = None,
    status: int = 200,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    keyed: bool = False,
    conflict: bool = False,
):
    """Declare one API operation: its route, the login it needs, its inputs (a JSON body or a query string,
    and the Idempotency-Key header when keyed), and the schema its response is dumped through. A write
    operation's changes are committed once, after its view has returned (blueprints.commit.commits).

    The errors it documents follow from that shape: 401 without a login, 400 for a write without its CSRF
    token, 404 where an id in the path may name nothing of mine, 422 where input may fail validation, 413
    where a body may be larger than the app accepts (MAX_CONTENT_LENGTH, which a journal entry of
    non-ASCII text written as JSON escapes can pass), and 409 where the request can conflict with the
    state of what it changes (conflict=True).
    """
    codes = {401}
    if method != "GET":
        codes.add(400)
    if "<" in rule:
        codes.add(404)
    if conflict:
        codes.add(409)
    if body is not None or query is not None:
        codes.add(422)
    if body is not None:
        codes.add(413)

    def decorate(view):
        if method != "GET":
            view = commits(view)
        view = bp.response(status, response)(documented_errors(*sorted(codes))(view))
        if body is not None:
            view = bp.arguments(body)(view)
        if query is not None:
            view = bp.arguments(query, location="query")(view)
        if keyed:
            view = bp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)(view)
        return bp.route(rule, methods=[method])(login_required(view))

    return decorate


@operation("/me", response=MeSchema)
def me():
    """Who am I, with the CSRF token for state-changing requests."""
    return current_user


@operation("/couple", response=CoupleSchema)
def couple():
    """Whether I'm paired, and with whom."""
    membership = current_user.active_membership
    if membership is None:
        return {"status": "unpaired", "couple_id": None, "partner": None, "depth_ceiling": None}
    partner = reading.partner_in(current_user, membership.couple_id)
    return {
        "status": "paired" if partner else "waiting",
        "couple_id": membership.couple_id,
        "partner": partner,
        "depth_ceiling": delivery.depth_ceiling(membership.couple_id),
    }


@operation("/prompts", response=PromptListSchema)
def prompts():
    """Open prompts and unfinished conversations, as on the Today page."""
    return reading.today(current_user)


@operation("/prompts/<id:instance_id>", response=PromptSchema)
def prompt(instance_id: int):
    """One prompt as I may see it: my answer, and my partner's only once both are in."""
    return reading.conversation(current_user, instance_id)


@operation(
    "/prompts/<id:instance_id>/answer", "PUT", body=AnswerInputSchema, keyed=True, response=PromptSchema, conflict=True
)
def put_answer(data: dict, instance_id: int, idempotency_key: str | None = None):
    """Save or edit my answer (until both have answered). Retrying with the same Idempotency-Key changes nothing."""
    conversation.submit_answer(current_user, instance_id, data["body"], idempotency_key)
    return reading.conversation(current_user, instance_id)


@operation(
    "/prompts/<id:instance_id>/reflections",
    "POST",
    body=ReflectionInputSchema,
    keyed=True,
    response=ReflectionSchema,
    status=201,
    conflict=True,
)
def post_reflection(data: dict, instance_id: int, idempotency_key: str | None = None):
    """Reflect back what I heard in my partner's answer."""
    reflection = conversation.reflect(current_user, instance_id, data["body"], idempotency_key)
    return reflection


@operation(
    "/prompts/<id:instance_id>/reflections/<id:reflection_id>/response",
    "POST",
    body=ResponseInputSchema,
    response=PromptSchema,
    conflict=True,
)
def post_response(data: dict, instance_id: int, reflection_id: int):
    """Say whether my partner's reflection left me feeling heard ("heard"), or what I'd add ("partly")."""
    conversation.respond(current_user, instance_id, reflection_id, data["response"], data.get("addition"))
    return reading.conversation(current_user, instance_id)


@operation("/prompts/<id:instance_id>/close", "POST", response=PromptSchema, conflict=True)
def post_close(instance_id: int):
    """Close the conversation on my side; it completes when both have closed it."""
    conversation.close(current_user, instance_id)
    return reading.conversation(current_user, instance_id)


@operation("/history", query=HistoryQuerySchema, response=HistorySchema)
def history(query: dict):
    """Revealed conversations, newest first, 20 a page."""
    return reading.history(current_user, query["page"])


@operation("/push/subscriptions", response=DeviceListSchema)
def push_devices():
    """My devices that get notifications, and the key a new one subscribes with."""
    return {
        "devices": devices.devices_of(current_user),
        "application_server_key": vapid.application_server_key(current_app.extensions["attune.vapid"]),
    }


@operation("/push/subscriptions", "POST", body=SubscriptionInputSchema, response=DeviceSchema, status=201)
@bp.alt_response(409, description="The endpoint is registered to another account", schema=ApiErrorSchema)
def add_push_device(data: dict):
    """Register this browser's push subscription (the PushSubscription JSON, plus a label).

    Posting my own endpoint again refreshes it and answers with the same id; an endpoint another
    account holds is refused (409) until that account turns it off.
    """
    subscription = devices.subscribe(
        current_user, data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"], data.get("label")
    )
    return subscription


@operation("/push/subscriptions/<id:subscription_id>", "DELETE", status=204)
def remove_push_device(subscription_id: int):
    """Stop notifications to one of my devices."""
    devices.remove(current_user, subscription_id)
    return None


# Repair conversations and commitments ------------------------------------------------


def _repair_done(conversation_id: int) -> conversations.RepairView:
    """The conversation after the step, as this partner may see it."""
    return conversations.read(current_user, conversation_id)


@operation("/repair", response=RepairListSchema)
def repair_list():
    """The live repair conversation (asked for or open), and the ones that have ended."""
    return {"live": conversations.live_for(current_user), "past": conversations.history_for(current_user)}


@operation(
    "/repair",
    "POST",
    body=RepairAskInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    status=201,
    conflict=True,
)
def ask_repair(data: dict, idempotency_key: str | None = None):
    """Ask for a repair conversation, as the one sharing (speaker) or offering to listen (listener)."""
    asked = conversations.ask(current_user, role=data["role"], topic=data["topic"], client_key=idempotency_key)
    return _repair_done(asked.id)


@operation("/repair/<id:conversation_id>", response=RepairConversationSchema)
def repair(conversation_id: int):
    """One repair conversation as I may see it (my partner's unsent first step never)."""
    return conversations.read(current_user, conversation_id)


@operation("/repair/<id:conversation_id>/accept", "POST", response=RepairConversationSchema, conflict=True)
def accept_repair(conversation_id: int):
    """Yes, now (only the partner who was asked; a second yes changes nothing)."""
    conversations.accept(current_user, conversation_id)
    return _repair_done(conversation_id)


@operation(
    "/repair/<id:conversation_id>/not-yet",
    "POST",
    body=RepairNotYetInputSchema,
    response=RepairConversationSchema,
    conflict=True,
)
def not_yet_repair(data: dict, conversation_id: int):
    """Not yet, with a time if I like; no reason is asked."""
    conversations.not_yet(current_user, conversation_id, data["when"])
    return _repair_done(conversation_id)


@operation(
    "/repair/<id:conversation_id>/draft",
    "PUT",
    body=RepairWordsInputSchema,
    response=RepairConversationSchema,
    conflict=True,
)
def draft_repair(data: dict, conversation_id: int):
    """Step 1, kept as my private draft."""
    conversations.save_draft(current_user, conversation_id, data["body"])
    return _repair_done(conversation_id)


def _words_step(service, conversation_id: int, data: dict, idempotency_key: str | None):
    service(current_user, conversation_id, data["body"], idempotency_key)
    return _repair_done(conversation_id)


@operation(
    "/repair/<id:conversation_id>/first",
    "POST",
    body=RepairWordsInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    conflict=True,
)
def send_first_repair(data: dict, conversation_id: int, idempotency_key: str | None = None):
    """Step 1 (speaker): send what happened and how it felt."""
    return _words_step(conversations.send_first, conversation_id, data, idempotency_key)


@operation(
    "/repair/<id:conversation_id>/reflect",
    "POST",
    body=RepairWordsInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    conflict=True,
)
def reflect_repair(data: dict, conversation_id: int, idempotency_key: str | None = None):
    """Step 2 (listener): say what I heard."""
    return _words_step(conversations.reflect, conversation_id, data, idempotency_key)


@operation(
    "/repair/<id:conversation_id>/respond",
    "POST",
    body=RepairRespondInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    conflict=True,
)
def respond_repair(data: dict, conversation_id: int, idempotency_key: str | None = None):
    """Step 3 (speaker): "heard", or "partly" with what I'd add."""
    conversations.respond(current_user, conversation_id, data["response"], data["addition"], idempotency_key)
    return _repair_done(conversation_id)


@operation(
    "/repair/<id:conversation_id>/acknowledge",
    "POST",
    body=RepairWordsInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    conflict=True,
)
def acknowledge_repair(data: dict, conversation_id: int, idempotency_key: str | None = None):
    """Step 4 (listener): acknowledge my part."""
    return _words_step(conversations.acknowledge, conversation_id, data, idempotency_key)


@operation(
    "/repair/<id:conversation_id>/need",
    "POST",
    body=RepairNeedInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    conflict=True,
)
def need_repair(data: dict, conversation_id: int, idempotency_key: str | None = None):
    """Step 5 (speaker): what I need now."""
    conversations.name_need(current_user, conversation_id, data["need"], data["body"], idempotency_key)
    return _repair_done(conversation_id)


@operation(
    "/repair/<id:conversation_id>/answer",
    "POST",
    body=RepairAnswerInputSchema,
    keyed=True,
    response=RepairConversationSchema,
    conflict=True,
)
def answer_repair(data: dict, conversation_id: int, idempotency_key: str | None = None):
    """Step 6 (listener): words, a commitment, or time."""
    conversations.answer_need(
        current_user, conversation_id, data["answer"], data["body"], data["commitment"], idempotency_key
    )
    return _repair_done(conversation_id)


@operation(
    "/repair/<id:conversation_id>/break",
    "POST",
    body=RepairBreakInputSchema,
    response=RepairConversationSchema,
    conflict=True,
)
def break_repair(data: dict, conversation_id: int):
    """Step away ("this will keep"), or come back."""
    (conversations.step_away if data["away"] else conversations.come_back)(current_user, conversation_id)
    return _repair_done(conversation_id)


@operation("/repair/<id:conversation_id>/close", "POST", response=RepairConversationSchema)
def close_repair(conversation_id: int):
    """Close it, at any step; my unsent first step is not kept."""
    conversations.close(current_user, conversation_id)
    return _repair_done(conversation_id)


def _commitment_done(commitment_id: int) -> commitments.CommitmentView:
    """The commitment after the change, with its moments."""
    return commitments.read(current_user, commitment_id)


@operation("/commitments", response=CommitmentListSchema)
def commitment_list():
    """Our commitments, with what was done and what was noticed (never what was missed)."""
    return {"commitments": commitments.for_partner(current_user)}


@operation(
    "/commitments", "POST", body=CommitmentInputSchema, keyed=True, response=CommitmentSchema, status=201, conflict=True
)
def make_commitment(data: dict, idempotency_key: str | None = None):
    """Make a commitment of my own."""
    commitment = commitments.make(current_user, data["text"], client_key=idempotency_key)
    return _commitment_done(commitment.id)


@operation("/commitments/<id:commitment_id>", response=CommitmentSchema)
def commitment(commitment_id: int):
    """One commitment."""
    return commitments.read(current_user, commitment_id)


@operation(
    "/commitments/<id:commitment_id>/revise",
    "POST",
    body=CommitmentInputSchema,
    response=CommitmentSchema,
    conflict=True,
)
def revise_commitment(data: dict, commitment_id: int):
    """Put my commitment differently."""
    commitments.revise(current_user, commitment_id, data["text"])
    return _commitment_done(commitment_id)


@operation("/commitments/<id:commitment_id>/retire", "POST", response=CommitmentSchema, conflict=True)
def retire_commitment(commitment_id: int):
    """Set my commitment down; it keeps what was done and noticed."""
    commitments.retire(current_user, commitment_id)
    return _commitment_done(commitment_id)


@operation(
    "/commitments/<id:commitment_id>/moments",
    "POST",
    body=MomentInputSchema,
    keyed=True,
    response=CommitmentSchema,
    status=201,
    conflict=True,
)
def add_commitment_moment(data: dict, commitment_id: int, idempotency_key: str | None = None):
    """ "I did this" when it is mine, "I noticed" when it is my partner's."""
    kind = "did" if access_repair.commitment_for(current_user, commitment_id).maker_id == current_user.id else "noticed"
    commitments.add_moment(current_user, commitment_id, kind, data["on"], data["note"], idempotency_key)
    return _commitment_done(commitment_id)
