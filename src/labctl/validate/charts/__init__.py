"""`--charts`: render every Helm source of every Application, so every check sees the charts'
objects too (source.py finds a chart, render.py renders it, kubeversion.py reads constraints).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from labctl.validate import crdschema
from labctl.validate.charts import kubeversion
from labctl.validate.charts.render import Capabilities, RenderFailed, chart_crds, render_source
from labctl.validate.charts.source import ChartUnavailable, locate
from labctl.validate.model import Result, ToolMissing
from labctl.validate.tree import HelmSource, Manifest, Obj, Tree, helm_sources

NAME = "charts"


@dataclass
class Charts:
    result: Result
    manifests: list[Manifest]


def _engine() -> str:
    try:
        import helm_python as helm
    except ImportError as exc:
        raise ToolMissing("helm-python-sdk", "platform-lab[validate] extra (Python)") from exc
    return f"Helm {helm.helm_sdk_version()} (helm-python-sdk)"


def _api_versions(tree: Tree, crds: list[Obj]) -> tuple[str, ...]:
    """`--api-versions` as Argo CD passes them once the tree's CRDs are installed."""
    apis = list(crdschema.carried_apis())
    for crd in [m.obj for m in tree.of_kind("CustomResourceDefinition")] + crds:
        spec = crd.get("spec") or {}
        versions = [str(v.get("name")) for v in spec.get("versions") or []]
        apis.append((str(spec.get("group")), str((spec.get("names") or {}).get("kind")), versions))
    found: set[str] = set()
    for group, kind, served in apis:
        found |= {f"{group}/{v}" for v in served} | {f"{group}/{v}/{kind}" for v in served}
    return tuple(sorted(found))


def render_all(tree: Tree, chart_dir: Path | None, kube_version: str | None) -> Charts:
    result = Result(NAME)
    wanted = kubeversion.parse_version(kube_version or "")
    shown = "v{}.{}.{}".format(*wanted) if wanted else None
    result.notes.append(
        f"rendered with {_engine()}, offline, for Kubernetes {shown or 'the engine default'}"
    )
    manifests: list[Manifest] = []
    skipped = 0
    with tempfile.TemporaryDirectory(prefix="labctl-charts-") as pulls:
        located: list[tuple[Manifest, HelmSource, Path]] = []
        for application in tree.of_kind("Application"):
            for source in helm_sources(application):
                try:
                    located.append((application, source, locate(source, chart_dir, Path(pulls))))
                except ChartUnavailable as exc:
                    result.unavailable.append(str(exc))
                    result.add(str(exc), _where(application, source), "chart-unavailable")
        crds = [
            crd for _, source, chart in located if not source.skip_crds for crd in chart_crds(chart)
        ]
        caps = Capabilities(shown, _api_versions(tree, crds))
        for application, source, chart in located:
            spec = application.obj.get("spec") or {}
            namespace = str((spec.get("destination") or {}).get("namespace") or "default")
            where = _where(application, source)
            try:
                rendered = render_source(source, chart, application.name, namespace, caps)
            except RenderFailed as exc:
                result.add(f"Helm cannot render it: {exc}", where, "render-failed")
                continue
            result.checked += 1
            manifests.extend(rendered.manifests)
            skipped += len(rendered.skipped)
            _check_kube_version(result, rendered.metadata, wanted, kube_version, where)
    _default_namespaces(tree, manifests)
    result.notes.append(
        f"{len(manifests)} objects from {result.checked} chart(s); {skipped} Helm hook object(s) "
        "left out (test and other hooks Argo CD does not run)"
    )
    return Charts(result, manifests)


def _default_namespaces(tree: Tree, manifests: list[Manifest]) -> None:
    """Argo CD puts namespaced objects without a namespace into the destination namespace."""
    from labctl.validate.argocd.placement import Sync

    sync = Sync(Tree(tree.root, [*tree.manifests, *manifests], tree.errors))
    for placed in sync.placed:
        metadata = placed.manifest.obj.setdefault("metadata", {})
        if placed.manifest.app and placed.namespace and not metadata.get("namespace"):
            metadata["namespace"] = placed.namespace


def _where(application: Manifest, source: HelmSource) -> str:
    return f"{application.ref} chart {source.chart} {source.version}"


def _check_kube_version(
    result: Result,
    metadata: dict[str, object],
    wanted: kubeversion.Version | None,
    shown: str | None,
    where: str,
) -> None:
    constraint = str(metadata.get("kubeVersion") or "")
    if not constraint or wanted is None:
        return
    try:
        fits = kubeversion.satisfies(constraint, wanted)
    except ValueError as exc:
        result.add(str(exc), where, "kube-version")
        return
    if not fits:
        result.add(
            f"the chart requires kubeVersion {constraint}, which Kubernetes {shown} does not "
            "meet (Helm refuses to install it)",
            where,
            "kube-version",
        )
