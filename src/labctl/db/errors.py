"""Errors of the PostgreSQL dump, restore and user commands, each with its exit code.

    DbError (5: the action failed)
    ├── DbUnreachable (4: cannot connect, or a tool failed to start)
    ├── DumpCorrupted (5: the file does not match its metadata; nothing was touched)
    └── RestoreRefused (6: the target holds data; re-run with --force)

Messages never contain passwords: they are masked where the error is raised.
"""

from __future__ import annotations


class DbError(Exception):
    """A database action failed; the message says what happened and what to do."""

    exit_code = 5


class DbUnreachable(DbError):
    exit_code = 4


class DumpCorrupted(DbError):
    exit_code = 5


class RestoreRefused(DbError):
    exit_code = 6
