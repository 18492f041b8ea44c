"""cert-manager Certificates, Issuers and CertificateRequests, and the API server's own
serving certificate (kubeadm's expire after a year)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from labctl.checks._objects import condition, condition_status, qualified, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import NotCollected, Obj, Snapshot, parse_time

Results = Iterator[tuple[Subject, Verdict]]

EXPIRY_WARNING = timedelta(days=14)
CONTROL_PLANE_WARNING = timedelta(days=30)
CONTROL_PLANE_CRITICAL = timedelta(days=7)
APISERVER_CERT = "apiserver/serving-certificate.json"


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
    summary=f"A Certificate expires within {EXPIRY_WARNING.days} days (expired: LAB-608).",
    hint="labctl troubleshoot certificate -n {namespace} {name}: why is it not renewed?",
)
def certificate_expiring(snap: Snapshot) -> Results:
    for cert in _certs(snap):
        not_after = parse_time(status(cert).get("notAfter"))
        if not_after is None:
            yield cert, None
            continue
        left = not_after - snap.taken_at
        if left > EXPIRY_WARNING or left <= timedelta(0):  # expired: LAB-608
            yield cert, None
        else:
            yield cert, f"certificate {qualified(cert)} expires in {_days(left)}"


@check(
    "LAB-608",
    "certificate-expired",
    area="certificates",
    severity=Severity.CRITICAL,
    summary="A Certificate's notAfter has passed, whatever its Ready condition still says.",
    hint="labctl troubleshoot certificate -n {namespace} {name}; cmctl renew -n {namespace} {name}",
)
def certificate_expired(snap: Snapshot) -> Results:
    for cert in _certs(snap):
        not_after = parse_time(status(cert).get("notAfter"))
        if not_after is None or not_after > snap.taken_at:
            yield cert, None
            continue
        ready = condition_status(cert, "Ready")
        still = " (it still says Ready)" if ready == "True" else ""
        yield (
            cert,
            f"certificate {qualified(cert)} expired {_days(snap.taken_at - not_after)} ago{still}",
        )


@check(
    "LAB-603",
    "certificate-renewal-overdue",
    area="certificates",
    severity=Severity.WARNING,
    summary="A Certificate's renewalTime has passed and no issuance is running (not yet "
    "expired: LAB-608).",
    hint="labctl troubleshoot certificate -n {namespace} {name}; check the issuer (DNS01 token)",
)
def certificate_renewal_overdue(snap: Snapshot) -> Results:
    for cert in _certs(snap):
        renewal = parse_time(status(cert).get("renewalTime"))
        issuing = condition_status(cert, "Issuing") == "True"
        not_after = parse_time(status(cert).get("notAfter"))
        expired = not_after is not None and not_after <= snap.taken_at  # LAB-608 says it
        if renewal is None or issuing or renewal > snap.taken_at or expired:
            yield cert, None
            continue
        late = snap.taken_at - renewal
        yield cert, f"certificate {qualified(cert)} was due for renewal {_days(late)} ago"


_ISSUERS = ("issuers.cert-manager.io", "clusterissuers.cert-manager.io")


@check(
    "LAB-604",
    "issuer-not-ready",
    area="certificates",
    severity=Severity.CRITICAL,
    summary="An Issuer or ClusterIssuer is not Ready: no Certificate it signs can be issued or "
    "renewed (ACME account, CA Secret or Vault role problem).",
    hint="kubectl describe {kind} {name}; kubectl logs -n cert-manager deploy/cert-manager",
)
def issuer_not_ready(snap: Snapshot) -> Results:
    for resource in _ISSUERS:
        for issuer in snap.require(resource):
            ready = condition(issuer, "Ready") or {}
            if ready.get("status") == "True":
                yield issuer, None
                continue
            why = ready.get("message") or ready.get("reason") or "no Ready condition"
            yield issuer, f"{issuer.get('kind', 'Issuer')} {qualified(issuer)} is not Ready: {why}"


def _request_owner(request: Obj) -> str:
    meta = request.get("metadata") or {}
    name = (meta.get("annotations") or {}).get("cert-manager.io/certificate-name")
    return f"{meta.get('namespace', '')}/{name or meta.get('name', '')}"


def _revision(request: Obj) -> tuple[int, str]:
    meta = request.get("metadata") or {}
    revision = (meta.get("annotations") or {}).get("cert-manager.io/certificate-revision", "0")
    return (int(revision) if revision.isdigit() else 0, str(meta.get("creationTimestamp", "")))


def _request_failure(request: Obj) -> str | None:
    for type_ in ("Denied", "InvalidRequest"):
        cond = condition(request, type_) or {}
        if cond.get("status") == "True":
            return f"{type_}: {cond.get('message') or cond.get('reason')}"
    ready = condition(request, "Ready") or {}
    if ready.get("status") == "False" and ready.get("reason") == "Failed":
        return f"Failed: {ready.get('message') or 'no message'}"
    return None


@check(
    "LAB-605",
    "certificaterequest-failed",
    area="certificates",
    severity=Severity.WARNING,
    summary="The newest CertificateRequest of a Certificate failed (Ready=False Failed, Denied "
    "or InvalidRequest); older ones are history.",
    hint="kubectl describe certificaterequest -n {namespace} {name}; the issuer's answer is in "
    "its message",
)
def certificaterequest_failed(snap: Snapshot) -> Results:
    newest: dict[str, Obj] = {}
    for request in snap.require("certificaterequests.cert-manager.io"):
        owner = _request_owner(request)
        if owner not in newest or _revision(request) > _revision(newest[owner]):
            newest[owner] = request
    for request in snap.require("certificaterequests.cert-manager.io"):
        failure = _request_failure(request) if newest[_request_owner(request)] is request else None
        yield (
            request,
            (f"CertificateRequest {qualified(request)} {failure}" if failure is not None else None),
        )


def _apiserver_left(snap: Snapshot) -> tuple[Obj, timedelta]:
    cert = snap.read_extra(APISERVER_CERT)
    not_after = parse_time((cert or {}).get("notAfter")) if isinstance(cert, dict) else None
    if cert is None or not_after is None:
        raise NotCollected("apiserver", snap.why_missing(APISERVER_CERT))
    return cert, not_after - snap.taken_at


def _apiserver_message(cert: Obj, left: timedelta) -> str:
    what = f"the API server's serving certificate ({cert.get('subject') or 'no subject'})"
    if left <= timedelta(0):
        return f"{what} expired {_days(-left)} ago ({cert['notAfter']})"
    return f"{what} expires in {_days(left)} ({cert['notAfter']})"


_KUBEADM = "on each control-plane node: kubeadm certs check-expiration; kubeadm certs renew all"


@check(
    "LAB-606",
    "apiserver-certificate-expiring",
    area="certificates",
    severity=Severity.WARNING,
    summary=f"The API server's serving certificate (read in the TLS handshake) expires within "
    f"{CONTROL_PLANE_WARNING.days} days.",
    hint=f"{_KUBEADM}, then restart the control-plane static pods",
)
def apiserver_certificate_expiring(snap: Snapshot) -> Results:
    cert, left = _apiserver_left(snap)
    soon = CONTROL_PLANE_CRITICAL < left <= CONTROL_PLANE_WARNING
    yield "APIServer", _apiserver_message(cert, left) if soon else None


@check(
    "LAB-607",
    "apiserver-certificate-critical",
    area="certificates",
    severity=Severity.CRITICAL,
    summary=f"The API server's serving certificate expires within "
    f"{CONTROL_PLANE_CRITICAL.days} days, or has expired (kubectl and every client stop).",
    hint=f"now, {_KUBEADM}, then restart the control-plane static pods",
)
def apiserver_certificate_critical(snap: Snapshot) -> Results:
    cert, left = _apiserver_left(snap)
    yield "APIServer", _apiserver_message(cert, left) if left <= CONTROL_PLANE_CRITICAL else None
