"""promtool unit tests for every alert in alerts.py.

Each alert gets at least one case where it fires (with its exact labels and annotations) and
cases where it stays quiet: below the threshold, and above it for less than its `for`.
`promtool_tests(params, rule_files)` returns the test file as data; `labctl validate` writes it
next to the rule files it extracts from the rendered PrometheusRules and runs
`promtool test rules`.
"""

from __future__ import annotations

from typing import Any

from labctl.platform.components.alerts import AlertParams

Labels = dict[str, str]

_KSM = {"job": "kube-state-metrics"}


def _series(metric: str, labels: Labels, values: str) -> dict[str, str]:
    inner = ", ".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return {"series": f"{metric}{{{inner}}}", "values": values}


class _Expect:
    """Builds expected alerts with the annotations the rules must render."""

    def __init__(self, params: AlertParams) -> None:
        self._base = params.runbook_base_url

    def alert(
        self, name: str, severity: str, labels: Labels, summary: str, description: str
    ) -> dict[str, Any]:
        return {
            "exp_labels": {**labels, "severity": severity},
            "exp_annotations": {
                "summary": summary,
                "description": description,
                "runbook_url": f"{self._base}#{name.lower()}",
            },
        }


def _check(eval_time: str, alertname: str, *expected: dict[str, Any]) -> dict[str, Any]:
    return {"eval_time": eval_time, "alertname": alertname, "exp_alerts": list(expected)}


def _case(name: str, series: list[dict[str, str]], checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "interval": "1m", "input_series": series, "alert_rule_test": checks}


def _hpa(name: str, current: str, maximum: str, minimum: str = "2x60") -> list[dict[str, str]]:
    labels = {**_KSM, "namespace": "taskapp", "horizontalpodautoscaler": name}
    return [
        _series("kube_horizontalpodautoscaler_status_current_replicas", labels, current),
        _series("kube_horizontalpodautoscaler_spec_max_replicas", labels, maximum),
        _series("kube_horizontalpodautoscaler_spec_min_replicas", labels, minimum),
    ]


