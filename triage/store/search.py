"""Full-text search over dossiers, their messages and the OCR text of scanned letters (« Rechercher »).

A scanned letter is found by its current text: ``messages.body_text``, which a corrected transcription
replaces (triage.store.transcriptions), so the triggers and indexes below follow the correction.

SQLite (embedded default): the FTS5 table `search_index` kept in step by triggers (migrations 0006_search and 0007_search_rowids),
tokenizer unicode61 with diacritics removed. PostgreSQL: GIN indexes over to_tsvector('mediature_french', …),
the 'french' configuration with accents removed before its stemmer. On both, each word is matched as a
prefix (« logement » finds « logements », « handicape » finds « handicapée ») and joined words (a
reference, « trop-perçu ») as a phrase. Both return the matching dossiers, most recent first, filtered and paged, each with
highlighted snippets (as text parts, never HTML: the page escapes them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from triage.store.models import Dossier, Message, User

PAGE_SIZE = 20
ROWID_SHIFT = 2**32  # SQLite search_index rowids: dossier id × 2³² (+ message id), migration 0007
MAX_QUERY = 200
PARIS = ZoneInfo("Europe/Paris")
# highlight markers put around matched words by snippet() / ts_headline(), split out in Python
START, STOP = "\x02", "\x03"
# the expressions of the GIN indexes of migration 0006_search (PostgreSQL uses the index only if identical)
PG_CONFIG = "'mediature_french'::regconfig"
PG_DOSSIER_TEXT = (
    "dossiers.reference || ' ' || coalesce(dossiers.requester_name, '') || ' ' || "
    "coalesce(dossiers.subject, '')"
)
PG_MESSAGE_TEXT = "coalesce(messages.subject, '') || ' ' || coalesce(messages.body_text, '')"
PG_DOSSIER_DOCUMENT = f"to_tsvector({PG_CONFIG}, {PG_DOSSIER_TEXT})"
PG_MESSAGE_DOCUMENT = f"to_tsvector({PG_CONFIG}, {PG_MESSAGE_TEXT})"
PG_HEADLINE = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=' … '"
)
_WORD = re.compile(r"\w+", re.UNICODE)


def is_search_object(name: str | None) -> bool:
    """The search index's own objects (FTS5 table and shadow tables, GIN indexes), absent from the models."""
    return bool(name) and str(name).startswith("search_")


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search; empty values do not filter. `assignee`: a user id, or None for anybody;
    `unassigned` keeps only dossiers nobody handles. Dates are days in Paris time, both included."""

    status: str = ""
    domain: str = ""
    territory: str = ""
    channel: str = ""
    assignee: int | None = None
    unassigned: bool = False
    received_from: date | None = None
    received_to: date | None = None


@dataclass(frozen=True)
class Snippet:
    """An excerpt where the words were found: `source` says where (French), `parts` alternate
    (text, matched) so the page can highlight without trusting any HTML."""

    source: str
    parts: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class SearchHit:
    """One dossier found."""

    dossier_id: int
    reference: str
    status: str
    channel: str
    domain: str | None
    territory: str
    requester_name: str
    subject: str
    received_at: datetime
    assignee: str
    snippets: tuple[Snippet, ...] = ()


@dataclass(frozen=True)
class SearchPage:
    """One page of results."""

    query: str
    page: int
    page_size: int
    total: int
    hits: tuple[SearchHit, ...] = field(default_factory=tuple)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search_dossiers(
    session: Session,
    query: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """The dossiers whose reference, requester's name, summary, or one of whose messages (subject, body,
    OCR text) contains the words of `query` (all of them), most recently received first."""
    filters = filters or SearchFilters()
    query = " ".join(query.split())[:MAX_QUERY]
    page = max(1, page)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        match = _fts5_query(query)
        if not match:
            return SearchPage(query, page, page_size, 0)
        # rowids only (dossier id × 2³² [+ message id]): reading a column of each of thousands of
        # matching rows would cost more than the match itself
        found: Any = (
            select(literal_column(f"rowid / {ROWID_SHIFT}").label("dossier_id"))
            .select_from(text("search_index"))
            .where(text(f"search_index MATCH :match AND rowid >= {ROWID_SHIFT}"))
        ).params(match=match)
    else:
        tsquery = _pg_tsquery(query)
        if tsquery is None:
            return SearchPage(query, page, page_size, 0)
        found = union(
            select(Dossier.id.label("dossier_id")).where(
                literal_column(PG_DOSSIER_DOCUMENT).op("@@")(tsquery)
            ),
            select(Message.dossier_id.label("dossier_id")).where(
                literal_column(PG_MESSAGE_DOCUMENT).op("@@")(tsquery)
            ),
        )
    ids = found.subquery("found")
    where = (
        Dossier.id.in_(select(ids.c.dossier_id)),
        Dossier.merged_into_id.is_(None),
        *_conditions(filters),
    )
    # ids first (sorting thousands of whole rows costs more than the match), the count riding along with
    # the page (one evaluation of the match instead of two); then the page's rows
    page_ids = session.execute(
        select(Dossier.id, func.count().over().label("total"))
        .where(*where)
        .order_by(Dossier.received_at.desc(), Dossier.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    if page_ids:
        total = int(page_ids[0].total)
    else:  # past the last page
        total = int(session.scalar(select(func.count()).select_from(Dossier).where(*where)) or 0)
    rows = (
        session.execute(
            select(Dossier, User.display_name, User.username)
            .outerjoin(User, User.id == Dossier.assignee_id)
            .where(Dossier.id.in_([row.id for row in page_ids]))
            .order_by(Dossier.received_at.desc(), Dossier.id.desc())
        ).all()
        if page_ids
        else []
    )
    snippets = _snippets(session, dialect, query, [row[0].id for row in rows])
    hits = tuple(
        SearchHit(
            dossier_id=d.id,
            reference=d.reference,
            status=d.status,
            channel=d.channel,
            domain=d.domain,
            territory=d.requester_territory or "",
            requester_name=d.requester_name or "",
            subject=d.subject or "",
            received_at=d.received_at,
            assignee=display or username or "",
            snippets=tuple(snippets.get(d.id, ())),
        )
        for d, display, username in rows
    )
    return SearchPage(query, page, page_size, total, hits)


def _conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Dossier.status == filters.status)
    if filters.domain:
        conditions.append(Dossier.domain == filters.domain)
    if filters.territory:
        conditions.append(Dossier.requester_territory == filters.territory)
    if filters.channel:
        conditions.append(Dossier.channel == filters.channel)
    if filters.unassigned:
        conditions.append(Dossier.assignee_id.is_(None))
    elif filters.assignee is not None:
        conditions.append(Dossier.assignee_id == filters.assignee)
    if filters.received_from:
        conditions.append(Dossier.received_at >= _paris_midnight(filters.received_from))
    if filters.received_to:
        conditions.append(Dossier.received_at < _paris_midnight(filters.received_to + timedelta(days=1)))
    return conditions


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


def _fts5_query(query: str) -> str:
    """The user's words as a safe FTS5 query: every word a quoted prefix, joined words (a reference
    MED-2026-00042, « l'aide ») a phrase; all must be present. No FTS5 syntax reaches the engine."""
    terms = []
    for chunk in query.split():
        words = _WORD.findall(chunk)
        if len(words) == 1:
            terms.append(f'"{words[0]}"*')
        elif words:
            terms.append('"' + " ".join(words) + '"')
    return " AND ".join(terms)


