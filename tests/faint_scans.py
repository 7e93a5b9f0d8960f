"""Scanned letters drawn with Pillow for the transcription tests: a clean page Tesseract reads with
confidence, and the same letter faint, blurred and speckled (a pale photocopy) that it reads badly."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.privacy_world import suggester
from triage.notify.acknowledge import Notifier
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, ScanDocument
from triage.runtime import Runtime
from triage.sources.scans import read_scan_file

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LETTER = (
    "Madame la Médiatrice,",
    "La MDPH a refusé de renouveler ma carte",
    "mobilité inclusion malgré mon handicap.",
    "J'ai écrit à la Maison de l'autonomie",
    "en mars et je n'ai reçu aucune réponse.",
    "Je vous remercie de votre aide.",
    "Jeanne Martin, 38000 Grenoble",
)
# what a person reads on the faint page and types in « Vérifier la transcription »
CORRECTED = "\n".join(LETTER)


def letter_png(*, faint: bool, lines: tuple[str, ...] = LETTER) -> bytes:
    """One page at 200 dpi: black ink, or pale ink under blur and speckles."""
    image = Image.new("L", (1400, 900), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 34)
    for index, line in enumerate(lines):
        draw.text((90, 80 + index * 105), line, fill=165 if faint else 0, font=font)
    if faint:
        rng = random.Random(7)  # the same speckles every run
        pixels = image.load()
        assert pixels is not None
        for _ in range(320_000):
            pixels[rng.randrange(1400), rng.randrange(900)] = rng.randrange(120, 256)
        image = image.filter(ImageFilter.GaussianBlur(1.7))
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(200, 200))
    return out.getvalue()


def write_letter(folder: Path, name: str, *, faint: bool) -> Path:
    """The page written as a PNG file in `folder`."""
    path = folder / name
    path.write_bytes(letter_png(faint=faint))
    return path


_DOCS: dict[bool, ScanDocument] = {}


def pipeline_for(rt: Runtime) -> Pipeline:
    """The pipeline with the shipped suggester (the web app is given the same: create_app(rt, pipeline=...))."""
    return Pipeline(rt, suggester=suggester(rt), notifier=Notifier.from_runtime(rt))


def scanned(rt: Runtime, tmp: Path, *, faint: bool) -> ScanDocument:
    """The letter read by real Tesseract once per test session (the database side runs every time)."""
    if faint not in _DOCS:
        _DOCS[faint] = read_scan_file(write_letter(tmp, f"lettre-{faint}.png", faint=faint), rt.settings)
    return _DOCS[faint]


def open_letter(rt: Runtime, tmp: Path, *, faint: bool) -> tuple[int, int, str]:
    """(dossier id, message id, reference) of the letter taken in through the pipeline."""
    doc = scanned(rt, tmp, faint=faint)
    outcome = pipeline_for(rt).ingest_scan(doc, letter_png(faint=faint))
    assert outcome.outcome is IngestOutcome.OPENED and outcome.dossier_id and outcome.message_row_id
    assert outcome.reference
    return outcome.dossier_id, outcome.message_row_id, outcome.reference
