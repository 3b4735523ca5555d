"""`make bench`: our server against the plain Flask baseline, under the same load, alternately.

For every round and operation each server gets a fresh copy of the seeded database, is started the
way it runs in production (ours: `course-api serve`, uvicorn; the baseline: gunicorn), warmed up,
measured with wrk on 127.0.0.1, and stopped; the servers take turns (A B A B ...) and the one that
goes first changes every round, so drifts of the machine hit both alike. Before anything is
measured, bench.check_parity makes sure both give the same answers; if they do not, nothing is
compared. The figures go to the terminal and to build/bench/results.json.

    .venv/bin/python -m bench.run [--rounds 3] [--duration 10] [--connections 16] [--operations ...]
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from bench import check_parity, seed
from bench.databases import POSTGRESQL, SQLITE, open_databases
from bench.operations import OPERATIONS, SEARCH, Operation, token
from bench.servers import BASELINE, OURS, ROOT, Server, machine_busy_seconds

OUT = ROOT / "build" / "bench"
WORK = OUT / "work"
LUA = Path(__file__).resolve().parent / "wrk.lua"
# A slow answer should count in the latencies, not vanish as a wrk timeout (2 s by default).
WRK_OPTIONS = ["--latency", "--timeout", "30s", "-s", str(LUA)]
TARGETS = {"ratio": 0.9, "p99_ratio": 2.0, "rss_mb": 100, "scaling": 3.0}
# Share of the machine's CPU taken by other programs during a run above which the run is flagged.
FOREIGN_LIMIT = 0.05


def options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=int(env("BENCH_ROUNDS", "3")))
    parser.add_argument("--duration", type=int, default=int(env("BENCH_DURATION", "10")), help="seconds per run")
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", "2")), help="seconds before each run")
    parser.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", "16")))
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    parser.add_argument(
        "--threads",
        type=int,
        default=int(env("BENCH_BASELINE_THREADS", "1")),
        help="threads per gunicorn worker of the baseline; 1: sync workers, more: gthread",
    )
    parser.add_argument(
        "--database",
        choices=(SQLITE, POSTGRESQL),
        default=env("DATABASE") or SQLITE,
        help="where both servers keep their data: SQLite files, or a throwaway PostgreSQL server",
    )
    parser.add_argument("--courses", type=int, default=10_000, help="courses in the database (search corpus)")
    parser.add_argument("--scaling", default="1000,100000", help="course counts of the search-scaling runs, or ''")
    parser.add_argument("--operations", default=",".join(op.name for op in OPERATIONS))
    args = parser.parse_args()
    if args.rounds < 1 or args.duration < 1 or args.connections < 2:
        parser.error("need at least 1 round, 1 second and 2 connections")
    return args


def lua_string(text: str) -> str:
    if not text.isascii():
        raise ValueError("wrk's Lua takes ASCII here")
    return json.dumps(text)  # for ASCII text JSON escapes are Lua escapes


def wrk(server: Server, op: Operation, fixture: seed.Fixture, bearer: str, seconds: int, connections: int) -> dict:
    requests = WORK / "requests.lua"
    paths = ",\n".join(lua_string(path) for path in op.paths(fixture))
    body = lua_string(op.body) if op.body else "nil"
    requests.write_text(
        f"method = {lua_string(op.method)}\nbody = {body}\ntoken = {lua_string(bearer)}\npaths = {{\n{paths}\n}}\n"
    )
    assert server.url.startswith("http://127.0.0.1:"), "load goes to loopback only"
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", *WRK_OPTIONS, server.url]
    done = subprocess.run(
        argv, env={**os.environ, "BENCH_REQUESTS": str(requests)}, capture_output=True, text=True, timeout=seconds + 60
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "mean_ms": round(latency["mean"] / 1000, 2),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "non2xx": raw["non2xx"],
        "non2xx_statuses": raw["non2xx_statuses"],
        "socket_errors": raw["socket_errors"],
    }


def measure(kind: str, op: Operation, fixture: seed.Fixture, databases, secret: str, args, label: str) -> dict:
    """One run on a fresh copy of the fixture's database: start, warm up, measure, read /proc, stop."""
    database = databases.copy(fixture.url, label.lower().replace("-", "_"))
    log = WORK / f"{label}.log"
    bearer = token(secret, op.user)
    try:
        with Server(kind, database, secret, log, workers=args.workers, threads=args.threads) as server:
            if args.warmup:
                wrk(server, op, fixture, bearer, args.warmup, args.connections)
            before = cpu_snapshot(server, databases)
            result = wrk(server, op, fixture, bearer, args.duration, args.connections)
            after = cpu_snapshot(server, databases)
            rss = server.peak_rss_mb()
        result["locked"] = server.locked_count()
    finally:
        databases.drop(database)
    used = {pid: round(after["server"][pid] - before["server"].get(pid, 0), 2) for pid in after["server"]}
    workers = [{"pid": pid, "peak_rss_mb": mb, "cpu_s": used[pid]} for pid, mb in rss.items()]
    cpu = [w["cpu_s"] for w in workers]
    # The machine's busy time that neither the server, its database server, wrk, nor this driver account
    # for: other work on the machine, which takes cores from both servers alike and makes the figures noisy.
    ours_too = sum(used.values()) + sum(after[k] - before[k] for k in ("wrk", "driver", "database"))
    elapsed = after["at"] - before["at"]
    foreign = max(0.0, after["machine"] - before["machine"] - ours_too) / (elapsed * os.cpu_count())
    result |= {
        "workers": workers,
        "peak_rss_mb": max(rss.values()),
        "cpu_ms_per_request": round(1000 * sum(used.values()) / result["requests"], 2) if result["requests"] else None,
        # PostgreSQL's own processes: a server that asks more of its database pays for it here.
        "database_cpu_ms_per_request": (
            round(1000 * (after["database"] - before["database"]) / result["requests"], 2)
            if result["requests"]
            else None
        ),
        # A load that lands on one worker only would halve a server's capacity; this shows it.
        "busiest_worker_cpu_share": round(max(cpu) / sum(cpu), 2) if sum(cpu) else None,
        "foreign_cpu_share": round(foreign, 3),
        "log": str(log.relative_to(ROOT)),
    }
    busy = f"  OTHER WORK: {foreign:.0%} of the CPU" if foreign > FOREIGN_LIMIT else ""
    print(
        f"  {label:<40} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:>7.2f} ms  p99 {result['p99_ms']:>8.2f} ms"
        f"  non-2xx {result['non2xx']}  locked {result['locked']}  RSS {result['peak_rss_mb']} MB{busy}",
        flush=True,
    )
    return result


