"""Erasure (RGPD art. 17): one person's dossiers are anonymised as retention does, and every other trace
of their address and name goes: loose mail, quarantined bytes, outgoing copies, bounce records, training
examples, audit details, files on disk; then the database's free space is wiped (SQLite VACUUM and WAL
truncation with secure_delete on; PostgreSQL VACUUM FULL of the tables touched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from triage import logs
from triage.errors import DossierError
from triage.privacy.retention import delete_files, files_to_delete
from triage.runtime import Runtime
from triage.sources.scans import rejected_dir
from triage.store.audit import Actor, record
from triage.store.erasure import compact, erase_loose, mentions_elsewhere, person_dossier_ids, person_names
from triage.store.personal import Purge, anonymise_dossiers, delete_orphan_blobs, references_of

EPOCH = date(1970, 1, 1)  # "as of" for files_to_delete: only the files the purge released, nothing by age


@dataclass
class ErasureReport:
    """What an erasure did."""

    references: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    compacted: bool = False
    mentioned_in: list[str] = field(default_factory=list)  # other people's dossiers naming the person


def normalise_email(address: str) -> str:
    """The address as stored (lower case, no spaces); DossierError when it is not one."""
    email = address.strip().lower()
    if "@" not in email or " " in email or len(email) > 320:
        raise DossierError("adresse électronique invalide")
    return email


def erase(runtime: Runtime, address: str, actor: Actor) -> ErasureReport:
    """Erase everything about the person writing from `address` (see the module docstring)."""
    email = normalise_email(address)
    report = ErasureReport()
    purge = Purge()
    now = runtime.clock()
    with runtime.sessions.begin() as session:
        ids = person_dossier_ids(session, email)
        names = person_names(session, email, ids)
        report.references = references_of(session, ids)
        purge.merge(anonymise_dossiers(session, ids, now))
        purge.files += erase_loose(session, email, names, purge, rejected_dir(runtime.settings))
        purge.add("blobs", delete_orphan_blobs(session))
        for dossier_id in ids:
            record(session, actor, "privacy.erased", dossier_id=dossier_id, now=now)
        record(session, actor, "privacy.erase", now=now, details=dict(purge.counts))
        report.mentioned_in = mentions_elsewhere(session, email, names)
        files = files_to_delete(runtime.settings, runtime.settings.retention, EPOCH, purge)
    purge.add("files", delete_files(files))
    report.counts = dict(purge.counts)
    report.compacted = compact(runtime.engine)
    logs.event("privacy_erase", compacted=report.compacted, **purge.counts)
    return report
