"""Settings: precedence, validation, documentation kept in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.config import load_settings, settings_documentation
from triage.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_named_environment_variables_override_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text('[database]\nurl = "sqlite:///from-file.db"\n[smtp]\nmax_attempts = 4\n')
    env = {"MEDIATURE_DATABASE_URL": "postgresql+psycopg://u@h/db", "MEDIATURE_SMTP__MAX_ATTEMPTS": "7"}
    settings = load_settings(cfg, environ=env)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.smtp.max_attempts == 7


def test_home_decides_where_the_embedded_database_lives(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"MEDIATURE_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'mediature.sqlite3'}"
    assert settings.scan_drop_folder == tmp_path / "scans" / "depot"


def test_invalid_value_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="smtp.max_attempts"):
        load_settings(None, environ={"MEDIATURE_SMTP__MAX_ATTEMPTS": "many"})


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text("[mailbox]\nurll = 'x'\n")
    with pytest.raises(ConfigError, match="mailbox.urll"):
        load_settings(cfg, environ={})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="introuvable"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_secret_key_never_prints(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"MEDIATURE_SECRET_KEY": "s3cr3t-value"})
    assert "s3cr3t-value" not in settings.model_dump_json()
    assert "s3cr3t-value" not in repr(settings)


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"MEDIATURE_HOME": str(tmp_path)})
    first = settings.secret()
    assert first == settings.secret()
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    assert doc.strip() == settings_documentation().strip(), (
        "run: mediature config doc > docs/CONFIGURATION.md"
    )


def test_config_show_never_prints_passwords(tmp_path: Path) -> None:
    import os
    import subprocess

    env = {
        **os.environ,
        "MEDIATURE_HOME": str(tmp_path),
        "MEDIATURE_MAILBOX_URL": "imap+ssl://m:S3cretPw@h:993/INBOX",
        "MEDIATURE_SMTP_URL": "smtp+starttls://m:S3cretSmtp@h:587",
        "MEDIATURE_DATABASE_URL": "postgresql+psycopg://u:S3cretDb@h/db",
    }
    out = subprocess.run(
        [str(REPO / ".venv/bin/mediature"), "config", "show"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "S3cret" not in out and "imap+ssl://m:***@h:993/INBOX" in out
