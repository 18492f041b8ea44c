"""The removed-API table holds the upstream guide's facts, with its source and date."""

from __future__ import annotations

from labctl.upgrade import removed_apis
from labctl.upgrade.removed_apis import find, removed_by


def test_source_and_date_are_carried() -> None:
    assert (
        removed_apis.SOURCE == "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
    )
    assert removed_apis.READ_ON.startswith("20")


def test_the_guide_s_removals_on_the_way_from_1_28() -> None:
    assert {(r.api_version, k) for r in removed_by("1.29") for k in r.kinds} == {
        ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration"),
    }
    assert [r.api_version for r in removed_by("1.32")] == ["flowcontrol.apiserver.k8s.io/v1beta3"]
    for minor in ("1.30", "1.31", "1.33", "1.34"):
        assert removed_by(minor) == [], minor


def test_earlier_removals_and_replacements() -> None:
    hpa = find("autoscaling/v2beta2", "HorizontalPodAutoscaler")
    assert hpa is not None and (hpa.removed_in, hpa.replacement) == ("1.26", "autoscaling/v2")
    capacity = find("storage.k8s.io/v1beta1", "CSIStorageCapacity")
    assert capacity is not None and capacity.removed_in == "1.27"
    assert find("storage.k8s.io/v1", "CSIStorageCapacity") is None
    assert find("batch/v1beta1", "CronJob") is not None
    ingress = find("networking.k8s.io/v1beta1", "Ingress")
    assert ingress is not None and ingress.removed_in == "1.22"


def test_metallb_s_legacy_address_pool_is_a_component_removal() -> None:
    row = find("metallb.io/v1beta1", "AddressPool")
    assert row is not None and row.removed_in is None and row.component == "metallb"
    assert find("metallb.io/v1beta1", "IPAddressPool") is None
