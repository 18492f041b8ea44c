"""The `taskapp` entry point: `taskapp serve`, `taskapp migrate` and `taskapp token`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from taskapp import __version__, logs
from taskapp.errors import ConfigError
from taskapp.settings import Settings

log = logging.getLogger("taskapp")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskapp",
        description="TaskApp: the platform's tasks service. Settings: TASKAPP_* (docs/taskapp.md).",
    )
    parser.add_argument("--version", action="version", version=f"taskapp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Serve the API and the web front end.")
    serve.add_argument(
        "--host", default=None, help="Address to bind (default: TASKAPP_HOST or 127.0.0.1)."
    )
    serve.add_argument(
        "--port", type=int, default=None, help="Port (default: TASKAPP_PORT or 8000)."
    )
    commands.add_parser("migrate", help="Bring the database schema up to date, then exit.")
    token = commands.add_parser(
        "token", help="Print a new API token and the line that grants it in the tokens file."
    )
    token.add_argument("user")
    return parser


def _serve(settings: Settings) -> None:
    from taskapp.server import serve

    serve(settings)


def _migrate(settings: Settings) -> None:
    from taskapp.db.engine import Database
    from taskapp.metrics import Metrics

    applied = asyncio.run(Database(settings, Metrics()).migrate())
    log.info("database migrated" if applied else "database already up to date")


def run(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "token":
        from taskapp.auth import new_token

        token, line = new_token(args.user)
        sys.stdout.write(f"token: {token}\ntokens-file line: {line}\n")
        return
    overrides = {
        key: value
        for key, value in (
            ("host", getattr(args, "host", None)),
            ("port", getattr(args, "port", None)),
        )
        if value is not None
    }
    settings = Settings(**overrides)
    logs.configure(settings.log_level)
    try:
        if args.command == "serve":
            _serve(settings)
        else:
            _migrate(settings)
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        if sys.stderr.isatty():  # `make run` in a terminal: the sentence, not only the JSON line
            sys.stderr.write(f"taskapp: {exc}\n")
        sys.exit(2)
