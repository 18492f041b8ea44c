"""labctl's exit codes: one table for every command (docs/operations.md shows it to users).

Within a command each code has one meaning. 0-5 are labctl's own; `health` and `snapshot save`
read 1-3 the Nagios way (warning, critical, unknown), and they refuse nothing, so 3 cannot be
mistaken there. Usage errors take 64 from sysexits.h (EX_USAGE), so no command's 2 is ever an
unknown option; the other sysexits codes name the two failures that are not the cluster's.
"""

from __future__ import annotations

EXIT_OK = 0
"""Done, or nothing to do; `health`: healthy; `validate`: clean."""
EXIT_FAILED = 1
"""The command ran and the outcome is bad: a step or sync failed, findings (`validate`), the tree
is out of date (`render --check`), row counts differ, a person is needed (`recover`), a file
could not be written; `health`: warnings only (Nagios WARNING)."""
EXIT_CRITICAL = 2
"""`health` only: at least one critical finding (Nagios CRITICAL)."""
EXIT_REFUSED = 3
"""Refused or not confirmed: nothing was changed (`init`: the file exists)."""
EXIT_UNKNOWN = 3
"""`health` and `snapshot save`: some areas could not be checked or collected (Nagios UNKNOWN)."""
EXIT_CLUSTER = 4
"""The cluster, Vault or the database could not be reached, or answered with an error (403, 500,
a request timeout); no kubeconfig, or one that cannot be read."""
EXIT_TIMEOUT = 5
"""Timed out waiting (`--timeout`): a PDB kept blocking, a controller did not act."""
EXIT_USAGE = 64
"""Bad command line (EX_USAGE): unknown command or option, a bad value, a missing argument."""
EXIT_INVALID = 65
"""The input file is not valid (EX_DATAERR): cluster.yaml, with every problem listed."""
EXIT_UNAVAILABLE = 69
"""A tool the command needs is not installed (EX_UNAVAILABLE); the message names the package.
`validate`: also a chart neither in `--chart-dir` nor reachable (part of the tree unchecked)."""
