"""The PDB simulation behind the drain preflight, on plain objects (no API server)."""

from __future__ import annotations

import pytest

from labctl.actions.budgets import preflight, selects
from tests.actions.objects import pdb, pod


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (None, {"app": "web"}, False),  # a null selector selects nothing
        ({}, {"app": "web"}, True),  # an empty one selects every pod of the namespace
        ({"matchLabels": {"app": "web"}}, {"app": "web", "tier": "front"}, True),
        (
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
            {"tier": "b"},
            True,
        ),
        (
            {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["b"]}]},
            {"tier": "b"},
            False,
        ),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {}, True),
    ],
)
def test_label_selectors(
    selector: dict[str, object] | None, labels: dict[str, str], expected: bool
) -> None:
    assert selects(selector, labels) is expected


def test_with_one_disruption_allowed_later_pods_wait_for_replacements() -> None:
    pods = [pod(f"web-{i}", "apps", labels={"app": "web"}) for i in range(3)]
    budget = pdb("web", "apps", {"app": "web"}, allowed=1, healthy=3, desired=2, expected=3)
    blockers = preflight(pods, [budget])
    assert [(b.pod, b.forever) for b in blockers] == [("apps/web-1", False), ("apps/web-2", False)]
    assert "waits until the replacement of an earlier one is ready" in blockers[0].why


def test_finished_pods_and_other_namespaces_are_not_blocked() -> None:
    done = pod("job-1", "apps", labels={"app": "web"}, phase="Succeeded")
    elsewhere = pod("web-1", "other", labels={"app": "web"})
    budget = pdb("web", "apps", {"app": "web"}, allowed=0, healthy=1, desired=1, expected=1)
    assert preflight([done, elsewhere], [budget]) == []


def test_a_budget_without_status_refuses() -> None:
    budget = pdb("web", "apps", {"app": "web"}, allowed=0, healthy=0, desired=0, expected=0)
    del budget["status"]
    (blocker,) = preflight([pod("web-1", "apps", labels={"app": "web"})], [budget])
    assert "has no status yet" in blocker.why
