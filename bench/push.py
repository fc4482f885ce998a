"""Benchmark: push fan-out through the real sender to a loopback push service that answers after 50 ms.

    python bench/push.py [--messages 5000] [--workers 64] [--no-verify]

The push service runs in its own process (checking every VAPID token and
decrypting every payload unless --no-verify), so its work does not share the
sender's interpreter. The sender is the production PushSender: claims from
the outbox, aes128gcm encryption, VAPID signed once per push service, pushes in flight over one
keep-alive session, outcomes recorded as they arrive. Goal: at least 1,000
notifications per second on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"


def serve(key: str, count: int, delay: float, verify: bool, pipe) -> None:
    from tools.push_service import PushService

    with PushService() as service:
        service.delay, service.verify = delay, verify
        pipe.send([service.subscribe(key) for _ in range(count)])
        pipe.recv()  # the sender starts
        cpu = time.process_time()
        pipe.recv()  # until the sender is done
        cpu = time.process_time() - cpu
        accepted = len(service.messages)
        pipe.send(
            {
                "accepted": accepted,
                "rejected": len(service.rejections),
                "cpu_us_per_message": round(cpu / max(accepted, 1) * 1e6),
            }
        )


def encryption_alone_per_second(subscription: dict, seconds: float = 2.0) -> float:
    """Payloads pywebpush encrypts per second on one core with no network: this machine's yardstick."""
    from pywebpush import WebPusher

    body = b'{"title":"Attune","body":"A new prompt is waiting for you both.","url":"/today","tag":"prompt:1:0"}'
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        WebPusher(subscription).encode(body, "aes128gcm")
        done += 1
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, help="pushes in flight at once (default: the production PUSH_WORKERS)")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args()

    from bench.tick import fresh_app, seed
    from extensions import db
    from models import PushMessage, PushSubscription
    from services.notifications import vapid
    from services.notifications.push import PushSender

    app = fresh_app(False)
    key = vapid.application_server_key(app.extensions["attune.vapid"])
    ours, theirs = multiprocessing.Pipe()
    service = multiprocessing.Process(target=serve, args=(key, args.messages, args.delay, not args.no_verify, theirs))
    service.start()
    subscriptions = ours.recv()
    now = datetime.now(UTC)
    seed(app, (args.messages + 1) // 2, now, all_due=False, devices=False)
    with app.app_context():
        rows = [
            PushSubscription(user_id=i + 1, endpoint=s["endpoint"], p256dh=s["keys"]["p256dh"], auth=s["keys"]["auth"])
            for i, s in enumerate(subscriptions)
        ]
        db.session.add_all(rows)
        db.session.flush()
        db.session.add_all(
            [
                PushMessage(
                    subscription_id=r.id,
                    kind="new_prompt",
                    event_key=f"prompt:{r.id}:0",
                    url="/today",
                    created_at=now,
                    next_attempt_at=now,
                )
                for r in rows
            ]
        )
        db.session.commit()
    yardstick = encryption_alone_per_second(subscriptions[0])
    sender = PushSender(app, workers=args.workers, **({"batch": args.batch} if args.batch else {}))
    ours.send("start")
    # CPU seconds of each process per message say where the time goes on a busy machine, where wall time can't.
    cpu = time.process_time()
    started = time.perf_counter()
    report = sender.drain(max_seconds=600)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    sender.close()
    ours.send("done")
    received = ours.recv()
    service.join()
    result = {
        "messages": args.messages,
        "workers": sender.workers,
        "push_service_delay_ms": args.delay * 1000,
        "push_service_verifies": not args.no_verify,
        "seconds": round(elapsed, 2),
        "per_second": round(report.sent / elapsed),
        "sent": report.sent,
        "sender_cpu_us_per_message": round(cpu / max(report.sent, 1) * 1e6),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "encryption_alone_per_second_one_core": round(yardstick),
        "retried": report.retried,
        "failed": report.failed,
        "push_service": received,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "push.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(
        f"\npush: {result['per_second']} notifications/s ({report.sent} sent in {elapsed:.1f} s); CPU per message: "
        f"sender {result['sender_cpu_us_per_message']} us, push service {received['cpu_us_per_message']} us; "
        f"encryption alone {result['encryption_alone_per_second_one_core']}/s on one core; "
        f"load average {result['load_average_1min']}"
    )


if __name__ == "__main__":
    main()
