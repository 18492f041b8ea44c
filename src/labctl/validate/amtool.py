"""`amtool check-config` on the Alertmanager configuration in the tree.

The configuration lives in the kube-prometheus-stack Application's Helm values
(`alertmanager.config`, in `helm.valuesObject` or the `helm.values` string). Debian's amtool is
0.25, older than `webhook_url_file` in discord_configs (Alertmanager >= 0.28, and the chart runs
v0.34.0): when amtool rejects that key, the check runs again with a placeholder `webhook_url`
in its place, says so in a note, and checks the file reference itself here instead: the path
must be inside a Secret that `alertmanager.alertmanagerSpec.secrets` mounts.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labctl.platform.components.alerts import ALERTMANAGER_SECRETS_DIR
from labctl.validate import tools
from labctl.validate.model import Result
from labctl.validate.tree import Manifest, Tree, helm_sources

NAME = "amtool"
CHART = "kube-prometheus-stack"
PLACEHOLDER_URL = "https://discord.invalid/api/webhooks/0/placeholder"
URL_FILE_SINCE = (0, 28, 0)


@dataclass(frozen=True)
class Found:
    manifest: Manifest
    values: dict[str, Any]  # the chart's whole values
    config: dict[str, Any] | None  # alertmanager.config


def find_configs(tree: Tree) -> list[Found]:
    found = []
    for application in tree.of_kind("Application"):
        for source in helm_sources(application):
            alertmanager = source.values.get("alertmanager") or {}
            config = alertmanager.get("config")
            if source.chart == CHART or isinstance(config, dict):
                found.append(Found(application, source.values, config))
    return found


def validate(tree: Tree) -> Result:
    result = Result(NAME)
    configs = find_configs(tree)
    if not configs:
        result.notes.append(f"no {CHART} Application in the tree")
        return result
    for found in configs:
        result.checked += 1
        if found.config is None:
            result.add(
                "alertmanager.config is not set: the chart's default routes every alert to "
                "a receiver that sends nothing",
                found.manifest.ref,
                "no-config",
            )
            continue
        _check_secret_refs(result, found)
        check_config(result, found.config, found.manifest.ref)
    return result


def check_config(result: Result, config: dict[str, Any], where: str) -> None:
    """Run amtool on one configuration, working around its age if it must."""
    tools.find("amtool")
    run = _amtool(config)
    if run.returncode != 0 and "url_file" in run.output:
        version = tools.version("amtool")
        if version is None or version < URL_FILE_SINCE:
            shown = ".".join(map(str, version)) if version else "unknown"
            result.notes.append(
                f"amtool {shown} predates discord webhook_url_file and webhook url_file "
                "(Alertmanager >= 0.28); checked with a placeholder URL in their place"
            )
            run = _amtool(with_placeholder_urls(config))
    if run.returncode != 0:
        result.add(f"amtool check-config: {tools.clip(run.output)}", where, "check-config")


def _amtool(config: dict[str, Any]) -> tools.Run:
    with tempfile.TemporaryDirectory(prefix="labctl-amtool-") as tmp:
        path = Path(tmp) / "alertmanager.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return tools.run("amtool", "check-config", str(path))


# receiver list -> (the key for a URL in a file, the key for the URL itself)
URL_FILES = {
    "discord_configs": ("webhook_url_file", "webhook_url"),
    "webhook_configs": ("url_file", "url"),
}


def with_placeholder_urls(config: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(config)
    for receiver in config.get("receivers") or []:
        for kind, (file_key, url_key) in URL_FILES.items():
            for entry in receiver.get(kind) or []:
                if entry.pop(file_key, None) is not None:
                    entry[url_key] = PLACEHOLDER_URL
    return config


def _check_secret_refs(result: Result, found: Found) -> None:
    spec = (found.values.get("alertmanager") or {}).get("alertmanagerSpec") or {}
    mounted = set(spec.get("secrets") or [])
    for receiver in (found.config or {}).get("receivers") or []:
        for discord in receiver.get("discord_configs") or []:
            name = receiver.get("name", "?")
            if "webhook_url" in discord:
                result.add(
                    f"receiver {name}: webhook_url puts the Discord secret in the tree; "
                    "use webhook_url_file with a mounted Secret",
                    found.manifest.ref,
                    "secret-in-tree",
                )
        for kind, (file_key, _) in URL_FILES.items():
            for entry in receiver.get(kind) or []:
                path = str(entry.get(file_key) or "")
                if path and not _mounted(path, mounted):
                    result.add(
                        f"receiver {receiver.get('name', '?')}: {file_key} {path} is not inside "
                        "a Secret listed in alertmanager.alertmanagerSpec.secrets (mounted at "
                        f"{ALERTMANAGER_SECRETS_DIR}/<name>/)",
                        found.manifest.ref,
                        "webhook-file-not-mounted",
                    )


def _mounted(path: str, secrets: set[str]) -> bool:
    secret = path.removeprefix(ALERTMANAGER_SECRETS_DIR + "/").split("/")[0]
    return path.startswith(ALERTMANAGER_SECRETS_DIR + "/") and secret in secrets