def _scaling(x: _Expect) -> list[dict[str, Any]]:
    backend = {**_KSM, "namespace": "taskapp", "horizontalpodautoscaler": "backend"}
    # Matching `on (namespace, horizontalpodautoscaler)` keeps only those labels.
    hpa = {"namespace": "taskapp", "horizontalpodautoscaler": "backend"}
    at_max = x.alert(
        "HPAAtMaxReplicas",
        "warning",
        hpa,
        "HPA taskapp/backend has been at its maximum replicas for 15 minutes.",
        "HPA taskapp/backend runs 10 replicas, its maximum: it cannot add capacity if load "
        "grows further.",
    )
    near_max = x.alert(
        "HPANearMaxReplicas",
        "warning",
        hpa,
        "HPA taskapp/backend has been above 80% of its maximum replicas for 10 minutes.",
        "HPA taskapp/backend runs at 90% of its maximum replicas.",
    )
    condition = {**backend, "condition": "ScalingActive", "status": "false"}
    disabled = x.alert(
        "HPAScalingDisabled",
        "warning",
        condition,
        "HPA taskapp/backend cannot scale: its metrics are unavailable.",
        "HPA taskapp/backend has reported ScalingActive=False for 5 minutes; usually "
        "metrics-server is missing or unhealthy, or the pods have no resource requests.",
    )
    flapping = x.alert(
        "HPAFrequentScaling",
        "warning",
        backend,
        "HPA taskapp/backend changed its desired replicas more than 5 times in 10 minutes.",
        "HPA taskapp/backend changed its desired replicas 10 times in 10 minutes: it is flapping.",
    )
    desired = "kube_horizontalpodautoscaler_status_desired_replicas"
    frontend = {**backend, "horizontalpodautoscaler": "frontend"}
    return [
        _case(
            "HPAAtMaxReplicas: at max for 15m fires; below max or a fixed size stays quiet",
            [
                *_hpa("backend", "10x60", "10x60"),
                *_hpa("frontend", "7x60", "8x60"),  # near, not at max
                *_hpa("postgres", "1x60", "1x60", "1x60"),  # min == max: fixed on purpose
            ],
            [
                _check("14m", "HPAAtMaxReplicas"),  # shorter than `for`
                _check("20m", "HPAAtMaxReplicas", at_max),
            ],
        ),
        _case(
            "HPANearMaxReplicas: above 80% of max for 10m fires; 75% stays quiet",
            [*_hpa("backend", "9x60", "10x60"), *_hpa("frontend", "6x60", "8x60")],
            [_check("9m", "HPANearMaxReplicas"), _check("15m", "HPANearMaxReplicas", near_max)],
        ),
        _case(
            "HPAScalingDisabled: ScalingActive=False for 5m fires; True stays quiet",
            [
                _series("kube_horizontalpodautoscaler_status_condition", condition, "1x30"),
                _series(
                    "kube_horizontalpodautoscaler_status_condition",
                    {**condition, "horizontalpodautoscaler": "frontend"},
                    "0x30",
                ),
                _series(
                    "kube_horizontalpodautoscaler_status_condition",
                    {**condition, "horizontalpodautoscaler": "frontend", "status": "true"},
                    "1x30",
                ),
            ],
            [_check("4m", "HPAScalingDisabled"), _check("10m", "HPAScalingDisabled", disabled)],
        ),
        _case(
            "HPAFrequentScaling: 10 changes in 10m fires; 2 changes stay quiet",
            [
                _series(desired, backend, "2 3 2 3 2 3 2 3 2 3 2 2"),
                _series(desired, frontend, "2 3 3 3 3 3 4 4 4 4 4 4"),
            ],
            [_check("10m", "HPAFrequentScaling", flapping)],
        ),
        _case(
            "HPAFrequentScaling: 5 changes in 10m (not more than 5) stay quiet",
            [_series(desired, backend, "2 3 2 3 2 3 3 3 3 3 3 3")],
            [_check("10m", "HPAFrequentScaling")],
        ),
    ]


def _nodes(x: _Expect) -> list[dict[str, Any]]:
    exporter = {"job": "node-exporter"}
    busy = {**exporter, "instance": "192.0.2.11:9100"}
    calm = {**exporter, "instance": "192.0.2.12:9100"}
    uname = [
        _series("node_uname_info", {**busy, "nodename": "k8s-worker01"}, "1x60"),
        _series("node_uname_info", {**calm, "nodename": "k8s-worker02"}, "1x60"),
    ]
    node = {"instance": "192.0.2.11:9100", "nodename": "k8s-worker01", "node": "k8s-worker01"}
    cpu = x.alert(
        "NodeCPUNearCapacity",
        "warning",
        node,
        "Node k8s-worker01 CPU has been above 75% for 30 minutes.",
        "Node k8s-worker01 CPU is 80% busy.",
    )
    memory = x.alert(
        "NodeMemoryNearCapacity",
        "warning",
        {**node, **exporter},
        "Node k8s-worker01 memory has been above 75% for 30 minutes.",
        "Node k8s-worker01 uses 80% of its memory.",
    )
    idle = "node_cpu_seconds_total"
    return [
        _case(
            "NodeCPUNearCapacity: 80% busy for 30m fires; 50% stays quiet",
            [
                # 12 idle seconds per minute per CPU: 80% busy.
                _series(idle, {**busy, "cpu": "0", "mode": "idle"}, "0+12x60"),
                _series(idle, {**busy, "cpu": "1", "mode": "idle"}, "0+12x60"),
                _series(idle, {**calm, "cpu": "0", "mode": "idle"}, "0+30x60"),
                *uname,
            ],
            [_check("25m", "NodeCPUNearCapacity"), _check("40m", "NodeCPUNearCapacity", cpu)],
        ),
        _case(
            "NodeMemoryNearCapacity: 80% used for 30m fires; 50% stays quiet",
            [
                _series("node_memory_MemAvailable_bytes", busy, "2000000000x60"),
                _series("node_memory_MemTotal_bytes", busy, "10000000000x60"),
                _series("node_memory_MemAvailable_bytes", calm, "5000000000x60"),
                _series("node_memory_MemTotal_bytes", calm, "10000000000x60"),
                *uname,
            ],
            [
                _check("29m", "NodeMemoryNearCapacity"),
                _check("35m", "NodeMemoryNearCapacity", memory),
            ],
        ),
        _case(
            "NodeDown: NotReady for 5m fires; Ready stays quiet",
            [
                _series(
                    "kube_node_status_condition",
                    {**_KSM, "node": "k8s-worker03", "condition": "Ready", "status": "true"},
                    "0x20",
                ),
                _series(
                    "kube_node_status_condition",
                    {**_KSM, "node": "k8s-worker04", "condition": "Ready", "status": "true"},
                    "1x20",
                ),
            ],
            [
                _check("4m", "NodeDown"),
                _check(
                    "10m",
                    "NodeDown",
                    x.alert(
                        "NodeDown",
                        "critical",
                        {**_KSM, "node": "k8s-worker03", "condition": "Ready", "status": "true"},
                        "Node k8s-worker03 has not been Ready for 5 minutes.",
                        "Node k8s-worker03 is NotReady or unreachable; its pods are being "
                        "evicted. Per-node warnings for it are inhibited while this fires.",
                    ),
                ),
            ],
        ),
    ]


