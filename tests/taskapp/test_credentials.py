"""Reading the Vault Agent credentials file in both forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskapp.credentials import Credentials, CredentialsError, CredentialsFile, parse


def test_parse_export_form() -> None:
    text = (
        "# rendered by vault agent\n"
        'export DATABASE_USER="v-kubernet-taskapp-AbC-1700000000"\n'
        "export DATABASE_PASSWORD='p@ss \"w0rd\"'\n"
    )
    assert parse(text) == Credentials("v-kubernet-taskapp-AbC-1700000000", 'p@ss "w0rd"')


def test_parse_plain_assignments() -> None:
    assert parse("DATABASE_USER=u\nDATABASE_PASSWORD=p\n") == Credentials("u", "p")


@pytest.mark.parametrize(
    "text",
    [
        '{"username": "u", "password": "p"}',
        '{"user": "u", "password": "p"}',
        '{"DATABASE_USER": "u", "DATABASE_PASSWORD": "p"}',
    ],
)
def test_parse_json_form(text: str) -> None:
    assert parse(text) == Credentials("u", "p")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"username": "u"}',
        'export DATABASE_USER="u"',
        "not an assignment",
        'DATABASE_USER="unterminated\nDATABASE_PASSWORD=p',
        '{"username": 1, "password": "p"}',
    ],
)
def test_parse_rejects_incomplete_files(text: str) -> None:
    with pytest.raises(CredentialsError):
        parse(text)


def test_repr_hides_password() -> None:
    assert "secret" not in repr(Credentials("u", "secret"))


def test_file_notices_changes(tmp_path: Path) -> None:
    path = tmp_path / "db-creds"
    creds = CredentialsFile(path)
    assert creds.read() is None
    path.write_text('{"username": "a", "password": "1"}')
    assert creds.changed()
    assert creds.read() == Credentials("a", "1")
    assert not creds.changed()
    replacement = tmp_path / "db-creds.tmp"
    replacement.write_text('{"username": "b", "password": "2"}')
    replacement.rename(path)  # how Vault Agent replaces the file
    assert creds.changed()
    assert creds.read() == Credentials("b", "2")
