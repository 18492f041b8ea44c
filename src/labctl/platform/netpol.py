"""NetworkPolicies: default deny in every namespace we create, then explicit allows.

Each namespace gets `default-deny` (all ingress and egress) plus the allows it declares with a
`Traffic` value: DNS and same-namespace traffic always, and per namespace the API server, ports
open to other namespaces (webhooks, scraping, the gateway) and egress to the internet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labctl.platform.objects import Obj, labels, meta

NS_LABEL = "kubernetes.io/metadata.name"
API_SERVER_PORTS = (443, 6443)


@dataclass(frozen=True)
class Inbound:
    """Ingress to pods (selected by `pods`, all when empty) on `ports` from `namespaces`.

    No namespaces means from anywhere, which is what admission webhooks need: the API server
    calls them from the host network, which no namespace selector matches. No ports means all.
    """

    name: str
    ports: tuple[int, ...]
    namespaces: tuple[str, ...] = ()
    pods: dict[str, str] = field(default_factory=dict)
    udp: bool = False  # the same ports over UDP too (DNS)


@dataclass(frozen=True)
class Traffic:
    same_namespace: bool = True
    api_server: bool = False
    inbound: tuple[Inbound, ...] = ()
    internet_ports: tuple[int, ...] = ()
    egress_to: tuple[tuple[str, int], ...] = ()  # (namespace, port) pairs
    egress_cidrs: tuple[str, ...] = ()  # any port, e.g. the node network


def policy(name: str, ns: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, ns, labels=labels(name, "network-policy")),
        "spec": spec,
    }


def _ports(ports: tuple[int, ...], protocol: str = "TCP") -> list[Obj]:
    return [{"protocol": protocol, "port": p} for p in ports]


def _internet_ports(ports: tuple[int, ...]) -> list[Obj]:
    # DNS answers over UDP first; everything else we open is TCP.
    return _ports(ports) + (_ports((53,), "UDP") if 53 in ports else [])


def _dns(ns: str) -> Obj:
    return policy(
        "allow-dns",
        ns,
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            **_from_namespace("kube-system"),
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": _ports((53,), "UDP") + _ports((53,)),
                }
            ],
        },
    )


def _from_namespace(ns: str) -> Obj:
    return {"namespaceSelector": {"matchLabels": {NS_LABEL: ns}}}


def policies(ns: str, traffic: Traffic) -> list[Obj]:
    out = [
        policy("default-deny", ns, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _dns(ns),
    ]
    if traffic.same_namespace:
        out.append(
            policy(
                "allow-same-namespace",
                ns,
                {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [{"podSelector": {}}]}],
                    "egress": [{"to": [{"podSelector": {}}]}],
                },
            )
        )
    if traffic.api_server:
        out.append(
            policy(
                "allow-api-server",
                ns,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": _ports(API_SERVER_PORTS)}],
                },
            )
        )
    out += [_inbound(ns, rule) for rule in traffic.inbound]
    if traffic.internet_ports:
        out.append(
            policy(
                "allow-internet-egress",
                ns,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                            "ports": _internet_ports(traffic.internet_ports),
                        }
                    ],
                },
            )
        )
    if traffic.egress_cidrs:
        out.append(
            policy(
                "allow-egress-node-network",
                ns,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in traffic.egress_cidrs]}],
                },
            )
        )
    for target, port in traffic.egress_to:
        out.append(
            policy(
                f"allow-egress-{target}-{port}",
                ns,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [_from_namespace(target)], "ports": _ports((port,))}],
                },
            )
        )
    return out


def _inbound(ns: str, rule: Inbound) -> Obj:
    ports = _ports(rule.ports) + (_ports(rule.ports, "UDP") if rule.udp else [])
    ingress: Obj = {"ports": ports} if rule.ports else {}
    if rule.namespaces:
        ingress["from"] = [_from_namespace(n) for n in rule.namespaces]
    return policy(
        f"allow-{rule.name}",
        ns,
        {
            "podSelector": {"matchLabels": rule.pods} if rule.pods else {},
            "policyTypes": ["Ingress"],
            "ingress": [ingress],
        },
    )
