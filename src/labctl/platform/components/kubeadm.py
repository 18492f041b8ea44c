"""kubeadm configuration for the nodes: one init file for the first control plane and one join
file per further node. `controlPlaneEndpoint` is a stable name, so a second control plane can
join later (the seed's single control plane pinned its own IP).

Join secrets (bootstrap token, CA hash, certificate key) are short-lived and never rendered:
the join files hold placeholders that `kubeadm token create --print-join-command` fills in.
These files are for `kubeadm --config`; Argo CD does not sync them.

Metrics: kubeadm binds the controller manager, the scheduler, etcd's metrics and kube-proxy's
metrics to 127.0.0.1, where kube-prometheus-stack cannot scrape them (its four "Down" alerts
would fire from day one). They listen on all addresses here: the controller manager and the
scheduler serve HTTPS with authentication and authorization; etcd's metrics URL (2381) and
kube-proxy's (10249) serve read-only metrics only, never the etcd API. Keep them off the
internet with the nodes' firewall.

Secrets at rest: the API server encrypts Secrets with the key in
`/etc/kubernetes/encryption/config.yaml` (`encryption-config.yaml` here, with a placeholder the
operator replaces with 32 random bytes, base64, before `kubeadm init`; the key is never
rendered).
"""

from __future__ import annotations

from labctl.config.cluster import ClusterConfig, Node
from labctl.platform.objects import Obj

ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 - metrics endpoints scraped from the pod network
TOKEN_PLACEHOLDER = "<from: kubeadm token create>"
HASH_PLACEHOLDER = "<from: kubeadm token create --print-join-command>"
CERT_KEY_PLACEHOLDER = "<from: kubeadm init phase upload-certs --upload-certs>"
ENCRYPTION_KEY_PLACEHOLDER = "<from: head -c 32 /dev/urandom | base64>"
ENCRYPTION_DIR = "/etc/kubernetes/encryption"
ENCRYPTION_FILE = f"{ENCRYPTION_DIR}/config.yaml"


def api_version(config: ClusterConfig) -> str:
    # v1beta4 from kubeadm 1.31, the oldest version the config accepts (MIN_KUBERNETES).
    return "kubeadm.k8s.io/v1beta4"


def _args(**values: str) -> list[Obj]:
    """v1beta4's extraArgs: a list of name/value pairs."""
    return [{"name": k.replace("_", "-"), "value": v} for k, v in values.items()]


def encryption_config() -> Obj:
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {
                "resources": ["secrets"],
                "providers": [
                    {
                        "secretbox": {
                            "keys": [{"name": "key1", "secret": ENCRYPTION_KEY_PLACEHOLDER}]
                        }
                    },
                    {"identity": {}},  # reads Secrets written before encryption was on
                ],
            }
        ],
    }


def _registration(node: Node) -> Obj:
    reg: Obj = {"name": node.name, "criSocket": "unix:///run/containerd/containerd.sock"}
    if "control-plane" in node.roles and "worker" not in node.roles:
        reg["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    return reg


def init(config: ClusterConfig) -> list[Obj]:
    first = config.control_planes[0]
    version = api_version(config)
    return [
        {
            "apiVersion": version,
            "kind": "InitConfiguration",
            "localAPIEndpoint": {"advertiseAddress": str(first.ip), "bindPort": 6443},
            "nodeRegistration": _registration(first),
        },
        {
            "apiVersion": version,
            "kind": "ClusterConfiguration",
            "clusterName": config.cluster.name,
            "kubernetesVersion": f"v{config.cluster.kubernetes_version}",
            "controlPlaneEndpoint": config.cluster.control_plane_endpoint,
            "networking": {
                "podSubnet": str(config.cluster.pod_subnet),
                "serviceSubnet": str(config.cluster.service_subnet),
                "dnsDomain": "cluster.local",
            },
            "apiServer": {
                "certSANs": sorted(
                    {config.cluster.control_plane_endpoint.rsplit(":", 1)[0]}
                    | {str(n.ip) for n in config.control_planes}
                ),
                "extraArgs": _args(encryption_provider_config=ENCRYPTION_FILE),
                "extraVolumes": [
                    {
                        "name": "encryption-config",
                        "hostPath": ENCRYPTION_DIR,
                        "mountPath": ENCRYPTION_DIR,
                        "readOnly": True,
                        "pathType": "DirectoryOrCreate",
                    }
                ],
            },
            "controllerManager": {"extraArgs": _args(bind_address=ALL_ADDRESSES)},
            "scheduler": {"extraArgs": _args(bind_address=ALL_ADDRESSES)},
            "etcd": {
                "local": {"extraArgs": _args(listen_metrics_urls=f"http://{ALL_ADDRESSES}:2381")}
            },
        },
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "cgroupDriver": "systemd",
            # Serving certificates signed by the cluster CA; kubelet-csr-approver approves them.
            "serverTLSBootstrap": True,
        },
        {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "metricsBindAddress": f"{ALL_ADDRESSES}:10249",
        },
    ]


def join(config: ClusterConfig, node: Node) -> Obj:
    out: Obj = {
        "apiVersion": api_version(config),
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": config.cluster.control_plane_endpoint,
                "token": TOKEN_PLACEHOLDER,
                "caCertHashes": [HASH_PLACEHOLDER],
            }
        },
        "nodeRegistration": _registration(node),
    }
    if "control-plane" in node.roles:
        out["controlPlane"] = {
            "localAPIEndpoint": {"advertiseAddress": str(node.ip), "bindPort": 6443},
            "certificateKey": CERT_KEY_PLACEHOLDER,
        }
    return out


def files(config: ClusterConfig) -> dict[str, list[Obj]]:
    first = config.control_planes[0]
    out = {
        "kubeadm/init.yaml": init(config),
        "kubeadm/encryption-config.yaml": [encryption_config()],
    }
    for node in config.nodes:
        if node is not first:
            out[f"kubeadm/join-{node.name}.yaml"] = [join(config, node)]
    return out
