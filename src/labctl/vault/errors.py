"""What can go wrong when operating Vault, each with the exit code the CLI uses.

VaultError            a Vault or API-server call failed (exit 4)
Refused               a plan would lose data or availability, or the user said no (exit 5)
"""

from __future__ import annotations


class VaultError(Exception):
    """A call to Vault (or to the API server on the way) failed; the message says what to do."""

    exit_code = 4


class Refused(Exception):
    """labctl will not do this (no quorum loss, no confirmation); the message says why."""

    exit_code = 5
