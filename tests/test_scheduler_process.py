"""The real scheduler process: killed with SIGKILL mid-batch and restarted, or run twice at once.

Every due couple ends with exactly one prompt for the slot, and every
notification reaches its device exactly once. A crash can repeat a message
that was on the wire at the moment of the kill (the push service got it,
the sender never heard back); it carries the same Topic, so the push service
replaces the undelivered copy (RFC 8030 section 5.4), and the same tag, so
the phone replaces a shown one: the device ends with one of each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Couple, PromptInstance, PushMessage, PushSubscription
from services.notifications import vapid
from services.notifications.push import most_unrecorded
from tests.conftest import DATABASE_URI
from tests.helpers import bulk_pairs
from tools.push_service import PushService

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def seed_due_couples(app, push, n: int) -> tuple[list, datetime]:
    """n couples due a minute ago, every partner with one device on the loopback push service."""
    pairs = bulk_pairs(app, n, prefix=f"proc{n}")
    key = vapid.application_server_key(app.extensions["attune.vapid"])
    due = (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    with app.app_context():
        ids = [p.couple_id for p in pairs]
        db.session.execute(
            sa.update(Couple)
            .where(Couple.id.in_(ids))
            .values(next_delivery_at=due, delivery_time=due.time(), timezone="UTC")
        )
        db.session.execute(sa.update(PromptInstance).where(PromptInstance.couple_id.in_(ids)).values(revealed_at=due))
        rows = []
        for pair in pairs:
            for person in (pair.a, pair.b):
                sub = push.subscribe(key)
                rows.append(
                    {
                        "user_id": person.id,
                        "endpoint": sub["endpoint"],
                        "p256dh": sub["keys"]["p256dh"],
                        "auth": sub["keys"]["auth"],
                        "label": "phone",
                        "created_at": due,
                    }
                )
        db.session.execute(sa.insert(PushSubscription), rows)
        db.session.commit()
    return pairs, due


# Few in flight, so a kill can repeat only a few (the bound the last assertion checks is
# push.most_unrecorded).
SENDER_WORKERS = 32
LOG = Path(os.environ.get("ATTUNE_INSTANCE_PATH", "/tmp")) / "scheduler-process.log"


def start_scheduler(batch: int = 2000, lease: float = 60) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=DATABASE_URI,
        PUSH_INTERVAL_SECONDS="0.2",
        PUSH_LEASE_SECONDS=str(lease),
        DELIVERY_BATCH_SIZE=str(batch),
        PUSH_WORKERS=str(SENDER_WORKERS),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=LOG.open("a"),
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        raise AssertionError("the scheduler did not stop on SIGTERM")


def counts(app, pairs, due):
    with app.app_context():
        delivered = db.session.execute(
            sa.select(PromptInstance.couple_id, sa.func.count())
            .where(PromptInstance.slot_at == due, PromptInstance.couple_id.in_([p.couple_id for p in pairs]))
            .group_by(PromptInstance.couple_id)
        ).all()
        statuses = Counter(db.session.scalars(sa.select(PushMessage.status)))
    return dict(delivered), statuses


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    tail = LOG.read_text()[-3000:] if LOG.exists() else ""
    raise AssertionError(f"timed out waiting for {what}; scheduler log ends:\n{tail}")


def assert_exactly_once(app, push, pairs, due):
    delivered, statuses = counts(app, pairs, due)
    assert len(delivered) == len(pairs) and set(delivered.values()) == {1}
    assert statuses == {"sent": 2 * len(pairs)}
    device_view = {(m.subscription_id, m.topic) for m in push.messages}
    tags = Counter((m.subscription_id, m.json()["tag"]) for m in push.messages)
    assert len(device_view) == 2 * len(pairs) == len(tags)
    return sum(tags.values()) - len(tags)  # copies that were on the wire at a kill


def test_sigkill_mid_batch_then_restart(app):
    n = 1500
    with PushService() as push:
        push.delay = 0.01
        pairs, due = seed_due_couples(app, push, n)
        # A short lease, so the restarted process takes over what the killed one held within seconds.
        process = start_scheduler(batch=25, lease=6)
        try:
            # Kill while the first tick is part-way through its batches.
            wait_until(lambda: 0 < len(counts(app, pairs, due)[0]) < n, 60, "the tick to start delivering")
            stop(process, signal.SIGKILL)
            partial = len(counts(app, pairs, due)[0])
            process = start_scheduler(lease=6)
            # Kill again while pushes are going out.
            wait_until(lambda: 200 < len(push.messages) < 2 * n - 200, 120, "pushes to be under way")
            stop(process, signal.SIGKILL)
            in_flight_at_kill = len(push.messages)
            process = start_scheduler(lease=6)
            wait_until(lambda: counts(app, pairs, due)[1] == {"sent": 2 * n}, 180, "every push to be sent")
        finally:
            stop(process)
        repeated = assert_exactly_once(app, push, pairs, due)
    print(
        f"delivered before the first kill: {partial}/{n}; pushes before the second kill: {in_flight_at_kill}; "
        f"copies repeated on the wire: {repeated}"
    )
    assert 0 < partial < n
    # Only messages in hand at the kill (sent, reply not yet recorded) can go out twice.
    assert repeated <= most_unrecorded(SENDER_WORKERS)


def test_two_scheduler_processes_at_once(app):
    n = 800
    with PushService() as push:
        pairs, due = seed_due_couples(app, push, n)
        first, second = start_scheduler(), start_scheduler()
        try:
            wait_until(lambda: counts(app, pairs, due)[1] == {"sent": 2 * n}, 180, "every push to be sent")
        finally:
            stop(first)
            stop(second)
        assert assert_exactly_once(app, push, pairs, due) == 0
        assert len(push.messages) == 2 * n
