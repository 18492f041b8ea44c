"""The `taskapp` entry point: `taskapp serve` and `taskapp migrate`."""

from __future__ import annotations

import argparse
import sys

from taskapp import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskapp", description="TaskApp: the platform's tasks service."
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
    return parser


def run(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        import uvicorn

        host = args.host or "127.0.0.1"
        port = args.port or 8000
        uvicorn.run("taskapp.main:create_app", factory=True, host=host, port=port)
    else:  # pragma: no cover - argparse enforces the choices
        sys.exit(2)
