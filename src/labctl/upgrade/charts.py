"""Pinned charts and CRDs against each step's Kubernetes version.

A chart's `kubeVersion` comes from the pins labctl renders (`platform.component`, each with its
Chart.yaml's range) or from `Chart.yaml` files the user pulled (`helm pull --untar`) into a
folder passed as `--charts`; the range is judged by `labctl.kubeversion`, as validate does.
A CRD needs the Kubernetes features its schema uses (CEL rules, selectable fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labctl.kubeversion import Version, VersionError, allows_minor, check_constraint

Obj = dict[str, Any]


@dataclass(frozen=True)
class ChartPin:
    """One Helm source of an Argo CD Application in the tree."""

    application: str
    path: str  # the tree file that pins it
    chart: str
    version: str


@dataclass(frozen=True)
class ChartVerdict:
    pin: ChartPin
    kube_version: str | None  # the range, None when unknown
    message: str
    blocks: bool


def known_ranges(charts_dir: Path | None = None) -> dict[tuple[str, str], str]:
    """(chart, version) -> kubeVersion: labctl's pins, then any pulled Chart.yaml files."""
    from labctl.platform import component

    ranges: dict[tuple[str, str], str] = {}
    for value in vars(component).values():
        if isinstance(value, component.Chart):
            ranges[(value.name, value.version)] = value.kube_version or ""
    if charts_dir is not None:
        for file in sorted(charts_dir.rglob("Chart.yaml")):
            meta = yaml.safe_load(file.read_text()) or {}
            if isinstance(meta, dict) and meta.get("name") and meta.get("version"):
                key = (str(meta["name"]), str(meta["version"]))
                ranges[key] = str(meta.get("kubeVersion") or "")
    return ranges


def pins(applications: Iterable[tuple[str, Obj]]) -> Iterator[ChartPin]:
    """The chart sources of (tree path, Application) pairs."""
    for path, app in applications:
        spec = app.get("spec") or {}
        sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
        for source in sources:
            if not source.get("chart") and "oci://" not in str(source.get("repoURL", "")):
                continue
            name = source.get("chart") or str(source["repoURL"]).rstrip("/").split("/")[-1]
            app_name = str((app.get("metadata") or {}).get("name"))
            yield ChartPin(app_name, path, str(name), str(source.get("targetRevision", "")))


def judge(
    pin: ChartPin, ranges: dict[tuple[str, str], str], before: Version, after: Version
) -> ChartVerdict:
    """Whether the chart as pinned installs on `after`, and what to do if not."""
    wanted = ranges.get((pin.chart, pin.version))
    ref = f"{pin.chart} {pin.version} ({pin.path})"
    if wanted is None:
        return ChartVerdict(
            pin,
            None,
            f"{ref}: kubeVersion unknown (not a labctl pin; pass its Chart.yaml with --charts)",
            blocks=False,
        )
    try:
        check_constraint(wanted)
    except VersionError as error:
        return ChartVerdict(pin, wanted, f"{ref}: {error}", blocks=False)
    now, then = allows_minor(wanted, before), allows_minor(wanted, after)
    shown = wanted or "any"
    if then and now:
        return ChartVerdict(pin, wanted, f"{ref}: kubeVersion {shown} allows it", blocks=False)
    if then:
        message = f"{ref}: kubeVersion {shown} is met from {after.minor_name} on"
        return ChartVerdict(pin, wanted, message, blocks=False)
    if not now:
        # Not installable before this step either: the upgrade does not make it worse.
        message = f"{ref}: kubeVersion {shown} is not met at {after.minor_name} yet"
        return ChartVerdict(pin, wanted, message, blocks=False)
    newer = _newer_allowing(pin, ranges, after)
    fix = f"bump it to {newer} first" if newer else "bump it first to a release that allows it"
    message = f"{ref}: kubeVersion {shown} excludes {after.minor_name}: {fix}"
    return ChartVerdict(pin, wanted, message, blocks=True)


def _newer_allowing(pin: ChartPin, ranges: dict[tuple[str, str], str], target: Version) -> str:
    candidates = []
    for (chart, version), wanted in ranges.items():
        if chart != pin.chart or version == pin.version:
            continue
        try:
            if allows_minor(wanted, target):
                candidates.append(version)
        except VersionError:
            continue
    return max(candidates, key=_sort_key, default="")


def _sort_key(version: str) -> tuple[int, ...]:
    try:
        parsed = Version.parse(version)
    except VersionError:
        return (0,)
    return (parsed.major, parsed.minor, parsed.patch)


# --- CRD features ------------------------------------------------------------------------------

# Schema features and the first minor that serves them by default (feature gate beta or GA).
CRD_FEATURES: tuple[tuple[str, str, str], ...] = (
    (
        "x-kubernetes-validations",
        "1.25",
        "CEL validation rules (CustomResourceValidationExpressions)",
    ),
    ("selectableFields", "1.31", "selectable fields (CustomResourceFieldSelectors)"),
)


def crd_needs(crd: Obj) -> list[tuple[str, str]]:
    """(minor, feature) for each feature the CRD's versions use."""
    needs = []
    text = yaml.safe_dump(crd.get("spec") or {})
    for key, minor, feature in CRD_FEATURES:
        if f"{key}:" in text:
            needs.append((minor, feature))
    return needs
