"""Full-text search over dossiers, their messages and the OCR text of scanned letters (« Rechercher »).

A scanned letter is found by its current text: ``messages.body_text``, which a corrected transcription
replaces (triage.store.transcriptions), so the triggers and indexes below follow the correction.

SQLite (embedded default): the FTS5 table `search_index` kept in step by triggers (migrations 0006_search
and 0007_search_rowids), tokenizer unicode61 with diacritics removed, rows numbered by dossier. PostgreSQL:
stored tsvector columns with their GIN indexes (migration 0010_search_vectors), the 'french' configuration
with accents removed before its stemmer. On both, each word is matched as a prefix (« logement » finds
« logements », « handicape » finds « handicapée »), joined words (a reference, « trop-perçu ») and words
between double quotes as a phrase. Results come in one order, the most recently registered dossier first
(ORDER), and are counted up to COUNT_CAP: a word found in most dossiers then costs no more than a rare one
(neither database sorts or counts every match). Each hit carries highlighted snippets (as text parts,
never HTML: the page escapes them).
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
    bindparam,
    column,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from triage.store.models import Dossier, Message, User

PAGE_SIZE = 20
COUNT_CAP = 1000  # found dossiers counted exactly up to this many; beyond, « plus de 1 000 »
# PostgreSQL: the share of the SAMPLE most recent dossiers found from which a search walks on along the
# dossiers (about wanted / DENSE rows checked at most) rather than look up and sort all its matches
SAMPLE = 300
DENSE = 0.1
ORDER = "du plus récemment enregistré au plus ancien"  # the one order of the results, said on the page
ROWID_SHIFT = 2**32  # SQLite search_index rowids: dossier id × 2³² (+ message id), migration 0007
MAX_QUERY = 200
PARIS = ZoneInfo("Europe/Paris")
# highlight markers put around matched words by snippet() / ts_headline(), split out in Python
START, STOP = "\x02", "\x03"
# what PostgreSQL indexes (migration 0010_search_vectors generates its vectors from the same texts)
PG_CONFIG = "'mediature_french'::regconfig"
PG_DOSSIER_TEXT = (
    "dossiers.reference || ' ' || coalesce(dossiers.requester_name, '') || ' ' || "
    "coalesce(dossiers.subject, '')"
)
PG_MESSAGE_TEXT = "coalesce(messages.subject, '') || ' ' || coalesce(messages.body_text, '')"
# stored generated columns, to_tsvector of the texts above (migration 0010_search_vectors), GIN-indexed
DOSSIER_VECTOR: Any = literal_column("dossiers.search_vector")
MESSAGE_VECTOR: Any = literal_column("messages.search_vector")
SEARCH_INDEX = table("search_index", column("rowid"))  # SQLite FTS5 (migration 0007_search_rowids)
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
    """One page of results. `total` is exact up to the cap (COUNT_CAP); beyond, `capped` is set and `total`
    is the cap (« plus de 1 000 »): counting every match of a common word would cost more than the page."""

    query: str
    page: int
    page_size: int
    total: int
    hits: tuple[SearchHit, ...] = field(default_factory=tuple)
    capped: bool = False
    has_next: bool = False

    @property
    def pages(self) -> int | None:
        """How many pages, None when the count was capped."""
        return None if self.capped else max(1, -(-self.total // self.page_size))

    @property
    def found(self) -> str:
        """How many dossiers were found, in French."""
        if self.capped:
            return f"Plus de {self.total:,} dossiers trouvés".replace(",", "\u202f")
        if self.total == 0:
            return "Aucun dossier trouvé"
        return (
            "1 dossier trouvé"
            if self.total == 1
            else f"{self.total:,} dossiers trouvés".replace(",", "\u202f")
        )


def search_dossiers(
    session: Session,
    query: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    count_cap: int = COUNT_CAP,
) -> SearchPage:
    """The dossiers whose reference, requester's name, summary, or one of whose messages (subject, body,
    OCR text) contains the words of `query` (all of them); with no words, the dossiers the filters keep
    (none without a filter). Most recently registered first (ORDER), counted up to `count_cap`."""
    filters = filters or SearchFilters()
    query = " ".join(query.split())[:MAX_QUERY]
    page = max(1, page)
    offset = (page - 1) * page_size
    # ids in order up to one past the page and one past the cap: the page, whether another follows, the count
    wanted = max(offset + page_size, count_cap) + 1
    conditions = [Dossier.merged_into_id.is_(None), *_conditions(filters)]
    dialect = session.get_bind().dialect.name
    terms = _terms(query)
    if not terms and len(conditions) == 1:
        return SearchPage(query, page, page_size, 0)
    span = (1, 2**31 - 1)  # the dossier ids to read: all (rowids stay under 2⁶³), or those received then
    if filters.received_from or filters.received_to:
        # the first and last dossier received between the dates (from the index on received_at): the search
        # reads that stretch of the full-text index only
        # OFFSET 0: PostgreSQL would otherwise look for max(id) along the primary key from the newest
        received = select(Dossier.id).where(*_received(filters)).offset(0).subquery()
        low, high = session.execute(select(func.min(received.c.id), func.max(received.c.id))).one()
        if low is None:
            return SearchPage(query, page, page_size, 0)
        span = (int(low), int(high))
        conditions.append(Dossier.id.between(*span))
    if not terms:
        ids = list(
            session.scalars(select(Dossier.id).where(*conditions).order_by(Dossier.id.desc()).limit(wanted))
        )
    elif dialect == "sqlite":
        ids = _fts5_ids(session, terms, conditions, wanted, span)
    else:
        ids = _pg_ids(session, terms, conditions, wanted)
    capped = len(ids) >= wanted and len(ids) > count_cap
    total = count_cap if capped else len(ids)
    page_ids = ids[offset : offset + page_size]
    rows = (
        session.execute(
            select(Dossier, User.display_name, User.username)
            .outerjoin(User, User.id == Dossier.assignee_id)
            .where(Dossier.id.in_(page_ids))
            .order_by(Dossier.id.desc())
        ).all()
        if page_ids
        else []
    )
    snippets = _snippets(session, dialect, terms, page_ids) if terms else {}
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
    return SearchPage(query, page, page_size, total, hits, capped, len(ids) > offset + page_size)


def _fts5_ids(
    session: Session, terms: list[Term], conditions: list[Any], wanted: int, span: tuple[int, int]
) -> list[int]:
    """SQLite: FTS5 yields the matching rows in descending rowid order, i.e. by dossier, most recent first
    (migration 0007): the filters are checked on each row's dossier as they come and reading stops at
    `wanted` dossiers, so a word found in 80,000 dossiers costs little more than a rare one."""
    statement = (
        select(Dossier.id)
        .select_from(SEARCH_INDEX)
        .join(Dossier, Dossier.id == literal_column(f"search_index.rowid / {ROWID_SHIFT}"))
        .where(text("search_index MATCH :match AND search_index.rowid BETWEEN :low AND :high"), *conditions)
        .order_by(literal_column("search_index.rowid").desc())
    )
    ids: list[int] = []
    # on the Core connection: an ORM result would read every row before the first is handed out
    result = session.connection().execute(
        statement,
        {"match": _fts5_query(terms), "low": span[0] * ROWID_SHIFT, "high": (span[1] + 1) * ROWID_SHIFT - 1},
    )
    try:
        for (dossier_id,) in result:  # a dossier's rows are adjacent: its own, then its messages'
            if not ids or ids[-1] != dossier_id:
                ids.append(dossier_id)
                if len(ids) >= wanted:
                    break
    finally:
        result.close()
    return ids


def _pg_ids(session: Session, terms: list[Term], conditions: list[Any], wanted: int) -> list[int]:
    """PostgreSQL: the dossiers are walked most recent first (primary key backwards, each one checked on
    its stored vectors) as long as the words are common enough for the first `wanted` to come after few
    rows; the SAMPLE most recent tell. Rarer words are looked up in the GIN indexes, the few dossiers
    found then sorted."""
    tsquery = _pg_tsquery(terms)
    dossier_match = DOSSIER_VECTOR.op("@@")(tsquery)
    message_match = MESSAGE_VECTOR.op("@@")(tsquery)
    # OFFSET 0 keeps the check per dossier: without it PostgreSQL may hash every matching message first
    on_walk = or_(
        dossier_match,
        select(Message.id).where(Message.dossier_id == Dossier.id, message_match).offset(0).exists(),
    )

    def walk(*bounds: Any, limit: int) -> list[int]:
        statement = select(Dossier.id).where(on_walk, *conditions, *bounds).order_by(Dossier.id.desc())
        return list(session.scalars(statement.limit(limit)))

    boundary = session.scalar(
        select(Dossier.id).where(*conditions).order_by(Dossier.id.desc()).offset(SAMPLE - 1).limit(1)
    )
    if boundary is None:  # fewer dossiers than the sample pass the filters: check them all
        return walk(limit=wanted)
    recent = walk(Dossier.id >= boundary, limit=wanted)
    if len(recent) >= wanted:
        return recent
    if len(recent) >= SAMPLE * DENSE:
        return recent + walk(Dossier.id < boundary, limit=wanted - len(recent))
    found = Dossier.id.in_(
        union_all(select(Dossier.id).where(dossier_match), select(Message.dossier_id).where(message_match))
    )
    return list(
        session.scalars(
            select(Dossier.id).where(found, *conditions).order_by(Dossier.id.desc()).limit(wanted)
        )
    )


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
    return conditions + _received(filters)


def _received(filters: SearchFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.received_from:
        conditions.append(Dossier.received_at >= _paris_midnight(filters.received_from))
    if filters.received_to:
        conditions.append(Dossier.received_at < _paris_midnight(filters.received_to + timedelta(days=1)))
    return conditions


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


@dataclass(frozen=True)
class Term:
    """One thing to find: a word (found as a prefix) or a phrase (its words in order, the last a prefix
    only when typed as a lone word)."""

    words: tuple[str, ...]
    phrase: bool = False
    text: str = ""  # as typed (PostgreSQL parses a phrase as it parsed the documents: « MED-2026-00042 »)


_QUOTED = re.compile(r'"([^"]*)"|(\S+)')


def _terms(query: str) -> list[Term]:
    """The user's words: each lone word a prefix; words between double quotes, or joined (a reference
    MED-2026-00042, « trop-perçu », « l'aide »), a phrase. All must be present. Nothing else is syntax."""
    terms = []
    for quoted, chunk in _QUOTED.findall(query):
        typed = quoted or chunk
        words = tuple(_WORD.findall(typed))
        if len(words) == 1 and not quoted:
            terms.append(Term(words))
        elif words:
            terms.append(Term(words, phrase=True, text=typed))
    return terms


