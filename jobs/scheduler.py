"""The scheduler process: one per deployment, beside any number of web workers.

Three jobs with stable ids: the per-minute tick (deliver due prompts, queue
reminders, tidy up), the push sender, which drains the push outbox every few
seconds, and the mail sender, which drains the mail outbox likewise (so no web
request ever waits for a mail server). All coalesce missed runs and never
overlap themselves; the grace time is generous because APScheduler 3's
default of one second silently skips a run that starts late. Running a second copy by mistake is safe:
every step claims its rows, but one is all that is needed.
"""

from __future__ import annotations

import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from database import commit_batch, writing
from extensions import db
from models import PushMessage, RequestKey, utcnow
from services.accounts import mail
from services.couples import pacing
from services.delivery import delivery, reminders
from services.notifications.push import PushSender

log = logging.getLogger("attune.scheduler")

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
KEEP_REQUEST_KEYS = timedelta(days=7)
KEEP_SENT_PUSHES = timedelta(days=30)


def tick(app: Flask, now: datetime | None = None) -> dict:
    """Deliver due prompts, queue due reminders, and drop records nobody needs any more."""
    now = now or utcnow()
    with app.app_context(), writing():
        pacing.expire_pauses(now)
        commit_batch()
        workers = app.config["DELIVERY_WORKERS"] if db.engine.dialect.name == "postgresql" else 1
    delivered = _deliver_due(app, now, workers)
    with app.app_context(), writing():
        nudged = reminders.queue_due(now, end_batch=commit_batch)
        db.session.execute(sa.delete(RequestKey).where(RequestKey.created_at < now - KEEP_REQUEST_KEYS))
        _purge_old_pushes(now - KEEP_SENT_PUSHES)
        commit_batch()
    if delivered or nudged:
        log.info("tick: %d prompts delivered, %d reminders queued", delivered, nudged)
    return {"delivered": delivered, "reminded": nudged}


def _deliver_due(app: Flask, now: datetime, workers: int) -> int:
    """delivery.deliver_due in this many threads side by side (DELIVERY_WORKERS on PostgreSQL).

    Each worker has its own app context, so its own session, connection and transactions; the due query
    locks its batch with SKIP LOCKED, so the workers share the due couples out between them without
    waiting for each other, exactly as two scheduler processes would (tests/test_scheduler.py and
    tests/test_scheduler_process.py race two; tests/test_offers.py two with an assignment). A burst then
    uses the database's cores: while one worker's batch is being inserted the other chooses its prompts.
    SQLite has one writer at a time, so there it is one."""

    def deliver() -> int:
        with app.app_context(), writing():
            return delivery.deliver_due(now, app.config["DELIVERY_BATCH_SIZE"], end_batch=commit_batch)

    if workers <= 1:
        return deliver()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
        return sum(future.result() for future in [pool.submit(deliver) for _ in range(workers)])


def _purge_old_pushes(cutoff: datetime, chunk: int = 1000) -> None:
    """Forget finished pushes older than cutoff, oldest first along the primary key (ids grow with time),
    so the outbox needs no index on created_at just for tidying."""
    after = 0
    while True:
        oldest = db.session.execute(
            sa.select(PushMessage.id, PushMessage.created_at)
            .where(PushMessage.id > after)
            .order_by(PushMessage.id)
            .limit(chunk)
        ).all()
        expired = [row.id for row in oldest if row.created_at < cutoff]
        if expired:
            db.session.execute(
                sa.delete(PushMessage).where(PushMessage.id.in_(expired), PushMessage.status != "pending")
            )
        if not oldest or len(expired) < len(oldest):
            return
        after = oldest[-1].id


def build(app: Flask, sender: PushSender | None = None) -> BlockingScheduler:
    sender = sender or PushSender(app)
    scheduler = BlockingScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        tick, CronTrigger(second=0, timezone=UTC), id="tick", args=[app], replace_existing=True, **JOB_DEFAULTS
    )
    scheduler.add_job(
        sender.drain,
        IntervalTrigger(seconds=app.config["PUSH_INTERVAL_SECONDS"]),
        id="send-pushes",
        kwargs={"max_seconds": 50.0},
        replace_existing=True,
        **JOB_DEFAULTS,
    )
    scheduler.add_job(
        mail.drain,
        IntervalTrigger(seconds=app.config["MAIL_INTERVAL_SECONDS"]),
        id="send-mail",
        args=[app],
        kwargs={"max_seconds": 50.0},
        replace_existing=True,
        **JOB_DEFAULTS,
    )
    return scheduler


def quiet_apscheduler(app: Flask) -> None:
    """APScheduler logs two INFO lines per job run (about 66 a minute here), burying the lines that
    matter, such as a development mail's link; its warnings and errors (a missed run, a failed job) stay."""
    logging.getLogger("apscheduler").setLevel(app.config["APSCHEDULER_LOG_LEVEL"])


def run(app: Flask) -> None:
    """Run until SIGTERM or Ctrl-C, finishing the jobs in progress."""
    quiet_apscheduler(app)
    sender = PushSender(app)
    scheduler = build(app, sender)

    def stop(_signum, _frame):
        sender.stop()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "Attune scheduler running: tick every minute, pushes every %ss, mail every %ss",
        app.config["PUSH_INTERVAL_SECONDS"],
        app.config["MAIL_INTERVAL_SECONDS"],
    )
    tick(app)  # catch up at once after downtime rather than waiting for the next minute
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        sender.close()
