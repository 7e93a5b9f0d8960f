"""Benchmark: the citizen tracking page under 50 concurrent clients on loopback.

Usage: .venv/bin/python benchmarks/tracking.py [--clients 50] [--requests 4000] [--database-url URL]

Starts `mediature serve` (uvicorn) on a temporary home seeded with 2,000 dossiers, then 50
concurrent HTTP/1.1 keep-alive connections fetch random tracking pages as fast as they can (closed
loop: the latency includes queueing at saturation). The load comes from `wrk` (Debian package, a C
client that leaves the CPU to the server on this 2-core machine) when installed, else from httpx.
Prints requests per second and p50/p95/p99 latency; as a baseline in the same run, the same load on
/health (no database work, no template). Target: p95 <= 50 ms for /suivi/{token}.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(home: Path, url: str, count: int) -> list[str]:
    from tests.conftest import make_settings
    from tests.factories import make_dossier
    from triage.runtime import Runtime

    rt = Runtime.open(make_settings(home, url))
    tokens = []
    with rt.sessions.begin() as s:
        for n in range(count):
            _, token = make_dossier(s, f"MED-2026-{n + 1:05d}")
            tokens.append(token)
    rt.close()
    return tokens


async def run_clients(base: str, paths: list[str], clients: int, total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(paths[i % len(paths)])

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while not queue.empty():
                path = queue.get_nowait()
                t0 = time.perf_counter()
                r = await http.get(path)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {r.status_code}")

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, latencies


WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
math.randomseed(1)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %f %f %f\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("ERRORS %d\\n", summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
"""


def run_wrk(
    base: str, paths: list[str], clients: int, seconds: int
) -> tuple[int, float, float, float, float]:
    """(requests, seconds, p50 ms, p95 ms, p99 ms) measured by wrk."""
    tmp = Path(tempfile.mkdtemp())
    (tmp / "paths.txt").write_text("\n".join(paths) + "\n")
    (tmp / "script.lua").write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds}s", "-s", str(tmp / "script.lua"), base],
        env={**os.environ, "PATHS_FILE": str(tmp / "paths.txt")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
    errors = int(next(line for line in out.splitlines() if line.startswith("ERRORS")).split()[1])
    if errors:
        raise SystemExit(f"wrk saw {errors} errors")
    n, dur, p50, p95, p99 = int(result[1]), *map(float, result[2:])
    return n, dur, p50, p95, p99


def describe_wrk(name: str, r: tuple[int, float, float, float, float]) -> str:
    n, dur, p50, p95, p99 = r
    return (
        f"{name:<22} {n / dur:8.0f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   p99 {p99:6.1f} ms   "
        f"({n} requests)"
    )


def describe(name: str, elapsed: float, lat: list[float]) -> str:
    q = statistics.quantiles(lat, n=100)
    return (
        f"{name:<22} {len(lat) / elapsed:8.0f} req/s   p50 {q[49] * 1000:6.1f} ms   "
        f"p95 {q[94] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms   ({len(lat)} requests)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--dossiers", type=int, default=2000)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mediature-bench-"))
    tokens = seed(home, args.database_url, args.dossiers)
    port = free_port()
    env = {**os.environ, "MEDIATURE_HOME": str(home), "MEDIATURE_SECRET_KEY": "bench"}
    if args.database_url:
        env["MEDIATURE_DATABASE_URL"] = args.database_url
    server = subprocess.Popen(
        [str(REPO / ".venv/bin/mediature"), "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        random.seed(1)
        pages = [f"/suivi/{t}" for t in random.sample(tokens, min(500, len(tokens)))]
        asyncio.run(run_clients(base, pages, args.clients, 200))  # warm-up
        print(
            f"Médiature tracking benchmark — {args.clients} concurrent clients, {args.dossiers} dossiers, "
            f"{'PostgreSQL' if args.database_url else 'SQLite'}, {args.workers} uvicorn worker(s), "
            f"load from {'wrk' if shutil.which('wrk') else 'httpx'}"
        )
        if shutil.which("wrk"):
            print(describe_wrk("baseline /health", run_wrk(base, ["/health"], args.clients, args.seconds)))
            r = run_wrk(base, pages, args.clients, args.seconds)
            print(describe_wrk("/suivi/{token}", r))
            p95 = r[3]
        else:
            e, lat = asyncio.run(run_clients(base, ["/health"], args.clients, args.requests))
            print(describe("baseline /health", e, lat))
            e, lat = asyncio.run(run_clients(base, pages, args.clients, args.requests))
            print(describe("/suivi/{token}", e, lat))
            p95 = statistics.quantiles(lat, n=100)[94] * 1000
        print(f"target p95 <= 50 ms: {'met' if p95 <= 50 else 'NOT met'} ({p95:.1f} ms)")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
