"""The commands a person runs on a node for one minor step (labctl cannot run them).

They follow the kubeadm upgrade guide (kubernetes.io/docs/tasks/administer-cluster/kubeadm/
kubeadm-upgrade/) with the community package repositories at pkgs.k8s.io, which hold one
repository per minor version: the node's repository line moves to the new minor first. `x` is
the newest patch release the repository lists (`apt-cache madison kubeadm`).
"""

from __future__ import annotations

from labctl.kubeversion import Version

FIRST_CONTROL_PLANE = "control plane (first)"
CONTROL_PLANE = "control plane"
WORKER = "worker"

_RPM_OS = ("red hat", "rhel", "rocky", "alma", "centos", "fedora", "oracle linux")


def node_commands(role: str, source: Version, target: Version, os_image: str = "") -> list[str]:
    """Shell lines, in order, for moving one node from `source`'s minor to `target`'s."""
    old, new = f"v{source.minor_name}", f"v{target.minor_name}"
    patch = f"{target.minor_name}.x"
    if any(name in os_image.lower() for name in _RPM_OS):
        repo = [
            f"sudo sed -i 's|/{old}/|/{new}/|g' /etc/yum.repos.d/kubernetes.repo",
            "sudo dnf list --showduplicates kubeadm --disableexcludes=kubernetes "
            f"| grep {patch[:-1]}",
        ]
        install_kubeadm = f"sudo dnf install -y 'kubeadm-{patch}-*' --disableexcludes=kubernetes"
        install_kubelet = (
            f"sudo dnf install -y 'kubelet-{patch}-*' 'kubectl-{patch}-*' "
            "--disableexcludes=kubernetes"
        )
    else:
        repo = [
            f"sudo sed -i 's|/{old}/|/{new}/|' /etc/apt/sources.list.d/kubernetes.list",
            f"sudo apt-get update && apt-cache madison kubeadm | grep ' {patch[:-1]}'",
        ]
        install_kubeadm = (
            f"sudo apt-mark unhold kubeadm && sudo apt-get install -y kubeadm='{patch}-*' "
            "&& sudo apt-mark hold kubeadm"
        )
        install_kubelet = (
            f"sudo apt-mark unhold kubelet kubectl && sudo apt-get install -y "
            f"kubelet='{patch}-*' kubectl='{patch}-*' && sudo apt-mark hold kubelet kubectl"
        )
    if role == FIRST_CONTROL_PLANE:
        kubeadm = [
            "kubeadm version -o short",
            f"sudo kubeadm upgrade plan v{patch}",
            f"sudo kubeadm upgrade apply v{patch}",
        ]
    else:
        kubeadm = ["kubeadm version -o short", "sudo kubeadm upgrade node"]
    return [
        *repo,
        install_kubeadm,
        *kubeadm,
        install_kubelet,
        "sudo systemctl daemon-reload && sudo systemctl restart kubelet",
    ]
