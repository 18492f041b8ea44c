"""Services without ready endpoints, and what routes traffic or admission to them: Ingresses,
Gateways, HTTPRoutes and admission webhooks pointing at something missing or dead."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.checks._objects import (
    condition,
    name,
    namespace,
    qualified,
    selector_matches,
    spec,
    status,
)
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot

Results = Iterator[tuple[Subject, Verdict]]
SERVICE_NAME = "kubernetes.io/service-name"  # the label tying an EndpointSlice to its Service


def _services(snap: Snapshot) -> dict[tuple[str, str], Obj]:
    return {(namespace(s), name(s)): s for s in snap.require("services")}


def _ready_endpoints(snap: Snapshot) -> dict[tuple[str, str], int]:
    """Ready endpoints per Service. `ready` unset means ready (EndpointConditions docs)."""
    counts: dict[tuple[str, str], int] = {}
    for slice_ in snap.require("endpointslices.discovery.k8s.io"):
        service = ((slice_.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME)
        if not service:
            continue
        key = (namespace(slice_), service)
        ready = sum(
            1
            for e in slice_.get("endpoints") or []
            if (e.get("conditions") or {}).get("ready", True)
        )
        counts[key] = counts.get(key, 0) + ready
    return counts


def _has_selector(service: Obj) -> bool:
    """Only a Service with a selector gets its endpoints from pods (ExternalName has none)."""
    return bool(spec(service).get("selector")) and spec(service).get("type") != "ExternalName"


def _scaled_to_zero(snap: Snapshot) -> dict[str, list[dict[str, str]]]:
    """Per namespace, the pod-template labels of Deployments/StatefulSets set to 0 replicas."""
    found: dict[str, list[dict[str, str]]] = {}
    for resource in ("deployments.apps", "statefulsets.apps"):
        for workload in snap.items(resource) or []:
            if spec(workload).get("replicas", 1) == 0:
                template = (spec(workload).get("template") or {}).get("metadata") or {}
                found.setdefault(namespace(workload), []).append(template.get("labels") or {})
    return found


def _on_purpose(snap: Snapshot, service: Obj) -> bool:
    """Its pods belong to a workload scaled to 0 replicas: no endpoint is what was asked for."""
    idle = snap.derived("network.scaled-to-zero", _scaled_to_zero).get(namespace(service), [])
    selector = {"matchLabels": spec(service).get("selector") or {}}
    return any(selector_matches(selector, labels) for labels in idle)


@check(
    "LAB-219",
    "service-no-endpoints",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A Service with a selector has no ready endpoint: every connection to it fails "
    "(no pod matches, or none is Ready); not when its workload is scaled to 0 on purpose.",
    hint="kubectl get endpointslices -n {namespace} -l kubernetes.io/service-name={name}; "
    "compare the Service's selector with its pods' labels and readiness",
)
def service_no_endpoints(snap: Snapshot) -> Results:
    ready = snap.derived("network.ready-endpoints", _ready_endpoints)
    for service in snap.require("services"):
        if not _has_selector(service) or ready.get((namespace(service), name(service)), 0) > 0:
            yield service, None
            continue
        if _on_purpose(snap, service):
            yield service, None
            continue
        selector = ",".join(f"{k}={v}" for k, v in sorted(spec(service)["selector"].items()))
        yield service, f"Service {qualified(service)} has no ready endpoint (selector {selector})"


def _ingress_backends(ingress: Obj) -> list[str]:
    """The Service names an Ingress sends traffic to (default backend and rule paths)."""
    backends = [spec(ingress).get("defaultBackend") or {}]
    for rule in spec(ingress).get("rules") or []:
        backends += [p.get("backend") or {} for p in (rule.get("http") or {}).get("paths") or []]
    return [str(b["service"]["name"]) for b in backends if (b.get("service") or {}).get("name")]


@check(
    "LAB-220",
    "ingress-broken-reference",
    area="workloads",
    severity=Severity.WARNING,
    summary="An Ingress names a Service or an IngressClass that does not exist.",
    hint="kubectl describe ingress -n {namespace} {name}; fix the backend service or "
    "ingressClassName",
)
def ingress_broken_reference(snap: Snapshot) -> Results:
    services = _services(snap)
    classes = {name(c) for c in snap.require("ingressclasses.networking.k8s.io")}
    for ingress in snap.require("ingresses.networking.k8s.io"):
        ns = namespace(ingress)
        missing = sorted({b for b in _ingress_backends(ingress) if (ns, b) not in services})
        problems = [f"Service {ns}/{b} does not exist" for b in missing]
        klass = spec(ingress).get("ingressClassName")
        if klass and klass not in classes:
            problems.append(f"IngressClass {klass} does not exist")
        yield ingress, f"Ingress {qualified(ingress)}: {'; '.join(problems)}" if problems else None


def _not_true(obj: Obj, type_: str) -> Obj | None:
    cond = condition(obj, type_)
    return cond if cond is not None and cond.get("status") != "True" else None


@check(
    "LAB-221",
    "gateway-not-programmed",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A Gateway, or one of its listeners, is not Programmed, or its GatewayClass is "
    "missing or not Accepted: it accepts no traffic.",
    hint="kubectl describe gateway -n {namespace} {name}: the listener conditions say why "
    "(invalid certificate ref, port conflict, no address)",
)
def gateway_not_programmed(snap: Snapshot) -> Results:
    classes = {name(c): c for c in snap.require("gatewayclasses.gateway.networking.k8s.io")}
    for gateway in snap.require("gateways.gateway.networking.k8s.io"):
        problems: list[str] = []
        klass = str(spec(gateway).get("gatewayClassName", ""))
        if klass not in classes:
            problems.append(f"GatewayClass {klass} does not exist")
        elif (cond := _not_true(classes[klass], "Accepted")) is not None:
            problems.append(f"GatewayClass {klass} is not Accepted ({cond.get('reason')})")
        if (cond := _not_true(gateway, "Programmed")) is not None:
            problems.append(f"Programmed={cond.get('status')} ({cond.get('reason')})")
        for listener in status(gateway).get("listeners") or []:
            for cond in listener.get("conditions") or []:
                if cond.get("type") == "Programmed" and cond.get("status") != "True":
                    why = cond.get("message") or cond.get("reason")
                    problems.append(f"listener {listener.get('name')} not Programmed ({why})")
        yield (
            gateway,
            f"Gateway {qualified(gateway)}: {'; '.join(problems)}" if problems else None,
        )


def _route_problems(
    route: Obj, services: dict[tuple[str, str], Obj], gateways: set[tuple[str, str]]
) -> list[str]:
    ns = namespace(route)
    problems: list[str] = []
    for parent in spec(route).get("parentRefs") or []:
        if parent.get("kind", "Gateway") != "Gateway":
            continue
        ref = (parent.get("namespace") or ns, str(parent.get("name")))
        if ref not in gateways:
            problems.append(f"Gateway {ref[0]}/{ref[1]} does not exist")
    for rule in spec(route).get("rules") or []:
        for backend in rule.get("backendRefs") or []:
            if backend.get("group", "") != "" or backend.get("kind", "Service") != "Service":
                continue
            ref = (backend.get("namespace") or ns, str(backend.get("name")))
            if ref not in services:
                problems.append(f"Service {ref[0]}/{ref[1]} does not exist")
    for parent in status(route).get("parents") or []:
        for cond in parent.get("conditions") or []:
            if cond.get("type") in ("Accepted", "ResolvedRefs") and cond.get("status") == "False":
                where = (parent.get("parentRef") or {}).get("name", "?")
                problems.append(f"{cond['type']}=False on {where} ({cond.get('reason')})")
    return sorted(set(problems))


@check(
    "LAB-222",
    "httproute-broken-reference",
    area="workloads",
    severity=Severity.WARNING,
    summary="An HTTPRoute names a Gateway or backend Service that does not exist, or a Gateway "
    "did not accept it (Accepted or ResolvedRefs False).",
    hint="kubectl describe httproute -n {namespace} {name}",
)
def httproute_broken_reference(snap: Snapshot) -> Results:
    services = _services(snap)
    gateways = {(namespace(g), name(g)) for g in snap.require("gateways.gateway.networking.k8s.io")}
    for route in snap.require("httproutes.gateway.networking.k8s.io"):
        problems = _route_problems(route, services, gateways)
        yield route, f"HTTPRoute {qualified(route)}: {'; '.join(problems)}" if problems else None


_WEBHOOKS = (
    "validatingwebhookconfigurations.admissionregistration.k8s.io",
    "mutatingwebhookconfigurations.admissionregistration.k8s.io",
)


@check(
    "LAB-223",
    "webhook-service-down",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="An admission webhook with failurePolicy Fail calls a Service that is missing or has "
    "no ready endpoint: every request it intercepts is refused (pods, certificates...).",
    hint="bring its Service's pods back (kubectl get pods -n <service namespace>), or as a last "
    "resort delete the webhook configuration {name} (its chart re-creates it)",
)
def webhook_service_down(snap: Snapshot) -> Results:
    services = _services(snap)
    ready = snap.derived("network.ready-endpoints", _ready_endpoints)
    for resource in _WEBHOOKS:
        for config in snap.require(resource):
            problems: list[str] = []
            for hook in config.get("webhooks") or []:
                target = (hook.get("clientConfig") or {}).get("service")
                if not target or hook.get("failurePolicy", "Fail") != "Fail":
                    continue
                key = (str(target.get("namespace")), str(target.get("name")))
                if key not in services:
                    problems.append(f"{hook.get('name')}: Service {key[0]}/{key[1]} does not exist")
                elif ready.get(key, 0) == 0 and _has_selector(services[key]):
                    problems.append(
                        f"{hook.get('name')}: Service {key[0]}/{key[1]} has no ready endpoint"
                    )
            kind = config.get("kind", "webhook configuration")
            yield config, f"{kind} {name(config)}: {'; '.join(problems)}" if problems else None
