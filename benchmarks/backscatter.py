"""Backscatter on the real-world corpus (issue 12, finding 13): of the 106 messages of
tests/data/real-world-mail (mostly spam, newsletters and odd mail), how many open a dossier and how
many get an acknowledgement, and how many are set aside as probable spam. Fresh SQLite home each run.

Usage: .venv/bin/python benchmarks/backscatter.py
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from triage.config import load_settings
from triage.pipeline import Pipeline
from triage.records import RawMessage
from triage.runtime import Runtime
from triage.store.models import Dossier, Message, OutboxItem

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "real-world-mail"


def main() -> None:
    """Ingest the corpus with the shipped pipeline and print the counts as one JSON object."""
    with tempfile.TemporaryDirectory(prefix="mediature-backscatter-") as home:
        settings = load_settings(
            None, environ={"MEDIATURE_HOME": home, "MEDIATURE_SECRET_KEY": "benchmark-only"}
        )
        runtime = Runtime.open(settings)
        try:
            pipeline = Pipeline.from_runtime(runtime)
            outcomes = Counter(
                pipeline.ingest_raw(RawMessage("eml", p.name, p.read_bytes())).outcome.value
                for p in sorted(CORPUS.glob("*.box"))
            )
            with runtime.sessions() as session:
                dossiers = session.scalar(select(func.count(Dossier.id)))
                acknowledged = session.scalar(
                    select(func.count(OutboxItem.id)).where(
                        OutboxItem.kind == "acknowledgement",
                        OutboxItem.status.in_(("pending", "sending", "sent")),
                    )
                )
                roles = Counter(
                    dict(
                        session.execute(
                            select(Message.role, func.count(Message.id)).group_by(Message.role)
                        ).all()
                    )
                )
        finally:
            runtime.close()
    print(
        json.dumps(
            {
                "messages": sum(outcomes.values()),
                "outcomes": dict(outcomes),
                "dossiers_opened": dossiers,
                "acknowledgements": acknowledged,
                "probable_spam": roles.get("spam", 0),
                "roles": dict(roles),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
