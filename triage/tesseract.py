"""The OCR engine: Tesseract driven through pytesseract (one `tesseract` process per page).

Why pytesseract rather than ocrmypdf: pytesseract only runs the `tesseract` binary on a file
and reads its output, so a page costs what a bare `tesseract IMG - -l fra` costs (the benchmark
target is at most 1.2 times that). ocrmypdf builds a searchable PDF/A around the OCR (Ghostscript,
image optimisation, PDF assembly): useful for archiving, but we keep the original file as it came
and only need the text and the word confidences. The engine sits behind this small class so that
tests can count or fake passes where a fault cannot be produced for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytesseract

from triage.errors import OcrError, SourceError


class OcrEngineMissing(SourceError):
    """Tesseract or its language data is not installed: an installation problem, not a bad scan."""


@dataclass(frozen=True)
class Recognition:
    """The result of one Tesseract pass on one page image."""

    text: str
    words: int
    confidence: float | None  # mean word confidence 0-100, None when no word was found


def _text_from_data(data: dict[str, list[object]]) -> Recognition:
    """Lines and paragraphs rebuilt from Tesseract's TSV, with the mean word confidence."""
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        if int(str(data["level"][i])) != 5 or not word:
            continue
        key = (int(str(data["page_num"][i])), int(str(data["block_num"][i])),
               int(str(data["par_num"][i])), int(str(data["line_num"][i])))
        lines.setdefault(key, []).append(word)
        conf = float(str(data["conf"][i]))
        if conf >= 0:
            confidences.append(conf)
    out: list[str] = []
    previous_paragraph: tuple[int, int, int] | None = None
    for key in sorted(lines):
        paragraph = key[:3]
        if previous_paragraph is not None and paragraph != previous_paragraph:
            out.append("")  # a blank line between paragraphs, as Tesseract's own text output does
        out.append(" ".join(lines[key]))
        previous_paragraph = paragraph
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return Recognition(text="\n".join(out), words=len(confidences), confidence=mean)


class Tesseract:
    """Tesseract in the configured language(s); one process per call, with a time limit."""

    def __init__(self, language: str = "fra", *, timeout: float = 300.0) -> None:
        self.language = language
        self.timeout = timeout

    def _failure(self, err: Exception) -> Exception:
        message = str(err)
        if isinstance(err, pytesseract.TesseractNotFoundError):
            return OcrEngineMissing("Tesseract est introuvable : installez le paquet tesseract-ocr")
        if "Failed loading language" in message or "Error opening data file" in message:
            return OcrEngineMissing(
                f"données de langue Tesseract « {self.language} » absentes : installez tesseract-ocr-fra"
            )
        if "timeout" in message.lower():
            return OcrError(f"reconnaissance de texte trop longue (plus de {self.timeout:.0f} s par page)")
        return OcrError(f"échec de la reconnaissance de texte : {message[:200]}")

    def recognise(self, image: Path, *, dpi: int | None = None) -> Recognition:
        """OCR one page image file (automatic page segmentation); text and mean word confidence."""
        config = f"--psm 3{f' --dpi {dpi}' if dpi else ''}"
        try:
            data = pytesseract.image_to_data(
                str(image), lang=self.language, config=config, timeout=self.timeout,
                output_type=pytesseract.Output.DICT,
            )
        except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError, RuntimeError) as err:
            raise self._failure(err) from err
        return _text_from_data(data)

    def rotation(self, image: Path, *, dpi: int | None = None) -> int | None:
        """Clockwise quarter turns (0, 90, 180, 270) that put the page upright; None when unsure."""
        config = f"--psm 0{f' --dpi {dpi}' if dpi else ''}"
        try:
            osd = pytesseract.image_to_osd(
                str(image), config=config, timeout=self.timeout, output_type=pytesseract.Output.DICT
            )
        except pytesseract.TesseractError:
            return None  # "too few characters": OSD cannot tell, the page stays as it is
        except (pytesseract.TesseractNotFoundError, RuntimeError) as err:
            raise self._failure(err) from err
        rotate = int(osd.get("rotate", 0)) % 360
        return rotate if rotate in (0, 90, 180, 270) else None
