"""Benchmark: the logged-in Today page against a trivial route of the same app, under gunicorn.

One command generates N couples with a year of history, starts gunicorn
(sync workers) on loopback and measures both routes with wrk in the same
run, reporting requests per second, their ratio, and p50/p99 latency.

    python bench/today.py                      # SQLite, 10,000 couples
    python bench/today.py --postgres           # PostgreSQL at DATABASE_URL (default: the local test database)
    python bench/today.py --couples 1000       # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
SECRET = "benchmark-secret-key-not-for-production"
PG_SCHEMA = "attune_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(args) -> tuple[dict, list[str]]:
    instance = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="attune-bench-"))
    env = {
        "ATTUNE_INSTANCE_PATH": str(instance),
        "SECRET_KEY": SECRET,
        "ATTUNE_ENV": "development",
        "RATELIMIT_ENABLED": "0",
    }
    if args.postgres:
        base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        import sqlalchemy as sa

        if not args.reuse:
            engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
                connection.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
            engine.dispose()
        env["DATABASE_URL"] = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{PG_SCHEMA}"
    else:
        env.pop("DATABASE_URL", None)
    os.environ.update(env)
    if not args.postgres:
        os.environ.pop("DATABASE_URL", None)

    from flask_migrate import upgrade

    from app import create_app
    from bench.seed import log_in_sample, seed

    app = create_app()
    if args.reuse:
        return env, log_in_sample(app, args.couples)
    with app.app_context():
        upgrade()
    cookies = seed(app, args.couples)
    print(f"instance kept at {instance} (rerun with --reuse {instance})")
    return env, cookies


def server_cpu_seconds(master: int) -> float:
    """CPU time used so far by the gunicorn master and its workers (from /proc; 0 where there is none)."""
    total = 0
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == master or int(fields[1]) == master:  # fields[1] is the parent's pid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def latency(percent: str) -> float:
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--couples", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reuse", metavar="INSTANCE", help="measure an instance folder seeded by an earlier run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    env, cookies = prepare(args)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    scripts: dict[str, Path] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/livez", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # Both routes are requested the same way, by the same logged-in clients, so the
        # load generator's own cost is identical and only the route differs.
        for path in ("/livez", "/today"):
            script = scripts[path] = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(
                "cookies = {" + ",".join(json.dumps(c) for c in cookies) + "}\n"
                "counter = 0\n"
                "request = function()\n"
                "  counter = counter + 1\n"
                "  local cookie = cookies[(counter % #cookies) + 1]\n"
                f"  return wrk.format('GET', '{path}', {{['Cookie'] = 'attune_session=' .. cookie}})\n"
                "end\n"
            )
        request = urllib.request.Request(base + "/today", headers={"Cookie": "attune_session=" + cookies[0]})
        page = urllib.request.urlopen(request).read().decode()
        assert "Today" in page and "Log in" not in page, "the benchmark session is not logged in"
        wrk(base + "/livez", 3, args.connections, scripts["/livez"])  # warm-up
        wrk(base + "/today", 3, args.connections, scripts["/today"])
        # The server's CPU time per request as well: on a machine busy with other work, requests per
        # second say how much CPU the server was given, CPU per request what each route costs.
        measured = {}
        for path in ("/livez", "/today"):
            cpu = server_cpu_seconds(server.pid)
            measured[path] = wrk(base + path, args.seconds, args.connections, scripts[path])
            requests = measured[path]["rps"] * args.seconds
            measured[path]["server_cpu_ms_per_request"] = round(
                (server_cpu_seconds(server.pid) - cpu) / max(requests, 1) * 1000, 3
            )
        trivial, today = measured["/livez"], measured["/today"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        for script in scripts.values():
            script.unlink(missing_ok=True)

    backend = "postgresql" if args.postgres else "sqlite"
    result = {
        "backend": backend,
        "couples": args.couples,
        "history_days": 365,
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "trivial": trivial,
        "today": today,
        "ratio": round(today["rps"] / trivial["rps"], 3),
        "cpu_ratio": round(trivial["server_cpu_ms_per_request"] / max(today["server_cpu_ms_per_request"], 1e-9), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"today-{backend}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(
        f"\n{backend}: /today {today['rps']:.0f} req/s vs /livez {trivial['rps']:.0f} req/s "
        f"= {result['ratio']:.2f}x; /today p50 {today['p50_ms']:.1f} ms, p99 {today['p99_ms']:.1f} ms; "
        f"server CPU per request /today {today['server_cpu_ms_per_request']:.2f} ms vs /livez "
        f"{trivial['server_cpu_ms_per_request']:.2f} ms = {result['cpu_ratio']:.2f}x; load average {result['load_average_1min']}"
    )


if __name__ == "__main__":
    main()
