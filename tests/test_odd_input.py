"""Odd input gets a clear 4xx, never a 500 (SECURITY.md INPUT).

Every route in the URL map that takes a body is sent the inputs an attacker's
review found to break things, and their relatives: NUL and lone surrogates in
every form field and JSON string, JSON nested far too deep, numbers with
thousands of digits, bodies over the size cap, and absurd page numbers.
"""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

import blueprints  # noqa: F401  (every form class is imported with its blueprint)
from tests.helpers import AuthActions, page_text

# Routes whose valid use ends the crawler's session or the account it walks with.
ENDS_SESSION = {"auth.logout", "auth.sign_out_everywhere", "auth.delete_account"}

DEEP = "[" * 100_000 + "]" * 100_000
HUGE_NUMBER = "1" * 5001
JSON_BODIES = [
    DEEP,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    f'{{"body": {HUGE_NUMBER}}}',
    f'{{"connection": {HUGE_NUMBER}, "safety": -{HUGE_NUMBER}}}',
    '{"body": 1e999999, "page": NaN}',
    '{"body": "\\ud800", "label": "\\udfff", "endpoint": "https://x.test/\\ud800"}',
    '{"body": "a\\u0000b", "label": "\\u0000", "addition": "\\u0000", "response": "partly"}',
    '{"endpoint": "https://push.test/e", "keys": {"p256dh": "\\ud800", "auth": "\\u0000"}, "label": "\\ud800"}',
    "not json at all",
    "\xff\xfe",
]
ODD_TEXT = ["\x00", "before\x00after", "x" * 100_000]
# Percent-encoded UTF-8 of a lone surrogate: what a hostile client can put in a form body.
RAW_FORM_SURROGATE = "%ED%A0%80"


def _form_field_names() -> set[str]:
    """Every field name of every form the app defines, so each gets the odd values."""
    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name, _ in getattr(form, "_unbound_fields", None) or [])
        names.update(
            name for name in vars(form) if not name.startswith("_") and hasattr(vars(form)[name], "field_class")
        )
    return names - {"csrf_token"}


def _writes(app, ids: dict):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ENDS_SESSION or rule.endpoint == "static":
            continue
        methods = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
        if not methods:
            continue
        values = {name: ids.get(name, ids["instance"]) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in methods:
            yield method, path


@pytest.fixture
def walker(app, factory):
    pair = factory.pair()
    client = app.test_client()
    AuthActions(client).login_as(pair.a)
    return client, {"instance": pair.first_prompt_id, "token": "x" * 20, "code": "ABCD-EFGH"}


def test_every_write_route_refuses_odd_json_and_forms_without_a_server_error(app, walker):
    client, ids = walker
    fields = _form_field_names()
    assert {"body", "email", "label"} & fields, fields
    tried = 0
    for method, path in _writes(app, ids):
        for raw in JSON_BODIES:
            response = client.open(path, method=method, data=raw, content_type="application/json")
            assert response.status_code < 500, (method, path, raw[:40], response.status_code)
            tried += 1
        for value in ODD_TEXT:
            response = client.open(path, method=method, data=dict.fromkeys(fields, value))
            assert response.status_code < 500, (method, path, repr(value[:20]), response.status_code)
            tried += 1
        raw_form = "&".join(f"{name}=a{RAW_FORM_SURROGATE}b" for name in fields)
        response = client.open(path, method=method, data=raw_form, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (method, path, "surrogate form", response.status_code)
    assert tried > 100


def test_a_body_over_the_cap_is_refused_with_413_and_a_clear_message(app, walker):
    client, ids = walker
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    page = client.post(f"/prompts/{ids['instance']}/answer", data={"body": too_big})
    assert page.status_code == 413
    assert "larger than Attune accepts" in page.get_data(as_text=True)
    api = client.put(
        f"/api/v1/prompts/{ids['instance']}/answer", data='{"body": "' + too_big + '"}', content_type="application/json"
    )
    assert api.status_code == 413
    assert api.get_json()["code"] == 413


@pytest.mark.parametrize(
    "raw", ["[" * 5000 + "]" * 5000, '{"a":' * 20 + "1" + "}" * 20, f'{{"body": {HUGE_NUMBER}}}', '{"body": NaN}']
)
def test_odd_json_is_a_400_that_says_what_was_wrong(app, walker, raw):
    client, ids = walker
    response = client.put(f"/api/v1/prompts/{ids['instance']}/answer", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"].strip()


def test_a_lone_surrogate_in_json_is_refused_not_stored(app, walker, factory):
    client, ids = walker
    response = client.put(
        f"/api/v1/prompts/{ids['instance']}/answer", data='{"body": "hi \\ud83d"}', content_type="application/json"
    )
    assert response.status_code == 422
    assert "characters that can't be saved" in response.get_json()["errors"]["body"][0]
    assert client.get(f"/api/v1/prompts/{ids['instance']}").get_json()["my_answer"] is None


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "page=-1", "page=0", "page=1e9", "page=%00", f"page={HUGE_NUMBER}"]
)
def test_absurd_page_numbers_are_handled(walker, query):
    client, _ = walker
    for path in ("/history", "/api/v1/history"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400, 422), (path, query, response.status_code)


def test_a_nul_in_a_form_field_is_shown_next_to_the_field(app, walker):
    client, ids = walker
    response = client.post(f"/prompts/{ids['instance']}/answer", data={"body": "my words\x00"})
    assert response.status_code in (400, 422)
    assert "can't be stored" in page_text(response)


def test_a_page_past_the_end_is_an_empty_page_not_an_error(walker):
    client, _ = walker
    assert client.get("/history?page=2147483647").status_code == 200
