"""Benchmark: parsing and storing generated emails through the pipeline, on SQLite and PostgreSQL.

Usage: .venv/bin/python benchmarks/ingest.py [-n 2000] [--repeats 3] [--no-postgres] [--profile FILE.html]

N messages are generated once (seeded): French request texts from data/samples/corpus, of varied
length (a few lines to several pages), 60 % plain text, 25 % text + HTML, 15 % HTML only, one in five
with attachments (PDF with a text layer, PNG, Word file), some quoted replies, some ISO-8859-1
quoted-printable, some web-form mails. Each repeat ingests all of them into a fresh database through
`Pipeline(runtime)` — one transaction per message as in production, without suggestions or
notifications (the language stages belong to the triage benchmark). In the same run, the floor: bare
`parse_message` over the same messages. Medians over the repeats. The pipeline runs in one thread;
messages per CPU-second of this process (plus, on PostgreSQL, the CPU of the server backends, read
from /proc) is the per-core figure, which does not depend on what else the machine is doing; messages
per second of wall time is printed beside it. Peak memory: the resident set (ru_maxrss) of the
process, and the peak of Python allocations during one extra, untimed ingestion under tracemalloc. Target: at least 200 emails per second per core, parsing and storing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_PER_CORE = 200.0
PG_ADMIN_URL = os.environ.get(
    "MEDIATURE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FIRST = [
    "Jeanne",
    "Karim",
    "Sophie",
    "Mamadou",
    "Élodie",
    "Bernard",
    "Nathalie",
    "Yacine",
    "Chantal",
    "Thierry",
]
LAST = ["Martin", "Benali", "Rousset", "Diallo", "Garnier", "Faure", "Chabert", "Meunier", "Roux", "Girard"]
COMMUNES = ["Grenoble", "Vienne", "Voiron", "Bourgoin-Jallieu", "Échirolles", "La Mure", "Crémieu", "Vif"]


def corpus_texts() -> list[str]:
    """Request bodies written for the classifier corpus (front matter removed)."""
    texts = []
    for path in sorted((REPO / "data" / "samples" / "corpus").glob("*/*.txt")):
        body = path.read_text(encoding="utf-8")
        if body.startswith("---"):
            body = body.split("---", 2)[-1]
        texts.append(body.strip())
    if not texts:
        texts = [
            "Bonjour,\n\nMa demande d'aide sociale a été refusée sans explication. Pouvez-vous m'aider ?\n\nMerci."
        ]
    return texts


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with a real text layer (hand-written objects, valid xref)."""
    safe = (
        text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    )
    stream = b"BT /F1 11 Tf 50 780 Td (" + safe[:90] + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_png(rng: random.Random) -> bytes:
    """A small valid PNG (a flat grey image of a random size)."""
    import struct
    import zlib

    w, h = rng.randint(40, 400), rng.randint(40, 300)
    raw = b"".join(b"\x00" + bytes([rng.randint(100, 200)]) * w for _ in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def generate(n: int, seed: int = 42) -> list[bytes]:
    """n distinct, realistic request emails."""
    rng = random.Random(seed)
    texts = corpus_texts()
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    messages = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        body = rng.choice(texts)
        if rng.random() < 0.25:  # long letters: several stories pasted together
            body = "\n\n".join([body] + rng.sample(texts, rng.randint(1, 4)))
        body += f"\n\n{first} {last}\n{rng.randint(1, 120)} rue des Alpes, 38{rng.randint(0, 999):03d} {rng.choice(COMMUNES)}"
        msg = EmailMessage()
        webform = rng.random() < 0.05
        if webform:
            msg["From"] = "Département de l'Isère <ne-pas-repondre@isere.example>"
            msg["Reply-To"] = f"{first.lower()}.{last.lower()}{i}@exemple.example"
            msg["Subject"] = f"[Formulaire médiation] Demande n° {100000 + i}"
            body = (
                f"Civilité : Madame\nNom : {last}\nPrénom : {first}\nAdresse : 3 place Verdun\nCode postal : 38000\n"
                f"Commune : Grenoble\nTéléphone : 06 12 34 56 {i % 100:02d}\nCourriel : {msg['Reply-To']}\n"
                f"Service concerné : RSA\nDémarches déjà effectuées : recours gracieux\nObjet : {body[:60]}\n"
                f"Message : {body}"
            )
        else:
            msg["From"] = f"{first} {last} <{first.lower()}.{last.lower()}{i}@exemple.example>"
            msg["Subject"] = (
                rng.choice(["Demande de médiation", "Réclamation", "Recours", "Aide SVP", "Dossier bloqué"])
                + f" ({i})"
            )
        msg["To"] = "mediation@isere.example"
        msg["Date"] = format_datetime(start + timedelta(minutes=17 * i))
        msg["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="exemple.example")
        if rng.random() < 0.1:  # a reply quoting an earlier message
            body += (
                "\n\nLe 3 mars 2026 à 10:12, Médiation départementale <mediation@isere.example> a écrit :\n"
                + "\n".join("> " + line for line in rng.choice(texts).splitlines()[:12])
            )
        kind = rng.random()
        charset = "iso-8859-1" if rng.random() < 0.1 else "utf-8"
        if charset != "utf-8":
            body = (
                body.replace("€", "euros")
                .replace("œ", "oe")
                .replace("’", "'")
                .encode("latin-1", "replace")
                .decode("latin-1")
            )
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in body.split("\n\n")) + "</body></html>"
        if kind < 0.60 or webform:
            msg.set_content(body, charset=charset, cte="quoted-printable" if charset != "utf-8" else None)
        elif kind < 0.85:
            msg.set_content(body, charset=charset)
            msg.add_alternative(html, subtype="html")
        else:
            msg.set_content(html, subtype="html")
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):
                choice = rng.random()
                if choice < 0.5:
                    msg.add_attachment(
                        tiny_pdf(body[:200]), maintype="application", subtype="pdf", filename="courrier.pdf"
                    )
                elif choice < 0.8:
                    msg.add_attachment(tiny_png(rng), maintype="image", subtype="png", filename="photo.png")
                else:
                    msg.add_attachment(
                        os.urandom(rng.randint(5_000, 60_000)),
                        maintype="application",
                        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                        filename="attestation.docx",
                    )
        messages.append(msg.as_bytes())
    return messages


