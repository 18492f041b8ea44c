"""The cluster.yaml schema: every site-specific value of the platform, typed and checked.

Unknown keys are rejected (`extra="forbid"`) and models are frozen. Cross-field rules (the
load-balancer pool inside the node network and clear of node IPs, an odd Vault quorum, one default
backup target...) are model validators whose messages name the field, the value and what would
be valid; `labctl.config.load` turns pydantic's errors into those messages.

Secrets never live here: a secret is a `SecretRef` naming a Kubernetes Secret the user creates
(docs/platform.md lists the `kubectl create secret` commands).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from labctl.config.cron import check_cron

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$"
IMAGE = r"^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$"
DURATION = r"^([0-9]+(h|m|s))+$"
QUANTITY = r"^[0-9]+(Ki|Mi|Gi|Ti)$"
# The oldest Kubernetes the pinned charts run on: NGINX Gateway Fabric 2.6.7 says
# `kubeVersion: >= 1.31.0-0`, and cert-manager v1.21.1's CRDs use `selectableFields` (1.30+).
# tests/platform/test_versions.py keeps this equal to the pins' floors (platform/component.py).
MIN_KUBERNETES = (1, 31)
MIN_KUBERNETES_REASON = (
    "nginx-gateway-fabric 2.6.7 requires >= 1.31 and cert-manager v1.21.1's CRDs use "
    "selectableFields (>= 1.30)"
)
# Where the tree's Garage answers S3 (components/garage.py deploys it there).
GARAGE_ENDPOINT = "http://garage.garage.svc.cluster.local:3900"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _image(value: str) -> str:
    if ":" not in value.rsplit("/", 1)[-1] and "@" not in value:
        raise ValueError(f"image {value!r} has no tag: pin one, e.g. {value}:1.2.3")
    if value.endswith(":latest"):
        raise ValueError(f"image {value!r} uses :latest: pin a version, e.g. :1.2.3")
    return value


Image = Annotated[str, Field(pattern=IMAGE), AfterValidator(_image)]
Cron = Annotated[str, AfterValidator(check_cron)]
Duration = Annotated[str, Field(pattern=DURATION, description="e.g. 720h, 90m")]
Quantity = Annotated[str, Field(pattern=QUANTITY, description="e.g. 10Gi")]
Name = Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]
Hostname = Annotated[str, Field(pattern=DNS_NAME, max_length=253)]


class SecretRef(_Model):
    """A key of a Kubernetes Secret that the user creates; never the secret itself."""

    name: Name
    key: str = Field(pattern=r"^[-._a-zA-Z0-9]+$")


class ClusterSettings(_Model):
    name: Name
    kubernetes_version: str = Field(pattern=r"^1\.(2[89]|3[0-9])\.[0-9]+$")
    control_plane_endpoint: str = Field(
        pattern=r"^[a-z0-9.-]+:[0-9]{2,5}$",
        description="host:port every node reaches the API at; a DNS name lets a second "
        "control plane join later",
    )
    node_network: ipaddress.IPv4Network
    pod_subnet: ipaddress.IPv4Network = ipaddress.IPv4Network("10.244.0.0/16")
    service_subnet: ipaddress.IPv4Network = ipaddress.IPv4Network("10.96.0.0/12")
    cni: Literal["calico", "none"] = Field(
        default="calico",
        description="calico: the tree installs Calico (bootstrap, then Argo CD); none: you "
        "install a CNI yourself, and NetworkPolicies are enforced only if it does",
    )

    @model_validator(mode="after")
    def _supported_version(self) -> ClusterSettings:
        major, minor, _ = (int(p) for p in self.kubernetes_version.split("."))
        if (major, minor) < MIN_KUBERNETES:
            floor = ".".join(str(p) for p in MIN_KUBERNETES)
            raise ValueError(
                f"cluster.kubernetes_version {self.kubernetes_version} is below {floor}, the "
                f"oldest the pinned charts support: {MIN_KUBERNETES_REASON}"
            )
        return self

    @model_validator(mode="after")
    def _disjoint_networks(self) -> ClusterSettings:
        nets = {
            "node_network": self.node_network,
            "pod_subnet": self.pod_subnet,
            "service_subnet": self.service_subnet,
        }
        names = list(nets)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if nets[a].overlaps(nets[b]):
                    raise ValueError(
                        f"cluster.{a} {nets[a]} overlaps cluster.{b} {nets[b]}; "
                        "the three networks must be disjoint"
                    )
        return self


class Node(_Model):
    name: Name
    ip: ipaddress.IPv4Address
    roles: list[Literal["control-plane", "worker"]] = Field(min_length=1)


class GitSource(_Model):
    repo_url: str = Field(pattern=r"^(https://|ssh://|git@)\S+$")
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]+$")
    path: str = Field(
        default="",
        pattern=r"^([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$",
        description="folder of the repository that holds the rendered tree ('' = its root)",
    )


class LoadBalancer(_Model):
    first: ipaddress.IPv4Address
    last: ipaddress.IPv4Address
    gateway_ip: ipaddress.IPv4Address
    dns_ip: ipaddress.IPv4Address

    @model_validator(mode="after")
    def _ordered_and_inside(self) -> LoadBalancer:
        if self.last < self.first:
            raise ValueError(f"load_balancer.last {self.last} is before first {self.first}")
        for name in ("gateway_ip", "dns_ip"):
            ip = getattr(self, name)
            if not self.first <= ip <= self.last:
                raise ValueError(
                    f"load_balancer.{name} {ip} is outside the pool {self.first}-{self.last}"
                )
        if self.gateway_ip == self.dns_ip:
            raise ValueError(f"load_balancer.gateway_ip and dns_ip are both {self.dns_ip}")
        return self

    def contains(self, ip: ipaddress.IPv4Address) -> bool:
        return self.first <= ip <= self.last


class Dns(_Model):
    forwarders: list[ipaddress.IPv4Address] = Field(min_length=1)
    admin_password: SecretRef
    storage_size: Quantity = "1Gi"


class Tls(_Model):
    acme_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    acme_server: Literal["production", "staging"] = "production"
    cloudflare_api_token: SecretRef


class Tunnel(_Model):
    enabled: bool = True
    token: SecretRef
    replicas: int = Field(default=2, ge=1, le=10)


class AwsCredentials(_Model):
    secret: Name
    access_key_id_key: str = "AWS_ACCESS_KEY_ID"
    secret_access_key_key: str = "AWS_SECRET_ACCESS_KEY"


class Vault(_Model):
    distribution: Literal["vault", "openbao"] = Field(
        default="vault",
        description="HashiCorp Vault's Helm chart, or OpenBao's (its open-source fork); "
        "labctl detects which one answers",
    )
    replicas: int = Field(default=3, ge=3, le=7)
    kms_key_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9:/_-]+$")
    kms_region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
    aws_credentials: AwsCredentials = Field(
        description="Secret (namespace vault) with an AWS access key allowed to use the KMS key"
    )
    configure_token: SecretRef = Field(
        description="Vault token the PostSync `vault configure` Job uses (in namespace vault)"
    )
    storage_size: Quantity = "10Gi"
    tls: bool = Field(
        default=True,
        description="TLS on Vault's listener (certificate from the platform CA); every client "
        "in the tree and labctl use the scheme that follows from it (vault_scheme())",
    )
    snapshot_schedule: Cron = Field(
        default="15 1 * * *",
        description="when the vault-snapshot CronJob writes a Raft snapshot to every backup target",
    )

    @model_validator(mode="after")
    def _odd_quorum(self) -> Vault:
        if self.replicas % 2 == 0:
            raise ValueError(
                f"vault.replicas {self.replicas} is even: Raft needs an odd number of voters "
                f"(use {self.replicas - 1} or {self.replicas + 1}); 2 voters tolerate no failure"
            )
        return self


class BackupTarget(_Model):
    name: Name
    deploy: Literal["garage", "external"] = Field(
        default="external",
        description="garage: the tree deploys the store (Garage, in-cluster); external: it "
        "exists outside the tree",
    )
    endpoint: str = Field(pattern=r"^https?://\S+$")
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._/-]*$")
    region: str = Field(min_length=1)
    credentials: SecretRef
    schedule: Cron = "0 2 * * *"
    ttl: Duration = "720h"
    default: bool = False
    path_style: bool = True

    @model_validator(mode="after")
    def _garage_endpoint(self) -> BackupTarget:
        if self.deploy == "garage" and self.endpoint != GARAGE_ENDPOINT:
            raise ValueError(
                f"backups.targets {self.name}: deploy garage serves S3 at {GARAGE_ENDPOINT}, "
                f"not {self.endpoint}"
            )
        return self


class Backups(_Model):
    namespaces: list[Name] = Field(min_length=1)
    targets: list[BackupTarget] = Field(min_length=1)
    garage_storage_size: Quantity = Field(
        default="100Gi", description="data volume of the in-cluster Garage (deploy: garage)"
    )

    @model_validator(mode="after")
    def _targets(self) -> Backups:
        names = [t.name for t in self.targets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"backups.targets: duplicate name {dupes[0]!r}")
        defaults = [t.name for t in self.targets if t.default]
        if len(defaults) != 1:
            raise ValueError(
                f"backups.targets: exactly one target needs default: true (found {len(defaults)}"
                f"{': ' + ', '.join(defaults) if defaults else ''})"
            )
        return self


class Alerting(_Model):
    discord_webhook: SecretRef
    heartbeat_url: SecretRef = Field(
        description="dead-man's switch (e.g. a healthchecks.io ping URL) that Alertmanager "
        "calls every minute with the always-firing Watchdog; Secret in namespace monitoring"
    )
    runbook_base_url: str = Field(pattern=r"^https?://\S+$")


class GrafanaAdmin(_Model):
    secret: Name = "grafana-admin"
    user_key: str = "admin-user"
    password_key: str = "admin-password"


class Monitoring(_Model):
    retention: Duration | Annotated[str, Field(pattern=r"^[0-9]+d$")] = "15d"
    prometheus_storage_size: Quantity = "50Gi"
    loki_retention: Duration = "168h"
    loki_storage_size: Quantity = "20Gi"
    grafana_admin: GrafanaAdmin = GrafanaAdmin()


class Autoscaling(_Model):
    min_replicas: int = Field(ge=1, le=100)
    max_replicas: int = Field(ge=1, le=100)
    cpu_target: int = Field(default=70, ge=1, le=100, description="average CPU utilization, %")
    memory_target: int = Field(default=80, ge=1, le=100, description="average memory, %")

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas {self.min_replicas} is above max_replicas {self.max_replicas}"
            )
        return self


class TaskAppDatabase(_Model):
    name: Name = "taskapp"
    storage_size: Quantity = "10Gi"
    admin_password: SecretRef = Field(
        description="PostgreSQL superuser password; Vault's database engine connects with it"
    )
    credentials_ttl: Duration = "1h"
    credentials_max_ttl: Duration = "24h"


class TaskApp(_Model):
    hosts: list[Hostname] = Field(min_length=1)
    identity_header: str | None = Field(
        default="Cf-Access-Authenticated-User-Email",
        pattern=r"^[A-Za-z0-9-]+$",
        description="header the edge (Cloudflare Access) sets to the signed-in user",
    )
    backend: Autoscaling = Autoscaling(min_replicas=2, max_replicas=10)
    frontend: Autoscaling = Autoscaling(min_replicas=2, max_replicas=8)
    database: TaskAppDatabase


class Images(_Model):
    labctl: Image = "ghcr.io/example/labctl:0.1.0"
    taskapp: Image = "ghcr.io/example/taskapp:0.1.0"
    taskapp_frontend: Image = "ghcr.io/example/taskapp-frontend:0.1.0"
    postgres: Image = "docker.io/library/postgres:17.6-alpine"
    cloudflared: Image = "docker.io/cloudflare/cloudflared:2025.11.1"
    technitium: Image = "docker.io/technitium/dns-server:14.0.1"
    velero_plugin_aws: Image = "docker.io/velero/velero-plugin-for-aws:v1.14.2"
    garage: Image = "docker.io/dxflrs/garage:v1.2.0"
    busybox: Image = Field(
        default="docker.io/library/busybox:1.37.0",
        description="Garage's init container (writes its config with the RPC secret)",
    )
    kubectl: Image = Field(
        default="registry.k8s.io/kubectl:v1.34.2",
        description="applies Calico's CRDs server-side during `labctl bootstrap`",
    )
    etcd: Image = Field(
        default="registry.k8s.io/etcd:3.5.15-0",
        description="etcdctl and etcdutl of the daily etcd snapshot (match the cluster's etcd)",
    )
    aws_cli: Image = Field(
        default="docker.io/amazon/aws-cli:2.32.0",
        description="uploads the etcd and Vault Raft snapshots (with their sha256) to the "
        "backup targets (S3)",
    )
    helm: Image = Field(
        default="docker.io/alpine/helm:3.19.0",
        description="runs the one-time Argo CD install Job of `labctl bootstrap`",
    )


class Storage(_Model):
    replicas: int = Field(default=3, ge=1, le=5)


class ClusterConfig(_Model):
    """The whole of cluster.yaml."""

    cluster: ClusterSettings
    nodes: list[Node] = Field(min_length=1)
    domain: Hostname
    git: GitSource
    load_balancer: LoadBalancer
    dns: Dns
    tls: Tls
    tunnel: Tunnel
    vault: Vault
    storage: Storage = Storage()
    backups: Backups
    alerting: Alerting
    monitoring: Monitoring = Monitoring()
    taskapp: TaskApp
    images: Images = Images()

    @model_validator(mode="after")
    def _nodes(self) -> ClusterConfig:
        names = [n.name for n in self.nodes]
        ips = [str(n.ip) for n in self.nodes]
        for label, values in (("name", names), ("ip", ips)):
            dupes = sorted({str(v) for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"nodes: duplicate {label} {dupes[0]}")
        if not any("control-plane" in n.roles for n in self.nodes):
            raise ValueError("nodes: no node has the role control-plane (one is required)")
        network = self.cluster.node_network
        for node in self.nodes:
            if node.ip not in network:
                raise ValueError(
                    f"nodes: {node.name} ip {node.ip} is outside cluster.node_network {network}"
                )
        return self

    @model_validator(mode="after")
    def _pool(self) -> ClusterConfig:
        pool, network = self.load_balancer, self.cluster.node_network
        for end in (pool.first, pool.last):
            if end not in network:
                raise ValueError(
                    f"load_balancer: {end} is outside cluster.node_network {network}; "
                    "MetalLB L2 answers ARP only for addresses on the nodes' network"
                )
        for node in self.nodes:
            if pool.contains(node.ip):
                raise ValueError(
                    f"load_balancer: pool {pool.first}-{pool.last} contains node "
                    f"{node.name}'s ip {node.ip}"
                )
        return self

    @model_validator(mode="after")
    def _hosts_under_domain(self) -> ClusterConfig:
        # The Gateway's HTTPS listener and its wildcard certificate cover *.<domain> only.
        for host in self.taskapp.hosts:
            label, _, parent = host.partition(".")
            if parent != self.domain:
                raise ValueError(
                    f"taskapp.hosts: {host} is not a name directly under domain {self.domain} "
                    f"(e.g. {label}.{self.domain}); the wildcard certificate covers *.{self.domain}"
                )
        return self

    @property
    def garage_targets(self) -> list[BackupTarget]:
        return [t for t in self.backups.targets if t.deploy == "garage"]

    @property
    def control_planes(self) -> list[Node]:
        return [n for n in self.nodes if "control-plane" in n.roles]

    def host(self, service: str) -> str:
        """The public hostname of a platform UI, e.g. grafana.example.com."""
        return f"{service}.{self.domain}"


def vault_scheme(config: ClusterConfig) -> Literal["https", "http"]:
    """The scheme every Vault client uses: the listener's TLS setting (`vault.tls`) decides."""
    return "https" if config.vault.tls else "http"
