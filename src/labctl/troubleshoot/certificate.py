"""`troubleshoot certificate`: kubectl describe certificate + get certificaterequest in one view,
with the issuer's readiness and the likely cause."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.troubleshoot import causes, reads
from labctl.troubleshoot.view import Cause, View

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]


def certificate_view(
    client: Client, name: str, namespace: str, now: datetime | None = None
) -> View:
    now = now or reads.now()
    cert = reads.get(client, "Certificate", name, namespace)
    cert.setdefault("kind", "Certificate")
    spec, status = cert.get("spec") or {}, cert.get("status") or {}
    listed = reads.list_or_why(client, "CertificateRequest", namespace)
    requests = [
        r
        for r in (listed if isinstance(listed, list) else [])
        if any(
            o.get("name") == name for o in (r.get("metadata") or {}).get("ownerReferences") or []
        )
    ]
    issuer = _issuer(client, spec.get("issuerRef") or {}, namespace)
    events = reads.events_for(client, "Certificate", name, namespace)
    view = View(f"Certificate {namespace}/{name}")
    view.facts = [
        ("Ready", _condition_text(cert, "Ready")),
        ("DNS names", ", ".join(spec.get("dnsNames") or []) or "-"),
        ("Secret", str(spec.get("secretName", "?"))),
        ("Issuer", _issuer_text(spec.get("issuerRef") or {}, issuer)),
        ("Not after", str(status.get("notAfter", "-"))),
        ("Renewal due", str(status.get("renewalTime", "-"))),
    ]
    view.section(
        "CertificateRequests",
        [
            f"{r['metadata']['name']}: Ready {_condition_text(r, 'Ready')}"
            + (f"; Denied: {_condition_text(r, 'Denied')}" if _condition(r, "Denied") else "")
            for r in requests
        ]
        if isinstance(listed, list)
        else [listed],
    )
    view.section("Events (oldest first)", reads.event_lines(events, now))
    view.causes = (
        causes.from_checks(
            {"certificates.cert-manager.io": [cert]},
            ["certificates"],
            {f"Certificate/{namespace}/{name}"},
            here=causes.view_command("certificate", name, namespace),
        )
        + _issuer_causes(spec.get("issuerRef") or {}, issuer)
        + _request_causes(requests)
    )
    return view


def _issuer(client: Client, ref: Obj, namespace: str) -> Obj | None:
    from lightkube import ApiError

    try:
        if ref.get("kind") == "ClusterIssuer":
            return reads.get(client, "ClusterIssuer", str(ref.get("name")))
        return reads.get(client, "Issuer", str(ref.get("name")), namespace)
    except ApiError:
        return None


def _condition(obj: Obj, kind: str) -> Obj | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == kind), None)


def _condition_text(obj: Obj, kind: str) -> str:
    found = _condition(obj, kind)
    if found is None:
        return "unknown (no condition)"
    detail = f" ({found.get('reason', '')}: {found.get('message', '')})".replace(" (: )", "")
    return f"{found.get('status')}{detail}"


def _issuer_text(ref: Obj, issuer: Obj | None) -> str:
    label = f"{ref.get('kind', 'Issuer')}/{ref.get('name', '?')}"
    if issuer is None:
        return f"{label} (not found)"
    return f"{label} (Ready {_condition_text(issuer, 'Ready')})"


def _issuer_causes(ref: Obj, issuer: Obj | None) -> list[Cause]:
    label = f"{ref.get('kind', 'Issuer')} {ref.get('name', '?')}"
    if issuer is None:
        return [
            Cause(
                "issuer",
                f"{label} does not exist",
                "create it (labctl render emits the ClusterIssuers) or fix spec.issuerRef",
            )
        ]
    ready = _condition(issuer, "Ready")
    if ready is None or ready.get("status") != "True":
        message = (ready or {}).get("message", "no Ready condition")
        return [
            Cause(
                "issuer",
                f"{label} is not ready: {message}",
                "check its ACME account and DNS01 token Secret (in the cert-manager "
                "namespace for a ClusterIssuer)",
            )
        ]
    return []


def _request_causes(requests: list[Obj]) -> list[Cause]:
    found = []
    for request in requests[-1:]:  # the newest attempt says what is happening now
        name = request["metadata"]["name"]
        for kind in ("Denied", "InvalidRequest"):
            condition = _condition(request, kind)
            if condition and condition.get("status") == "True":
                found.append(
                    Cause(
                        "certificaterequest",
                        f"{name} {kind}: {condition.get('message', '')}",
                        "fix the request or the approver policy, then delete the request to retry",
                    )
                )
        ready = _condition(request, "Ready")
        if ready and ready.get("reason") == "Failed":
            found.append(
                Cause(
                    "certificaterequest",
                    f"{name} failed: {ready.get('message', '')}",
                    "cert-manager retries with backoff (1h, doubling)",
                )
            )
    return found
