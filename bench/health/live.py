"""Live: `labctl health` against the runbook's sequential kubectl commands, same fake API.

The fake API server (tests/support/fake_kube.py) serves the homelab example snapshot with
`LATENCY` added to every request. The runbook script runs the seed's daily commands one after
another, as a person or `~/health-check.sh` would. `kubectl exec ... vault status` becomes
`kubectl get --raw` on Vault's sys/health through the pod proxy (the fake has no exec, and exec
would be slower still). kubectl's discovery cache is warmed first, in its own cache folder.

Fair to both sides, the fake's socket is set up as the Go API server's is: TCP_NODELAY (without
it a response's headers and body leave in two segments and the client's delayed ACK holds the
second for 40 ms: every request took ~45 ms instead of ~5.5 ms) and a listen backlog of
SOMAXCONN (socketserver's 5 dropped some of labctl's 8 parallel connects, which then waited
1 s for the SYN retry: 2 runs in 20). labctl runs with a bytecode cache, as an installed labctl
has (`_proc.bytecode_env`); the figure without one is printed too.

Target: labctl 10x faster. Run: `.venv/bin/python -m bench.health.live [PODS]` (PODS adds a
generated cluster of that many pods next to the homelab one).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from tests.cluster.homelab_fake import serve_homelab
from tests.support.fake_kube import FakeKube, Reply

from bench.health import synth
from bench.health._proc import best_of, bytecode_env, load, med, med_cpu, no_bytecode_env
from labctl.cluster.client import node_proxy_path

LABCTL = str(Path(sys.executable).parent / "labctl")
LATENCY = 0.005

RUNBOOK = """\
set -u
k() {{ kubectl --kubeconfig "{kubeconfig}" --cache-dir "{cache}" "$@"; }}
k get nodes
k get pods -A | grep -v Running | grep -v Completed
k get --raw /api/v1/namespaces/vault/pods/vault-0:8200/proxy/v1/sys/health
k get --raw /api/v1/namespaces/vault/pods/vault-1:8200/proxy/v1/sys/health
k get applications -n argocd
k get backups.velero.io -n velero
k get schedules -n velero
k get --raw /api/v1/namespaces/monitoring/services/alertmanager-operated:9093/proxy/api/v2/alerts
k get hpa -A
k get pdb -A
k get pvc -A
k get certificates -A
k get deployments,statefulsets,daemonsets -A
"""


def _add_synthetic(fake: FakeKube, pods: int) -> None:
    """A bigger cluster next to the homelab one: `pods` pods, pods/30 nodes, pods/10 PVCs."""
    resources, extras = synth.build(nodes=max(1, pods // 30), pods=pods, pvcs=max(3, pods // 10))
    for items in resources.values():
        fake.add(*items)
    for path, body in extras.items():
        if path.startswith("kubelet/"):
            node = path.split("/")[1]
            fake.route("GET", re.escape(node_proxy_path(node, "stats/summary")), Reply(body=body))


def main(times: int = 5, pods: int = 0) -> dict[str, float]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl is not installed")
    with FakeKube(git_version="v1.28.15") as fake, tempfile.TemporaryDirectory() as tmp:
        serve_homelab(fake)
        if pods:
            _add_synthetic(fake, pods)
        fake.latency = LATENCY
        kubeconfig = fake.kubeconfig(Path(tmp) / "kubeconfig")
        script = Path(tmp) / "runbook.sh"
        script.write_text(RUNBOOK.format(kubeconfig=kubeconfig, cache=Path(tmp) / "cache"))
        env = {**os.environ, "PATH": f"{Path(kubectl).parent}:{os.environ['PATH']}"}
        shell = ["bash", str(script)]
        labctl = [LABCTL, "health", "--kubeconfig", str(kubeconfig), "-o", "json"]
        one_call = [kubectl, "--kubeconfig", str(kubeconfig), "--cache-dir", f"{tmp}/cache"]
        one_call += ["get", "nodes"]
        python = bytecode_env(Path(tmp) / "pycache")
        best_of(shell, 1, env)  # warm kubectl's discovery cache
        best_of(labctl, 1, python)  # write the bytecode cache
        before = len(fake.requests)
        labctl_runs = best_of(labctl, times, python)
        labctl_requests = (len(fake.requests) - before) // times
        before = len(fake.requests)
        shell_runs = best_of(shell, times, env)
        shell_requests = (len(fake.requests) - before) // times
        kubectl_runs = best_of(one_call, times, env)
        uncached_runs = best_of(labctl, times, no_bytecode_env())
        in_process = _in_process(kubeconfig, times)
    ours, theirs = med(labctl_runs), med(shell_runs)
    size = f"homelab + {pods} generated pods" if pods else "the homelab example"
    print(f"live against the fake API, {size} ({LATENCY * 1000:.0f} ms per request; {load()}):")
    print(
        f"  labctl health            median {ours:.2f} s of {times}, "
        f"{labctl_requests} requests, exit {labctl_runs[0].returncode}"
    )
    print(f"  runbook kubectl script   median {theirs:.2f} s of {times}, {shell_requests} requests")
    print(f"  labctl is {theirs / ours:.1f}x faster (target 10x)")
    print(
        f"  one `kubectl get nodes`: median {med(kubectl_runs):.3f} s wall, "
        f"{med_cpu(kubectl_runs):.3f} s CPU; labctl without a bytecode cache: "
        f"{med(uncached_runs):.2f} s wall, {med_cpu(uncached_runs):.2f} s CPU"
    )
    cpu_ours, cpu_theirs = med_cpu(labctl_runs), med_cpu(shell_runs)
    print(
        f"  CPU time (user+sys): labctl {cpu_ours:.2f} s, script {cpu_theirs:.2f} s "
        f"({cpu_theirs / cpu_ours:.1f}x)"
    )
    print(
        f"  of which collection + checks (imports already loaded): median {in_process:.2f} s, "
        f"{theirs / in_process:.1f}x faster than the script; the rest is interpreter start-up "
        "and imports"
    )
    return {
        "labctl": ours,
        "runbook": theirs,
        "ratio": theirs / ours,
        "work": in_process,
        "cpu_ratio": cpu_theirs / cpu_ours,
    }


def _in_process(kubeconfig: Path, times: int) -> float:
    """collect() + run_checks() with a new client each time, modules already imported."""
    from labctl.checks import run_checks
    from labctl.cluster.client import ClusterTarget
    from labctl.cluster.collect import collect

    durations = []
    for _ in range(times + 1):
        start = time.perf_counter()
        run_checks(collect(ClusterTarget(kubeconfig=kubeconfig)))
        durations.append(time.perf_counter() - start)
    return median(durations[1:])


if __name__ == "__main__":
    main(pods=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
