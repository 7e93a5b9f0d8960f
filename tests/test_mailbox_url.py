"""The mailbox URL (MEDIATURE_MAILBOX_URL): the forms other mail tools use, clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.errors import ConfigError
from triage.sources.mailbox_url import parse_mailbox_url


def test_imap_ssl_url_gives_host_port_folder_and_decoded_credentials() -> None:
    url = parse_mailbox_url("imap+ssl://mediation%40isere.fr:p%40ss%2Fw%3Ard%25@imap.isere.fr:993/INBOX")
    assert (url.scheme, url.host, url.port, url.folder) == ("imap+ssl", "imap.isere.fr", 993, "INBOX")
    assert url.username == "mediation@isere.fr"
    assert url.password == "p@ss/w:rd%"


def test_default_ports_and_folder() -> None:
    assert parse_mailbox_url("imap+ssl://u:p@h.example").port == 993
    starttls = parse_mailbox_url("imap+starttls://u:p@h.example")
    assert (starttls.port, starttls.folder) == (143, "INBOX")


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        ("/INBOX/Mediation", "INBOX/Mediation"),
        ("/INBOX.Mediation.2026", "INBOX.Mediation.2026"),
        ("/M%C3%A9diation%20d%C3%A9partementale", "Médiation départementale"),
    ],
)
def test_folder_keeps_slashes_dots_and_decodes_percent(path: str, folder: str) -> None:
    assert parse_mailbox_url(f"imap+starttls://u:p@h.example:143{path}").folder == folder


def test_plain_imap_is_accepted_on_loopback_only() -> None:
    assert parse_mailbox_url("imap://u:p@127.0.0.1:1143/INBOX").scheme == "imap"
    assert parse_mailbox_url("imap://u:p@localhost/INBOX").port == 143
    assert parse_mailbox_url("imap://u:p@[::1]:1143/INBOX").host == "::1"
    with pytest.raises(ConfigError, match="boucle locale"):
        parse_mailbox_url("imap://u:p@imap.isere.fr/INBOX")


def test_maildir_url_gives_an_absolute_path() -> None:
    url = parse_mailbox_url("maildir:///var/mail/m%C3%A9diation")
    assert url.path == Path("/var/mail/médiation")
    assert url.key == "maildir:/var/mail/médiation"
    with pytest.raises(ConfigError, match="trois barres"):
        parse_mailbox_url("maildir://var/mail/mediation")


def test_redacted_form_and_repr_never_show_the_password() -> None:
    url = parse_mailbox_url("imap+ssl://mediation:Tr3s-S3cret@imap.isere.fr/INBOX")
    assert url.redacted() == "imap+ssl://mediation@imap.isere.fr:993/INBOX"
    assert "Tr3s-S3cret" not in repr(url) and "Tr3s-S3cret" not in str(url)
    assert url.log_label == "imap+ssl://imap.isere.fr:993/INBOX"  # no user name either (often an address)
    assert url.key == "mediation@imap.isere.fr/INBOX"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "vide"),
        ("pop3://u:p@h/INBOX", "non pris en charge"),
        ("imaps://u:p@h/INBOX", "imap\\+ssl://"),
        ("imap+ssl://h.example/INBOX", "identifiant manquant"),
        ("imap+ssl://u@h.example/INBOX", "mot de passe manquant"),
        ("imap+ssl://u:p@/INBOX", "hôte manquant"),
        ("imap+ssl://u:pa:ss@h.example:99x/INBOX", "encodez en pourcent"),
        ("imap+ssl://u:pa#ss@h.example/INBOX", "encodez en pourcent"),
        ("imap+starttls://u:p@h.example:993/INBOX", "imap\\+ssl"),
        ("/var/mail/mediation", "non pris en charge"),
    ],
)
def test_invalid_urls_give_a_clear_config_error_without_the_password(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse_mailbox_url(text)
    if "pa" in text:
        assert "pa:ss" not in str(err.value) and "pa#ss" not in str(err.value)