def _storage_and_quota(x: _Expect) -> list[dict[str, Any]]:
    kubelet = {"job": "kubelet", "namespace": "taskapp"}
    full = {**kubelet, "persistentvolumeclaim": "data-postgres-0"}
    empty = {**kubelet, "persistentvolumeclaim": "uploads"}
    quota = {**_KSM, "namespace": "taskapp", "resourcequota": "compute"}
    cpu_quota = {**quota, "resource": "requests.cpu"}
    pods_quota = {**quota, "resource": "pods"}
    return [
        _case(
            "PVCNearCapacity: 80% full for 15m fires; 50% stays quiet",
            [
                _series("kubelet_volume_stats_used_bytes", full, "80x30"),
                _series("kubelet_volume_stats_capacity_bytes", full, "100x30"),
                _series("kubelet_volume_stats_used_bytes", empty, "50x30"),
                _series("kubelet_volume_stats_capacity_bytes", empty, "100x30"),
            ],
            [
                _check("14m", "PVCNearCapacity"),
                _check(
                    "20m",
                    "PVCNearCapacity",
                    x.alert(
                        "PVCNearCapacity",
                        "warning",
                        full,
                        "PVC taskapp/data-postgres-0 is more than 75% full.",
                        "PVC taskapp/data-postgres-0 is 80% full.",
                    ),
                ),
            ],
        ),
        _case(
            "NamespaceQuotaNearLimit: 90% of a quota for 15m fires; 50% stays quiet",
            [
                _series("kube_resourcequota", {**cpu_quota, "type": "used"}, "9x30"),
                _series("kube_resourcequota", {**cpu_quota, "type": "hard"}, "10x30"),
                _series("kube_resourcequota", {**pods_quota, "type": "used"}, "5x30"),
                _series("kube_resourcequota", {**pods_quota, "type": "hard"}, "10x30"),
            ],
            [
                _check("14m", "NamespaceQuotaNearLimit"),
                _check(
                    "20m",
                    "NamespaceQuotaNearLimit",
                    x.alert(
                        "NamespaceQuotaNearLimit",
                        "warning",
                        cpu_quota,
                        "Namespace taskapp uses more than 80% of its requests.cpu quota.",
                        "ResourceQuota taskapp/compute is at 90% for requests.cpu.",
                    ),
                ),
            ],
        ),
    ]


