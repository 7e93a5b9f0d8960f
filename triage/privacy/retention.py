"""The retention policy: what has outlived its term is anonymised (dossiers) or deleted (everything else).

Terms come from `settings.retention`. A closed dossier is due `closed_dossier_years` after its closure
(a dossier set aside as not a request: `not_request_days` after receipt; a request joined to another
dossier: with that dossier), unless the mediator extended it past the day considered. `run()` does the
whole policy in one transaction (rolled back for a dry run), then deletes the files the store no longer
points at. The worker calls it once a day; `mediature retention run` on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from triage import logs
from triage.clock import local_day, system_clock
from triage.config import RetentionSettings, Settings
from triage.errors import DossierError
from triage.notify.sender import FolderTransport
from triage.runtime import Runtime
from triage.store.audit import Actor, record
from triage.store.db import Transaction, transaction
from triage.store.models import Dossier
from triage.store.personal import Purge, anonymise_dossiers, delete_orphan_blobs, references_of, truncate_wal
from triage.store.retention import (
    RetentionFacts,
    add_years,
    due_dossier_ids,
    facts_by_reference,
    facts_of,
    keep_until,
    midnight,
    purge_expired,
)

# why a dossier is kept past its term (codes in the audit log, French labels on screen)
EXTENSION_REASONS = {
    "contentieux": "Contentieux ou recours en cours",
    "demande_en_cours": "Nouvelle demande en cours de la même personne",
    "demande_usager": "À la demande de l'usager",
    "autre": "Autre motif (précisé dans la note du dossier)",
}
# roles of mail that is not a request: deleted after `not_request_days` when attached to no dossier

LABELS = {
    "dossiers": "dossiers anonymisés",
    "messages": "messages vidés (dossiers anonymisés)",
    "messages_deleted": "messages supprimés (non-demandes)",
    "attachments": "pièces jointes supprimées",
    "scans": "originaux de scans supprimés",
    "labelled_examples": "exemples d'entraînement supprimés",
    "notes": "notes supprimées",
    "drafts": "brouillons supprimés",
    "outbox": "copies de messages envoyés effacées",
    "print_jobs": "courriers imprimés effacés",
    "quarantine": "éléments de quarantaine supprimés",
    "audit": "entrées d'audit supprimées",
    "web_sessions": "sessions expirées supprimées",
    "blobs": "contenus bruts supprimés",
    "files": "fichiers supprimés",
}


def term_of(dossier: RetentionFacts, policy: RetentionSettings) -> date | None:
    """The day a dossier becomes due for anonymisation (None while it is open and not set aside)."""
    if dossier.closed_at is not None:
        term = add_years(dossier.closed_at.astimezone(UTC).date(), policy.closed_dossier_years)
    elif dossier.triage_status == "not_request":
        term = dossier.received_at.astimezone(UTC).date() + timedelta(days=policy.not_request_days)
    else:
        return None
    if dossier.retention_extended_until is not None and dossier.retention_extended_until > term:
        return dossier.retention_extended_until
    return term


@dataclass(frozen=True)
class Upcoming:
    """A dossier that will be anonymised soon."""

    reference: str
    dossier_id: int
    term: date
    closed_at: datetime | None
    extended_until: date | None
    reason: str


def upcoming(
    session: Transaction, policy: RetentionSettings, as_of: date, days: int | None = None
) -> list[Upcoming]:
    """Dossiers due within `days` (default: notice_days) of `as_of`, overdue ones first, by term."""
    horizon = as_of + timedelta(days=policy.notice_days if days is None else days)
    ids = due_dossier_ids(session, policy, horizon)
    if not ids:
        return []
    rows = facts_of(session, ids)
    by_id = {d.id: d for d in rows}
    out = []
    for d in rows:
        term = term_of(d, policy)
        if term is None and d.merged_into_id is not None and d.merged_into_id in by_id:
            term = term_of(by_id[d.merged_into_id], policy)
        out.append(
            Upcoming(
                d.reference, d.id, term or as_of, d.closed_at, d.retention_extended_until, d.retention_reason
            )
        )
    return sorted(out, key=lambda u: (u.term, u.reference))


def extend(
    session: Transaction,
    dossier: Dossier | RetentionFacts,
    until: date,
    reason: str,
    actor: Actor,
    today: date | None = None,
) -> None:
    """Keep `dossier` until `until` (a code of EXTENSION_REASONS is required); audited."""
    today = today or local_day(system_clock())
    if reason not in EXTENSION_REASONS:
        raise DossierError(f"motif de prolongation inconnu : {reason}", key=dossier.reference)
    if until <= today:
        raise DossierError("la date de prolongation doit être dans le futur", key=dossier.reference)
    if dossier.anonymised_at is not None:
        raise DossierError("ce dossier est déjà anonymisé", key=dossier.reference)
    keep_until(session, dossier.id, until, reason)
    record(
        session,
        actor,
        "retention.extend",
        dossier_id=dossier.id,
        details={"until": until.isoformat(), "reason": reason},
    )


@dataclass
class RetentionReport:
    """What a run did (or would do, for a dry run)."""

    as_of: date
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)


def _old_files(folder: Path, older_than: datetime) -> list[Path]:
    """Files of `folder` (recursively) last written before `older_than`."""
    if not folder.is_dir():
        return []
    stamp = older_than.timestamp()
    return [p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime < stamp]


def files_to_delete(settings: Settings, policy: RetentionSettings, as_of: date, purge: Purge) -> list[Path]:
    """Files on disk past their term: logs, rejected scans, .eml copies; plus those the purge released."""
    day = midnight(as_of + timedelta(days=1))
    home = settings.paths.home
    files = list(purge.files)
    outbox = FolderTransport(home / "outbox")
    for row_id, created_at, kind in purge.outbox_ids:
        files.append(outbox.path_for(row_id, kind, created_at))
    files += _old_files(home / "outbox", day - timedelta(days=policy.outbox_days))
    files += _old_files(home / "logs", day - timedelta(days=policy.log_days))
    files += _old_files(home / "scans" / "rejetes", day - timedelta(days=policy.quarantine_days))
    return sorted({f for f in files if f.exists()})


def delete_files(paths: list[Path]) -> int:
    """Delete files (missing ones are fine); returns how many were removed."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def run(
    runtime: Runtime, *, as_of: date | None = None, dry_run: bool = False, actor: Actor | None = None
) -> RetentionReport:
    """Apply the whole policy as of `as_of` (by default the runtime clock's day in Paris); a dry run
    changes nothing."""
    now = runtime.clock()
    as_of = as_of or local_day(now)
    policy = runtime.settings.retention
    actor = actor or Actor.system()
    report = RetentionReport(as_of, dry_run)
    purge = Purge()
    session = runtime.sessions()
    try:
        ids = due_dossier_ids(session, policy, as_of)
        report.references = references_of(session, ids)
        purge.merge(anonymise_dossiers(session, ids, now))
        for dossier_id in ids:
            record(
                session,
                actor,
                "retention.anonymised",
                dossier_id=dossier_id,
                now=now,
                details={"as_of": as_of.isoformat()},
            )
        purge_expired(session, policy, as_of, purge)
        purge.add("blobs", delete_orphan_blobs(session))
        files = files_to_delete(runtime.settings, policy, as_of, purge)
        purge.add("files", len(files))
        record(
            session,
            actor,
            "retention.run",
            now=now,
            details={"as_of": as_of.isoformat(), "dry_run": dry_run, **purge.counts},
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
            delete_files(files)
            if purge.counts:
                truncate_wal(runtime.engine)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    report.counts = dict(purge.counts)
    logs.event("retention_run", as_of=as_of.isoformat(), dry_run=dry_run, **purge.counts)
    return report


def extend_by_reference(runtime: Runtime, reference: str, until: date, reason: str, actor: Actor) -> None:
    """`extend` for a dossier given by its reference, in its own transaction."""
    with transaction(runtime.sessions) as session:
        dossier = facts_by_reference(session, reference)
        if dossier is None:
            raise DossierError("dossier introuvable", key=reference)
        extend(session, dossier, until, reason, actor)
