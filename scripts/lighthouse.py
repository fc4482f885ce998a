"""Lighthouse mobile on every page of Attune, signed in as the demo couple and their therapist.

    (cd tools/lighthouse && npm ci)         # once: Lighthouse, pinned in tools/lighthouse/package.json
    .venv/bin/python scripts/lighthouse.py  # prints the table of the four scores
    .venv/bin/python scripts/lighthouse.py --details        # and every audit below full marks
    .venv/bin/python scripts/lighthouse.py --only today,settings
    .venv/bin/python scripts/lighthouse.py --runs 3          # the median run per page (steadier)

Starts Attune on loopback with a fresh demo couple (scripts/demo_server.py), signs in through the
one-time links, and runs Lighthouse's default mobile run (simulated slow 4G, a mid-range phone) on
each page against Debian's Chromium (CHROME_PATH=/usr/bin/chromium; no browser is downloaded).
Performance depends on the machine's load (blocking time is measured CPU time, multiplied); on a
busy machine take the median of a few runs. Slow (about 20 s a page and run) and measured, not asserted: the results go in the README, not in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_server import ROOT, demo_server  # noqa: E402

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"


def run_lighthouse(url: str, cookie: str | None) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    tries = 3  # a busy machine sometimes loses the trace (NO_NAVSTART): try again
    for _ in range(tries):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240, check=False)
        if done.returncode == 0:
            return json.loads(done.stdout)
    raise RuntimeError(f"Lighthouse failed on {url} {tries} times: {done.stderr[-2000:]}")


def below_full_marks(report: dict) -> list[str]:
    """The audits that cost points (or are flagged), one line each."""
    lines = []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            score = audit.get("score")
            if (
                score is None
                or score >= 1
                or audit.get("scoreDisplayMode") in ("notApplicable", "manual", "informative")
            ):
                continue
            value = audit.get("displayValue") or ""
            lines.append(f"    {category['id']:<15} {audit['id']:<32} {score:>4} {value}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--details", action="store_true", help="list every audit below full marks")
    parser.add_argument("--only", help="comma-separated page names (landing, login, today, ...)")
    parser.add_argument("--json", type=Path, help="also write {page: scores} here")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the one with the median performance counts")
    parser.add_argument("--save", type=Path, help="keep each page's full Lighthouse report in this folder")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse isn't installed: (cd tools/lighthouse && npm ci)")
    wanted = set(args.only.split(",")) if args.only else None
    results = {}
    with demo_server() as demo:
        # "cpu" is Lighthouse's benchmarkIndex of this machine during the run (higher is faster; a quiet
        # laptop scores about 1,000-2,000): a low one means blocking time, and so performance, read high.
        print(f"{'page':<10} {'path':<14} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'cpu':>6}")
        for name, path, who in demo.pages:
            if wanted and name not in wanted:
                continue
            reports = [
                run_lighthouse(demo.base + path, demo.cookies.get(who) if who else None) for _ in range(args.runs)
            ]
            reports.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
            report = reports[len(reports) // 2]
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"{name}.json").write_text(json.dumps(report))
            final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
            scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
            results[name] = scores
            shown = " ".join(f"{scores[c]:>5}" for c in CATEGORIES)
            moved = "" if final.endswith(path) else f"  (ended at {final})"
            cpu = round(report.get("environment", {}).get("benchmarkIndex", 0))
            print(f"{name:<10} {path:<14} {shown} {cpu:>6}{moved}", flush=True)
            if args.details:
                print("\n".join(below_full_marks(report)) or "    (all audits at full marks)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
