"""PostgreSQL dumps, restores and users, through a local or an in-pod transport."""

from labctl.db.dsn import Dsn
from labctl.db.dump import dump_database
from labctl.db.errors import DbError, DbUnreachable, DumpCorrupted, RestoreRefused
from labctl.db.fingerprint import Fingerprint, fingerprint
from labctl.db.metadata import DumpMetadata
from labctl.db.restore import RestoreReport, restore_database
from labctl.db.transport import LocalTransport, PodExecTransport, Transport
from labctl.db.users import DbUsers, dynamic_users

__all__ = [
    "DbError",
    "DbUnreachable",
    "DbUsers",
    "Dsn",
    "DumpCorrupted",
    "DumpMetadata",
    "Fingerprint",
    "LocalTransport",
    "PodExecTransport",
    "RestoreRefused",
    "RestoreReport",
    "Transport",
    "dump_database",
    "dynamic_users",
    "fingerprint",
    "restore_database",
]