def cpu_snapshot(server: Server, databases) -> dict:
    children, driver = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return {
        "at": time.monotonic(),
        "machine": machine_busy_seconds(),
        "server": server.cpu_seconds(),
        "database": databases.cpu_seconds(),
        "wrk": children.ru_utime + children.ru_stime,  # wrk is the only child waited for meanwhile
        "driver": driver.ru_utime + driver.ru_stime,
    }


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarize(runs: list[dict], names: list[str]) -> dict:
    summary = {}
    for name in names:
        mine = [r for r in runs if r["operation"] == name and r["server"] == OURS]
        theirs = [r for r in runs if r["operation"] == name and r["server"] == BASELINE]
        pairs = list(zip(sorted(mine, key=lambda r: r["round"]), sorted(theirs, key=lambda r: r["round"]), strict=True))
        entry = {
            "ratio": median(o["rps"] / b["rps"] for o, b in pairs if b["rps"]),
            "p99_ratio": median(o["p99_ms"] / b["p99_ms"] for o, b in pairs if b["p99_ms"]),
        }
        for kind, rows in ((OURS, mine), (BASELINE, theirs)):
            entry[kind] = {
                "rps": median(r["rps"] for r in rows),
                "p50_ms": median(r["p50_ms"] for r in rows),
                "p99_ms": median(r["p99_ms"] for r in rows),
                "non2xx": sum(r["non2xx"] for r in rows),
                "socket_errors": sum(sum(r["socket_errors"].values()) for r in rows),
                "locked": sum(r["locked"] for r in rows),
                "peak_rss_mb_per_worker": max(r["peak_rss_mb"] for r in rows),
                "cpu_ms_per_request": median(r["cpu_ms_per_request"] for r in rows),
                "foreign_cpu_share_max": max(r["foreign_cpu_share"] for r in rows),
            }
        summary[name] = entry
    return summary


