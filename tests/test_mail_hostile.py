"""Hostile or broken input on the mail side (issue 12 findings 6, 7, 9, 12): each test is the attack
or the bad input first, then what must hold."""

from __future__ import annotations

import pytest

from tests.mailfactory import mail
from triage.config import Settings
from triage.parse.body import sanitise_html
from triage.parse.message import parse_message
from triage.web.mediation.file_routes import content_disposition

SETTINGS = Settings()


# --------------------------------------------------------------------------- finding 7: URLs in HTML


@pytest.mark.parametrize("url", ["/\\evil.example/x.png", "//evil.example/x.png", " /\\evil.example/x.png",
                                 "\\\\evil.example\\x.png", "https://evil.example/x.png", "/x.png",
                                 "http:\\\\evil.example/x.png", "/\t/evil.example/x.png"])
def test_images_pointing_anywhere_outside_the_message_are_removed(url: str) -> None:
    for tag in (f'<img src="{url}">', f'<img srcset="{url} 2x">', f'<table background="{url}"><tr><td>x'):
        clean = sanitise_html(tag)
        assert "evil" not in clean and "x.png" not in clean, (tag, clean)


@pytest.mark.parametrize("url", ["/\\evil.example/", "//evil.example/", "java\tscript:alert(1)", "https:\\\\evil.example"])
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


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067",
                                     "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\ufeff"])
def test_bidi_and_invisible_controls_are_removed_from_attachment_names(control: str) -> None:
    name = f"facture{control}fdp.exe"
    parsed = parse_message(mail(attachments=[(name, "application/octet-stream", b"MZ\x90\x00")]), SETTINGS)
    assert [a.filename for a in parsed.attachments] == ["facturefdp.exe"]
    header = content_disposition(name, "piece-jointe")
    assert control not in header and "facturefdp.exe" in header
