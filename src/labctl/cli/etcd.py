"""`labctl etcd snapshot`: a verified etcd snapshot, shipped to every backup target."""

from __future__ import annotations

import typer

app = typer.Typer(help="etcd: snapshots shipped to the backup targets.", no_args_is_help=True)