def _requests(resource: str, unit: int, pods: dict[str, tuple[int, str]]) -> list[dict[str, str]]:
    """Pod requests (in `unit`s) and phases, on two nodes of 4 units each."""
    series = [
        _series(
            "kube_node_status_allocatable",
            {**_KSM, "node": node, "resource": resource},
            f"{4 * unit}x30",
        )
        for node in ("k8s-worker01", "k8s-worker02")
    ]
    for pod, (request, phase) in pods.items():
        labels = {**_KSM, "namespace": "taskapp", "pod": pod}
        series.append(
            _series(
                "kube_pod_container_resource_requests",
                {**labels, "container": "app", "resource": resource},
                f"{request * unit}x30",
            )
        )
        series.append(_series("kube_pod_status_phase", {**labels, "phase": phase}, "1x30"))
    return series


def _overcommit(x: _Expect) -> list[dict[str, Any]]:
    cases = []
    for title, resource, unit in (("CPU", "cpu", 1), ("Memory", "memory", 2**30)):
        name = f"Cluster{title}Overcommit"
        fires = x.alert(
            name,
            "warning",
            {},
            f"Pods request more than 80% of the cluster's allocatable {resource}.",
            f"Pod {resource} requests are 87.5% of the nodes' allocatable; new pods may not "
            "schedule and a node drain may not fit.",
        )
        busy = {"a": (4, "Running"), "b": (3, "Pending"), "done": (4, "Succeeded")}
        calm = {"a": (4, "Running"), "b": (2, "Running"), "done": (4, "Failed")}
        cases += [
            _case(
                f"{name}: 7 of 8 requested for 10m fires (finished pods do not count)",
                _requests(resource, unit, busy),
                [_check("9m", name), _check("15m", name, fires)],
            ),
            _case(
                f"{name}: 6 of 8 requested stays quiet",
                _requests(resource, unit, calm),
                [_check("15m", name)],
            ),
        ]
    return cases


def _backups(x: _Expect, params: AlertParams) -> list[dict[str, Any]]:
    velero = {"job": "velero", "namespace": "velero"}
    local = {**velero, "schedule": "daily-local"}
    offsite = {**velero, "schedule": "daily-offsite"}
    weekly = {**velero, "schedule": "weekly-archive"}
    hours = params.backup_max_age_hours
    # Timestamps before the test's t=0 stand for old backups, so the test need not run for days:
    # at t=20m the local schedule's last success is hours+1h20m old, the weekly one's
    # 2*hours+1h20m; the off-site one succeeds every minute.
    stamp = "velero_backup_last_successful_timestamp"
    series = [
        _series(stamp, local, f"{-(hours + 1) * 3600}x30"),
        _series(stamp, weekly, f"{-(2 * hours + 1) * 3600}x30"),
        _series(stamp, offsite, "0+60x30"),
    ]

    def too_old(labels: Labels, severity: str, limit: int, age_seconds: int) -> dict[str, Any]:
        schedule = labels["schedule"]
        return x.alert(
            "VeleroBackupTooOld",
            severity,
            labels,
            f"Schedule {schedule} has no successful backup in {limit} hours.",
            f"The last successful backup of schedule {schedule} finished "
            f"{_duration(age_seconds)} ago.",
        )

    at = 20 * 60
    local_age, weekly_age = (hours + 1) * 3600 + at, (2 * hours + 1) * 3600 + at
    return [
        _case(
            "VeleroBackupFailed: last status 0 for 15m fires; 1 stays quiet",
            [
                _series("velero_backup_last_status", local, "0x30"),
                _series("velero_backup_last_status", offsite, "1x30"),
            ],
            [
                _check("10m", "VeleroBackupFailed"),
                _check(
                    "20m",
                    "VeleroBackupFailed",
                    x.alert(
                        "VeleroBackupFailed",
                        "warning",
                        local,
                        "The last Velero backup of schedule daily-local did not succeed.",
                        "The newest backup of schedule daily-local failed or partially failed; "
                        "this backup location holds an older copy only.",
                    ),
                ),
            ],
        ),
        _case(
            "VeleroBackupTooOld: warning after the limit, critical after twice the limit",
            series,
            [
                _check("5m", "VeleroBackupTooOld"),  # shorter than `for`
                _check(
                    "20m",
                    "VeleroBackupTooOld",
                    too_old(local, "warning", hours, local_age),
                    too_old(weekly, "warning", hours, weekly_age),
                    too_old(weekly, "critical", 2 * hours, weekly_age),
                ),
            ],
        ),
    ]