def _fts5_query(terms: list[Term]) -> str:
    """The terms as a safe FTS5 query (letters and digits only reach it, quoted)."""
    return " AND ".join('"' + " ".join(t.words) + '"' if t.phrase else f'"{t.words[0]}"*' for t in terms)


def _pg_tsquery(terms: list[Term]) -> Any:
    """The terms as a tsquery built by PostgreSQL itself from bound values: a word a prefix (to_tsquery of
    the bare word with :*), a phrase through phraseto_tsquery (parsed as the documents were)."""
    config: Any = literal_column(PG_CONFIG)
    parts: list[Any] = [
        func.phraseto_tsquery(config, literal(t.text))
        if t.phrase
        else func.to_tsquery(config, literal(t.words[0]) + ":*")
        for t in terms
    ]
    tsquery = parts[0]
    for part in parts[1:]:
        tsquery = tsquery.op("&&")(part)
    return tsquery


def _snippets(
    session: Session, dialect: str, terms: list[Term], dossier_ids: list[int]
) -> dict[int, list[Snippet]]:
    """Where the words were found in the dossiers of the page (at most three excerpts each)."""
    if not dossier_ids:
        return {}
    found: dict[int, list[Snippet]] = {}
    if dialect == "sqlite":
        statement = text(
            f"SELECT s.rowid / {ROWID_SHIFT}, s.kind, m.scan_pages, m.direction, "
            f"snippet(search_index, -1, '{START}', '{STOP}', '…', 16) "
            f"FROM search_index AS s LEFT JOIN messages AS m ON s.kind = 'message' AND m.id = s.rowid % {ROWID_SHIFT} "
            "WHERE search_index MATCH :match AND s.rowid BETWEEN :low AND :high "
            f"AND s.rowid / {ROWID_SHIFT} IN :ids ORDER BY s.rowid"
        ).bindparams(bindparam("ids", expanding=True))
        # one pass over the rowid range of the page (FTS5 seeks it; a prefix is expanded once, not per
        # dossier), excerpts made for the page's dossiers only
        rows: Sequence[Any] = session.execute(
            statement,
            {
                "match": _fts5_query(terms),
                "low": min(dossier_ids) * ROWID_SHIFT,
                "high": (max(dossier_ids) + 1) * ROWID_SHIFT - 1,
                "ids": dossier_ids,
            },
        ).all()
    else:
        tsquery = _pg_tsquery(terms)
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
                ).where(Dossier.id.in_(dossier_ids), DOSSIER_VECTOR.op("@@")(tsquery)),
                select(
                    Message.dossier_id,
                    literal("message"),
                    Message.scan_pages,
                    Message.direction,
                    func.ts_headline(config, literal_column(PG_MESSAGE_TEXT), tsquery, options),
                )
                .where(Message.dossier_id.in_(dossier_ids), MESSAGE_VECTOR.op("@@")(tsquery))
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
