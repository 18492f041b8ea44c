"""Connection strings: the password reaches tools only through the environment."""

from __future__ import annotations

import pytest

from labctl.db.dsn import Dsn, mask


@pytest.mark.parametrize(
    ("raw", "public", "password", "database", "masked"),
    [
        (
            "postgresql://app:s3cr%40t@db.example.com:5432/tasks?sslmode=require",
            "postgresql://app@db.example.com:5432/tasks?sslmode=require",
            "s3cr@t",
            "tasks",
            "postgresql://app:***@db.example.com:5432/tasks?sslmode=require",
        ),
        (
            "postgresql+asyncpg://app:pw@127.0.0.1/taskappdb",
            "postgresql://app@127.0.0.1/taskappdb",
            "pw",
            "taskappdb",
            "postgresql://app:***@127.0.0.1/taskappdb",
        ),
        ("postgres://h/db", "postgres://h/db", None, "db", "postgres://h/db"),
        (
            "host=h user=app password='a b' dbname=tasks",
            "host=h user=app  dbname=tasks",
            "a b",
            "tasks",
            "host=h user=app  dbname=tasks password=***",
        ),
    ],
)
def test_parse_splits_off_the_password(
    raw: str, public: str, password: str | None, database: str, masked: str
) -> None:
    dsn = Dsn.parse(raw)
    assert (dsn.without_password, dsn.password, dsn.database) == (public, password, database)
    assert dsn.masked() == masked


def test_scrub_removes_raw_and_encoded_passwords() -> None:
    dsn = Dsn.parse("postgresql://u:p%2Fw@h/d")
    assert dsn.scrub("failed for p/w and p%2Fw") == "failed for *** and ***"


def test_mask_works_on_strings_that_do_not_parse() -> None:
    assert mask("mysql://u:secret@h/d") == "mysql://u:***@h/d"
    assert "secret" not in mask("host=h password=secret")


def test_a_foreign_scheme_is_rejected_without_echoing_the_password() -> None:
    with pytest.raises(ValueError) as error:
        Dsn.parse("mysql://u:secret@h/d")
    assert "secret" not in str(error.value)
