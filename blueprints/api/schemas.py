"""Request and response shapes of the API; the OpenAPI document is generated from these.

Responses are dumped from the services' own objects (reading.Card, RepairView,
CommitmentView, the models), so what the document describes is what is sent:
a response schema names only fields a person may see, and a sealed value
never reaches one (the services' views hold None in its place).
"""

from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, ValidationError, fields, validate

from services.common.text import unstorable
from services.conversation.conversation import ANSWER_MAX, REFLECTION_MAX
from services.conversation.reading import HISTORY_MAX_PAGE
from services.notifications.devices import ENDPOINT_MAX, LABEL_MAX


class ApiErrorSchema(Schema):
    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True, metadata={"description": "Written to be shown to the person."})
    errors = fields.Dict(metadata={"description": "Problems by field name."})


class Whose(fields.String):
    """ "me" or "partner": whose a row is, seen from the logged-in person (the attribute is a user id)."""

    def __init__(self, attribute: str, **kwargs):
        super().__init__(attribute=attribute, required=True, validate=validate.OneOf(["me", "partner"]), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs) -> str:
        return "me" if value == current_user.id else "partner"


def _through(path: str, field: type[fields.Field] = fields.String, **kwargs) -> fields.Field:
    """A value read through an optional object (such as "sealed.mine.body"): null when the object is absent."""
    return field(attribute=path, dump_default=None, allow_none=True, required=True, **kwargs)


class MeSchema(Schema):
    """Dumped from the logged-in User."""

    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["partner", "therapist"]))
    max_depth = fields.Integer(required=True)
    # Not an attribute of the user: the token of this session, made when the field is dumped.
    csrf_token = fields.String(
        required=True, dump_default=generate_csrf, metadata={"description": "Send in X-CSRFToken on POST/PUT."}
    )


class PersonSchema(Schema):
    display_name = fields.String(required=True)


class CoupleSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["unpaired", "waiting", "paired"]))
    couple_id = fields.Integer(allow_none=True, required=True)
    partner = fields.Nested(PersonSchema, allow_none=True, required=True)
    depth_ceiling = fields.Integer(allow_none=True, required=True)


class ThemeSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class GuidanceSchema(Schema):
    mirror = fields.String(required=True)
    validate = fields.String(required=True)
    empathise = fields.String(required=True)
    avoid = fields.List(fields.String(), required=True)
    starters = fields.List(fields.String(), required=True)


class ReflectionSchema(Schema):
    """Dumped from a Reflection row."""

    id = fields.Integer(required=True)
    round = fields.Integer(required=True)
    by = Whose("listener_id")
    body = fields.String(required=True)
    response = fields.String(allow_none=True, required=True, validate=validate.OneOf(["heard", "partly"]))
    addition = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class DirectionSchema(Schema):
    """Dumped from a conversation.Direction."""

    state = fields.String(required=True, validate=validate.OneOf(["awaiting_reflection", "awaiting_response", "heard"]))
    rounds = fields.List(fields.Nested(ReflectionSchema), required=True)


class PromptSchema(Schema):
    """Dumped from a reading.Card: the instance, and the answers as access.SealedPair lets this person see them."""

    id = fields.Integer(required=True, attribute="instance.id")
    text = fields.String(required=True, attribute="instance.text")
    follow_up = fields.String(allow_none=True, required=True, attribute="instance.follow_up")
    depth = fields.Integer(required=True, attribute="instance.depth")
    source = fields.String(required=True, attribute="instance.source")
    theme = fields.Nested(ThemeSchema, allow_none=True, required=True, attribute="instance.theme")
    delivered_at = fields.DateTime(required=True, attribute="instance.delivered_at")
    state = fields.String(
        required=True,
        validate=validate.OneOf(["yours", "waiting", "revealed", "complete"]),
        metadata={"description": "yours: you haven't answered; waiting: your partner hasn't; then revealed, complete."},
    )
    my_answer = _through("sealed.mine.body")
    partner_answered = fields.Boolean(required=True, attribute="sealed.partner_answered")
    partner_answer = _through("sealed.partner.body", metadata={"description": "Always null until both have answered."})
    guidance = fields.Nested(GuidanceSchema, allow_none=True, required=True)
    listening = fields.Nested(
        DirectionSchema,
        allow_none=True,
        required=True,
        metadata={"description": "You reflecting your partner's answer."},
    )
    being_heard = fields.Nested(
        DirectionSchema, allow_none=True, required=True, metadata={"description": "Your partner reflecting yours."}
    )


