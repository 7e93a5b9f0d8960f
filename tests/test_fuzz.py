"""Property-based fuzzing (hypothesis) of the three readers of outside input: the mail parser, the scan
reader and the web-form parser (issue 12 item 3). Bounded: every test has a fixed example budget and the
whole file runs in well under two minutes on the CI machine, within the normal test command (marker
`fuzz`); MEDIATURE_FUZZ_SCALE=20 runs a twenty times longer hunt.

Properties: the mail parser returns a message or raises ParseError, nothing else; the pipeline keeps the
raw bytes of whatever it is given (message row or quarantine); the scan reader returns text or raises
OcrError; the web-form reader never raises and reads back the values it is given. A crash found here is
kept below as an `@example` (regression case) before it is fixed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from tests.conftest import REPO, SAMPLES, make_settings
from triage.config import Settings
from triage.errors import OcrError, ParseError
from triage.parse.message import parse_message
from triage.parse.webform import looks_like_form, parse_fields
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.sources.ocr import read_text
from triage.sources.tesseract import Recognition
from triage.store import quarantine
from triage.store.models import Message, RawBlob

pytestmark = pytest.mark.fuzz
# a longer hunt on demand: MEDIATURE_FUZZ_SCALE=20 multiplies every budget (CI runs the default)
SCALE = max(1, int(os.environ.get("MEDIATURE_FUZZ_SCALE", "1")))
SETTINGS = Settings()
FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True
)
CORPUS = REPO / "tests" / "data" / "real-world-mail"
# small seeds keep each mutation cheap: the 25 smallest real-world messages and the sample mailbox
SEEDS = sorted((p.read_bytes() for p in CORPUS.glob("*.box")), key=len)[:25] + [
    p.read_bytes() for p in sorted((SAMPLES / "mailbox").glob("*.eml"))[:10]
]


def _parses_or_refuses(data: bytes) -> None:
    try:
        parsed = parse_message(data, SETTINGS)
    except ParseError as err:
        assert err.message  # a French reason for the quarantine list
        return
    assert parsed.content_hash and parsed.dedupe_key


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes]) -> bytes:
    """A seed with a few bytes flipped, removed, inserted or repeated (what a broken relay produces)."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(("flip", "cut", "insert", "repeat", "truncate")))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    (
                        b"\r\n",
                        b"\n\n",
                        b"--",
                        b"=?",
                        b"?=",
                        b"\x00",
                        b"\xff\xfe",
                        b"Content-Type: multipart/mixed; boundary=x\r\n",
                        b"--x\r\n",
                        b"=\r\n",
                        b"<",
                        b">",
                        b"@",
                        b";",
                        b'"',
                        b"\\",
                    )
                )
            )
        elif action == "repeat":
            chunk = bytes(data[at : at + draw(st.integers(1, 200))])
            data[at:at] = chunk * draw(st.integers(1, 20))
        else:
            del data[at:]
    return bytes(data)


_HEADER_VALUES = st.sampled_from(
    (
        "=?utf-8?q?Jean_<x>?= <jean@exemple.example>",
        "=?iso-8859-1?b?6eko?=",
        "=?unknown?q?x?=",
        "<>",
        "",
        '"a@b" <c@d.example>',
        "x" * 300,
        "=?utf-8?b?" + "A" * 50 + "?=",
        "a@b, c@d; e",
        "(commentaire) a@b.example",
    )
)
_CTYPES = st.sampled_from(
    (
        "text/plain",
        "text/plain; charset=utf-7",
        "text/plain; charset=x-inconnu",
        "text/html",
        "application/pdf",
        "image/png",
        "message/rfc822",
        "message/delivery-status",
        "application/ms-tnef",
        "text/rfc822-headers",
        "application/octet-stream; name*=utf-8''facture%E2%80%AEfdp.exe",
    )
)
_ENCODINGS = st.sampled_from(
    ("7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bizarre")
)


