"""« Transcription à vérifier »: scanned pages Tesseract reads badly are flagged, shown beside their image,
and a corrected transcription is kept (OCR text too), searchable, and re-runs the triage suggestion.

Real Tesseract on pages drawn with Pillow (tests/faint_scans.py), the shipped suggester, SQLite and
PostgreSQL for the storage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.faint_scans import CORRECTED, open_letter, pipeline_for, write_letter
from tests.workspace_data import add_users, fast_argon2, form_token, login
from triage.records import ScanDocument
from triage.runtime import Runtime
from triage.sources.scans import ingest_scan_file
from triage.store.audit import Actor
from triage.store.models import AuditEntry, Dossier, Event, Message, ScanPageRow, SuggestionRow
from triage.store.search import search_dossiers
from triage.store.transcriptions import dossiers_to_check, load_transcription, ocr_text
from triage.workspace.queue import pending_queue
from triage.workspace.review import Labels, bulk_accept, confirm
from triage.workspace.transcription import EVENT_TRANSCRIPTION, save_corrected_transcription

__all__ = ["fast_argon2"]  # a fixture imported for pytest

MEDIATRICE = Actor(None, "mediatrice", "mediateur")


def test_faint_scan_is_flagged_for_checking_and_a_clean_scan_is_not(runtime: Runtime, tmp_path: Path) -> None:
    pipeline = pipeline_for(runtime)
    faint = ingest_scan_file(runtime, pipeline, write_letter(tmp_path, "pale.png", faint=True))
    clean = ingest_scan_file(runtime, pipeline, write_letter(tmp_path, "nette.png", faint=False))
    assert faint.doc is not None and clean.doc is not None
    assert faint.doc.mean_confidence is not None and faint.doc.mean_confidence < 50
    assert clean.doc.mean_confidence is not None and clean.doc.mean_confidence > 85
    threshold = runtime.settings.scans.transcription_check_below
    with runtime.sessions() as s:
        pages = s.scalars(select(ScanPageRow).order_by(ScanPageRow.message_id)).all()
        # each page kept with what OCR read and how sure it was
        assert [(p.number, p.method, p.corrected_text) for p in pages] == [(1, "ocr", None), (1, "ocr", None)]
        assert pages[0].confidence == faint.doc.mean_confidence and pages[0].ocr_text == faint.doc.text
        assert "MDPH" in pages[1].ocr_text
        flags = dossiers_to_check(s, threshold, [faint.outcome.dossier_id, clean.outcome.dossier_id])
        assert set(flags) == {faint.outcome.dossier_id}
        assert flags[faint.outcome.dossier_id].message_id == faint.outcome.message_row_id
        queue = {item.reference: item for item in pending_queue(s, runtime.settings)}
    assert queue[faint.outcome.reference].transcription is not None
    assert not queue[faint.outcome.reference].confident  # its suggestion was read from doubtful text
    assert queue[clean.outcome.reference].transcription is None
    # the threshold is a setting: at 0 nothing is ever flagged
    with runtime.sessions() as s:
        assert dossiers_to_check(s, 0, [faint.outcome.dossier_id]) == {}


def test_bulk_accept_never_takes_a_letter_whose_transcription_is_to_check(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    rt = sqlite_runtime
    dossier_id, _, _ = open_letter(rt, tmp_path, faint=True)
    with rt.sessions.begin() as s:
        # even with every label « sûr », a suggestion read from a doubtful transcription is not accepted blindly
        row = s.scalars(select(SuggestionRow).where(SuggestionRow.dossier_id == dossier_id)).one()
        row.to_check = {"domain": False, "admissibility": False, "reorientation": False}
    with rt.sessions.begin() as s:
        assert bulk_accept(s, rt.settings, MEDIATRICE) == []
    rt.settings.scans.transcription_check_below = 0
    with rt.sessions.begin() as s:
        assert len(bulk_accept(s, rt.settings, MEDIATRICE)) == 1


def test_corrected_transcription_is_kept_searchable_clears_the_flag_and_re_runs_the_suggestion(
    runtime: Runtime, tmp_path: Path
) -> None:
    dossier_id, message_id, reference = open_letter(runtime, tmp_path, faint=True)
    threshold = runtime.settings.scans.transcription_check_below
    with runtime.sessions() as s:
        assert s.get(Dossier, dossier_id).requester_postcode == ""  # type: ignore[union-attr]
        assert ocr_text(s, message_id) is None  # nothing corrected yet
        before = s.scalars(select(SuggestionRow).where(SuggestionRow.dossier_id == dossier_id)).one()
        assert before.domain != "autonomie_handicap"  # the garbled OCR text says nothing of the MDPH
        ocr_text_before = load_transcription(s, message_id, threshold).pages[0].ocr_text
        assert search_dossiers(s, "renouveler inclusion").total == 0
    outcome = save_corrected_transcription(
        runtime,
        pipeline_for(runtime),
        message_id,
        {1: CORRECTED.replace("\n", "\r\n")},
        MEDIATRICE,
        now=datetime.now(UTC),
    )
    assert outcome.reference == reference and outcome.changed_pages == (1,) and outcome.suggestion_applied
    with runtime.sessions() as s:
        scan = load_transcription(s, message_id, threshold)
        assert scan.pages[0].ocr_text == ocr_text_before  # what OCR read is kept
        assert scan.pages[0].corrected_text == CORRECTED and not scan.to_check
        assert dossiers_to_check(s, threshold, [dossier_id]) == {}
        assert s.get(Message, message_id).body_text == CORRECTED  # type: ignore[union-attr]
        latest = s.scalars(
            select(SuggestionRow)
            .where(SuggestionRow.dossier_id == dossier_id)
            .order_by(SuggestionRow.id.desc())
        ).first()
        assert latest is not None and latest.id != before.id and latest.domain == "autonomie_handicap"
        event = s.scalars(
            select(Event).where(Event.dossier_id == dossier_id, Event.kind == EVENT_TRANSCRIPTION)
        ).one()
        assert "nouvelle suggestion" in event.summary and event.details["pages_changed"] == [1]
        assert event.actor == "mediatrice" and not event.public
        assert s.scalar(select(func.count()).where(AuditEntry.action == "scan.transcription")) == 1
        # what OCR could not read fills the requester's empty fields
        dossier = s.get(Dossier, dossier_id)
        assert dossier is not None and (dossier.requester_postcode, dossier.requester_commune) == (
            "38000",
            "Grenoble",
        )
        assert "postcode" in event.details["requester_filled"]
        assert ocr_text(s, message_id) == ocr_text_before  # for the right of access: what OCR had read
        # full-text search reads the corrected text
        found = search_dossiers(s, "renouveler inclusion")
        assert [hit.reference for hit in found.hits] == [reference]


def test_correction_after_a_confirmed_triage_keeps_her_labels_and_only_notes_the_new_suggestion(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    rt = sqlite_runtime
    dossier_id, message_id, _ = open_letter(rt, tmp_path, faint=True)
    with rt.sessions.begin() as s:
        dossier = s.get(Dossier, dossier_id)
        assert dossier is not None
        confirm(s, rt.settings, dossier, Labels("insertion_rsa", "recevable", "none"), MEDIATRICE)
    outcome = save_corrected_transcription(rt, pipeline_for(rt), message_id, {1: CORRECTED}, MEDIATRICE)
    assert outcome.suggestion is not None and outcome.suggestion.domain.code == "autonomie_handicap"
    assert not outcome.suggestion_applied
    with rt.sessions() as s:
        dossier = s.get(Dossier, dossier_id)
        assert dossier is not None and (dossier.domain, dossier.triage_status) == (
            "insertion_rsa",
            "reviewed",
        )
        assert s.scalar(select(func.count()).where(SuggestionRow.dossier_id == dossier_id)) == 1
        event = s.scalars(select(Event).where(Event.kind == EVENT_TRANSCRIPTION)).one()
        assert "tri confirmé est conservé" in event.summary
        assert event.details["suggestion"]["domain"]["code"] == "autonomie_handicap"


def test_saving_a_page_unchanged_clears_the_flag_without_a_new_suggestion(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    rt = sqlite_runtime
    dossier_id, message_id, _ = open_letter(rt, tmp_path, faint=True)
    with rt.sessions() as s:
        text = load_transcription(s, message_id, 70).pages[0].ocr_text
    outcome = save_corrected_transcription(rt, pipeline_for(rt), message_id, {1: text + "\n"}, MEDIATRICE)
    assert outcome.changed_pages == () and outcome.suggestion is None
    with rt.sessions() as s:
        assert dossiers_to_check(s, 70, [dossier_id]) == {}
        assert s.scalar(select(func.count()).where(SuggestionRow.dossier_id == dossier_id)) == 1
        assert (
            "sans changement"
            in s.scalars(select(Event.summary).where(Event.kind == EVENT_TRANSCRIPTION)).one()
        )


# --------------------------------------------------------------------------- the web page


@pytest.fixture
def letter(sqlite_runtime: Runtime, fast_argon2: None, tmp_path: Path) -> tuple[int, str]:
    """(message id, reference) of a faint letter taken in, with the accounts of the workspace."""
    rt = sqlite_runtime
    rt.settings.web.secure_cookies = False
    add_users(rt)
    _, message_id, reference = open_letter(rt, tmp_path, faint=True)
    return message_id, reference


@pytest.fixture
def web(sqlite_runtime: Runtime, letter: tuple[int, str]) -> Any:
    from triage.web.app import create_app

    return create_app(sqlite_runtime, pipeline=pipeline_for(sqlite_runtime))


def client(app: Any, role: str | None) -> Any:
    from starlette.testclient import TestClient

    c = TestClient(app)
    if role:
        assert login(c, role).status_code == 303
    return c


def test_verification_page_is_for_mediator_and_mail_service_only_with_uncached_images(
    web: Any, letter: tuple[int, str]
) -> None:
    message_id, _ = letter
    url = f"/courrier/transcriptions/{message_id}"
    anonymous = client(web, None).get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/connexion")
    assert client(web, "admin").get(url).status_code == 403
    assert client(web, "admin").get(f"{url}/pages/1").status_code == 403
    for role in ("mediatrice", "courrier"):
        c = client(web, role)
        page = c.get(url)
        assert page.status_code == 200 and "transcription à vérifier" in page.text
        assert page.headers["cache-control"] == "no-store"
        image = c.get(f"{url}/pages/1")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert image.headers["cache-control"] == "no-store"
        assert c.get(f"{url}/pages/2").status_code == 404


def test_saving_without_the_csrf_token_changes_nothing(web: Any, letter: tuple[int, str]) -> None:
    rt = web.state.runtime
    message_id, _ = letter
    c = client(web, "courrier")
    refused = c.post(f"/courrier/transcriptions/{message_id}", data={"page-1": CORRECTED})
    assert refused.status_code == 403
    with rt.sessions() as s:
        assert s.scalars(select(ScanPageRow.corrected_text)).one() is None
    home = c.get("/courrier/").text
    assert (
        f'href="/courrier/transcriptions/{message_id}"' in home
    )  # « à vérifier » on the mail service's list
    token = form_token(c.get(f"/courrier/transcriptions/{message_id}").text)
    done = c.post(
        f"/courrier/transcriptions/{message_id}",
        data={"csrf": token, "page-1": CORRECTED},
        follow_redirects=False,
    )
    # the mail service goes back to its own page: it never sees the dossier's triage
    assert done.status_code == 303 and done.headers["location"] == "/courrier/?fait=transcription"
    with rt.sessions() as s:
        assert s.scalars(select(ScanPageRow.corrected_text)).one() == CORRECTED
    home = c.get("/courrier/?fait=transcription").text
    assert "Transcription enregistrée" in home and f'href="/courrier/transcriptions/{message_id}"' not in home


def test_letters_taken_in_before_page_transcriptions_get_their_pages_from_their_text(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import insert

    from triage.store.db import alembic_config, make_engine

    engine = make_engine(db_url)
    try:
        cfg = alembic_config(db_url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008_contact_article")
            common = {"direction": "in", "kind": "request", "received_at": datetime.now(UTC)}
            conn.execute(
                insert(Message),
                [
                    {
                        **common,
                        "channel": "courrier",
                        "source": "scan",
                        "dedupe_key": "a",
                        "content_hash": "a",
                        "body_text": "Première page\n\f\nDeuxième page",
                        "scan_method": "ocr",
                        "scan_pages": 2,
                        "ocr_confidence": 41.5,
                    },
                    {
                        **common,
                        "channel": "email",
                        "source": "eml",
                        "dedupe_key": "b",
                        "content_hash": "b",
                        "body_text": "Un courriel : pas de pages",
                        "scan_method": None,
                        "scan_pages": None,
                        "ocr_confidence": None,
                    },
                ],
            )
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    ScanPageRow.number, ScanPageRow.ocr_text, ScanPageRow.confidence, ScanPageRow.words
                ).order_by(ScanPageRow.number)
            ).all()
        assert [tuple(r) for r in rows] == [(1, "Première page", 41.5, 2), (2, "Deuxième page", 41.5, 2)]
    finally:
        engine.dispose()


def test_a_scan_read_without_page_details_still_gets_its_pages(sqlite_runtime: Runtime) -> None:
    doc = ScanDocument(
        path="/tmp/x.pdf",
        filename="x.pdf",
        sha256="f" * 64,
        content_type="application/pdf",
        pages=2,
        text="Première page\n\f\nDeuxième page",
        method="ocr",
        mean_confidence=55.0,
    )
    outcome = pipeline_for(sqlite_runtime).ingest_scan(doc, b"%PDF-1.4 not really")
    with sqlite_runtime.sessions() as s:
        scan = load_transcription(s, outcome.message_row_id or 0, 70)
    assert [(p.number, p.ocr_text, p.confidence, p.to_check) for p in scan.pages] == [
        (1, "Première page", 55.0, True),
        (2, "Deuxième page", 55.0, True),
    ]


def test_right_of_access_shows_the_corrected_letter_and_what_ocr_had_read(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    import zipfile

    from triage.privacy.access import Who, collect, write_zip

    rt = sqlite_runtime
    dossier_id, message_id, _ = open_letter(rt, tmp_path, faint=True)
    save_corrected_transcription(rt, pipeline_for(rt), message_id, {1: CORRECTED}, MEDIATRICE)
    with rt.sessions() as s:
        dossier = s.get(Dossier, dossier_id)
        assert dossier is not None and dossier.requester_name == "Jeanne Martin"
        read = ocr_text(s, message_id)
        assert read
        export = collect(s, Who(name="Jeanne Martin", postcode="38000"))
    write_zip(export, tmp_path / "acces.zip", rt.settings, rt.clock())
    with zipfile.ZipFile(tmp_path / "acces.zip") as zf:
        html = zf.read("synthese.html").decode()
    assert "MDPH a refusé de renouveler" in html and "avant correction" in html
    assert read.splitlines()[0].replace("&", "&amp;").replace("<", "&lt;")[:10] in html


def test_anonymising_a_dossier_removes_its_page_texts_as_read_and_as_corrected(
    runtime: Runtime, tmp_path: Path
) -> None:
    from triage.store.personal import anonymise_dossiers

    dossier_id, message_id, _ = open_letter(runtime, tmp_path, faint=True)
    save_corrected_transcription(runtime, pipeline_for(runtime), message_id, {1: CORRECTED}, MEDIATRICE)
    with runtime.sessions.begin() as s:
        purge = anonymise_dossiers(s, [dossier_id], datetime.now(UTC))
    assert purge.counts["scan_pages"] == 1
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ScanPageRow)) == 0


def test_every_page_of_a_multi_page_tiff_is_drawn_for_the_verification_page() -> None:
    import io

    from PIL import Image

    from triage.web.mediation.file_routes import render_preview

    pages = [Image.new("L", (300, 400), shade) for shade in (255, 0)]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    second = render_preview(out.getvalue(), "image/tiff", 2)
    assert second is not None
    with Image.open(io.BytesIO(second)) as drawn:
        assert drawn.convert("L").getpixel((10, 10)) == 0  # the black second page, not the first one
    assert render_preview(out.getvalue(), "image/tiff", 3) is None
