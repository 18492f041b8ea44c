"""cert-manager Certificates: Ready, expiry and stuck renewals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from labctl.checks._objects import condition, condition_status, qualified, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot, parse_time

Results = Iterator[tuple[Subject, Verdict]]

EXPIRY_WARNING = timedelta(days=14)


def _certs(snap: Snapshot) -> list[Obj]:
    return snap.require("certificates.cert-manager.io")


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.1f} days" if days < 2 else f"{days:.0f} days"


@check(
    "LAB-601",
    "certificate-not-ready",
    area="certificates",
    severity=Severity.CRITICAL,
    summary="A Certificate is not Ready (no valid certificate in its Secret).",
    hint="labctl troubleshoot certificate -n {namespace} {name}",
)
def certificate_not_ready(snap: Snapshot) -> Results:
    for cert in _certs(snap):
        ready = condition(cert, "Ready") or {}
        if ready.get("status") == "True":
            yield cert, None
            continue
        why = ready.get("message") or ready.get("reason") or "no Ready condition"
        yield cert, f"certificate {qualified(cert)} is not Ready: {why}"


@check(
    "LAB-602",
    "certificate-expiring",
    area="certificates",
    severity=Severity.WARNING,
    summary=f"A Certificate expires within {EXPIRY_WARNING.days} days.",
    hint="labctl troubleshoot certificate -n {namespace} {name}: why is it not renewed?",
)
def certificate_expiring(snap: Snapshot) -> Results:
    for cert in _certs(snap):
        not_after = parse_time(status(cert).get("notAfter"))
        if not_after is None:
            yield cert, None
            continue
        left = not_after - snap.taken_at
        if left > EXPIRY_WARNING:
            yield cert, None
        elif left <= timedelta(0):
            yield cert, f"certificate {qualified(cert)} expired {_days(-left)} ago"
        else:
            yield cert, f"certificate {qualified(cert)} expires in {_days(left)}"


@check(
    "LAB-603",
    "certificate-renewal-overdue",
    area="certificates",
    severity=Severity.WARNING,
    summary="A Certificate's renewalTime has passed and no issuance is running.",
    hint="labctl troubleshoot certificate -n {namespace} {name}; check the issuer (DNS01 token)",
)
def certificate_renewal_overdue(snap: Snapshot) -> Results:
    for cert in _certs(snap):
        renewal = parse_time(status(cert).get("renewalTime"))
        issuing = condition_status(cert, "Issuing") == "True"
        if renewal is None or issuing or renewal > snap.taken_at:
            yield cert, None
            continue
        late = snap.taken_at - renewal
        yield cert, f"certificate {qualified(cert)} was due for renewal {_days(late)} ago"
