"""Benchmark: does asking for a password reset take longer when the address has an account? (SECURITY.md TIMING)

    python bench/reset_timing.py             # SQLite; add --postgres for PostgreSQL, -n for the tries

POSTs /password/forgot -n times for an address with an account and -n times
for one without, interleaved ABBA (so drift in the machine falls on both alike),
through the app's WSGI stack with the SMTP backend pointed at a mail server
that takes --mail-delay-ms to answer. Reports the median and 90th percentile
of each, and the ratio of the medians, twice: as Attune does it (the request
only writes the outbox; the mail server is never called inside it), and, for
comparison, with the outbox drained inside each request, which is what
sending mail in the request used to cost.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PG_SCHEMA = "attune_bench_reset"
KNOWN, UNKNOWN = "known@bench.test", "nobody@bench.test"


class SlowSMTP:
    """A mail server that takes delay seconds to accept each message, and counts them."""

    delay = 0.005
    calls = 0

    def __init__(self, host, port, timeout):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        time.sleep(self.delay)
        SlowSMTP.calls += 1


def fresh_app(postgres: bool):
    import sqlalchemy as sa

    os.environ["ATTUNE_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="attune-reset-")
    os.environ["SECRET_KEY"] = "bench"
    if postgres:
        base = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
        engine.dispose()
        os.environ["DATABASE_URL"] = base + f"?options=-csearch_path%3D{PG_SCHEMA}"
    else:
        os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade

    from app import create_app
    from database import writing
    from extensions import db
    from services.accounts import accounts

    app = create_app(
        {
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "mail.bench.invalid",
            "SMTP_STARTTLS": False,
            "SERVER_NAME": "attune.bench",
        }
    )
    with app.app_context():
        upgrade()
    with app.test_request_context(), writing():
        claim = accounts.RegistrationClaim(KNOWN, "partner", None)
        accounts.create_account(claim, "Known", "a long enough bench phrase")
        db.session.commit()
    return app


def timed_requests(app, tries: int, *, drain_in_request: bool) -> dict[str, list[float]]:
    """Milliseconds per POST /password/forgot for each address, in the order ABBA ABBA..."""
    from services.accounts import mail

    client = app.test_client()
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for n in range(tries):
        for email in (KNOWN, UNKNOWN) if n % 2 == 0 else (UNKNOWN, KNOWN):
            started = time.perf_counter()
            response = client.post("/password/forgot", data={"email": email})
            if drain_in_request:
                mail.drain(app)
            times[email].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    return times


def summary(times: dict[str, list[float]]) -> dict:
    def p90(values):
        return statistics.quantiles(values, n=10)[-1]

    known, unknown = times[KNOWN], times[UNKNOWN]
    return {
        "known_median_ms": round(statistics.median(known), 3),
        "unknown_median_ms": round(statistics.median(unknown), 3),
        "known_p90_ms": round(p90(known), 3),
        "unknown_p90_ms": round(p90(unknown), 3),
        "ratio_known_to_unknown": round(statistics.median(known) / statistics.median(unknown), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("-n", "--tries", type=int, default=500)
    parser.add_argument("--mail-delay-ms", type=float, default=5.0)
    args = parser.parse_args()
    SlowSMTP.delay = args.mail_delay_ms / 1000
    smtplib.SMTP = SlowSMTP

    from services.accounts import mail

    app = fresh_app(args.postgres)
    timed_requests(app, 50, drain_in_request=False)  # warm: caches, connections, the first template render
    calls_before = SlowSMTP.calls
    outbox = summary(timed_requests(app, args.tries, drain_in_request=False))
    outbox["mail_server_calls_inside_requests"] = SlowSMTP.calls - calls_before
    started = time.perf_counter()
    drained = mail.drain(app)
    outbox["drain_afterwards"] = {"sent": drained.sent, "seconds": round(time.perf_counter() - started, 2)}
    inline = summary(timed_requests(app, args.tries, drain_in_request=True))

    result = {
        "backend": "postgresql" if args.postgres else "sqlite",
        "tries_each": args.tries,
        "mail_delay_ms": args.mail_delay_ms,
        "outbox": outbox,
        "sent_in_the_request": inline,
    }
    for label, figures in (("outbox (as Attune does it)", outbox), ("mail sent in the request", inline)):
        print(
            f"{label:>28}: known {figures['known_median_ms']:.2f} ms, unknown {figures['unknown_median_ms']:.2f} ms "
            f"(medians; p90 {figures['known_p90_ms']:.2f} / {figures['unknown_p90_ms']:.2f}), "
            f"ratio {figures['ratio_known_to_unknown']:.3f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"reset-timing-{result['backend']}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
