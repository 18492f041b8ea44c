"""Request and response shapes of the tasks API, and the fast JSON encoding of task rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Strict,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import to_json

from taskapp.db import crud
from taskapp.db.models import TITLE_MAX

# What a title may be, said once for the server and once for the OpenAPI document. Whitespace is
# spelled out (ECMAScript's `\s`, which JSON Schema patterns use) rather than left to a regex
# engine or `str.strip()`, whose ideas of whitespace differ: the schema then says exactly what
# the server accepts.
WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
_SPACE_CLASS = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
TITLE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": TITLE_MAX,
    "pattern": rf"^[^\x00]*[^\x00{_SPACE_CLASS}][^\x00]*$",
    "description": f"1-{TITLE_MAX} characters, not only whitespace, no NUL; "
    "whitespace around it is trimmed.",
}


def _clean_title(value: str) -> str:
    if len(value) > TITLE_MAX:
        raise ValueError(f"must be at most {TITLE_MAX} characters long")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    value = value.strip(WHITESPACE)
    if not value:
        raise ValueError("cannot be empty")
    return value


Title = Annotated[str, Strict(), AfterValidator(_clean_title), WithJsonSchema(TITLE_SCHEMA)]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title


def _update_schema(schema: dict[str, Any]) -> None:
    """Neither field takes null, and one of them must be there."""
    schema["properties"] = {"title": TITLE_SCHEMA, "completed": {"type": "boolean"}}
    schema["minProperties"] = 1


class TaskUpdate(BaseModel):
    """Fields left out stay unchanged; `null` is refused rather than guessed at."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_update_schema)

    title: Title | None = None
    completed: StrictBool | None = None

    @field_validator("title", "completed", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value

    @model_validator(mode="after")
    def _something(self) -> TaskUpdate:
        if self.title is None and self.completed is None:
            raise ValueError("needs a title or completed (or both)")
        return self


class TaskPublic(BaseModel):
    id: int
    title: str
    completed: bool
    created_at: datetime
    updated_at: datetime


# Rows go straight to pydantic-core's JSON encoder (Rust): it writes UTC datetimes as
# "...Z" itself. Three times faster than json.dumps with isoformat() for a page of 100.
_KEYS = ("id", "title", "completed", "created_at", "updated_at")


def task_json(row: Any) -> bytes:
    """A row from `crud`: (id, the task as JSON text) on PostgreSQL, else its columns."""
    if len(row) == 2:
        return str(row[1]).encode()
    return to_json(dict(zip(_KEYS, row, strict=True)))


def tasks_json(rows: Sequence[Any]) -> bytes:
    return to_json([dict(zip(_KEYS, row, strict=True)) for row in rows])


def page_json(page: crud.Page, limit: int) -> bytes:
    """The first `limit` tasks of a page (asked for with one more) as a JSON array."""
    if page.encoded is not None:  # the database left the extra task out already
        return f"[{page.encoded}]".encode()
    return tasks_json(page.rows[:limit])


CURSOR_PATTERN = r"^[0-9]{1,19}$"


def encode_cursor(last_id: int) -> str:
    return str(last_id)


def decode_cursor(cursor: str) -> int:
    """The id a page continues below (a cursor is checked against CURSOR_PATTERN already)."""
    return min(int(cursor), 2**63 - 1)