class PromptListSchema(Schema):
    """Dumped from a reading.TodayView."""

    open = fields.List(fields.Nested(PromptSchema), required=True, attribute="open_cards")
    conversations = fields.List(fields.Nested(PromptSchema), required=True)


class HistorySchema(Schema):
    """Dumped from a reading.HistoryPage."""

    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)
    items = fields.List(fields.Nested(PromptSchema), required=True, attribute="cards")


class InputSchema(Schema):
    """A request's input: problems are reported in words meant for the person (the field is in "errors")."""

    error_messages = {
        "unknown": "This field isn't part of the request.",
        "type": "Send a JSON object.",
    }


def _storable(message: str):
    """The one text check (services.common.text.unstorable) as a field validator: NUL or a lone surrogate is a 422."""

    def check(text: str) -> None:
        if unstorable(text):
            raise ValidationError(message)

    return check


def _text_field(what: str, limit: int, **kwargs) -> fields.String:
    """Free text kept exactly as typed; empty and over-long text get the same words the services use."""
    unsavable = f"Your {what} contains characters that can't be saved; remove them and try again."
    return fields.String(
        validate=[
            validate.Length(min=1, error=f"Write something first: your {what} can't be empty."),
            validate.Length(max=limit, error=f"Your {what} is too long; the limit is {limit:,} characters."),
            _storable(unsavable),
        ],
        error_messages={
            "required": f"Write something first: your {what} can't be empty.",
            "null": f"Write something first: your {what} can't be empty.",
            "invalid": f"Your {what} must be text.",
        },
        **kwargs,
    )


class HistoryQuerySchema(InputSchema):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(
            min=1, max=HISTORY_MAX_PAGE, error="The page must be a whole number from {min} to {max}."
        ),
        error_messages={"invalid": f"The page must be a whole number from 1 to {HISTORY_MAX_PAGE}."},
    )


class AnswerInputSchema(InputSchema):
    body = _text_field("answer", ANSWER_MAX, required=True)


class ReflectionInputSchema(InputSchema):
    body = _text_field("reflection", REFLECTION_MAX, required=True)


class ResponseInputSchema(InputSchema):
    response = fields.String(
        required=True,
        validate=validate.OneOf(["heard", "partly"], error="Choose \u201cheard\u201d or \u201cpartly\u201d."),
        error_messages={
            "required": "Choose \u201cheard\u201d or \u201cpartly\u201d.",
            "null": "Choose \u201cheard\u201d or \u201cpartly\u201d.",
            "invalid": "Choose \u201cheard\u201d or \u201cpartly\u201d.",
        },
        metadata={
            "description": "heard: the reflection left me feeling heard; partly: I'd add something (say what in addition)."
        },
    )
    addition = _text_field(
        "addition",
        REFLECTION_MAX,
        load_default=None,
        allow_none=True,
        metadata={"description": 'Required with "partly": what I\'d add.'},
    )


# Printable ASCII, as the services require of idempotency keys.
CLIENT_KEY_PATTERN = r"^[\x20-\x7e]{1,64}$"


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=[
            validate.Length(min=1, max=64, error="The idempotency key must be up to 64 printable characters."),
            validate.Regexp(CLIENT_KEY_PATTERN, error="The idempotency key must be up to 64 printable characters."),
        ],
        metadata={"description": "A client-generated key; retrying with the same key changes nothing."},
    )


class SubscriptionKeysSchema(InputSchema):
    p256dh = fields.String(
        required=True, validate=validate.Length(min=80, max=200), metadata={"description": "base64url P-256 point"}
    )
    auth = fields.String(
        required=True, validate=validate.Length(min=16, max=50), metadata={"description": "base64url 16 bytes"}
    )


class SubscriptionInputSchema(InputSchema):
    endpoint = fields.String(required=True, validate=validate.Length(min=10, max=ENDPOINT_MAX))
    keys = fields.Nested(SubscriptionKeysSchema, required=True)
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=LABEL_MAX))


class DeviceSchema(Schema):
    """Dumped from a PushSubscription row."""

    id = fields.Integer(required=True)
    label = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class DeviceListSchema(Schema):
    devices = fields.List(fields.Nested(DeviceSchema), required=True)
    application_server_key = fields.String(
        required=True, metadata={"description": "VAPID public key for pushManager.subscribe"}
    )


# Repair conversations and commitments ------------------------------------------------


