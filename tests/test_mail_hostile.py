"""Hostile or broken input on the mail side (issue 12 findings 6, 7, 9, 12): each test is the attack
or the bad input first, then what must hold."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, make_settings
from tests.mailfactory import mail
from triage.config import Settings
from triage.errors import ParseError
from triage.parse.body import sanitise_html
from triage.parse.message import parse_message
from triage.pipeline import Pipeline
from triage.records import IngestOutcome, RawMessage
from triage.runtime import Runtime
from triage.store import quarantine
from triage.web.mediation.file_routes import content_disposition

SETTINGS = Settings()


# --------------------------------------------------------------------------- finding 7: URLs in HTML


@pytest.mark.parametrize(
    "url",
    [
        "/\\evil.example/x.png",
        "//evil.example/x.png",
        " /\\evil.example/x.png",
        "\\\\evil.example\\x.png",
        "https://evil.example/x.png",
        "/x.png",
        "http:\\\\evil.example/x.png",
        "/\t/evil.example/x.png",
    ],
)
def test_images_pointing_anywhere_outside_the_message_are_removed(url: str) -> None:
    for tag in (f'<img src="{url}">', f'<img srcset="{url} 2x">', f'<table background="{url}"><tr><td>x'):
        clean = sanitise_html(tag)
        assert "evil" not in clean and "x.png" not in clean, (tag, clean)


@pytest.mark.parametrize(
    "url", ["/\\evil.example/", "//evil.example/", "java\tscript:alert(1)", "https:\\\\evil.example"]
)
def test_links_that_would_resolve_to_another_site_are_removed(url: str) -> None:
    clean = sanitise_html(f'<a href="{url}">lien</a>')
    assert "href" not in clean and "lien" in clean


def test_safe_links_and_inline_images_are_kept() -> None:
    assert 'href="https://www.isere.fr/aides"' in sanitise_html('<a href="https://www.isere.fr/aides">x</a>')
    assert 'href="mailto:a@exemple.example"' in sanitise_html('<a href="mailto:a@exemple.example">x</a>')
    assert 'src="cid:logo@exemple"' in sanitise_html('<img src="cid:logo@exemple">')


def test_html_message_with_a_backslashed_image_is_stored_without_it() -> None:
    parsed = parse_message(mail("texte", html='<p>Bonjour</p><img src="/\\evil.example/x.png">'), SETTINGS)
    assert "Bonjour" in parsed.html and "evil" not in parsed.html


# --------------------------------------------------------------------------- finding 9: bidi controls


@pytest.mark.parametrize(
    "control",
    [
        "\u202e",
        "\u202d",
        "\u202a",
        "\u202b",
        "\u202c",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u200b",
        "\ufeff",
    ],
)
def test_bidi_and_invisible_controls_are_removed_from_attachment_names(control: str) -> None:
    name = f"facture{control}fdp.exe"
    parsed = parse_message(mail(attachments=[(name, "application/octet-stream", b"MZ\x90\x00")]), SETTINGS)
    assert [a.filename for a in parsed.attachments] == ["facturefdp.exe"]
    header = content_disposition(name, "piece-jointe")
    assert control not in header and "facturefdp.exe" in header


# --------------------------------------------------------------------------- finding 12: parts and depth


def _many_parts(count: int) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(count))
    return (
        b"From: a@exemple.example\r\nSubject: parties\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    )


def _nested(depth: int) -> bytes:
    body = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth)
    )
    body += b"Content-Type: text/plain\r\n\r\nx\r\n" + b"".join(
        b"--b%d--\r\n" % i for i in reversed(range(depth))
    )
    return b"From: a@exemple.example\r\nSubject: profond\r\nMIME-Version: 1.0\r\n" + body


def test_fifty_thousand_parts_are_refused_quickly_with_a_reason() -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError, match="parties MIME"):
        parse_message(_many_parts(50_000), SETTINGS)
    assert time.perf_counter() - started < 2.0
    assert len(parse_message(_many_parts(100), SETTINGS).text) > 0  # an ordinary count still reads


def test_nesting_beyond_the_limit_is_refused_with_a_reason() -> None:
    with pytest.raises(ParseError, match="imbriquées"):
        parse_message(_nested(40), SETTINGS)
    parse_message(_nested(5), SETTINGS)


def test_capped_and_oversized_messages_are_all_in_the_quarantine_list_with_their_bytes(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, mailbox={"max_message_bytes": 300_000}, parsing={"max_mime_parts": 50})
    rt = Runtime.open(settings)
    try:
        pipeline = Pipeline(rt)
        items = {"parties": _many_parts(200), "profond": _nested(40), "gros": mail("x" * 400_000)}
        outcomes = {k: pipeline.ingest_raw(RawMessage("eml", k, v)) for k, v in items.items()}
        assert all(o.outcome is IngestOutcome.QUARANTINED for o in outcomes.values()), outcomes
        with rt.sessions() as session:
            listed = {i.source_key: i for i in quarantine.list_items(session)}
            assert set(listed) == set(items)
            for key, data in items.items():
                assert quarantine.get_item(session, listed[key].id)[1] == data
    finally:
        rt.close()


# --------------------------------------------------------------------------- finding 6: file names


def _badly_named_folder(folder: Path) -> None:
    """Three messages, the middle one named in Latin-1 bytes that are not UTF-8."""
    for name in (b"a.eml", b"b-r\xe9clamation\xff.eml", b"c.eml"):
        with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
            fh.write(mail(f"Bonjour, message {name[:1].decode()} : mon APA est refusée."))


def test_ingest_of_a_folder_with_a_non_utf8_file_name_takes_every_file_every_time(tmp_path: Path) -> None:
    folder = tmp_path / "lot"
    folder.mkdir()
    _badly_named_folder(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATURE_")}
    env.update(MEDIATURE_HOME=str(tmp_path / "home"), MEDIATURE_SECRET_KEY="test-secret")
    command = [str(REPO / ".venv" / "bin" / "mediature"), "ingest", "--json", str(folder)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr[-2000:]
    counts = json.loads(first.stdout)
    assert counts["messages"] == 3 and counts["dossiers_opened"] + counts["quarantined"] == 3, counts
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0 and json.loads(again.stdout)["duplicates"] + counts["quarantined"] == 3


def test_drop_folder_file_with_a_non_utf8_name_never_blocks_the_others(sqlite_runtime: Runtime) -> None:
    from triage.sources.scans import poll_drop_folder, rejected_files

    rt = sqlite_runtime
    rt.settings.scans.settle_seconds = 0
    folder = rt.settings.scan_drop_folder
    folder.mkdir(parents=True, exist_ok=True)
    pdf = (REPO / "data" / "samples" / "scans" / "scan-07-avocat-oblige-alimentaire-texte.pdf").read_bytes()
    with open(os.path.join(os.fsencode(folder), b"courrier-\xe9t\xe9.pdf"), "wb") as fh:
        fh.write(pdf[:3000])  # broken as well: it must be rejected with its reason, name and all
    with open(os.path.join(os.fsencode(folder), b"lettre-\xff.pdf"), "wb") as fh:
        fh.write(pdf)
    assert poll_drop_folder(rt, Pipeline(rt)) == 2
    assert os.listdir(os.fsencode(folder)) == []
    [(rejected, reason)] = rejected_files(rt.settings)
    assert reason and "\\xe9" in rejected.with_name(rejected.name + ".reason.txt").read_text(encoding="utf-8")
    with rt.sessions() as session:
        assert len(quarantine.list_items(session)) == 1
