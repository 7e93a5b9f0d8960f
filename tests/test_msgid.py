"""Our outgoing Message-IDs carry an HMAC of the dossier reference: they verify, forgeries do not."""

from __future__ import annotations

from triage.dossiers.msgid import (
    looks_like_ours,
    make_message_id,
    reference_from_message_id,
    references_in_headers,
)

SECRET = b"secret-of-this-installation"


def test_our_message_id_gives_back_its_reference() -> None:
    mid = make_message_id(SECRET, "MED-2026-00042", "isere.example", "ack")
    assert mid.startswith("<med.ack.MED-2026-00042.") and mid.endswith("@isere.example>")
    assert reference_from_message_id(SECRET, mid) == "MED-2026-00042"
    assert reference_from_message_id(SECRET, mid.strip("<>")) == "MED-2026-00042"


def test_each_message_id_is_unique() -> None:
    assert make_message_id(SECRET, "MED-2026-00001", "isere.example") != make_message_id(
        SECRET, "MED-2026-00001", "isere.example"
    )


def test_changing_the_reference_breaks_the_mac() -> None:
    mid = make_message_id(SECRET, "MED-2026-00042", "isere.example")
    forged = mid.replace("MED-2026-00042", "MED-2026-00043")
    assert looks_like_ours(forged)
    assert reference_from_message_id(SECRET, forged) is None


def test_another_secret_does_not_verify() -> None:
    mid = make_message_id(b"another installation", "MED-2026-00042", "isere.example")
    assert reference_from_message_id(SECRET, mid) is None


def test_foreign_and_empty_ids_give_nothing() -> None:
    for value in (None, "", "<ack.MED-2026-00001.fake@isere.example>", "<CAF123@mail.gmail.com>", "garbage"):
        assert reference_from_message_id(SECRET, value) is None


def test_references_header_yields_each_verified_reference_once() -> None:
    a = make_message_id(SECRET, "MED-2026-00001", "isere.example")
    b = make_message_id(SECRET, "MED-2026-00001", "isere.example", "relance")
    c = make_message_id(SECRET, "MED-2026-00002", "isere.example")
    assert references_in_headers(SECRET, [a, "<x@y>", b, c]) == ["MED-2026-00001", "MED-2026-00002"]