def scaling_summary(runs: list[dict], small: int, large: int) -> dict:
    by_round = {}
    for r in runs:
        by_round.setdefault(r["round"], {})[r["courses"]] = r
    pairs = [(rounds[small], rounds[large]) for rounds in by_round.values()]
    return {
        "courses": [small, large],
        # Per-request cost: how much longer the median request takes, and how much less a second holds.
        "p50_ratio": median(b["p50_ms"] / s["p50_ms"] for s, b in pairs),
        "mean_ratio": median(b["mean_ms"] / s["mean_ms"] for s, b in pairs),
        "inverse_rps_ratio": median(s["rps"] / b["rps"] for s, b in pairs),
        "rps": {small: median(s["rps"] for s, _ in pairs), large: median(b["rps"] for _, b in pairs)},
        "p50_ms": {small: median(s["p50_ms"] for s, _ in pairs), large: median(b["p50_ms"] for _, b in pairs)},
        "non2xx": sum(s["non2xx"] + b["non2xx"] for s, b in pairs),
        "foreign_cpu_share_max": max(max(s["foreign_cpu_share"], b["foreign_cpu_share"]) for s, b in pairs),
    }


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    packages = ("connexion", "Flask", "Werkzeug", "SQLAlchemy", "uvicorn", "gunicorn", "PyJWT", "marshmallow")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": re.sub(r"\s+Copyright.*", "", wrk_version),
        "packages": {name: metadata.version(name) for name in packages},
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        # Anything else busy on the machine skews both servers' figures; this shows whether it was.
        "loadavg_at_start": os.getloadavg(),
    }


