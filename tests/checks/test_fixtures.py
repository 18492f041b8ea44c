"""Every check fires on its failure fixtures and stays quiet on its success fixtures.

Polaris-style: `fixtures/<check id>/{success,failure}[.<case>].yaml`, the expectation taken from
the file name. A fixture the check never evaluated fails, so a mis-aimed fixture cannot pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.checks import AREAS, all_checks, run_checks
from labctl.checks.fields import AREA_SOURCES
from labctl.cluster.kinds import BY_RESOURCE
from labctl.cluster.snapshot import Snapshot
from tests.checks.snapshots import load_fixture, projected

FIXTURES = Path(__file__).parent / "fixtures"
HOMELAB = Path(__file__).parents[2] / "examples" / "snapshots" / "homelab"
CASES = sorted(FIXTURES.glob("*/*.yaml"))


def _others(check_id: str) -> list[str]:
    return [c.id for c in all_checks() if c.id != check_id]


@pytest.mark.parametrize("shaped", [False, True], ids=["whole", "shaped"])
@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_check_against_fixture(path: Path, shaped: bool) -> None:
    """`shaped`: decoded through checks.fields.SHAPES, as offline runs read snapshots."""
    check_id = path.parent.name
    check = next(c for c in all_checks() if c.id == check_id)
    snap = projected(load_fixture(path)) if shaped else load_fixture(path)
    report = run_checks(snap, areas=[check.area], ignore=_others(check_id))
    (run,) = report.runs
    assert run.evaluated > 0, f"{check_id} evaluated nothing in {path.name}"
    assert not report.unknowns, report.unknowns
    fired = [f for f in report.findings if f.check_id == check_id]
    if path.stem.startswith("failure"):
        assert fired, f"{check_id} did not fire on {path.name}"
        for finding in fired:
            assert finding.severity is check.severity
            assert "\n" not in finding.message and finding.object
            assert not any(f"{{{k}}}" in finding.hint for k in ("name", "namespace", "kind"))
    else:
        assert not fired, [f.message for f in fired]


def test_every_check_has_success_and_failure_fixtures() -> None:
    for check in all_checks():
        stems = [p.stem for p in (FIXTURES / check.id).glob("*.yaml")]
        assert any(s.startswith("success") for s in stems), f"{check.id} has no success fixture"
        assert any(s.startswith("failure") for s in stems), f"{check.id} has no failure fixture"
    assert {p.name for p in FIXTURES.iterdir()} == {c.id for c in all_checks()}


def test_missing_data_is_unknown_never_healthy() -> None:
    report = run_checks(Snapshot())
    assert not report.findings
    assert {u.check_id for u in report.unknowns} == {c.id for c in all_checks()}
    assert set(report.status_by_area.values()) == {"unknown"}
    assert report.exit_code == 3


def test_ids_and_names_are_unique_and_banded_by_area() -> None:
    checks = all_checks()
    bands = {"nodes": 1, "workloads": 2, "vault": 3, "argocd": 4, "backups": 5}
    bands |= {"certificates": 6, "storage": 7, "scaling": 8, "alerts": 9}
    assert len({c.name for c in checks}) == len(checks)
    for check in checks:
        assert check.id.startswith(f"LAB-{bands[check.area]}"), check.id
        assert check.summary.endswith(".") and check.hint


def test_vault_role_is_unknown_from_seal_status_alone() -> None:
    """`kubectl get --raw .../sys/seal-status` says sealed or not, never active or standby."""
    seal = {"type": "awskms", "initialized": True, "sealed": False, "storage_type": "raft"}
    snap = Snapshot(extras={"vault/vault-0/sys-seal-status.json": seal})
    report = run_checks(snap, areas=["vault"])
    assert [u.check_id for u in report.unknowns] == ["LAB-303"]
    assert "no sys/health from vault-0" in report.unknowns[0].reason
    assert [f.check_id for f in report.findings] == ["LAB-304"]


@pytest.mark.parametrize("area", AREAS)
def test_an_area_needs_only_its_declared_sources(area: str) -> None:
    """`labctl health --only AREA` collects AREA_SOURCES[area] live; that must be enough."""
    full = Snapshot.load(HOMELAB)
    sources = AREA_SOURCES[area]
    kept = Snapshot(
        resources={r: full.items(r) or [] for r in sources if r in BY_RESOURCE},
        extras={p: full.read_extra(p) for p in full.extra_paths("") if p.split("/")[0] in sources},
        extra_statuses=full.extra_statuses,
        taken_at=full.taken_at,
    )
    report = run_checks(kept, areas=[area])
    assert not report.unknowns, report.unknowns
    assert report.findings == run_checks(full, areas=[area]).findings
