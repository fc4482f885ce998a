"""The API against its own OpenAPI document, fuzzed in-process with Schemathesis.

Every operation is called as a logged-in partner (session cookie plus the
X-CSRFToken header) whose couple has an open prompt, a revealed one and a
reflection waiting for their response. Whatever Schemathesis sends, the API
must never answer 5xx, must answer with a status code the document lists for
that operation, and with a body that matches the documented schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from extensions import db
from models import Couple, utcnow
from services.conversation import conversation
from services.delivery import delivery
from tests.helpers import API, api_logged_in

OPENAPI_PATH = f"{API}/openapi.json"
MAX_ID = 2**31 - 1


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@dataclass(frozen=True)
class World:
    """A logged-in partner's credentials and the ids worth aiming at."""

    cookie_name: str
    cookie: str
    csrf: str
    open_id: int
    revealed_id: int
    reflection_id: int


@pytest.fixture
def world(app, factory) -> World:
    pair = factory.pair()
    revealed_id = factory.reveal(pair)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        instance = delivery.deliver(couple, (utcnow() + timedelta(days=1)).replace(microsecond=0))
        db.session.flush()
        open_id = instance.id
        # Sam has reflected Alex's answer, so Alex has a reflection to respond to.
        reflection_id = conversation.reflect(factory.load(pair.b), revealed_id, "What I hear is…").id

    api = api_logged_in(app, pair.a)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = api.client.get_cookie(name, domain=app.config["SERVER_NAME"])
    assert cookie is not None
    return World(name, cookie.value, api.token, open_id, revealed_id, reflection_id)


@pytest.fixture
def document(app) -> dict:
    response = app.test_client().get(OPENAPI_PATH)
    assert response.status_code == 200
    return response.get_json()


# Every operation, fuzzed one by one (a test each, so a failure names its operation).
# test_fuzzing_covers_every_operation keeps this list in step with the document.
OPERATIONS = [
    ("GET", f"{API}/me"),
    ("GET", f"{API}/couple"),
    ("GET", f"{API}/prompts"),
    ("GET", f"{API}/prompts/{{instance_id}}"),
    ("PUT", f"{API}/prompts/{{instance_id}}/answer"),
    ("POST", f"{API}/prompts/{{instance_id}}/reflections"),
    ("POST", f"{API}/prompts/{{instance_id}}/reflections/{{reflection_id}}/response"),
    ("POST", f"{API}/prompts/{{instance_id}}/close"),
    ("GET", f"{API}/history"),
    ("GET", f"{API}/push/subscriptions"),
    ("POST", f"{API}/push/subscriptions"),
    ("DELETE", f"{API}/push/subscriptions/{{subscription_id}}"),
    ("GET", f"{API}/repair"),
    ("POST", f"{API}/repair"),
    ("GET", f"{API}/repair/{{conversation_id}}"),
    *(
        ("POST", f"{API}/repair/{{conversation_id}}/{step}")
        for step in (
            "accept",
            "not-yet",
            "first",
            "reflect",
            "respond",
            "acknowledge",
            "need",
            "answer",
            "break",
            "close",
        )
    ),
    ("PUT", f"{API}/repair/{{conversation_id}}/draft"),
    ("GET", f"{API}/commitments"),
    ("POST", f"{API}/commitments"),
    ("GET", f"{API}/commitments/{{commitment_id}}"),
    ("POST", f"{API}/commitments/{{commitment_id}}/revise"),
    ("POST", f"{API}/commitments/{{commitment_id}}/retire"),
    ("POST", f"{API}/commitments/{{commitment_id}}/moments"),
    ("POST", f"{API}/journal"),
]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def aim(case, world: World) -> None:
    """Point some generated ids at the partner's real prompts and reflection.

    Random ids almost always name nothing (a 404); mapping a share of the valid
    ones onto real rows makes the fuzzer exercise the success and conflict paths too.
    The mapping is a function of the generated value, so Hypothesis can still shrink.
    """
    params = case.path_parameters or {}
    instance_id = params.get("instance_id")
    if isinstance(instance_id, int) and 1 <= instance_id <= MAX_ID:
        params["instance_id"] = [world.open_id, world.revealed_id, world.revealed_id, instance_id][instance_id % 4]
    reflection_id = params.get("reflection_id")
    if isinstance(reflection_id, int) and 1 <= reflection_id <= MAX_ID and reflection_id % 2 == 0:
        params["reflection_id"] = world.reflection_id


def case_strategy(operation):
    """Valid requests and, where the operation takes input, invalid ones."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    takes_input = bool(list(operation.iter_parameters())) or bool(list(operation.body))
    if takes_input:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p.removeprefix(API)}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_document(app, world, document, method, path):
    schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, app)
    operation = schema[path][method]
    documented = document["paths"][path][method.lower()]["responses"]
    seen: set[int] = set()

    @given(case=case_strategy(operation))
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def run(case):
        aim(case, world)
        response = case.call(headers={"X-CSRFToken": world.csrf}, cookies={world.cookie_name: world.cookie})
        case.validate_response(response, checks=CHECKS)
        # status_code_conformance accepts anything a "default" response covers; require each code to be listed.
        assert str(response.status_code) in documented, (
            f"{case.method} {case.formatted_path} answered {response.status_code}, "
            f"which the document doesn't list (it lists {sorted(documented)})"
        )
        seen.add(response.status_code)

    run()
    # The calls really were authenticated: a 401 or a CSRF 400 on every call would prove nothing.
    assert seen - {400, 401}, f"{method} {path} only ever answered {sorted(seen)}"


# The document itself -----------------------------------------------------------


def test_document_is_openapi_3(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
    assert document["paths"]


def _openapi_path(rule: str) -> str:
    """A Flask rule as the document names it: /prompts/<int(min=1):instance_id> -> /prompts/{instance_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_document_lists_every_api_route(app, document):
    routes = [
        rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API + "/") and rule.rule != OPENAPI_PATH
    ]
    assert routes, "no API routes registered"
    for rule in routes:
        path = _openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path].get(method.lower())
            assert operation is not None, f"{method} {rule.rule} is not in the OpenAPI document"
            assert operation.get("summary"), f"{method} {rule.rule} has no summary"
    # ...and the document lists nothing the app doesn't serve.
    served = {_openapi_path(rule.rule) for rule in routes}
    assert set(document["paths"]) == served


def test_fuzzing_covers_every_operation(document):
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    assert documented == set(OPERATIONS)


def test_every_operation_documents_its_errors(document):
    """Errors every API call can meet are documented, with the error shape the API really sends."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "401" in responses, f"{method.upper()} {path} doesn't document 401"
            if method in ("put", "post"):
                assert "400" in responses, f"{method.upper()} {path} doesn't document 400 (CSRF)"
            if "requestBody" in operation or any(p["in"] != "path" for p in operation.get("parameters", [])):
                assert "422" in responses, f"{method.upper()} {path} doesn't document 422"
            if "{instance_id}" in path:
                assert "404" in responses, f"{method.upper()} {path} doesn't document 404"
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    schema_ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert schema_ref == "#/components/schemas/ApiError", (method, path, code)
