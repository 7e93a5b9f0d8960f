"""Full-text search (« Rechercher »): dossiers, message bodies and OCR text, accents, filters and paging,
on SQLite (FTS5) and PostgreSQL (tsvector 'french')."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tests.factories import make_dossier
from triage.runtime import Runtime
from triage.store.db import transaction
from triage.store.models import Dossier, Message
from triage.store.search import SearchFilters, search_dossiers


def _message(
    session: Session,
    dossier: Dossier | None,
    subject: str,
    body: str,
    *,
    scan: bool = False,
    direction: str = "in",
) -> Message:
    key = hashlib.sha256(f"{subject}{body}{dossier.id if dossier else ''}".encode()).hexdigest()
    message = Message(
        dossier_id=dossier.id if dossier else None,
        direction=direction,
        channel="courrier" if scan else "email",
        kind="human",
        source="scan" if scan else "imap",
        dedupe_key=key,
        content_hash=key,
        subject=subject,
        body_text=body,
        scan_pages=1 if scan else None,
    )
    session.add(message)
    session.flush()
    return message


def _seed(rt: Runtime) -> None:
    with transaction(rt.sessions) as s:
        a, _ = make_dossier(
            s, "MED-2026-00001", name="Sylvie Martin", received_at=datetime(2026, 3, 2, 9, tzinfo=UTC)
        )
        a.subject = "Prestation de compensation du handicap refusée"
        a.requester_territory = "Grésivaudan"
        _message(s, a, "Ma demande", "Ma fille handicapée attend sa prestation depuis six mois.")
        b, _ = make_dossier(
            s,
            "MED-2026-00002",
            name="Jean Dupont",
            channel="courrier",
            received_at=datetime(2026, 5, 10, 9, tzinfo=UTC),
        )
        b.subject = "Aide sociale à l'hébergement"
        b.requester_territory = "Vercors"
        _message(s, b, "", "Monsieur le médiateur, le foyer réclame un arriéré de loyer impayé.", scan=True)
        c, _ = make_dossier(
            s, "MED-2026-00003", name="Aïcha Benali", received_at=datetime(2026, 6, 1, 9, tzinfo=UTC)
        )
        c.subject = "Revenu de solidarité active : indu"
        _message(s, c, "Réponse du service", "Le service confirme le trop-perçu.", direction="out")


def test_search_ignores_accents_in_both_directions(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        assert [h.reference for h in search_dossiers(s, "handicape").hits] == ["MED-2026-00001"]
        assert [h.reference for h in search_dossiers(s, "AICHA").hits] == ["MED-2026-00003"]
        assert [h.reference for h in search_dossiers(s, "hébergement").hits] == ["MED-2026-00002"]


def test_search_finds_a_word_of_a_message_body_with_a_highlighted_snippet(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        result = search_dossiers(s, "trop-perçu")
    assert [h.reference for h in result.hits] == ["MED-2026-00003"]
    snippet = result.hits[0].snippets[0]
    assert snippet.source == "Message envoyé"
    assert any(matched and "trop" in part for part, matched in snippet.parts)
    assert "Le service confirme le" in "".join(part for part, _ in snippet.parts)


def test_search_finds_the_ocr_text_of_a_scanned_letter(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        result = search_dossiers(s, "arriéré loyer")
    assert [h.reference for h in result.hits] == ["MED-2026-00002"]
    assert [sn.source for sn in result.hits[0].snippets] == ["Courrier numérisé (texte reconnu)"]


def test_search_needs_every_word_and_finds_references_and_names(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        assert search_dossiers(s, "prestation loyer").total == 0
        assert [h.reference for h in search_dossiers(s, "MED-2026-00002").hits] == ["MED-2026-00002"]
        assert [h.reference for h in search_dossiers(s, "dupont").hits] == ["MED-2026-00002"]
        assert search_dossiers(s, "   ").total == 0  # nothing asked, nothing listed
        assert search_dossiers(s, 'NEAR( "x" OR * ^').total == 0  # no search syntax reaches the engine


def test_search_follows_changes_and_deletions(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        d = s.query(Dossier).filter_by(reference="MED-2026-00001").one()
        d.requester_name = "Sylvie Garnier"
        message = _message(s, None, "Courriel isolé", "Question sur la carte mobilité")
    with transaction(runtime.sessions) as s:
        assert search_dossiers(s, "martin").total == 0
        assert [h.reference for h in search_dossiers(s, "garnier").hits] == ["MED-2026-00001"]
        assert search_dossiers(s, "mobilité isolé").total == 0  # a message on no dossier is not a result
        s.get(Message, message.id).dossier_id = d.id  # type: ignore[union-attr]
    with transaction(runtime.sessions) as s:
        assert [h.reference for h in search_dossiers(s, "isolé").hits] == ["MED-2026-00001"]
        s.execute(delete(Message).where(Message.dossier_id == d.id))
    with transaction(runtime.sessions) as s:
        assert search_dossiers(s, "fille").total == 0


def test_search_filters_and_pages(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        for n in range(4, 30):
            extra, _ = make_dossier(
                s, f"MED-2026-{n:05d}", name=f"Usager {n}", received_at=datetime(2026, 7, 1, 9, n, tzinfo=UTC)
            )
            extra.subject = "Demande de prestation"
    with transaction(runtime.sessions) as s:
        first = search_dossiers(s, "prestation", page_size=10)
        second = search_dossiers(s, "prestation", page=3, page_size=10)
        assert (first.total, first.pages, len(first.hits), len(second.hits)) == (27, 3, 10, 7)
        assert first.hits[0].reference == "MED-2026-00029"  # most recent first
        assert second.hits[-1].reference == "MED-2026-00001"
        assert [
            h.reference for h in search_dossiers(s, "prestation", SearchFilters(territory="Grésivaudan")).hits
        ] == ["MED-2026-00001"]
        assert search_dossiers(s, "prestation", SearchFilters(received_to=date(2026, 6, 30))).total == 1
        assert search_dossiers(s, "prestation", SearchFilters(received_from=date(2026, 7, 1))).total == 26
        assert search_dossiers(s, "prestation", SearchFilters(received_from=date(2026, 8, 1))).total == 0
        july = SearchFilters(received_from=date(2026, 7, 1), received_to=date(2026, 7, 31))
        assert [h.reference for h in search_dossiers(s, "", july, page=3, page_size=10).hits] == [
            f"MED-2026-{n:05d}" for n in range(9, 3, -1)
        ]
        assert search_dossiers(s, "médiateur", SearchFilters(channel="email")).total == 0
        assert search_dossiers(s, "médiateur", SearchFilters(channel="courrier")).total == 1
        assert search_dossiers(s, "prestation", SearchFilters(status="close")).total == 0
        assert search_dossiers(s, "prestation", SearchFilters(unassigned=True)).total == 27
        assert search_dossiers(s, "prestation", SearchFilters(assignee=1)).total == 0


def test_results_come_most_recently_registered_first_whatever_the_date_of_reception(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        # typed in today from a letter received last winter: registered last, so listed first
        late, _ = make_dossier(
            s, "MED-2026-00004", name="Marc Roux", received_at=datetime(2026, 1, 5, 9, tzinfo=UTC)
        )
        late.subject = "Prestation de compensation : renouvellement"
    with transaction(runtime.sessions) as s:
        result = search_dossiers(s, "prestation")
        assert [h.reference for h in result.hits] == ["MED-2026-00004", "MED-2026-00001"]
        assert [h.reference for h in search_dossiers(s, "prestation", page_size=1, page=2).hits] == [
            "MED-2026-00001"
        ]


def test_the_count_stops_at_the_cap_and_says_more_while_paging_goes_on(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as s:
        for n in range(1, 28):
            d, _ = make_dossier(
                s, f"MED-2026-{n:05d}", name=f"Usager {n}", received_at=datetime(2026, 7, 1, 9, n, tzinfo=UTC)
            )
            d.subject = "Demande de prestation"
            d.requester_territory = "Vercors" if n % 2 else "Oisans"
    with transaction(runtime.sessions) as s:
        first = search_dossiers(s, "prestation", page_size=5, count_cap=10)
        assert (first.total, first.capped, first.pages, first.has_next) == (10, True, None, True)
        assert first.found == "Plus de 10 dossiers trouvés"
        assert [h.reference for h in first.hits][0] == "MED-2026-00027"
        # further than the cap: the pages go on, and the last one knows the exact count again
        last = search_dossiers(s, "prestation", page=6, page_size=5, count_cap=10)
        assert [h.reference for h in last.hits] == ["MED-2026-00002", "MED-2026-00001"]
        assert (last.total, last.capped, last.pages, last.has_next) == (27, False, 6, False)
        exact = search_dossiers(s, "prestation", SearchFilters(territory="Oisans"), page_size=5, count_cap=13)
        assert (exact.total, exact.capped, exact.found, exact.has_next) == (
            13,
            False,
            "13 dossiers trouvés",
            True,
        )
        assert (
            search_dossiers(s, "prestation").found == "27 dossiers trouvés"
        )  # under the default cap of 1 000


def test_filters_alone_list_the_dossiers_they_keep(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        listed = search_dossiers(s, "", SearchFilters(territory="Vercors"))
        assert [h.reference for h in listed.hits] == ["MED-2026-00002"] and listed.hits[0].snippets == ()
        assert [h.reference for h in search_dossiers(s, "", SearchFilters(channel="email")).hits] == [
            "MED-2026-00003",
            "MED-2026-00001",
        ]
        assert search_dossiers(s, "").total == 0


def test_words_between_double_quotes_must_follow_each_other(runtime: Runtime) -> None:
    _seed(runtime)
    with transaction(runtime.sessions) as s:
        assert [h.reference for h in search_dossiers(s, '"aide sociale"').hits] == ["MED-2026-00002"]
        assert search_dossiers(s, '"sociale aide"').total == 0
        assert [h.reference for h in search_dossiers(s, 'foyer "arriéré de loyer"').hits] == [
            "MED-2026-00002"
        ]
