"""Mail leaves the request path through an outbox (SECURITY.md TIMING, ENUM, ONCE).

No request ever talks to a mail server, for an address with an account or
without one: the transport is made to fail inside requests and nothing
notices. Each request writes exactly one outbox row either way; draining
delivers each real message exactly once, even with two drainers at once.
The measured timing comparison is bench/reset_timing.py, not a test.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine

from database import writing
from extensions import db
from jobs import scheduler
from models import MailMessage, utcnow
from services.accounts import mail
from services.notifications.push import PushSender

SMTP = {"MAIL_BACKEND": "smtp", "SMTP_HOST": "mail.example.test", "SMTP_STARTTLS": False}


class RecordingSMTP:
    """Stands in for smtplib.SMTP: records each message it is handed (with a pause, so drainers overlap)."""

    sent: list = []
    lock = threading.Lock()
    pause = 0.0

    def __init__(self, host, port, timeout):
        self.timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, username, password):
        pass

    def send_message(self, message):
        threading.Event().wait(self.pause)
        with self.lock:
            RecordingSMTP.sent.append((message["To"], message["Subject"], message.get_content()))


@pytest.fixture
def smtp(monkeypatch):
    RecordingSMTP.sent = []
    RecordingSMTP.pause = 0.0
    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    return RecordingSMTP


@pytest.fixture
def no_transport(monkeypatch):
    """Every way of reaching a mail server fails loudly, and is recorded."""
    touched = []

    def refuse(*args, **kwargs):
        touched.append(args)
        raise AssertionError("a request touched the mail transport")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setattr(mail, "deliver", refuse)
    return touched


def _rows(app):
    with app.app_context():
        return db.session.execute(sa.select(MailMessage.status, MailMessage.to_address)).all()


def test_no_request_touches_the_mail_transport_with_or_without_an_account(make_app, factory, no_transport):
    app = make_app(**SMTP)
    client = app.test_client()
    factory.user(email="known@example.test")
    answers = [
        client.post("/register", data={"email": "new@example.test"}),
        client.post("/register", data={"email": "known@example.test"}),
        client.post("/register/therapist", data={"email": "therapist@example.test"}),
        client.post("/password/forgot", data={"email": "known@example.test"}),
        client.post("/password/forgot", data={"email": "ghost@example.test"}),
    ]
    assert [a.status_code for a in answers] == [302, 302, 302, 200, 200]
    assert no_transport == []
    # One row per request either way: four to send, and a void one for the address with no account.
    assert sorted(_rows(app)) == sorted(
        [
            ("pending", "new@example.test"),
            ("pending", "known@example.test"),
            ("pending", "therapist@example.test"),
            ("pending", "known@example.test"),
            ("void", ""),
        ]
    )


def test_draining_delivers_each_message_once_and_discards_void_rows(make_app, factory, smtp):
    app = make_app(**SMTP)
    client = app.test_client()
    factory.user(email="known@example.test")
    client.post("/register", data={"email": "new@example.test"})
    client.post("/password/forgot", data={"email": "known@example.test"})
    client.post("/password/forgot", data={"email": "ghost@example.test"})
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "Mail: 2 sent, 0 to retry, 0 failed." in result.output
    assert sorted((to, subject) for to, subject, _ in smtp.sent) == [
        ("known@example.test", "Reset your Attune password"),
        ("new@example.test", "Finish creating your Attune account"),
    ]
    assert _rows(app) == []  # sent mail holds live links, so it is not kept
    assert mail.drain(app).sent == 0
    assert len(smtp.sent) == 2


def test_two_drainers_at_once_send_each_message_exactly_once(make_app, smtp):
    app = make_app(**SMTP)
    with app.test_request_context(), writing():
        for n in range(30):
            mail.queue_mail(f"person{n}@example.test", "Hello", f"Message {n}")
        db.session.commit()
    smtp.pause = 0.005
    start = threading.Barrier(2)
    reports = []

    def drainer():
        start.wait()
        reports.append(mail.drain(app, batch=3))

    threads = [threading.Thread(target=drainer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counts = Counter(to for to, _, _ in smtp.sent)
    assert counts == Counter({f"person{n}@example.test": 1 for n in range(30)})
    assert sum(r.sent for r in reports) == 30


def test_a_claimed_message_is_left_to_its_drainer_until_the_lease_runs_out(make_app, smtp):
    app = make_app(**SMTP)
    with app.test_request_context(), writing():
        mail.queue_mail("first@example.test", "One", "1")
        mail.queue_mail("second@example.test", "Two", "2")
        db.session.commit()
    lease = timedelta(seconds=app.config["MAIL_LEASE_SECONDS"])
    _token, claimed = mail._claim(app, 1, lease)  # a drainer that then crashes before sending
    assert [row.to_address for row in claimed] == ["first@example.test"]
    assert mail.drain(app).sent == 1
    assert [to for to, _, _ in smtp.sent] == ["second@example.test"]
    with time_machine.travel(utcnow() + lease + timedelta(seconds=1)):
        assert mail.drain(app).sent == 1
    assert [to for to, _, _ in smtp.sent] == ["second@example.test", "first@example.test"]


def test_a_drainer_never_starts_a_send_its_lease_cannot_cover(make_app, monkeypatch):
    app = make_app(**SMTP)
    clock = [0.0]
    monkeypatch.setattr(mail, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    sent = []

    def slow(app, to, subject, body, *, timeout):
        sent.append(to)
        clock[0] += app.config["MAIL_LEASE_SECONDS"] / 3  # each send takes a third of the lease

    monkeypatch.setattr(mail, "deliver", slow)
    with app.test_request_context(), writing():
        for n in range(3):
            mail.queue_mail(f"p{n}@example.test", "Hello", "Hi")
        db.session.commit()
    report = mail.drain(app, batch=3)
    # The third would start two thirds into the lease, too late to be sure of finishing: it is
    # handed back and sent under a fresh claim instead.
    assert (report.sent, report.released) == (3, 1)
    assert sent == ["p0@example.test", "p1@example.test", "p2@example.test"]


def test_a_failing_mail_server_is_retried_later_then_given_up_without_keeping_the_link(make_app, monkeypatch):
    app = make_app(**SMTP)

    def down(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, b"try later")

    monkeypatch.setattr(smtplib, "SMTP", down)
    with app.test_request_context(), writing():
        mail.queue_mail("a@example.test", "Reset your Attune password", "https://x.test/password/reset/secret")
        db.session.commit()
    report = mail.drain(app)
    assert (report.sent, report.retried) == (0, 1)
    with app.app_context():
        row = db.session.scalar(sa.select(MailMessage))
        assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at > utcnow()
        assert row.claim is None
        # The last attempt: due now, and it fails too.
        row.attempts = mail.MAX_ATTEMPTS - 1
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert mail.drain(app).failed == 1
    with app.app_context():
        row = db.session.scalar(sa.select(MailMessage))
        assert row.status == "failed" and row.body == ""


def test_memory_backend_delivers_when_the_outbox_is_read(client, app):
    client.post("/register", data={"email": "tests@example.test"})
    with app.app_context():
        assert app.extensions.get("attune.outbox", []) == []  # nothing sent inside the request
        assert [m.to for m in mail.outbox()] == ["tests@example.test"]
        assert [m.to for m in mail.outbox()] == ["tests@example.test"]  # reading again sends nothing twice


def test_development_prints_the_link_when_the_mail_is_written(make_app, caplog):
    app = make_app(MAIL_BACKEND="console")
    with caplog.at_level(logging.WARNING, logger="attune.mail"):
        app.test_client().post("/register", data={"email": "dev@example.test"})
    lines = [r.getMessage() for r in caplog.records if r.name == "attune.mail"]
    assert len(lines) == 1
    assert "dev@example.test" in lines[0] and "/register/finish/" in lines[0]


def test_the_scheduler_drains_the_mail_outbox_as_a_reliable_job(app):
    sender = PushSender(app)
    try:
        jobs = {job.id: job for job in scheduler.build(app, sender).get_jobs()}
    finally:
        sender.close()
    job = jobs["send-mail"]
    assert job.func is mail.drain
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 60
