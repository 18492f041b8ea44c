"""Each cross-reference check: a fixture that passes and one that fails, with the exact finding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labctl.validate.tree import Tree
from labctl.validate.xref import checks
from labctl.validate.xref.checks import Issue
from tests.validate.conftest import tree_of

Check = Callable[[Tree], Iterator[Issue]]

CASES: list[tuple[str, Check, list[tuple[str, str]]]] = [
    # fixture stem, check, expected (check id, words in the message) on the failing fixture
    (
        "hpa-target",
        checks.hpa_targets_exist,
        [("hpa-target", "Deployment/frontend does not exist in namespace taskapp")],
    ),
    (
        "pdb",
        checks.pdbs_allow_drains,
        [
            ("pdb-blocks-drain", "allows no disruption at the minimum of 1 pod(s)"),
            ("pdb-selects-nothing", "selects no pods"),
        ],
    ),
    ("service", checks.services_select_pods, [("service-selects-nothing", "taskapp-backend")]),
    (
        "default-deny",
        checks.namespaces_default_deny,
        [
            ("no-default-deny", "namespace taskapp has no default-deny"),
            ("no-default-deny", "namespace tools has no default-deny"),
        ],
    ),
    (
        "pvc-backup",
        checks.pvcs_backed_up,
        [
            ("pvc-location-missed", "namespace taskapp to location offsite"),
            ("pvc-backup-excluded-scheduled", "(logs only, kept 14 days), yet Schedule daily-"),
            ("pvc-no-backup", "no Velero Schedule backs up namespace data"),
        ],
    ),
    (
        "image",
        checks.images_pinned,
        [
            ("image-not-pinned", "registry.example.com:5000/tools/init has no tag"),
            ("image-not-pinned", "nginx:latest uses :latest"),
            ("image-not-pinned", "Helm value image.tag is 'latest'"),
        ],
    ),
    (
        "vault-role",
        checks.vault_roles_dedicated,
        [
            ("vault-role-default-sa", "Vault role taskapp is bound to the 'default'"),
            ("vault-role-sa-missing", "ServiceAccount taskapp/default"),
        ],
    ),
    (
        "vault-spec",
        checks.vault_spec_consistent,
        [
            ("vault-unknown-policy", "grants policy taskapp-polcy"),
            ("vault-db-role-not-allowed", "taskapp is not in connection taskapp-postgres's"),
            ("vault-db-sessions-survive", "database role taskapp: revocation does not end"),
            ("vault-db-no-connection", "database role reporting: no connection warehouse"),
        ],
    ),
    (
        "rule-selected",
        checks.rules_selected,
        [("rule-not-selected", "ruleSelector {'matchLabels': {'release': 'monitoring'}}")],
    ),
]


@pytest.mark.parametrize(("stem", "check", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_finds_the_broken_fixture(
    tmp_path: Path, stem: str, check: Check, expected: list[tuple[str, str]]
) -> None:
    issues = list(check(tree_of(tmp_path, f"xref/{stem}-fail.yaml")))
    assert len(issues) == len(expected), issues
    for (check_id, words), (got_id, where, message) in zip(expected, issues, strict=True):
        assert got_id == check_id
        assert words in message
        assert where.startswith(f"{stem}-fail.yaml#")


@pytest.mark.parametrize(("stem", "check"), [c[:2] for c in CASES], ids=[c[0] for c in CASES])
def test_check_passes_the_good_fixture(tmp_path: Path, stem: str, check: Check) -> None:
    assert list(check(tree_of(tmp_path, f"xref/{stem}-pass.yaml"))) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("nginx", "has no tag"),
        ("nginx:latest", "uses :latest"),
        ("registry.example.com:5000/nginx", "has no tag"),
        ("registry.example.com:5000/nginx:1.27", None),
        ("nginx@sha256:" + "a" * 64, None),
        ("", "has no image"),
    ],
)
def test_image_problem(image: str, problem: str | None) -> None:
    found = checks.image_problem(image)
    assert (found is None) if problem is None else (problem in str(found))


@pytest.mark.parametrize(
    ("budget", "replicas", "allowed"),
    [
        ({"minAvailable": 1}, 1, 0),
        ({"minAvailable": 1}, 2, 1),
        ({"minAvailable": "50%"}, 3, 1),  # ceil(1.5) = 2 must stay
        ({"maxUnavailable": 0}, 3, 0),
        ({"maxUnavailable": "10%"}, 1, 1),  # rounds up to 1
        ({}, 2, None),
    ],
)
def test_allowed_disruptions_round_like_kubernetes(
    budget: dict[str, int | str], replicas: int, allowed: int | None
) -> None:
    assert checks._allowed_disruptions(budget, replicas) == allowed


def test_rules_are_selected_when_the_chart_selects_every_rule(tmp_path: Path) -> None:
    tree = tree_of(tmp_path, "xref/rule-selected-fail.yaml")
    application = next(tree.of_kind("Application"))
    application.obj["spec"]["source"]["helm"] = {
        "valuesObject": {"prometheus": {"prometheusSpec": {"ruleSelectorNilUsesHelmValues": False}}}
    }
    assert list(checks.rules_selected(tree)) == []
    selector = {"matchLabels": {"team": "platform"}}
    application.obj["spec"]["source"]["helm"]["valuesObject"]["prometheus"]["prometheusSpec"][
        "ruleSelector"
    ] = selector
    assert [issue[0] for issue in checks.rules_selected(tree)] == ["rule-not-selected"]