def _duration(seconds: int) -> str:
    """Prometheus's humanizeDuration for whole minutes of at least one hour."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{hours}h {minutes}m 0s"
    return f"{days}d {text}" if days else text


def _vault(x: _Expect, params: AlertParams) -> list[dict[str, Any]]:
    ns = params.vault_namespace

    def ready(pod: str, values: str) -> dict[str, str]:
        labels = {**_KSM, "namespace": ns, "pod": pod, "container": "vault", "uid": pod}
        return _series("kube_pod_container_status_ready", labels, values)

    def sealed(pod: str) -> dict[str, Any]:
        return x.alert(
            "VaultSealed",
            "critical",
            {"namespace": ns, "pod": pod},
            f"Vault server {pod} is sealed or not ready.",
            f"Vault server {ns}/{pod} has been sealed or not ready for 5 minutes; with awskms "
            "auto-unseal this usually means KMS is unreachable or its credentials are wrong.",
        )

    return [
        _case(
            "VaultSealed: not ready or unsealed=0 for 5m fires; ready and unsealed stays quiet",
            [
                ready("vault-0", "1x20"),
                ready("vault-1", "0x20"),
                ready("vault-2", "1x20"),
                _series(
                    "vault_core_unsealed",
                    {"job": "vault", "namespace": ns, "pod": "vault-2"},
                    "0x20",
                ),
                _series(
                    "vault_core_unsealed",
                    {"job": "vault", "namespace": ns, "pod": "vault-0"},
                    "1x20",
                ),
                # Another namespace's container named vault is not ours.
                _series(
                    "kube_pod_container_status_ready",
                    {**_KSM, "namespace": "other", "pod": "x", "container": "vault"},
                    "0x20",
                ),
            ],
            [
                _check("4m", "VaultSealed"),
                _check("10m", "VaultSealed", sealed("vault-1"), sealed("vault-2")),
            ],
        ),
    ]


def _certificates(x: _Expect) -> list[dict[str, Any]]:
    cert = {"job": "cert-manager", "namespace": "taskapp", "issuer_name": "letsencrypt-prod"}
    soon = {**cert, "name": "taskapp-tls"}
    urgent = {**cert, "name": "grafana-tls"}
    later = {**cert, "name": "argocd-tls"}
    expiry = "certmanager_certificate_expiration_timestamp_seconds"
    day = 86400

    def expiring(labels: Labels, severity: str, days: int, left: str) -> dict[str, Any]:
        return x.alert(
            "CertificateExpiringSoon",
            severity,
            labels,
            f"Certificate taskapp/{labels['name']} expires in less than {days} days.",
            f"Certificate taskapp/{labels['name']} expires in {left}. cert-manager should have "
            "renewed it 30 days before.",
        )

    not_ready = {**cert, "name": "taskapp-tls"}
    return [
        _case(
            "CertificateExpiringSoon: 10 days left warns, 2 days left is critical, 60 stay quiet",
            [
                _series(expiry, soon, f"{10 * day}x120"),
                _series(expiry, urgent, f"{2 * day}x120"),
                _series(expiry, later, f"{60 * day}x120"),
                # Not issued yet: cert-manager reports 0, which is not "expired".
                _series(expiry, {**cert, "name": "pending-tls"}, "0x120"),
            ],
            [
                _check("5m", "CertificateExpiringSoon"),  # shorter than both `for`s
                _check(
                    "90m",
                    "CertificateExpiringSoon",
                    expiring(soon, "warning", 14, "9d 22h 30m 0s"),
                    expiring(urgent, "warning", 14, "1d 22h 30m 0s"),
                    expiring(urgent, "critical", 3, "1d 22h 30m 0s"),
                ),
            ],
        ),
        _case(
            "CertificateNotReady: Ready=False for 15m fires; Ready=True stays quiet",
            [
                _series(
                    "certmanager_certificate_ready_status",
                    {**not_ready, "condition": "False"},
                    "1x30",
                ),
                _series(
                    "certmanager_certificate_ready_status",
                    {**later, "condition": "True"},
                    "1x30",
                ),
                _series(
                    "certmanager_certificate_ready_status",
                    {**later, "condition": "False"},
                    "0x30",
                ),
            ],
            [
                _check("14m", "CertificateNotReady"),
                _check(
                    "20m",
                    "CertificateNotReady",
                    x.alert(
                        "CertificateNotReady",
                        "warning",
                        {"namespace": "taskapp", "name": "taskapp-tls"},
                        "Certificate taskapp/taskapp-tls has not been Ready for 15 minutes.",
                        "Certificate taskapp/taskapp-tls is not Ready: issuance or renewal is "
                        "failing.",
                    ),
                ),
            ],
        ),
    ]


def _taskapp(x: _Expect, params: AlertParams) -> list[dict[str, Any]]:
    def requests(namespace: str, status: str, per_minute: int) -> dict[str, str]:
        labels = {
            "job": "taskapp-backend",
            "namespace": namespace,
            "route": "/api/tasks",
            "method": "GET",
            "status": status,
        }
        return _series("taskapp_http_requests_total", labels, f"0+{per_minute}x40")

    return [
        _case(
            "TaskAppHighErrorRate: 10% errors for 10m fires; 1% stays quiet",
            [
                requests("taskapp", "200", 90),
                requests("taskapp", "500", 10),
                requests("staging", "200", 99),
                requests("staging", "503", 1),
            ],
            [
                _check("9m", "TaskAppHighErrorRate"),
                _check(
                    "20m",
                    "TaskAppHighErrorRate",
                    x.alert(
                        "TaskAppHighErrorRate",
                        "warning",
                        {"namespace": "taskapp"},
                        f"TaskApp in taskapp answers more than {params.taskapp_error_ratio:.0%} "
                        "of requests with a server error.",
                        "10% of TaskApp's requests in taskapp failed with a 5xx status over the "
                        "last 5 minutes.",
                    ),
                ),
            ],
        ),
    ]


def _watchdog(x: _Expect) -> list[dict[str, Any]]:
    return [
        _case(
            "Watchdog: always fires",
            [],
            [
                _check(
                    "1m",
                    "Watchdog",
                    x.alert(
                        "Watchdog",
                        "none",
                        {},
                        "Always firing: proves that Prometheus, Alertmanager and routing work.",
                        "This alert always fires. Alertmanager routes it to the watchdog "
                        "receiver; a dead-man's switch outside the cluster should page when it "
                        "stops arriving.",
                    ),
                )
            ],
        ),
    ]


def promtool_tests(params: AlertParams, rule_files: list[str]) -> dict[str, Any]:
    """The `promtool test rules` file for the rules built with `params`."""
    x = _Expect(params)
    return {
        "rule_files": rule_files,
        "evaluation_interval": "1m",
        "tests": [
            *_scaling(x),
            *_nodes(x),
            *_storage_and_quota(x),
            *_overcommit(x),
            *_backups(x, params),
            *_vault(x, params),
            *_certificates(x),
            *_taskapp(x, params),
            *_watchdog(x),
        ],
    }


def firing_alerts(tests: dict[str, Any]) -> set[str]:
    """The alert names that have at least one case where they fire."""
    return {
        check["alertname"]
        for case in tests["tests"]
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
