"""The metadata file written beside every dump: what the dump holds and how to check it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from labctl.db.errors import DumpCorrupted

FORMAT = "labctl-pg-dump/1"


class DumpMetadata(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: str = FORMAT
    file: str
    sha256: str
    size: int
    server_version: str
    database: str
    created_at: datetime
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def metadata_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".meta.json")


def read_metadata(dump: Path) -> DumpMetadata:
    path = metadata_path(dump)
    try:
        return DumpMetadata.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise DumpCorrupted(
            f"{path} is missing: without it the dump cannot be verified; refusing to restore"
        ) from None
    except ValueError as error:
        raise DumpCorrupted(f"{path} is not valid dump metadata: {error}") from error


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify(dump: Path, metadata: DumpMetadata) -> None:
    """Raise `DumpCorrupted` unless the file has the size and sha256 its metadata recorded."""
    digest, size = sha256_of(dump)
    if size != metadata.size or digest != metadata.sha256:
        raise DumpCorrupted(
            f"{dump} does not match its metadata (size {size} vs {metadata.size}, sha256 "
            f"{digest[:12]}... vs {metadata.sha256[:12]}...): the file is damaged or was "
            "replaced; nothing was restored"
        )
