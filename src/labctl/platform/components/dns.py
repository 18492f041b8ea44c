"""Technitium DNS, the internal resolver. It has no official Helm chart, so these are plain
manifests: a Deployment with its config on a Longhorn volume and a LoadBalancer Service on the
address from cluster.yaml. The admin password comes from a Secret.
"""

from __future__ import annotations

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import Component, Wave
from labctl.platform.components.longhorn import STORAGE_CLASS
from labctl.platform.objects import (
    Obj,
    http_probe,
    labels,
    meta,
    namespace,
    resources,
    restricted_container_security,
    restricted_pod_security,
    selector,
    service,
    service_account,
    tmp_mount,
)

NAMESPACE = "dns"
NAME = "technitium"
CONFIG_PVC = "technitium-config"
WEB_PORT = 5380
ADMIN_DIR = "/etc/technitium-admin"
UID = 10053


def _pvc(config: ClusterConfig) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(CONFIG_PVC, NAMESPACE, labels=labels(NAME, "dns")),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": STORAGE_CLASS,
            "resources": {"requests": {"storage": config.dns.storage_size}},
        },
    }


def _env(config: ClusterConfig) -> list[Obj]:
    password = config.dns.admin_password
    return [
        {"name": "DNS_SERVER_DOMAIN", "value": f"dns.{config.domain}"},
        {"name": "DNS_SERVER_FORWARDERS", "value": ",".join(str(f) for f in config.dns.forwarders)},
        {"name": "DNS_SERVER_RECURSION", "value": "AllowOnlyForPrivateNetworks"},
        {"name": "DNS_SERVER_ADMIN_PASSWORD_FILE", "value": f"{ADMIN_DIR}/{password.key}"},
    ]


def deployment(config: ClusterConfig) -> Obj:
    app = selector(NAME)
    pod_security = restricted_pod_security(UID)
    # Bind :53 without root or NET_BIND_SERVICE (a "safe" sysctl, allowed by `restricted`).
    pod_security["sysctls"] = [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "53"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(NAME, NAMESPACE, labels=labels(NAME, "dns")),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},  # one writer of the RWO config volume
            "selector": {"matchLabels": app},
            "template": {
                "metadata": {"labels": {**labels(NAME, "dns"), **app}},
                "spec": {
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security,
                    "containers": [
                        {
                            "name": NAME,
                            "image": config.images.technitium,
                            "imagePullPolicy": "IfNotPresent",
                            "env": _env(config),
                            "ports": [
                                {"name": "dns-udp", "containerPort": 53, "protocol": "UDP"},
                                {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                {"name": "web", "containerPort": WEB_PORT, "protocol": "TCP"},
                            ],
                            "livenessProbe": {
                                "tcpSocket": {"port": "dns-tcp"},
                                "periodSeconds": 10,
                                "failureThreshold": 3,
                                "initialDelaySeconds": 20,
                            },
                            "readinessProbe": http_probe("/", "web", period=10),
                            "resources": resources("100m", "256Mi", "1", "512Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [
                                {"name": "config", "mountPath": "/etc/dns"},
                                {"name": "admin", "mountPath": ADMIN_DIR, "readOnly": True},
                                tmp_mount(),
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "config", "persistentVolumeClaim": {"claimName": CONFIG_PVC}},
                        {
                            "name": "admin",
                            "secret": {
                                "secretName": config.dns.admin_password.name,
                                "items": [
                                    {
                                        "key": config.dns.admin_password.key,
                                        "path": config.dns.admin_password.key,
                                    }
                                ],
                            },
                        },
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                },
            },
        },
    }


def services(config: ClusterConfig) -> list[Obj]:
    app = selector(NAME)
    dns = service(
        NAME,
        NAMESPACE,
        app,
        [
            {"name": "dns-udp", "port": 53, "targetPort": "dns-udp", "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "targetPort": "dns-tcp", "protocol": "TCP"},
        ],
        type="LoadBalancer",
        externalTrafficPolicy="Local",
    )
    dns["metadata"]["annotations"] = {
        "metallb.io/loadBalancerIPs": str(config.load_balancer.dns_ip)
    }
    web = service(
        f"{NAME}-web",
        NAMESPACE,
        app,
        [{"name": "web", "port": WEB_PORT, "targetPort": "web", "protocol": "TCP"}],
    )
    return [dns, web]


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        internet_ports=(53, 443, 853),  # forwarders (plain, DoH, DoT) and blocklist downloads
        # Not "dns": every namespace's `allow-dns` is its egress to kube-dns.
        inbound=(netpol.Inbound("dns-queries", (53,), pods=selector(NAME), udp=True),),
    )
    return Component(
        name="dns",
        namespace=NAMESPACE,
        tier="network",
        wave=Wave.INGRESS,
        description="Technitium DNS (plain manifests: there is no official chart)",
        manifests=[
            namespace(NAMESPACE, "restricted"),
            service_account(NAME, NAMESPACE),
            _pvc(config),
            deployment(config),
            *services(config),
            *netpol.policies(NAMESPACE, traffic),
        ],
    )
