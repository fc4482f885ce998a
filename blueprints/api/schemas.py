"""Request and response shapes of the API; the OpenAPI document is generated from these."""
from marshmallow import Schema, fields, validate

from services.conversation import ANSWER_MAX, REFLECTION_MAX


class ApiErrorSchema(Schema):
    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True, metadata={"description": "Written to be shown to the person."})
    errors = fields.Dict(metadata={"description": "Problems by field name."})


class MeSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["partner", "therapist"]))
    max_depth = fields.Integer(required=True)
    csrf_token = fields.String(required=True, metadata={"description": "Send in X-CSRFToken on POST/PUT."})


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
    id = fields.Integer(required=True)
    round = fields.Integer(required=True)
    by = fields.String(required=True, validate=validate.OneOf(["me", "partner"]))
    body = fields.String(required=True)
    response = fields.String(allow_none=True, required=True, validate=validate.OneOf(["heard", "partly"]))
    addition = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class DirectionSchema(Schema):
    state = fields.String(
        required=True, validate=validate.OneOf(["awaiting_reflection", "awaiting_response", "heard"])
    )
    rounds = fields.List(fields.Nested(ReflectionSchema), required=True)


class PromptSchema(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    follow_up = fields.String(allow_none=True, required=True)
    depth = fields.Integer(required=True)
    source = fields.String(required=True)
    theme = fields.Nested(ThemeSchema, allow_none=True, required=True)
    delivered_at = fields.DateTime(required=True)
    state = fields.String(
        required=True,
        validate=validate.OneOf(["yours", "waiting", "revealed", "complete"]),
        metadata={"description": "yours: you haven't answered; waiting: your partner hasn't; then revealed, complete."},
    )
    my_answer = fields.String(allow_none=True, required=True)
    partner_answered = fields.Boolean(required=True)
    partner_answer = fields.String(
        allow_none=True, required=True, metadata={"description": "Always null until both have answered."}
    )
    guidance = fields.Nested(GuidanceSchema, allow_none=True, required=True)
    listening = fields.Nested(
        DirectionSchema, allow_none=True, required=True, metadata={"description": "You reflecting your partner's answer."}
    )
    being_heard = fields.Nested(
        DirectionSchema, allow_none=True, required=True, metadata={"description": "Your partner reflecting yours."}
    )


class PromptListSchema(Schema):
    open = fields.List(fields.Nested(PromptSchema), required=True)
    conversations = fields.List(fields.Nested(PromptSchema), required=True)


class HistorySchema(Schema):
    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)
    items = fields.List(fields.Nested(PromptSchema), required=True)


class HistoryQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))


class AnswerInputSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=ANSWER_MAX))


class ReflectionInputSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=REFLECTION_MAX))


class ResponseInputSchema(Schema):
    response = fields.String(required=True, validate=validate.OneOf(["heard", "partly"]))
    addition = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=REFLECTION_MAX)
    )


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A client-generated key; retrying with the same key changes nothing."},
    )