def check(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(summary: dict, scaling: dict | None) -> list[str]:
    columns = ("ours r/s", "base r/s", "ratio", "ours p50", "base p50", "ours p99", "base p99", "p99 x")
    width = max(14, *(len(name) + 1 for name in summary))
    head = (
        f"{'operation':<{width}}" + "".join(f"{c:>10}" for c in columns) + f"{'non-2xx':>10}{'locked':>8}{'RSS MB':>13}"
        f"{'CPU ms/req':>13}"
    )
    lines = [head, "-" * len(head)]
    for name, e in summary.items():
        o, b = e[OURS], e[BASELINE]
        cells = (
            f"{o['rps']:.1f}", f"{b['rps']:.1f}", f"{e['ratio']:.2f}x",
            f"{o['p50_ms']:.1f} ms", f"{b['p50_ms']:.1f} ms", f"{o['p99_ms']:.0f} ms", f"{b['p99_ms']:.0f} ms",
            f"{e['p99_ratio']:.2f}x",
        )  # fmt: skip
        lines.append(
            f"{name:<{width}}" + "".join(f"{c:>10}" for c in cells) + f"{o['non2xx']:>6}/{b['non2xx']:<3}"
            f"{o['locked']:>4}/{b['locked']:<3}{o['peak_rss_mb_per_worker']:>7.1f}/{b['peak_rss_mb_per_worker']:<5.1f}"
            f"{o['cpu_ms_per_request']:>7.2f}/{b['cpu_ms_per_request']:<5.2f}"
        )
    lines += [
        "ratio, p99 x: ours / baseline, median of the per-round ratios; r/s, p50, p99: medians over the rounds;",
        "non-2xx, locked ('database is locked' in the logs): ours/baseline over all rounds;",
        "RSS MB: the highest peak RSS (VmHWM) of one worker, ours/baseline; CPU ms/req: the server's CPU time"
        " (all its processes) per request, ours/baseline, median over the rounds.",
    ]
    busy = [e[k]["foreign_cpu_share_max"] for e in summary.values() for k in (OURS, BASELINE)]
    busy += [scaling["foreign_cpu_share_max"]] if scaling else []
    if max(busy) > FOREIGN_LIMIT:
        lines.append(
            f"WARNING: other programs took up to {max(busy):.0%} of the CPU during some runs (see foreign_cpu_share"
            " in results.json): req/s and latencies are unreliable; run again on an idle machine."
        )
    if scaling:
        small, large = scaling["courses"]
        p50 = scaling["p50_ms"]
        lines.append(
            f"search scaling (ours), {large} vs {small} courses: p50 {p50[large]:.1f} ms vs {p50[small]:.1f} ms, "
            f"{scaling['p50_ratio']:.1f}x per request (mean latency {scaling['mean_ratio']:.1f}x, "
            f"1/req/s {scaling['inverse_rps_ratio']:.1f}x); target <= {TARGETS['scaling']:.0f}x: "
            f"{check(scaling['p50_ratio'] <= TARGETS['scaling'])}"
        )
    lines.append("targets (ours):")
    targets = {op.name: op.target for op in OPERATIONS}
    for name, e in summary.items():
        o, target = e[OURS], targets.get(name, TARGETS["ratio"])
        lines.append(
            f"  {name:<{width}} req/s >= {target}x base: {check(e['ratio'] >= target):<7}"
            f"p99 <= {TARGETS['p99_ratio']:.0f}x base: {check(e['p99_ratio'] <= TARGETS['p99_ratio']):<7}"
            f"no non-2xx: {check(o['non2xx'] == 0 and o['socket_errors'] == 0):<7}"
            f"not locked: {check(o['locked'] == 0):<7}"
            f"RSS <= {TARGETS['rss_mb']} MB: {check(o['peak_rss_mb_per_worker'] <= TARGETS['rss_mb'])}"
        )
    return lines


def parity(fixture: seed.Fixture, databases, secret: str, args) -> tuple[int, list[str]]:
    servers = []
    for kind in (OURS, BASELINE):
        database = databases.copy(fixture.url, f"parity_{kind}")
        servers.append(Server(kind, database, secret, WORK / f"parity-{kind}.log", args.workers, args.threads))
    with servers[0] as ours, servers[1] as baseline:
        return check_parity.check(ours, baseline, fixture, secret)


def main() -> int:
    args = options()
    started = time.monotonic()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    operations = [op for op in OPERATIONS if op.name in args.operations.split(",")]
    scaling = sorted(int(n) for n in args.scaling.split(",") if n.strip())
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    secret = secrets.token_urlsafe(48)
    results = {
        "machine": machine(),
        "config": vars(args)
        | {"wrk": " ".join(["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", *WRK_OPTIONS])},
    }

    databases = open_databases(args.database, WORK)
    try:
        return measure_all(args, operations, scaling, databases, secret, results, started)
    finally:
        databases.close()


def measure_all(args, operations, scaling, databases, secret: str, results: dict, started: float) -> int:
    print(f"seeding {args.database}: {args.courses} courses (+ search scaling: {scaling or 'none'}) ...", flush=True)
    template = databases.new("template")
    fixture = seed.build(template, args.courses, write_courses=min(1000, args.courses // 10))
    scaled = {n: seed.build(databases.new(f"template_{n}"), n) for n in scaling}
    results["fixture"] = seed.fixture_dict(fixture) | {"search_term": seed.SEARCH_TERM}

    print("parity: the same requests to both servers ...", flush=True)
    compared, problems = parity(fixture, databases, secret, args)
    results["parity"] = {"requests": compared, "problems": problems, "ok": not problems}
    OUT.mkdir(parents=True, exist_ok=True)
    if problems:
        (OUT / "results.json").write_text(json.dumps(results, indent=2))
        print("parity FAILED; the baseline does not do what ours does, so nothing is compared:", *problems, sep="\n  ")
        return 1
    print(f"parity: {compared} requests, the same answers")

    runs, scaling_runs = [], []
    for number in range(args.rounds):
        order = (OURS, BASELINE) if number % 2 == 0 else (BASELINE, OURS)
        print(f"round {number + 1}/{args.rounds} ({' then '.join(order)})", flush=True)
        for op in operations:
            for kind in order:
                label = f"r{number + 1}-{op.name.replace(' ', '_').replace('=', '-')}-{kind}"
                runs.append(
                    {"round": number + 1, "operation": op.name, "server": kind}
                    | measure(kind, op, fixture, databases, secret, args, label)
                )
        for courses in scaling if number % 2 == 0 else reversed(scaling):
            label = f"r{number + 1}-search_{courses}_courses-{OURS}"
            scaling_runs.append(
                {"round": number + 1, "courses": courses}
                | measure(OURS, SEARCH, scaled[courses], databases, secret, args, label)
            )

    results["summary"] = summarize(runs, [op.name for op in operations])
    results["search_scaling"] = scaling_summary(scaling_runs, scaling[0], scaling[-1]) if len(scaling) > 1 else None
    results["runs"], results["search_scaling_runs"] = runs, scaling_runs
    results["targets"] = TARGETS | {"ratio_by_operation": {op.name: op.target for op in operations}}
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    lines = report(results["summary"], results["search_scaling"])
    results["table"] = lines
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print()
    print(*lines, sep="\n")
    print(
        f"\n{args.rounds} rounds in {results['elapsed_s']:.0f} s on {results['machine']['cpu']} "
        f"({results['machine']['cores']} cores); figures in {(OUT / 'results.json').relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
