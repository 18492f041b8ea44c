"""Fixtures for tests that act on a FakeKube cluster (imported by conftest and CLI tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube import Client

from labctl.cluster.client import ClusterTarget, connect
from tests.support.fake_kube import FakeKube


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    with FakeKube() as server:
        yield server


@pytest.fixture
def kubeconfig(fake: FakeKube, tmp_path: Path) -> Path:
    return fake.kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def client(kubeconfig: Path) -> Client:
    return connect(ClusterTarget(kubeconfig=kubeconfig, timeout=2))
