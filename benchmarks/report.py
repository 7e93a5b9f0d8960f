"""Benchmark: the annual report over 100,000 dossiers, on SQLite and on PostgreSQL.

Usage: .venv/bin/python benchmarks/report.py [--dossiers 100000] [--year 2025] [--pg-url URL] [--sqlite-only]

Fills a fresh database (a temporary SQLite file, then a throwaway PostgreSQL database created on
the server at 127.0.0.1:5432 and dropped afterwards) with the demo history scaled to about
100,000 dossiers (2022 to 23 November 2026), inserted in bulk (executemany in batches of 5,000).
Then times, for one year: the figures (the GROUP BY queries), the charts, the HTML, the PDF and the
published CSV; and the pseudonymised export of every dossier. Target: the whole report (figures,
charts and PDF) under 10 seconds on each database. Each step prints its wall-clock time and the CPU
time of this process, with the machine's load average: on a shared machine the wall-clock time
grows with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

UNTIL = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TARGET_SECONDS = 10.0


def timed(label: str, fn: Callable[[], Any], results: dict[str, float]) -> Any:
    """Run fn, print its wall-clock and CPU time (this process only: the database server's is not counted)."""
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    results[label] = time.perf_counter() - started
    results[f"{label} (cpu)"] = time.process_time() - cpu
    print(f"  {label:<38} {results[label]:7.2f} s   (cpu {results[label + ' (cpu)']:6.2f} s)", flush=True)
    return value


def run(url: str, home: Path, dossiers: int, year: int) -> dict[str, float]:
    from tests.conftest import make_settings
    from triage.demo.history import PLANS, demo_rows, insert_rows
    from triage.report.export import export_pseudonymised
    from triage.report.render import build, render_csv, render_html, render_pdf
    from triage.runtime import Runtime

    rt = Runtime.open(make_settings(home, url))
    results: dict[str, float] = {}
    base = sum(p.requests for y, p in PLANS.items() if y < UNTIL.year) + PLANS[UNTIL.year].requests * 0.89
    per_year = timed(
        "bulk insert", lambda: insert_rows(rt, demo_rows(2022, UNTIL, scale=dossiers / base)), results
    )
    print(
        f"  {sum(per_year.values())} dossiers: " + ", ".join(f"{y}: {n}" for y, n in sorted(per_year.items()))
    )
    if rt.engine.dialect.name == "postgresql":
        with rt.engine.connect() as conn:  # fresh statistics, as autovacuum would have after a real load
            conn.exec_driver_sql("ANALYZE dossiers")
            conn.commit()
    report = timed("figures (SQL GROUP BY)", lambda: build(rt, year, with_charts=False), results)
    report = timed("figures + charts", lambda: build(rt, year), results)
    timed("HTML", lambda: render_html(report), results)
    pdf = timed("PDF (WeasyPrint)", lambda: render_pdf(report), results)
    timed("published CSV", lambda: render_csv(report), results)
    results["report (figures + charts + PDF)"] = results["figures + charts"] + results["PDF (WeasyPrint)"]
    cpu = results["figures + charts (cpu)"] + results["PDF (WeasyPrint) (cpu)"]
    n = timed(
        "pseudonymised export (all dossiers)", lambda: export_pseudonymised(rt, home / "export.csv"), results
    )
    h = report.figures.headline
    print(
        f"  {year}: {h.total} demandes, {h.mediations} médiations, {h.reorientations} réorientations, "
        f"durée moyenne {h.duration.mean:.1f} j, médiane {h.duration.median:.0f} j; "
        f"PDF {len(pdf) // 1024} Kio; export {n} lignes"
    )
    total = results["report (figures + charts + PDF)"]
    verdict = "OK" if total < TARGET_SECONDS else "AU-DESSUS DE LA CIBLE"
    print(
        f"  => rapport complet {total:.2f} s, dont {cpu:.2f} s de calcul dans ce processus "
        f"(cible < {TARGET_SECONDS:.0f} s) : {verdict}"
    )
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    print(f"  charge de la machine pendant la mesure : {load} (sur {os.cpu_count()} cœurs)")
    rt.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({args.dossiers} dossiers)")
        run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp) / "sqlite", args.dossiers, args.year)
    if args.sqlite_only:
        return
    from benchmarks.pgdb import throwaway_database

    with throwaway_database(args.pg_url) as (name, url), tempfile.TemporaryDirectory() as tmp:
        print(f"PostgreSQL ({args.dossiers} dossiers, base jetable {name})")
        run(url, Path(tmp), args.dossiers, args.year)


if __name__ == "__main__":
    main()
