"""`make bench`: run every benchmark under bench/, merge their figures into bench/results/latest.json.

Each script is run as a subprocess with `--json OUT` (and `--quick` when
BENCH_QUICK=1) and a per-script timeout; a script that fails or times out is
recorded as a failure and the others still run. The bench database is
created, migrated and seeded first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402

# Order matters a little: cheap, CPU-only figures first. Unknown scripts run after these.
ORDER = ["triage_accuracy", "ingest", "dispatch_latency", "live_fanout", "disaster_banner", "surge", "reports", "ringing",
         "browser_latency"]
NOT_BENCHMARKS = {"run", "common", "surge_traffic", "ha", "ha_cluster"}  # surge_traffic: the surge benchmark's load generator; ha: `make test-ha`
TIMEOUTS = {"ingest": 210, "surge": 420, "live_fanout": 220, "reports": 200, "browser_latency": 300}  # seconds, full run
QUICK_TIMEOUTS = {"ingest": 40, "surge": 40, "browser_latency": 90}
DEFAULT_TIMEOUT, DEFAULT_QUICK_TIMEOUT = 90, 25
# browser_latency (20 Chromium desks) adds its own share: 300 s full, 90 s quick.
TOTAL_BUDGET = 870 if os.environ.get("BENCH_QUICK") != "1" else 205


def scripts() -> list[Path]:
    found = {p.stem: p for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS and not p.stem.startswith("_")}
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + [found[name] for name in sorted(found)]


def run_one(path: Path, *, quick: bool, budget: float) -> tuple[list[dict], str | None, float]:
    if quick:
        timeout = QUICK_TIMEOUTS.get(path.stem, DEFAULT_QUICK_TIMEOUT)
    else:
        timeout = TIMEOUTS.get(path.stem, DEFAULT_TIMEOUT)
    timeout = min(timeout, budget)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    # A script that has no quick mode runs as it is.
    takes_quick = "--quick" in path.read_text(encoding="utf-8", errors="replace")
    cmd = [sys.executable, str(path), "--json", out] + (["--quick"] if quick and takes_quick else [])
    started = time.monotonic()
    # Own session, so a script that times out is stopped with the servers it started.
    proc = subprocess.Popen(cmd, cwd=common.ROOT, env=common.bench_env(BENCH_DB_READY="1"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        Path(out).unlink(missing_ok=True)
        return [], f"timed out after {timeout:.0f} s", time.monotonic() - started
    elapsed = time.monotonic() - started
    try:
        if proc.returncode != 0:
            tail = (stderr or stdout).strip().splitlines()[-3:]
            return [], f"exit {proc.returncode}: {' | '.join(tail)[:300]}", elapsed
        results = json.loads(Path(out).read_text() or "[]")
        if not isinstance(results, list):
            return [], "--json output is not a list", elapsed
        return [r for r in results if isinstance(r, dict) and "name" in r and "value" in r], None, elapsed
    except (OSError, ValueError) as exc:
        return [], f"unreadable results: {exc}", elapsed
    finally:
        Path(out).unlink(missing_ok=True)


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    deadline = time.monotonic() + TOTAL_BUDGET
    common.ensure_database()
    merged: dict[str, dict] = {}
    runs = []
    pending = scripts()
    for index, path in enumerate(pending):
        # Each script may use its own timeout, but never more than a fair share of what is left.
        budget = (deadline - time.monotonic()) / max(1, len(pending) - index) * (2 if index < len(pending) - 1 else 1)
        budget = min(budget, deadline - time.monotonic())
        if budget < 10:
            runs.append({"script": path.name, "ok": False, "error": "skipped: out of time budget", "seconds": 0})
            continue
        print(f"-- {path.name}", flush=True)
        results, error, seconds = run_one(path, quick=quick, budget=budget)
        for result in results:
            merged[result["name"]] = {**result, "script": path.stem}
        runs.append({"script": path.name, "ok": error is None, "error": error, "seconds": round(seconds, 1), "figures": len(results)})
        print(f"   {'FAILED: ' + error if error else 'ok'} ({seconds:.0f} s, {len(results)} figures)", flush=True)
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "database_url": common.database_url().rsplit("@", 1)[-1],
        "runs": runs,
        "results": list(merged.values()),
    }
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    print()
    print(f"{'figure':<48} {'value':>12}  {'unit':<14} {'substrate':>12}  {'ratio':>7}")
    for r in report["results"]:
        substrate = f"{r['substrate']:>12}" if "substrate" in r else " " * 12
        ratio = f"{r['ratio']:>7}" if "ratio" in r else ""
        print(f"{r['name']:<48} {r['value']:>12}  {r.get('unit', ''):<14} {substrate}  {ratio}")
    failed = [r for r in runs if not r["ok"]]
    for r in failed:
        print(f"FAILED {r['script']}: {r['error']}")
    print(f"\nwrote {out_dir / 'latest.json'} ({len(report['results'])} figures, {len(failed)} failed scripts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