class RepairTurnSchema(Schema):
    """Dumped from a sent RepairTurn row."""

    step = fields.Integer(required=True)
    round = fields.Integer(required=True)
    by = Whose("author_id")
    choice = fields.String(allow_none=True, required=True)
    body = fields.String(allow_none=True, required=True)
    sent_at = fields.DateTime(allow_none=True, required=True)


class RepairConversationSchema(Schema):
    """Dumped from a conversations.RepairView: the topic and the draft only as this partner may see them."""

    id = fields.Integer(required=True, attribute="conversation.id")
    state = fields.String(
        required=True, validate=validate.OneOf(["asked", "open", "ended"]), attribute="conversation.state"
    )
    step = fields.Integer(
        required=True, metadata={"description": "1 to 6; odd steps are the speaker's."}, attribute="conversation.step"
    )
    role = fields.String(required=True, validate=validate.OneOf(["speaker", "listener"]))
    my_step = fields.Boolean(required=True)
    asked_by_me = fields.Boolean(required=True)
    topic = fields.String(allow_none=True, required=True, metadata={"description": "Sealed with step 1."})
    not_yet_when = fields.String(allow_none=True, required=True)
    my_break = fields.Boolean(required=True)
    partner_break = fields.Boolean(required=True)
    reached_end = fields.Boolean(required=True, attribute="conversation.reached_end")
    created_at = fields.DateTime(required=True, attribute="conversation.created_at")
    ended_at = fields.DateTime(allow_none=True, required=True, attribute="conversation.ended_at")
    draft = _through("draft.body", metadata={"description": "My own unsent step 1 only."})
    turns = fields.List(fields.Nested(RepairTurnSchema), required=True, attribute="sent")


class RepairListSchema(Schema):
    live = fields.Nested(RepairConversationSchema, allow_none=True, required=True)
    past = fields.List(fields.Nested(RepairConversationSchema), required=True)


def _choice(choices: list[str], message: str, **kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(choices, error=message),
        error_messages={"required": message, "null": message, "invalid": message},
        **kwargs,
    )


class RepairAskInputSchema(InputSchema):
    role = _choice(
        ["speaker", "listener"], "Choose \u201cspeaker\u201d or \u201clistener\u201d.", load_default="speaker"
    )
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class RepairNotYetInputSchema(InputSchema):
    when = _choice(["", "later", "evening", "tomorrow", "weekend"], "Choose when, or leave it out.", load_default="")


class RepairWordsInputSchema(InputSchema):
    body = _text_field("words", ANSWER_MAX, required=True)


class RepairRespondInputSchema(InputSchema):
    response = _choice(["heard", "partly"], "Choose \u201cheard\u201d or \u201cpartly\u201d.", required=True)
    addition = _text_field("addition", ANSWER_MAX, load_default=None, allow_none=True)


class RepairNeedInputSchema(InputSchema):
    need = _choice(["reassurance", "change", "time", "nothing"], "Choose what you need now.", required=True)
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=ANSWER_MAX))


class RepairAnswerInputSchema(InputSchema):
    answer = _choice(["words", "commitment", "time"], "Choose how you'd like to answer.", required=True)
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=ANSWER_MAX))
    commitment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class RepairBreakInputSchema(InputSchema):
    away = fields.Boolean(required=True, metadata={"description": "true: I need a break; false: I'm back."})


class CommitmentMomentSchema(Schema):
    """Dumped from a CommitmentMoment row."""

    kind = fields.String(required=True, validate=validate.OneOf(["did", "noticed"]))
    by = Whose("author_id")
    on = fields.Date(required=True)
    note = fields.String(allow_none=True, required=True)


class CommitmentSchema(Schema):
    """Dumped from a commitments.CommitmentView."""

    id = fields.Integer(required=True, attribute="commitment.id")
    text = fields.String(required=True, attribute="commitment.text")
    mine = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True, attribute="commitment.created_at")
    revised_at = fields.DateTime(allow_none=True, required=True, attribute="commitment.revised_at")
    retired_at = fields.DateTime(allow_none=True, required=True, attribute="commitment.retired_at")
    moments = fields.List(fields.Nested(CommitmentMomentSchema), required=True)


class CommitmentListSchema(Schema):
    commitments = fields.List(fields.Nested(CommitmentSchema), required=True)


class CommitmentInputSchema(InputSchema):
    text = _text_field("commitment", 300, required=True)


class MomentInputSchema(InputSchema):
    on = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": "Give the day as YYYY-MM-DD."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