@st.composite
def mime_tree(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A MIME entity with odd but plausible headers, nesting a few levels."""
    if depth < 3 and draw(st.booleans()):
        boundary = draw(st.sampled_from(("b1", "b2", "=_x", "a" * 70, "")))
        kind = draw(
            st.sampled_from(("mixed", "alternative", "related", "report; report-type=delivery-status"))
        )
        children = draw(st.lists(mime_tree(depth + 1), min_size=0, max_size=4))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
        return f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n'.encode() + body
    ctype = draw(_CTYPES)
    headers = f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {draw(_ENCODINGS)}\r\n"
    if draw(st.booleans()):
        headers += f'Content-Disposition: attachment; filename="{draw(_HEADER_VALUES)}"\r\n'
    payload = draw(
        st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace"))
    )
    return headers.encode("utf-8", "replace") + b"\r\n" + payload


@st.composite
def whole_message(draw: st.DrawFn) -> bytes:
    """Top-level headers (some hostile) over a generated MIME tree."""
    headers = "".join(
        f"{name}: {draw(_HEADER_VALUES)}\r\n"
        for name in draw(
            st.lists(
                st.sampled_from(
                    (
                        "From",
                        "To",
                        "Reply-To",
                        "Subject",
                        "Message-ID",
                        "In-Reply-To",
                        "References",
                        "Date",
                        "Auto-Submitted",
                        "X-Spam-Flag",
                        "Authentication-Results",
                        "X-Form-Id",
                    )
                ),
                min_size=1,
                max_size=8,
            )
        )
    )
    return headers.encode("utf-8", "replace") + b"MIME-Version: 1.0\r\n" + draw(mime_tree())


# --------------------------------------------------------------------------- the mail parser


@settings(FUZZ, max_examples=300 * SCALE)
@given(st.binary(max_size=3000))
@example(b"From: =?utf-8?q?a?=\r\n\r\n")
@example(b"\r\n\r\n")
def test_parser_on_arbitrary_bytes_returns_a_message_or_a_parse_error(data: bytes) -> None:
    _parses_or_refuses(data)


@settings(FUZZ, max_examples=250 * SCALE)
@given(mutated(SEEDS))
def test_parser_on_mutated_real_messages_returns_a_message_or_a_parse_error(data: bytes) -> None:
    _parses_or_refuses(data)


@settings(FUZZ, max_examples=250 * SCALE)
@given(whole_message())
def test_parser_on_generated_mime_trees_returns_a_message_or_a_parse_error(data: bytes) -> None:
    _parses_or_refuses(data)


@pytest.fixture(scope="module")
def fuzz_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """One SQLite runtime for all the examples (hypothesis runs many examples per test)."""
    rt = Runtime.open(make_settings(tmp_path_factory.mktemp("fuzz-home")))
    yield rt
    rt.close()


@settings(FUZZ, max_examples=60 * SCALE)
@given(mutated(SEEDS) | whole_message() | st.binary(max_size=500))
def test_pipeline_keeps_the_raw_bytes_of_anything_it_is_given(fuzz_runtime: Runtime, data: bytes) -> None:
    outcome = Pipeline(fuzz_runtime).ingest_raw(RawMessage("eml", "fuzz", data))
    with fuzz_runtime.sessions() as session:
        if outcome.outcome is IngestOutcome.QUARANTINED:
            assert not data.strip() or "inattendue" not in outcome.detail, outcome.detail
            kept = [quarantine.get_item(session, i.id)[1] for i in quarantine.list_items(session)]
        else:
            assert outcome.message_row_id is not None, outcome
            blob_id = session.scalar(select(Message.raw_blob_id).where(Message.id == outcome.message_row_id))
            kept = [bytes(session.get(RawBlob, blob_id).data)] if blob_id else []
    assert data in kept


# --------------------------------------------------------------------------- the web-form parser

_LABELS = (
    "Civilité",
    "Nom",
    "Prénom",
    "Adresse",
    "Code postal",
    "Commune",
    "Téléphone",
    "Courriel",
    "Service concerné",
    "Démarches déjà effectuées",
    "Objet de la demande",
    "Message",
)
_VALUE = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(lambda v: v and ":" not in v)
)


@settings(FUZZ, max_examples=400 * SCALE)
@given(st.text(max_size=2000))
def test_form_reader_never_raises_on_any_text(text: str) -> None:
    looks_like_form(text)
    form = parse_fields(text)
    assert form is None or isinstance(form.email, str)


@settings(FUZZ, max_examples=200 * SCALE)
@given(
    st.lists(
        st.tuples(st.sampled_from(_LABELS[:11]), _VALUE, st.booleans()),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[0],
    )
)
def test_form_reader_reads_back_every_value_on_its_line_or_below_it(
    fields: list[tuple[str, str, bool]],
) -> None:
    lines = []
    for label, value, below in fields:
        lines += [f"{label} :", f"  {value}", ""] if below else [f"{label} : {value}"]
    form = parse_fields("\n".join(lines))
    assert form is not None
    names = {
        "Civilité": "civility",
        "Nom": "last_name",
        "Prénom": "first_name",
        "Adresse": "address",
        "Code postal": "postcode",
        "Commune": "commune",
        "Téléphone": "phone",
        "Courriel": "email",
        "Service concerné": "service",
        "Démarches déjà effectuées": "prior_steps",
        "Objet de la demande": "subject",
    }
    for label, value, _ in fields:
        got = getattr(form, names[label])
        if label == "Courriel":
            assert got in ("", value.lower().strip("<>"))  # only a well-formed address is kept
        elif label == "Code postal":
            assert got == "".join(value.split())
        else:
            assert got == value, (label, value, got)


# --------------------------------------------------------------------------- the scan reader


class _ReadsAnything:
    """An OCR engine that reads every page as the same words: the fuzzing is of the decoders in front
    of Tesseract (PDF, PNG, JPEG, TIFF), not of Tesseract itself."""

    def recognise(self, image: Path) -> Recognition:
        return Recognition("Madame, je conteste la décision.", 5, 90.0)

    def recognise_pages(self, images: Sequence[Path], workdir: Path) -> list[Recognition]:
        return [self.recognise(i) for i in images]

    def rotation(self, image: Path) -> int | None:
        return 0


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("L", (48, 32), 255).save(out, format=fmt)
    return out.getvalue()


SCAN_SEEDS = [
    _image("PNG"),
    _image("JPEG"),
    _image("TIFF"),
    (SAMPLES / "scans" / "scan-07-avocat-oblige-alimentaire-texte.pdf").read_bytes(),
]


@settings(FUZZ, max_examples=150 * SCALE)
@given(mutated(SCAN_SEEDS) | st.binary(max_size=2000))
def test_scan_reader_returns_text_or_an_ocr_error(data: bytes) -> None:
    try:
        result = read_text(data, max_bytes=5_000_000, engine=_ReadsAnything())
    except OcrError as err:
        assert err.message
        return
    assert result.text.strip()


# --------------------------------------------------------------------------- what fuzzing found

REGRESSIONS = REPO / "tests" / "data" / "fuzz-regressions"


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("mail-*")), ids=lambda p: p.name)
def test_mail_regression_cases_found_by_fuzzing(path: Path, fuzz_runtime: Runtime) -> None:
    data = path.read_bytes()
    _parses_or_refuses(data)
    outcome = Pipeline(fuzz_runtime).ingest_raw(RawMessage("eml", path.name, data))
    assert "inattendue" not in outcome.detail, outcome.detail


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("scan-*")), ids=lambda p: p.name)
def test_scan_regression_cases_found_by_fuzzing(path: Path) -> None:
    with pytest.raises(OcrError):
        read_text(path.read_bytes(), max_bytes=5_000_000, engine=_ReadsAnything())
