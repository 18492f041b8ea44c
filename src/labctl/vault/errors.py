"""What can go wrong when operating Vault, each with the exit code the CLI uses
(the same codes as the other operations commands, see `labctl.cli._ops`).

    VaultError            a Vault or API-server call failed: 403, 5xx, timeout (exit 4)
    └── WaitTimedOut      a pod or Vault did not reach the awaited state in time (exit 5)
    Refused               labctl will not do this, or the user said no: nothing changed (exit 3)
"""

from __future__ import annotations


class VaultError(Exception):
    """A call to Vault (or to the API server on the way) failed; the message says what to do."""

    exit_code = 4


class WaitTimedOut(VaultError):
    exit_code = 5


class Refused(Exception):
    """labctl will not do this (a quorum exists, no confirmation); the message says why."""

    exit_code = 3
