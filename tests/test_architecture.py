"""docs/ARCHITECTURE.md stays true where it names modules, and the import rules it states hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
TOP_LEVELS = ("triage/", "classifiers/", "docs/", "scripts/", "tests/", "benchmarks/")
CODE = re.compile(r"`([^`\s]+)`")

# Modules outside triage/store/ that still import SQLAlchemy. This list only shrinks: new code asks the
# store (triage/store/, or triage/dossiers/ for dossiers) through functions with typed records.
SQLALCHEMY_ALLOWED = frozenset(
    {
        "triage/dossiers/opening.py",
        "triage/dossiers/registry.py",
        "triage/dossiers/statuses.py",
        "triage/dossiers/timeline.py",
        "triage/dossiers/tracking.py",
        "triage/pipeline.py",
        "triage/runtime.py",
        "triage/web/mediation/admin_routes.py",
        "triage/web/mediation/common.py",
        "triage/web/mediation/courrier_routes.py",
        "triage/web/mediation/dossier_routes.py",
        "triage/web/mediation/privacy_routes.py",
        "triage/worker.py",
        "triage/workspace/common.py",
        "triage/workspace/deadlines.py",
        "triage/workspace/intake.py",
        "triage/workspace/letters.py",
        "triage/workspace/outcomes.py",
        "triage/workspace/process.py",
        "triage/workspace/queue.py",
        "triage/workspace/review.py",
        "triage/workspace/setaside.py",
        "triage/workspace/view.py",
    }
)


def module_table() -> list[tuple[str, str]]:
    """(first cell, second cell) of each row of the « Modules » table."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and not set(cells[0]) <= {"-", " "}:
            rows.append((cells[0], cells[1]))
    return rows


def named_paths() -> list[str]:
    """Every path the table names: full paths, and bare names (`local.py`, `mediation/`) in a folder's row."""
    paths = []
    for first, second in module_table():
        heads = [p for p in CODE.findall(first) if p.startswith(TOP_LEVELS)]
        paths += heads
        folder = heads[0] if len(heads) == 1 and heads[0].endswith("/") else ""
        for name in CODE.findall(second):
            if name.startswith(TOP_LEVELS):
                paths.append(name)
            elif folder and re.fullmatch(r"[a-z_]+(\.py|/)", name):
                paths.append(folder + name)
    return paths


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (functions and TYPE_CHECKING blocks included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def python_files(folder: str) -> list[Path]:
    return [p for p in sorted((ROOT / folder).rglob("*.py")) if "migrations/versions" not in p.as_posix()]


def test_the_module_table_names_many_modules() -> None:
    paths = named_paths()
    assert len(paths) > 60, paths  # the parser reads the table (a broken parser would check nothing)
    assert "triage/dossiers/opening.py" in paths and "triage/sources/imap.py" in paths


def test_every_module_the_architecture_names_exists() -> None:
    missing = [p for p in named_paths() if not (ROOT / p).exists()]
    assert missing == [], f"docs/ARCHITECTURE.md names modules that do not exist: {missing}"


def test_every_package_of_triage_is_in_the_module_table() -> None:
    named = set(named_paths())
    packages = sorted(
        f"triage/{p.name}/" for p in (ROOT / "triage").iterdir() if (p / "__init__.py").exists()
    )
    assert [p for p in packages if p not in named] == []


def test_classifiers_never_import_the_application() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if n.split(".")[0] == "triage")
        for p in python_files("classifiers")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycle_between_the_pipeline_and_the_quarantine() -> None:
    quarantine = imports_of(ROOT / "triage" / "store" / "quarantine.py")
    assert not any(n == "triage.pipeline" or n.startswith("triage.pipeline.") for n in quarantine)


def test_sqlalchemy_is_imported_only_by_the_store_and_the_allowlist() -> None:
    users = {
        str(p.relative_to(ROOT))
        for p in python_files("triage")
        if any(n.split(".")[0] == "sqlalchemy" for n in imports_of(p))
    }
    outside = {u for u in users if not u.startswith("triage/store/")}
    assert sorted(outside - SQLALCHEMY_ALLOWED) == [], "new SQLAlchemy use outside triage/store/"
    # a module that stopped using SQLAlchemy leaves the list, so that it cannot come back unnoticed
    assert sorted(SQLALCHEMY_ALLOWED - outside) == []


LOGGING_CALLS = frozenset(
    {"getLogger", "Logger", "LoggerAdapter", "debug", "info", "warning", "warn", "error", "exception",
     "critical", "fatal", "log"}
)  # fmt: skip


def logger_uses(path: Path) -> list[str]:
    """Where a file makes or uses a logger of the logging module itself (file:line and the call)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {  # `from logging import getLogger` and the like, by the name they are called
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "logging"
        for alias in node.names
        if alias.name in LOGGING_CALLS
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            called = f"{func.value.id}.{func.attr}" if func.value.id == "logging" else ""
            called = called if func.attr in LOGGING_CALLS else ""
        else:
            called = imported.get(func.id, "") if isinstance(func, ast.Name) else ""
        if called:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {called}")
    return found


def test_the_logger_scan_finds_a_plain_logger() -> None:
    sample = ROOT / "tests" / "data" / "plain_logger.py.txt"
    assert logger_uses(sample) == [
        "tests/data/plain_logger.py.txt:5 logging.getLogger",
        "tests/data/plain_logger.py.txt:6 getLogger",
        "tests/data/plain_logger.py.txt:10 logging.warning",
    ]


def test_every_log_line_goes_through_the_masking_logger() -> None:
    """Only triage/logs.py makes loggers: everywhere else logs.event() masks what could be personal data."""
    offenders = [
        u for p in python_files("triage") if p != ROOT / "triage" / "logs.py" for u in logger_uses(p)
    ]
    assert offenders == [], "log through triage.logs (event, failure, timed), not a logger of your own"


WALL_CLOCK_CALLS = frozenset({"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time"})


def clock_reads(path: Path) -> list[str]:
    """Where a file reads the wall clock itself (file:line and the call)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else ""
            )
            if f"{name}.{node.func.attr}" in WALL_CLOCK_CALLS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}")
    return found


def test_the_clock_scan_finds_every_way_of_reading_the_hour() -> None:
    sample = ROOT / "tests" / "data" / "wall_clock.py.txt"
    assert [line.split(" ", 1)[1] for line in clock_reads(sample)] == [
        "datetime.now", "datetime.utcnow", "date.today", "time.time", "datetime.now"
    ]  # fmt: skip


def test_only_the_clock_module_reads_the_hour() -> None:
    """Time is passed in (Runtime.clock, a `now` argument): a test can fix it; time.monotonic stays free."""
    offenders = [
        c for p in python_files("triage") if p != ROOT / "triage" / "clock.py" for c in clock_reads(p)
    ]
    assert offenders == [], "take the hour from triage.clock (Runtime.clock or a `now` passed in)"
