"""kubeadm configuration for the nodes: one init file for the first control plane and one join
file per further node. `controlPlaneEndpoint` is a stable name, so a second control plane can
join later (the seed's single control plane pinned its own IP).

Join secrets (bootstrap token, CA hash, certificate key) are short-lived and never rendered:
the join files hold placeholders that `kubeadm token create --print-join-command` fills in.
These files are for `kubeadm --config`; Argo CD does not sync them.
"""

from __future__ import annotations

from labctl.config.cluster import ClusterConfig, Node
from labctl.platform.objects import Obj

TOKEN_PLACEHOLDER = "<from: kubeadm token create>"
HASH_PLACEHOLDER = "<from: kubeadm token create --print-join-command>"
CERT_KEY_PLACEHOLDER = "<from: kubeadm init phase upload-certs --upload-certs>"


def api_version(config: ClusterConfig) -> str:
    minor = int(config.cluster.kubernetes_version.split(".")[1])
    return "kubeadm.k8s.io/v1beta4" if minor >= 31 else "kubeadm.k8s.io/v1beta3"


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
                )
            },
        },
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "cgroupDriver": "systemd",
            "serverTLSBootstrap": True,
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
    out = {"kubeadm/init.yaml": init(config)}
    for node in config.nodes:
        if node is not first:
            out[f"kubeadm/join-{node.name}.yaml"] = [join(config, node)]
    return out