def _pg_tsquery(query: str) -> Any:
    """The user's words as a tsquery built by PostgreSQL itself from bound values: each lone word a prefix
    (to_tsquery of the bare word, letters and digits only, with :*), joined words a phrase
    (phraseto_tsquery parses them as the document was); all must be present. None when no word."""
    config: Any = literal_column(PG_CONFIG)
    parts: list[Any] = []
    for chunk in query.split():
        words = _WORD.findall(chunk)
        if len(words) == 1:
            parts.append(func.to_tsquery(config, literal(words[0]) + ":*"))
        elif words:
            parts.append(func.phraseto_tsquery(config, literal(chunk)))
    if not parts:
        return None
    tsquery = parts[0]
    for part in parts[1:]:
        tsquery = tsquery.op("&&")(part)
    return tsquery


def _snippets(session: Session, dialect: str, query: str, dossier_ids: list[int]) -> dict[int, list[Snippet]]:
    """Where the words were found in the dossiers of the page (at most three excerpts each)."""
    if not dossier_ids:
        return {}
    found: dict[int, list[Snippet]] = {}
    if dialect == "sqlite":
        statement = text(
            "SELECT s.dossier_id, s.kind, m.scan_pages, m.direction, "
            f"snippet(search_index, -1, '{START}', '{STOP}', '…', 16) "
            f"FROM search_index AS s LEFT JOIN messages AS m ON s.kind = 'message' AND m.id = s.rowid % {ROWID_SHIFT} "
            "WHERE search_index MATCH :match AND s.rowid BETWEEN :low AND :high ORDER BY s.rowid"
        )
        match = _fts5_query(query)
        # one rowid range per dossier: its own row and its messages' (FTS5 seeks a range)
        rows: Sequence[Any] = [
            row
            for dossier_id in dossier_ids
            for row in session.execute(
                statement,
                {"match": match, "low": dossier_id * ROWID_SHIFT, "high": (dossier_id + 1) * ROWID_SHIFT - 1},
            ).all()
        ]
    else:
        tsquery = _pg_tsquery(query)
        config: Any = literal_column(PG_CONFIG)
        options = literal(PG_HEADLINE)
        rows = session.execute(
            union_all(
                select(
                    Dossier.id,
                    literal("dossier"),
                    null(),
                    null(),
                    func.ts_headline(config, literal_column(PG_DOSSIER_TEXT), tsquery, options),
                ).where(Dossier.id.in_(dossier_ids), literal_column(PG_DOSSIER_DOCUMENT).op("@@")(tsquery)),
                select(
                    Message.dossier_id,
                    literal("message"),
                    Message.scan_pages,
                    Message.direction,
                    func.ts_headline(config, literal_column(PG_MESSAGE_TEXT), tsquery, options),
                )
                .where(
                    Message.dossier_id.in_(dossier_ids), literal_column(PG_MESSAGE_DOCUMENT).op("@@")(tsquery)
                )
                .order_by(None),
            )
        ).all()
    for dossier_id, kind, scan_pages, direction, excerpt in rows:
        snippets = found.setdefault(int(dossier_id), [])
        if len(snippets) < 3:
            snippets.append(Snippet(_source(kind, scan_pages, direction), _parts(excerpt or "")))
    return found


def _source(kind: str, scan_pages: int | None, direction: str | None) -> str:
    if kind == "dossier":
        return "Dossier"
    if scan_pages:
        return "Courrier numérisé (texte reconnu)"
    return "Message envoyé" if direction == "out" else "Message reçu"


def _parts(excerpt: str) -> tuple[tuple[str, bool], ...]:
    """Split an excerpt on the highlight markers into (text, matched) parts."""
    parts: list[tuple[str, bool]] = []
    for n, piece in enumerate(re.split(f"[{START}{STOP}]", excerpt)):
        if piece:
            parts.append((piece, n % 2 == 1))
    return tuple(parts)


def known_territories(session: Session) -> list[str]:
    """The territories dossiers were filed under (for the search form's list)."""
    return [
        t
        for t in session.scalars(
            select(Dossier.requester_territory).distinct().order_by(Dossier.requester_territory)
        )
        if t
    ]
