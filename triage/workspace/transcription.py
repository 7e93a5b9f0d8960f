"""« Vérifier la transcription »: a person reads a scanned letter's pages beside their OCR text, corrects
it, and the triage suggestion runs again on what the letter really says.

The OCR text stays beside the corrected one (triage.store.transcriptions). The new suggestion is the
dossier's suggestion while its triage is pending (and the requester's fields still empty are filled from
what it extracted, as when a letter opens a dossier); once the mediator has confirmed the triage her
labels stand, and the new suggestion is only written down in the timeline for her to compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from triage.dossiers.opening import store_suggestion
from triage.dossiers.registry import complete_requester
from triage.dossiers.timeline import write_event
from triage.pipeline import Pipeline
from triage.records import Suggestion
from triage.runtime import Runtime
from triage.store import transcriptions
from triage.store.audit import Actor, record
from triage.workspace.labels import label_choices

EVENT_TRANSCRIPTION = "transcription_verifiee"


@dataclass(frozen=True)
class TranscriptionOutcome:
    """What saving a verified transcription did."""

    message_id: int
    reference: str | None
    changed_pages: tuple[int, ...]
    suggestion: Suggestion | None  # None: text unchanged, no suggester, or it failed
    suggestion_applied: bool  # the dossier's suggested labels were replaced (triage still pending)


def _pages(numbers: tuple[int, ...]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    return "pages " + ", ".join(str(n) for n in numbers)


def _summary(
    runtime: Runtime, saved: transcriptions.SavedTranscription, suggestion: Suggestion | None
) -> str:
    if not saved.changed_pages:
        return f"Transcription du courrier vérifiée ({_pages(saved.verified_pages)}), sans changement"
    head = f"Transcription du courrier corrigée ({_pages(saved.changed_pages)})"
    if suggestion is None:
        return head
    choices = label_choices(runtime.settings)
    labels = ", ".join(
        (
            choices.name("domains", suggestion.domain.code) or suggestion.domain.code,
            choices.name("admissibility", suggestion.admissibility.code) or suggestion.admissibility.code,
            choices.name("reorientation", suggestion.reorientation.code) or suggestion.reorientation.code,
        )
    )
    if saved.triage_status == "pending":
        return f"{head} : nouvelle suggestion de tri ({labels})"
    return f"{head} : le tri confirmé est conservé ; nouvelle suggestion pour information ({labels})"


def save_corrected_transcription(
    runtime: Runtime,
    pipeline: Pipeline,
    message_id: int,
    texts: Mapping[int, str],
    actor: Actor,
    now: datetime | None = None,
) -> TranscriptionOutcome:
    """Keep the verified texts of a scanned letter, clear its « à vérifier », and re-run the suggestion on
    the corrected text with `pipeline`'s suggester (one transaction: all of it or nothing)."""
    now = now or runtime.clock()
    with runtime.sessions.begin() as session:
        saved = transcriptions.save_transcription(session, message_id, texts, actor.user_id, now)
        suggestion = None
        applied = False
        if saved.changed_pages:
            # the same suggester, on the same kind of input, as when the letter came in
            suggestion = pipeline.suggest(lambda: saved.text, "")
        if saved.dossier_id is not None:
            filled: tuple[str, ...] = ()
            if suggestion is not None and saved.triage_status == "pending":
                store_suggestion(session, saved.dossier_id, message_id, suggestion)
                applied = True
                # what the OCR could not read (name, address...) may now be found: empty fields only
                known = transcriptions.dossier_requester(session, saved.dossier_id)
                filled = transcriptions.fill_blank_requester(
                    session, saved.dossier_id, complete_requester(known, suggestion.extracted)
                )
            details: dict[str, object] = {
                "message_row_id": message_id,
                "pages_changed": list(saved.changed_pages),
                "pages_verified": list(saved.verified_pages),
                "suggestion_applied": applied,
                "requester_filled": list(filled),
            }
            if suggestion is not None:
                details["suggestion"] = {
                    kind: {"code": label.code, "confidence": round(float(label.confidence), 3)}
                    for kind, label in (
                        ("domain", suggestion.domain),
                        ("admissibility", suggestion.admissibility),
                        ("reorientation", suggestion.reorientation),
                    )
                }
            write_event(
                session,
                saved.dossier_id,
                EVENT_TRANSCRIPTION,
                _summary(runtime, saved, suggestion),
                at=now,
                details=details,
                actor=actor.name,
            )
        record(
            session,
            actor,
            "scan.transcription",
            dossier_id=saved.dossier_id,
            details={"message_id": message_id, "changed": list(saved.changed_pages)},
            now=now,
        )
    return TranscriptionOutcome(message_id, saved.reference, saved.changed_pages, suggestion, applied)
