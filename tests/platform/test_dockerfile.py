"""deploy/labctl/Dockerfile: a pinned base, locked dependencies, a non-root user."""

from __future__ import annotations

import re

from .conftest import ROOT

DOCKERFILE = (ROOT / "deploy" / "labctl" / "Dockerfile").read_text()


def test_base_image_is_pinned_to_a_patch_version() -> None:
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+-slim-\w+", base), base
    assert all(
        line.split()[1].startswith("${PYTHON_IMAGE}")
        for line in DOCKERFILE.splitlines()
        if line.startswith("FROM")
    )


def test_dependencies_come_from_the_lock_with_hashes() -> None:
    assert "uv export --frozen --no-dev" in DOCKERFILE
    assert "--require-hashes" in DOCKERFILE


def test_it_runs_as_a_numeric_non_root_user() -> None:
    (user,) = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    uid = int(user.split(":")[0])
    assert uid >= 10000
    assert DOCKERFILE.rstrip().splitlines()[-2].startswith("ENTRYPOINT")
