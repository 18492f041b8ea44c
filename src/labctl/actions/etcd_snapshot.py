"""`labctl etcd snapshot`: run the tree's etcd-snapshot Job now, as `kubectl create job --from`.

The CronJob (`platform/components/etcd_backup.py`) holds everything: the control-plane node,
the etcd client certificates, the backup targets and their credentials. The plan creates one
Job from its jobTemplate, waits until it completed (snapshot saved, verified with `etcdutl
snapshot status`, shipped with its sha256) or failed, and reads the shipping container's log
for the checksum and the copies it made.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.actions.kube import api_error_message, api_path, list_json, request_json
from labctl.actions.plan import ActionFailed, Plan, Retry, Step
from labctl.platform.components.etcd_backup import NAME, NAMESPACE

if TYPE_CHECKING:
    from lightkube import ApiError, Client

Obj = dict[str, Any]
POLL_SECONDS = 5.0


def read_cronjob(client: Client, namespace: str = NAMESPACE) -> Obj:
    from lightkube import ApiError

    try:
        return request_json(client, "GET", f"/apis/batch/v1/namespaces/{namespace}/cronjobs/{NAME}")
    except ApiError as error:
        raise ActionFailed(
            f"no CronJob {namespace}/{NAME} ({api_error_message(error)}): render the tree "
            "and let Argo CD sync it (labctl render; the velero app)"
        ) from None


def plan_snapshot(cronjob: Obj, now: datetime) -> Plan:
    meta = cronjob.get("metadata") or {}
    namespace = str(meta.get("namespace") or NAMESPACE)
    name = f"{NAME}-manual-{now.strftime('%Y%m%d%H%M%S')}"
    template = copy.deepcopy((cronjob.get("spec") or {}).get("jobTemplate") or {})
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
        },
        "spec": template.get("spec") or {},
    }
    steps = (
        Step("create", "Job", namespace, name, f"from CronJob {namespace}/{NAME}", job),
        Step("wait", "Job", namespace, name, "until the snapshot is saved, verified and shipped"),
        Step("report", "Job", namespace, name, "the sha256 and the copies, from its log"),
    )
    return Plan(f"etcd snapshot on a control-plane node ({namespace}/{name})", steps)


def step_applier(client: Client, poll: float = POLL_SECONDS) -> Callable[[Step], str | None]:
    def apply(step: Step) -> str | None:
        if step.verb == "create":
            return _create(client, step)
        if step.verb == "wait":
            return _wait(client, step, poll)
        if step.verb == "report":
            return _report(client, step)
        raise ValueError(f"unknown step verb {step.verb!r}")

    return apply


def _create(client: Client, step: Step) -> str:
    from lightkube import ApiError

    try:
        request_json(client, "POST", api_path("Job", step.namespace), step.body)
    except ApiError as error:
        raise _failed(step, error) from error
    return "created"


def _wait(client: Client, step: Step, poll: float) -> str:
    job = request_json(client, "GET", api_path("Job", step.namespace, step.name))
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return "completed"
        if condition.get("type") == "Failed":
            why = condition.get("message") or condition.get("reason") or "failed"
            raise ActionFailed(
                f"Job {step.namespace}/{step.name} failed: {why} "
                f"(kubectl logs -n {step.namespace} job/{step.name} --all-containers)"
            )
    raise Retry("snapshot running", poll)


def _report(client: Client, step: Step) -> str:
    pods = list_json(client, "Pod", step.namespace, labels={"job-name": step.name})
    lines: list[str] = []
    for pod in pods:
        name = (pod.get("metadata") or {}).get("name")
        path = api_path("Pod", step.namespace, str(name)) + "/log?container=ship"
        from labctl.cluster.client import _http

        text = _http(client).get(path).text
        lines += [line for line in text.splitlines() if line.startswith(("sha256 ", "shipped "))]
    return "; ".join(lines) or "completed (no log lines found)"


def _failed(step: Step, error: ApiError) -> ActionFailed:
    return ActionFailed(f"{step.verb} {step.target}: {api_error_message(error)}")
