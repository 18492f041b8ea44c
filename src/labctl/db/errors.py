"""Errors of the PostgreSQL dump, restore and user commands, each with its exit code.

The codes are the operations commands' (`labctl.cli._ops`):

    DbError (1: the action ran and failed)
    ├── DbUnreachable (4: cannot connect, or a tool could not start)
    ├── DbTimeout (5: the tool ran longer than --timeout and was stopped)
    ├── DumpCorrupted (1: the file does not match its metadata; nothing was touched)
    └── RestoreRefused (3: the target holds data; nothing was changed; re-run with --force)

Messages never contain passwords: they are masked where the error is raised.
"""

from __future__ import annotations


class DbError(Exception):
    """A database action failed; the message says what happened and what to do."""

    exit_code = 1


class DbUnreachable(DbError):
    exit_code = 4


class DbTimeout(DbError):
    exit_code = 5


class DumpCorrupted(DbError):
    exit_code = 1


class RestoreRefused(DbError):
    exit_code = 3
