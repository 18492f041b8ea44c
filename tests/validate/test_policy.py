"""The policy scanner: checkov runs once per session over a tiny fixture tree; exceptions are
applied by a pure function, so each case below costs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.validate import policy
from labctl.validate.model import Result
from tests.validate.conftest import FIXTURES


@pytest.fixture(scope="session")
def scanned() -> policy.Scan:
    return policy.scan(FIXTURES / "policy")


def _exceptions(tmp_path: Path, text: str) -> list[policy.Exception_]:
    path = tmp_path / "exceptions.yaml"
    path.write_text(text)
    return policy.load_exceptions(path)


def _ids(result: Result, resource: str) -> set[str]:
    return {f.check for f in result.findings if f.where.endswith(resource)}


def test_checkov_flags_the_lax_workload_and_passes_the_hardened_one(
    scanned: policy.Scan,
) -> None:
    result = policy.judge(scanned, [])
    assert scanned.resources >= 2 and scanned.parsing_errors == 0
    lax = _ids(result, "Deployment.demo.lax")
    assert {"CKV_K8S_14", "CKV_K8S_23", "CKV_K8S_20"} <= lax  # :latest, root, escalation
    hardened = _ids(result, "Deployment.demo.hardened")
    assert not hardened & {"CKV_K8S_14", "CKV_K8S_23", "CKV_K8S_20", "CKV_K8S_43"}
    assert all(f.where.startswith("workloads.yaml ") for f in result.findings)


def test_listed_exceptions_excuse_exactly_their_checks_and_objects(
    scanned: policy.Scan, tmp_path: Path
) -> None:
    exceptions = _exceptions(
        tmp_path,
        """
exceptions:
- check: CKV_K8S_14
  objects: ["Deployment.demo.lax"]
  reason: test
- check: CKV_K8S_23
  objects: ["Deployment.other.*"]
  reason: does not match the demo namespace
- check: CKV_K8S_999
  reason: stale
""",
    )
    result = policy.judge(scanned, exceptions)
    lax = _ids(result, "Deployment.demo.lax")
    assert "CKV_K8S_14" not in lax
    assert "CKV_K8S_23" in lax
    assert any("CKV_K8S_999" in note and "matched nothing" in note for note in result.notes)
    assert any("CKV_K8S_23" in note and "matched nothing" in note for note in result.notes)


def _failed(check_id: str, resource: str, path: Path) -> dict[str, object]:
    return {"check_id": check_id, "resource": resource, "file_abs_path": str(path)}


def test_a_chart_exception_excuses_the_charts_object_and_never_ours(tmp_path: Path) -> None:
    exceptions = _exceptions(
        tmp_path,
        """
chart_exceptions:
- check: CKV_K8S_19
  objects: ["DaemonSet.metallb-system.speaker"]
  reason: ARP on the node's interface
- check: CKV_K8S_16
  objects: ["DaemonSet.longhorn-system.manager"]
  reason: stale, but only once charts are rendered
""",
    )
    root = tmp_path / "scan" / "tree"
    chart = tmp_path / "scan" / "chart" / "metallb" / "speaker.yaml"
    speaker = "DaemonSet.metallb-system.speaker"
    failed = [
        _failed("CKV_K8S_19", speaker, chart),  # the chart's: excused
        _failed("CKV_K8S_19", speaker, root / "components" / "metallb" / "x.yaml"),  # ours
    ]
    scanned = policy.Scan(failed=failed, resources=2, passed=0, parsing_errors=0)
    result = policy.judge(scanned, exceptions, root, charts=True)
    assert [f.where for f in result.findings] == [f"components/metallb/x.yaml {speaker}"]
    assert any("CKV_K8S_16" in note and "matched nothing" in note for note in result.notes)
    # Without --charts the chart entries cannot match, so they are not called stale.
    plain = policy.judge(policy.Scan([], 0, 0, 0), exceptions, root)
    assert not any("matched nothing" in note for note in plain.notes)


def test_an_exception_without_a_reason_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CKV_K8S_14 has no reason"):
        _exceptions(tmp_path, "exceptions: [{check: CKV_K8S_14}]\n")


def test_the_shipped_exceptions_all_give_a_reason() -> None:
    for exception in policy.load_exceptions():
        assert exception.reason.strip()
        assert exception.check.startswith("CKV")
