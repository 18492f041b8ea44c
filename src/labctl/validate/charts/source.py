"""Finding a chart at its pinned version: in a local folder, else from its repository.

The local folder is laid out as `helm pull --untar` leaves charts: `NAME-VERSION/` or
`NAME/` holding `Chart.yaml` (directly or in a `NAME/` inside), or a `NAME-VERSION.tgz`.
A chart found there at another version is not used. Otherwise, when the machine is online,
the chart is pulled (Helm's own pull, through the SDK) from its HTTP repository or OCI
registry into a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from labctl.validate.tree import HelmSource


class ChartUnavailable(Exception):
    """The chart is neither in the local folder nor reachable at its repository."""


def _version_of(chart_dir: Path) -> str:
    try:
        metadata = yaml.safe_load((chart_dir / "Chart.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return ""
    return str(metadata.get("version", ""))


def _same(a: str, b: str) -> bool:
    return a.removeprefix("v") == b.removeprefix("v")


def find_local(chart_dir: Path, source: HelmSource) -> tuple[Path | None, str]:
    """The chart in `chart_dir` at the pinned version, or None and what was found instead.

    A chart from a Git repository is pinned by a Git ref, not a chart version: any version
    found under its name is used."""
    name, version = source.chart, source.version
    seen = []
    folders = [chart_dir / f"{name}-{version}", chart_dir / f"{name}-v{version}", chart_dir / name]
    if source.in_git:
        folders += sorted(chart_dir.glob(f"{name}-*"))
    for folder in folders:
        for candidate in (folder, folder / name):
            if (candidate / "Chart.yaml").is_file():
                found = _version_of(candidate)
                if source.in_git or _same(found, version):
                    return candidate, ""
                seen.append(f"{candidate} is version {found or '?'}")
    archive = chart_dir / f"{name}-{version}.tgz"
    if archive.is_file():
        return archive, ""
    return None, "; ".join(seen)


def pull(source: HelmSource, into: Path) -> Path:
    """Pull the chart from its repository or OCI registry (needs the network)."""
    import helm_python as helm

    if source.in_git:
        raise ChartUnavailable(
            f"it is in Git ({source.path} at {source.version}), which Helm cannot pull from; "
            f"put a checkout of that folder in --chart-dir as {source.chart}/"
        )
    into.mkdir(parents=True, exist_ok=True)
    repo = source.repo_url.rstrip("/")
    try:
        if repo.startswith("oci://"):
            ref = repo if repo.endswith("/" + source.chart) else f"{repo}/{source.chart}"
            helm.pull(ref, version=source.version, destination=into, untar=True, untar_dir=into)
        elif "://" not in repo:  # Argo CD's OCI form: a registry path without a scheme
            ref = f"oci://{repo}/{source.chart}"
            helm.pull(ref, version=source.version, destination=into, untar=True, untar_dir=into)
        else:
            helm.pull(
                source.chart,
                repo_url=repo,
                version=source.version,
                destination=into,
                untar=True,
                untar_dir=into,
            )
    except helm.HelmError as exc:
        raise ChartUnavailable(str(exc).strip()) from exc
    chart = into / source.chart
    if not (chart / "Chart.yaml").is_file():
        raise ChartUnavailable(f"Helm pulled {source.chart} but left no {chart}/Chart.yaml")
    return chart


def locate(source: HelmSource, chart_dir: Path | None, pulls: Path) -> Path:
    """The chart to render for `source`; ChartUnavailable says where we looked and why not."""
    local, instead = find_local(chart_dir, source) if chart_dir else (None, "")
    if local is not None:
        return local
    try:
        return pull(source, pulls / f"{source.chart}-{source.version}")
    except ChartUnavailable as exc:
        where = f"not in {chart_dir}" + (f" ({instead})" if instead else "") if chart_dir else ""
        looked = f"{where}; " if where else ""
        how = "" if source.in_git else f"pulling it from {source.repo_url} failed: "
        raise ChartUnavailable(
            f"chart {source.chart} {source.version} is {looked}{how}{exc}"
        ) from exc
