"""A rendered tree: every object of every *.yaml/*.yml file below a folder, multi-document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader when PyYAML has it (charts' CRDs are megabytes: ~20x faster).
    YAML 1.1's `=` (the "value" tag) is a plain string to Kubernetes (an enum of `=`)."""


_Loader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


def load_all(text: str) -> list[Any]:
    """The documents of a YAML text, as Kubernetes' YAML reader sees them."""
    return list(yaml.load_all(text, Loader=_Loader))


@dataclass(frozen=True)
class Manifest:
    path: str  # relative to the tree's root; "chart:<app>/<template>" for rendered charts
    index: int  # document number within the file, from 0
    obj: Obj
    app: str = ""  # for objects a chart rendered: the Application whose Helm source it is

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.obj.get("metadata", {}).get("namespace") or "")

    @property
    def ref(self) -> str:
        target = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.path}#{self.index} {self.kind} {target}".rstrip()


@dataclass(frozen=True)
class HelmSource:
    """One Helm chart source of an Argo CD Application."""

    chart: str  # the chart's name (for OCI sources, the last part of repoURL)
    release: str  # Helm release name: helm.releaseName, else the Application's name
    values: Obj  # helm.values (YAML text) merged with helm.valuesObject, which wins
    repo_url: str = ""
    version: str = ""  # targetRevision: the pinned chart version
    skip_crds: bool = False  # helm.skipCrds: Argo CD leaves out the chart's crds/
    parameters: tuple[tuple[str, str], ...] = ()  # helm.parameters, applied like --set
    value_files: tuple[str, ...] = ()  # helm.valueFiles, relative to the chart
    path: str = ""  # a chart in a Git repository: its folder there (targetRevision: a Git ref)

    @property
    def in_git(self) -> bool:
        return bool(self.path) and not self.repo_url.startswith("oci://")


def helm_sources(application: Manifest) -> Iterator[HelmSource]:
    spec = application.obj.get("spec") or {}
    for source in spec.get("sources") or ([spec["source"]] if spec.get("source") else []):
        helm = source.get("helm") or {}
        if not (helm or source.get("chart")):
            continue  # a plain directory of manifests
        values: Obj = {}
        if isinstance(helm.get("values"), str):
            values = yaml.safe_load(helm["values"]) or {}
        if isinstance(helm.get("valuesObject"), dict):
            values = {**values, **helm["valuesObject"]}
        repo = str(source.get("repoURL", "")).rstrip("/")
        path = "" if source.get("chart") else str(source.get("path") or "").strip("/")
        last = path.split("/")[-1] if path and path != "." else repo.split("/")[-1]
        chart = str(source.get("chart") or last)
        yield HelmSource(
            chart,
            str(helm.get("releaseName") or application.name),
            values,
            repo_url=str(source.get("repoURL", "")),
            version=str(source.get("targetRevision", "")),
            skip_crds=helm.get("skipCrds") is True,
            parameters=tuple(
                (str(p.get("name")), str(p.get("value", ""))) for p in helm.get("parameters") or []
            ),
            value_files=tuple(str(f) for f in helm.get("valueFiles") or []),
            path=path,
        )


@dataclass
class Tree:
    root: Path
    manifests: list[Manifest]
    errors: list[str]  # files that are not YAML, documents that are not objects

    def of_kind(self, *kinds: str) -> Iterator[Manifest]:
        return (m for m in self.manifests if m.kind in kinds)


def load_tree(root: Path) -> Tree:
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    manifests: list[Manifest] = []
    errors: list[str] = []
    for file in files:
        rel = file.relative_to(root).as_posix()
        try:
            docs = load_all(file.read_text())
        except yaml.YAMLError as exc:
            errors.append(f"{rel}: not valid YAML: {exc}")
            continue
        for index, doc in enumerate(docs):
            if doc is None:
                continue
            if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                errors.append(f"{rel}#{index}: not a Kubernetes object (no apiVersion/kind)")
                continue
            manifests.append(Manifest(rel, index, doc))
    return Tree(root, manifests, errors)
