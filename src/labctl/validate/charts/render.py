"""Rendering one Helm source of an Application as Argo CD would, with Helm's own engine.

The engine is Helm v4's Go SDK through `helm-python-sdk` (docs/validate.md says why). Argo CD
runs `helm template` with the Application's release name, destination namespace and values
(valueFiles, then values and valuesObject, then parameters), `--kube-version`,
`--api-versions` and the chart's `crds/` unless `skipCrds`. The SDK renders templates
offline, honouring the dependencies' conditions and tags; the chart's `crds/` come from the
loaded chart (after rendering: only the dependencies that were enabled). NOTES.txt is not
an object.

`Chart.render()` of helm-python-sdk 0.2.2 does not pass `kube_version` and `api_versions`,
which the library's `helm_render` options accept (its C ABI: libhelm_c's RenderOptions), so
we call that entry point with the same arguments `Chart.render()` uses, plus those two.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from labctl.validate.tree import HelmSource, Manifest, Obj, load_all

# How Helm splits a template's output into documents (releaseutil.SplitManifests): a `---`
# may be followed by a comment on the same line, which a YAML parser refuses.
# Helm's own pattern, `(?:^|\s*\n)---\s*`, backtracks on indentation; this one splits at the
# same places (`---` at the start of a line) in linear time.
SEPARATOR = re.compile(r"(?m)^---\s*")


class RenderFailed(Exception):
    """Helm refused to render the chart; the message is Helm's own."""


@dataclass
class Rendered:
    manifests: list[Manifest] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)  # the chart's Chart.yaml
    skipped: list[str] = field(default_factory=list)  # hooks Argo CD does not run


# Helm hooks Argo CD maps to its phases; the others (test, pre-delete, rollback hooks) it does
# not support and does not create.
ARGO_RUNS = frozenset({"pre-install", "pre-upgrade", "post-install", "post-upgrade", "crd-install"})


def argo_skips(obj: Obj) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if "argocd.argoproj.io/hook" in annotations or "helm.sh/hook" not in annotations:
        return False
    hooks = {h.strip() for h in str(annotations["helm.sh/hook"]).split(",")}
    return not hooks & ARGO_RUNS


def _merge(base: Obj, over: Obj) -> Obj:
    """Helm's coalescing of values: maps merge, everything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def values_for(source: HelmSource, chart: Path) -> Obj:
    import helm_python as helm

    values: Obj = {}
    for name in source.value_files:
        path = chart / name
        if not path.is_file():
            raise RenderFailed(f"valueFiles entry {name} is not in the chart")
        values = _merge(values, yaml.safe_load(path.read_text()) or {})
    values = _merge(values, source.values)
    for name, value in source.parameters:
        values = _merge(values, helm.parse_set_string(f"{name}={value}"))
    return values


@dataclass(frozen=True)
class Capabilities:
    """What `.Capabilities` says: `--kube-version` and `--api-versions`."""

    kube_version: str | None = None  # "v1.34.2"; None: the engine's default
    api_versions: tuple[str, ...] = ()  # "group/version" and "group/version/Kind"


@lru_cache(maxsize=512)
def _documents(text: str) -> tuple[Any, ...]:
    """A rendered file's documents. Cached: a chart's crds/ are read for --api-versions and
    again as objects, and they are megabytes. Callers must not change the CRDs they get."""
    return tuple(doc for part in SEPARATOR.split(text) for doc in load_all(part))


def chart_crds(chart: Path) -> list[Obj]:
    """The CRDs in a chart's crds/ folders (its own and every dependency's)."""
    import helm_python as helm

    with helm.Chart.load(chart) as loaded:
        texts = [crd["data"] for crd in loaded.crds]
    try:
        return [d for text in texts for d in _documents(text) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        raise RenderFailed(f"a CRD in the chart's crds/ does not parse: {exc}") from exc


def _render(loaded: Any, values: Obj, release: str, namespace: str, caps: Capabilities) -> Any:
    import json

    from helm_python import _native

    options: dict[str, Any] = {"name": release, "namespace": namespace, "is_install": True}
    if caps.kube_version:
        options["kube_version"] = caps.kube_version
    if caps.api_versions:
        options["api_versions"] = list(caps.api_versions)
    text = _native.call_string(
        "helm_render", loaded._raw(), json.dumps(values), json.dumps(options)
    )
    return json.loads(text)


def render_source(
    source: HelmSource, chart: Path, app: str, namespace: str, caps: Capabilities
) -> Rendered:
    import helm_python as helm

    try:
        with helm.Chart.load(chart) as loaded:
            values = values_for(source, chart)
            templates = _render(loaded, values, source.release, namespace, caps)
            metadata = loaded.metadata
            crds = [] if source.skip_crds else loaded.crds  # after render: enabled subcharts
    except helm.HelmError as exc:
        raise RenderFailed(str(exc).strip()) from exc
    rendered = Rendered(metadata=metadata)
    files = [(crd["filename"], crd["data"], True) for crd in crds]
    files += [(name, text, False) for name, text in sorted(templates.items())]
    for name, text, is_crd in files:
        if name.endswith("NOTES.txt"):
            continue
        try:
            if is_crd:
                docs = list(_documents(text))
            else:  # templates' objects get the destination namespace: not shared
                docs = [doc for part in SEPARATOR.split(text) for doc in load_all(part)]
        except yaml.YAMLError as exc:
            raise RenderFailed(f"{name}: Helm rendered YAML that does not parse: {exc}") from exc
        for index, doc in enumerate(docs):
            if not (isinstance(doc, dict) and doc.get("kind")):
                continue
            if argo_skips(doc):
                rendered.skipped.append(f"{name} {doc['kind']}")
                continue
            rendered.manifests.append(Manifest(f"chart:{app}/{name}", index, doc, app=app))
    return rendered