def pg_database() -> tuple[str, Callable[[], None]] | None:
    """A fresh PostgreSQL database and its cleanup, or None when the server is unreachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    name = f"mediature_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError:
        return None  # no server: the PostgreSQL rows are skipped

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop


def open_runtime(home: Path, url: str) -> Runtime:
    from tests.conftest import make_settings
    from triage.runtime import Runtime

    return Runtime.open(make_settings(home, url))


def ingest_all(rt: Runtime, raws: list[bytes]) -> dict[str, int]:
    from collections import Counter

    from triage.pipeline import Pipeline
    from triage.records import RawMessage

    pipeline = Pipeline(rt)  # no suggester, no notifier
    outcomes: Counter[str] = Counter()
    for i, raw in enumerate(raws):
        outcomes[
            pipeline.ingest_raw(RawMessage(source="eml", source_key=f"bench/{i}", data=raw)).outcome.value
        ] += 1
    return dict(outcomes)


def timed(run: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_parse(raws: list[bytes], repeats: int) -> tuple[float, float]:
    from tests.conftest import make_settings
    from triage.parse.message import parse_message

    settings = make_settings(Path(tempfile.mkdtemp(prefix="mediature-bench-")))
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu, _ = timed(lambda: [parse_message(r, settings) for r in raws])
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def _nothing() -> None:
    pass


def bench_store(raws: list[bytes], repeats: int, database: str) -> tuple[float, float, dict[str, int]] | None:
    walls: list[float] = []
    cpus: list[float] = []
    outcomes: Any = {}
    for _ in range(repeats):
        home = Path(tempfile.mkdtemp(prefix="mediature-bench-"))
        cleanup: Callable[[], None] = _nothing
        url = ""
        if database == "postgresql":
            created = pg_database()
            if created is None:
                return None
            url, cleanup = created
        rt = open_runtime(home, url)
        try:
            server_before = backend_cpu(rt)
            wall, cpu, outcomes = timed(partial(ingest_all, rt, raws))
            cpu += backend_cpu(rt) - server_before  # PostgreSQL's work counts on the same cores
        finally:
            rt.close()
            cleanup()
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus), outcomes


def backend_cpu(rt: Runtime) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database (server on this machine)."""
    if rt.engine.dialect.name != "postgresql":
        return 0.0
    from sqlalchemy import text

    with rt.engine.connect() as conn:
        pids = (
            conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            .scalars()
            .all()
        )
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # another machine, or gone
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def peak_python_memory(raws: list[bytes]) -> int:
    """Peak traced allocations while ingesting into SQLite (untimed: tracemalloc slows everything)."""
    rt = open_runtime(Path(tempfile.mkdtemp(prefix="mediature-bench-")), "")
    tracemalloc.start()
    try:
        ingest_all(rt, raws)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        rt.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="number of generated messages")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--profile", type=Path, help="write a pyinstrument HTML profile of one SQLite ingestion"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    raws = generate(args.n)
    size = sum(map(len, raws))
    print(
        f"{args.n} messages generated in {time.perf_counter() - t0:.1f} s "
        f"({size / args.n / 1024:.1f} KiB on average, {size / 1_048_576:.1f} MiB in all); "
        f"{args.repeats} repeats, medians; {os.cpu_count()} cores on this machine, the pipeline uses one"
    )
    # warm-up: imports, compiled regexes, libmagic database
    bench_parse(raws[:50], 1)
    parse_wall, parse_cpu = bench_parse(raws, args.repeats)
    rows: list[tuple[str, float, float, dict[str, int]]] = [("parse only (floor)", parse_wall, parse_cpu, {})]
    for database in ("sqlite", "postgresql"):
        if database == "postgresql" and args.no_postgres:
            continue
        result = bench_store(raws, args.repeats, database)
        if result is None:
            print(f"{database}: server unreachable, skipped")
            continue
        rows.append((f"parse + store, {database}", *result))
    print()
    print(f"{'':28} {'msg/s (wall)':>13} {'msg/CPU-s':>10} {'ms/msg':>8}   outcomes")
    for name, wall, cpu, outcomes in rows:
        print(
            f"{name:28} {args.n / wall:13.0f} {args.n / cpu:10.0f} {1000 * wall / args.n:8.2f}   "
            + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items()))
        )
    peak = peak_python_memory(raws[: min(args.n, 1000)])
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"\npeak memory: {maxrss_kib / 1024:.0f} MiB resident (whole run), "
        f"{peak / 1_048_576:.1f} MiB peak Python allocations while ingesting {min(args.n, 1000)} messages"
    )
    print(
        "msg/CPU-s: messages per CPU-second of this process, plus the PostgreSQL backend's CPU for the\n"
        "PostgreSQL row: the per-core figure, independent of what else runs on the machine. msg/s (wall):\n"
        "one process, one thread, on this machine as loaded now "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)."
    )
    for name, wall, cpu, _o in rows[1:]:
        per_core = args.n / cpu
        verdict = "met" if per_core >= TARGET_PER_CORE else "NOT met"
        print(
            f"target {TARGET_PER_CORE:.0f} emails/s/core, {name}: {verdict} ({per_core:.0f}/CPU-s, {args.n / wall:.0f}/s wall)"
        )
    if args.profile:
        from pyinstrument import Profiler

        rt = open_runtime(Path(tempfile.mkdtemp(prefix="mediature-bench-")), "")
        profiler = Profiler()
        profiler.start()
        ingest_all(rt, raws)
        profiler.stop()
        rt.close()
        args.profile.write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False)[:6000])


if __name__ == "__main__":
    main()
