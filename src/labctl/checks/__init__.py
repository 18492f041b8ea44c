"""Health checks: pure functions from a Snapshot to Findings.

The API other commands use (`labctl health`, `troubleshoot`, `recover`)::

    from labctl.checks import run_checks
    report = run_checks(snapshot, areas=["vault"], ignore=["LAB-304"])
    report.findings        # list[Finding]: check_id, check_name, severity, area, object,
                           #   message (one line naming the object), hint (the fix or command)
    report.unknowns        # what could not be judged, and why (missing data is never healthy)
    report.status_by_area  # {"vault": Status.CRITICAL, ...}: ok / warning / critical / unknown
    report.exit_code       # 0 healthy, 1 warnings, 2 critical, 3 some areas unknown

`all_checks()` lists every check (id, name, area, severity, summary, hint). Ids (`LAB-<nnn>`,
banded by area: 1xx nodes, 2xx workloads, 3xx vault, 4xx argocd, 5xx backups,
6xx certificates, 7xx storage, 8xx scaling, 9xx alerts) and names are a contract: they appear
in `--ignore`, JSON, JUnit and Prometheus output. Never renumber or reuse one.

Writing a check: see `labctl.checks.model` (the `@check` decorator and what a check yields).
"""

from labctl.checks.model import AREAS, Check, Finding, Severity, Status
from labctl.checks.runner import CheckRun, Report, UnknownResult, all_checks, run_checks

__all__ = [
    "AREAS",
    "Check",
    "CheckRun",
    "Finding",
    "Report",
    "Severity",
    "Status",
    "UnknownResult",
    "all_checks",
    "run_checks",
]
