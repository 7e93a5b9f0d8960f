"""The OCR engine: the `tesseract` binary, one process per page, read through its TSV output.

Why a thin call to the binary (what pytesseract does) rather than ocrmypdf: a page then costs what a
bare `tesseract IMG - -l fra` costs (the benchmark target is at most 1.2 times that). ocrmypdf builds a
searchable PDF/A around the OCR (Ghostscript, image optimisation, PDF assembly): useful for archiving,
but we keep the original file as it came and only need the text and the word confidences.

We run the binary ourselves, as pytesseract does, for one thing pytesseract cannot do: give the
process its own environment. Tesseract's OpenMP threads spin while they wait; on the shared 2-core
server this measured 5 s of CPU per page instead of 1.1 s, and no faster once the machine is busy.
So each call gets ``OMP_THREAD_LIMIT=1`` unless the administrator set the variable, which then wins.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from triage.errors import OcrError, SourceError


class OcrEngineMissing(SourceError):
    """Tesseract or its language data is not installed: an installation problem, not a bad scan."""

    def __init__(self, message: str, *, package: str) -> None:
        super().__init__(message)
        self.package = package  # the system package to install (a safe token for the journal)


@dataclass(frozen=True)
class Recognition:
    """The result of one Tesseract pass on one page image."""

    text: str
    words: int
    confidence: float | None  # mean word confidence 0-100, None when no word was found


class OcrEngine(Protocol):
    """What triage.sources.ocr needs of an OCR engine (Tesseract; a fake where a fault must be produced)."""

    def recognise(self, image: Path) -> Recognition:
        """Read one page image."""
        ...

    def recognise_pages(self, images: Sequence[Path], workdir: Path) -> list[Recognition]:
        """Read several page images, one result each, in order."""
        ...

    def rotation(self, image: Path) -> int | None:
        """Clockwise quarter turns that put the page upright, None when unsure."""
        ...


def text_from_tsv(tsv: str) -> Recognition:
    """Lines and paragraphs rebuilt from Tesseract's TSV, with the mean word confidence."""
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    confidences: list[float] = []
    rows = tsv.splitlines()
    for row in rows[1:]:  # the first row names the columns
        cells = row.split("\t")
        # level page block par line word left top width height conf text
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        key = (int(cells[1]), int(cells[2]), int(cells[3]), int(cells[4]))
        lines.setdefault(key, []).append(cells[11].strip())
        conf = float(cells[10])
        if conf >= 0:
            confidences.append(conf)
    out: list[str] = []
    previous: tuple[int, int, int] | None = None
    for key in sorted(lines):
        if previous is not None and key[:3] != previous:
            out.append("")  # a blank line between paragraphs, as Tesseract's own text output does
        out.append(" ".join(lines[key]))
        previous = key[:3]
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return Recognition(text="\n".join(out), words=len(confidences), confidence=mean)


def _argument(image: Path) -> str:
    # absolute, so that a file named "-x.png" is never taken for an option
    return str(Path(image).absolute())


class Tesseract:
    """Tesseract in the configured language(s); one process per call, with a time limit."""

    def __init__(self, language: str = "fra", *, timeout: float = 300.0, command: str = "tesseract") -> None:
        self.language = language
        self.timeout = timeout
        self.command = command
        self._env = {**os.environ}
        self._env.setdefault("OMP_THREAD_LIMIT", "1")

    def _run(self, args: list[str], pages: int = 1) -> str:
        try:
            proc = subprocess.run(
                [self.command, *args],
                env=self._env,
                capture_output=True,
                timeout=self.timeout * pages,
                check=False,
            )
        except FileNotFoundError as err:
            raise OcrEngineMissing(
                "Tesseract est introuvable : installez le paquet tesseract-ocr", package="tesseract-ocr"
            ) from err
        except subprocess.TimeoutExpired as err:
            raise OcrError(
                f"reconnaissance de texte trop longue (plus de {self.timeout:.0f} s par page)"
            ) from err
        stderr = proc.stderr.decode("utf-8", "replace")
        if proc.returncode != 0:
            if "Failed loading language" in stderr or "Error opening data file" in stderr:
                missing = re.search(r"Failed loading language '([^']+)'", stderr)
                name = missing.group(1) if missing else self.language
                raise OcrEngineMissing(
                    f"données de langue Tesseract « {name} » absentes : installez tesseract-ocr-{name}",
                    package=f"tesseract-ocr-{name}",
                )
            raise OcrError(f"échec de la reconnaissance de texte : {stderr.strip()[-200:]}")
        return proc.stdout.decode("utf-8", "replace")

    def recognise(self, image: Path) -> Recognition:
        """OCR one page image file (automatic page segmentation); text and mean word confidence."""
        return text_from_tsv(
            self._run([_argument(image), "stdout", "-l", self.language, "--psm", "3", "tsv"])
        )

    def recognise_pages(self, images: Sequence[Path], workdir: Path) -> list[Recognition]:
        """OCR several single-page images in one process (the model is loaded once); one result each.

        Tesseract reads a ``.txt`` input as a list of images and numbers their pages in order.
        """
        if len(images) == 1:
            return [self.recognise(images[0])]
        listing = workdir / "pages.txt"
        listing.write_text("".join(f"{_argument(p)}\n" for p in images), encoding="utf-8")
        tsv = self._run([str(listing), "stdout", "-l", self.language, "--psm", "3", "tsv"], pages=len(images))
        by_page: dict[int, list[str]] = {}
        for row in tsv.splitlines():
            cells = row.split("\t", 2)
            if len(cells) > 1 and cells[1].isdigit():
                by_page.setdefault(int(cells[1]), []).append(row)
        if by_page and max(by_page) > len(images):
            # an input unexpectedly held several pages: read them one by one instead
            return [self.recognise(p) for p in images]
        return [text_from_tsv("\n".join(["header", *by_page.get(n, [])])) for n in range(1, len(images) + 1)]

    def rotation(self, image: Path) -> int | None:
        """Clockwise quarter turns (0, 90, 180, 270) that put the page upright; None when unsure."""
        try:
            out = self._run([_argument(image), "stdout", "--psm", "0"])
        except OcrError:
            return None  # "too few characters": OSD cannot tell, the page stays as it is
        found = re.search(r"^Rotate:\s*(\d+)", out, re.MULTILINE)
        rotate = int(found.group(1)) % 360 if found else None
        return rotate if rotate in (0, 90, 180, 270) else None
