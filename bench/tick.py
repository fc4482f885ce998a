"""Benchmark: the scheduler's per-minute tick, and the first tick when very many couples are due at once.

    python bench/tick.py                 # SQLite; add --postgres for PostgreSQL

1. The tick at 1,000, 10,000 and 100,000 couples when almost nobody is due
   (everyone's slot is tomorrow, but for the same five couples in every measured
   minute, each partner with a device): the goal is that 100,000 costs at most
   twice 1,000, that is, the tick costs what is due, not what exists.
2. The first tick when 50,000 couples are due at once (goal: 2 s or less on
   SQLite), measured without devices and with a device for every partner
   (100,000 notifications queued in the same transactions). Each burst is
   measured --bursts times (3 by default) on a freshly seeded database, the
   two kinds taking turns, and reported with its median: on a shared two-core
   machine one burst varied by a fifth from run to run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PG_SCHEMA = "attune_bench_tick"


def fresh_app(postgres: bool):
    import sqlalchemy as sa

    instance = tempfile.mkdtemp(prefix="attune-tick-")
    os.environ["ATTUNE_INSTANCE_PATH"] = instance
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
    from services.delivery import library

    app = create_app({"PASSWORD_HASH_PROFILE": "fast-tests"})
    with app.app_context():
        upgrade()
        with writing():
            library.load_library(app.config["PROMPT_LIBRARY_PATH"])
            db.session.commit()
    return app


def seed(app, couples: int, now: datetime, *, all_due: bool, devices: bool) -> None:
    """couples paired couples: slots spread over the day, or all due a minute ago."""
    from bench.seed import Writer
    from extensions import db

    with app.app_context():
        start = db.session.execute(db.text("SELECT coalesce(max(id), 0) FROM couples")).scalar() + 1
        with db.engine.begin() as connection:
            w = Writer(connection)
            ids = range(start, start + couples)
            w.rows(
                "users",
                ["id", "email", "display_name", "password_hash", "role", "max_depth", "timezone", "created_at"],
                (
                    (u, f"t{u}@bench.test", f"P{u}", "x", "partner", 3, "UTC", now)
                    for c in ids
                    for u in (2 * c - 1, 2 * c)
                ),
            )

            def due_at(c):
                if all_due:
                    return now - timedelta(minutes=1)
                return now + timedelta(days=1, minutes=(c * 7919) % 1440)

            w.rows(
                "couples",
                [
                    "id",
                    "created_at",
                    "timezone",
                    "delivery_time",
                    "cadence",
                    "cadence_days",
                    "next_delivery_at",
                    "version",
                    "used_prompts",
                ],
                (
                    (
                        c,
                        now,
                        "UTC",
                        due_at(c).strftime("%H:%M:00"),
                        "daily",
                        0,
                        due_at(c).replace(second=0, microsecond=0),
                        0,
                        "0",
                    )
                    for c in ids
                ),
            )
            w.rows(
                "memberships",
                ["id", "couple_id", "user_id", "seat", "joined_at"],
                ((2 * c - 2 + s, c, 2 * c - 2 + s, s, now) for c in ids for s in (1, 2)),
            )
            if devices:
                w.rows(
                    "push_subscriptions",
                    ["id", "user_id", "endpoint", "p256dh", "auth", "label", "created_at"],
                    (
                        (u, u, f"https://push.example.test/{u}", "B" + "A" * 86, "A" * 22, "phone", now)
                        for c in ids
                        for u in (2 * c - 1, 2 * c)
                    ),
                )
            if connection.dialect.name == "postgresql":
                for table in ("users", "couples", "memberships", "push_subscriptions"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
                    )
            connection.exec_driver_sql("ANALYZE")


DUE_PER_MINUTE = 5


def timed_ticks(app, now: datetime, runs: int) -> list[float]:
    """Tick once a minute from now, with the same few couples due each minute."""
    import random

    import time_machine

    from extensions import db
    from jobs import scheduler

    with app.app_context():
        ids = [row[0] for row in db.session.execute(db.text("SELECT id FROM couples"))]
        chosen = random.Random(1).sample(ids, DUE_PER_MINUTE * runs)
        for i in range(runs):
            minute = now + timedelta(minutes=i)
            db.session.execute(
                db.text(
                    f"UPDATE couples SET next_delivery_at = :due, delivery_time = :at WHERE id IN "
                    f"({','.join(str(c) for c in chosen[i * DUE_PER_MINUTE : (i + 1) * DUE_PER_MINUTE])})"
                ),
                {
                    "due": minute
                    if args_postgres(app)
                    else minute.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "at": minute.strftime("%H:%M:00.000000") if not args_postgres(app) else minute.time(),
                },
            )
        db.session.commit()
    times = []
    for i in range(runs):
        moment = now + timedelta(minutes=i)
        with time_machine.travel(moment, tick=False):
            started = time.perf_counter()
            scheduler.tick(app, moment)
            times.append((time.perf_counter() - started) * 1000)
    return times


def args_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--burst-only", action="store_true", help="skip the quiet ticks, measure the 50,000-couple bursts"
    )
    parser.add_argument("--bursts", type=int, default=3, help="times each burst is measured (median reported)")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    result = {"backend": "postgresql" if args.postgres else "sqlite", "quiet_tick_ms": {}}

    total = 0
    for stage, size in enumerate(() if args.burst_only else (1_000, 10_000, 100_000)):
        if stage == 0:
            app = fresh_app(args.postgres)
        seed(app, size - total, now, all_due=False, devices=True)
        total = size
        start = now + timedelta(hours=stage)
        timed_ticks(app, start, 3)  # warm
        times = timed_ticks(app, start + timedelta(minutes=10), args.runs)
        result["quiet_tick_ms"][size] = round(statistics.median(times), 2)
        print(f"{size:>7} couples, almost none due: tick median {statistics.median(times):.2f} ms")
    if not args.burst_only:
        result["ratio_100k_to_1k"] = round(result["quiet_tick_ms"][100_000] / result["quiet_tick_ms"][1_000], 2)

    import time_machine

    from extensions import db
    from jobs import scheduler

    result["burst"] = {}
    times: dict[str, list[float]] = {"without_devices": [], "with_devices": []}
    for _ in range(args.bursts):
        for devices in (False, True):
            app = fresh_app(args.postgres)
            seed(app, 50_000, now, all_due=True, devices=devices)
            with time_machine.travel(now, tick=False):
                started = time.perf_counter()
                scheduler.tick(app, now)
                first = (time.perf_counter() - started) * 1000
            with app.app_context():
                delivered = db.session.execute(db.text("SELECT count(*) FROM prompt_instances")).scalar()
                queued = db.session.execute(db.text("SELECT count(*) FROM push_messages")).scalar()
            label = "with_devices" if devices else "without_devices"
            times[label].append(round(first, 1))
            result["burst"][label] = {
                "first_tick_ms": round(statistics.median(times[label]), 1),
                "runs_ms": times[label],
                "prompts": delivered,
                "pushes_queued": queued,
            }
            print(
                f"50,000 due at once ({label.replace('_', ' ')}): first tick {first:.0f} ms "
                f"({delivered} prompts, {queued} notifications queued)"
            )
    for label, runs in times.items():
        print(f"50,000 due at once ({label.replace('_', ' ')}): median {statistics.median(runs):.0f} ms of {runs}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"tick-{result['backend']}{'-burst' if args.burst_only else ''}.json").write_text(
        json.dumps(result, indent=2)
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
