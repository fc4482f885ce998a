"""The leak crawl: every route in the URL map, every method, real and junk path arguments.

Tests plant a canary in someone's private or sealed writing, then crawl as each
person who must not see it; `crawl` asserts the canary appears in no body and
no header, and that no request is a server error.
"""

from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter

# Routes a crawl must not call with a valid body, because doing so is the legitimate
# way to take part (A answering reveals the prompt, A checking in reveals the week) ...
PARTICIPATING = {"prompts.answer", "api.put_answer", "checkins.submit"}
# ... or ends what the walk needs: the crawler's session, or the prompt under test (set aside).
ENDS_SESSION = {"auth.logout", "auth.sign_out_everywhere", "prompts.set_aside", "auth.delete_account"}


def argument_values(rule, ids: dict) -> list[dict]:
    """Plausible values for a rule's path arguments: the couple's real ids, neighbours, junk."""
    combos = [{}]
    for name in rule.arguments:
        if isinstance(rule._converters[name], IntegerConverter):
            # "more": other real ids worth aiming at (a journal entry, a reassurance request).
            values = sorted({ids["instance"], ids["reflection"], *ids.get("more", ()), ids["instance"] + 1, 1, 2, 0})
        elif name == "filename":
            values = ["css/app.css", "js/app.js"]
        else:
            values = [ids["token"], "x", "../../etc/passwd"]
        combos = [dict(c, **{name: v}) for c in combos for v in values]
    return combos


def urls(app, ids: dict):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for values in argument_values(rule, ids):
            path = rule.build(values, append_unknown=False)[1]
            for method in methods:
                yield rule.endpoint, method, path


def crawl(app, client, ids, canary, *, participating_ok: bool, skip: frozenset = frozenset()):
    """canary: one string, or several (each must appear nowhere)."""
    canaries = (canary,) if isinstance(canary, str) else tuple(canary)
    seen = []
    for endpoint, method, path in urls(app, ids):
        if method != "GET" and (endpoint in ENDS_SESSION or endpoint in skip):
            continue
        bodies = [None]
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            bodies = [{"data": {}}, {"json": {}}, {"json": {"body": "", "response": "heard"}}]
            if participating_ok or endpoint not in PARTICIPATING:
                bodies.append({"data": {"body": "probe", "response": "partly", "addition": "probe"}})
                bodies.append({"json": {"body": "probe"}})
        for body in bodies:
            response = client.open(path, method=method, **(body or {}))
            assert response.status_code < 500, (method, path, response.status_code)
            text = response.get_data(as_text=True)
            headers = str(response.headers)
            seen.append((method, path, response.status_code))
            for one in canaries:
                assert one not in text, f"canary leaked by {method} {path}"
                assert one not in headers, f"canary leaked in headers of {method} {path}"
    return seen


def normalised(html: str) -> str:
    """A page with what differs per request (CSRF tokens, the nonce, an export's time) taken out, to compare."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", html)
    html = re.sub(r'(name="csrf-token" content=")[^"]+', r"\1", html)
    html = re.sub(r'"(csrf_token|exported_at)": ?"[^"]+"', r'"\1": ""', html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def snapshot(app, client, ids) -> dict[str, tuple[int, str]]:
    """Every GET route this client can call, as (status, normalised body): to compare what someone sees at two times."""
    pages = {}
    for endpoint, method, path in urls(app, ids):
        # Static files are nobody's data (and change only with the code).
        if method == "GET" and endpoint not in ENDS_SESSION and endpoint != "static":
            response = client.get(path)
            assert response.status_code < 500, (path, response.status_code)
            pages[path] = (response.status_code, normalised(response.get_data(as_text=True)))
    return pages
