"""Finding the real system tools the tests use.

Outside CI a missing tool skips its tests with a message that says what to install; with
CI=true it fails them, so a CI run can never go green by skipping.
"""

from __future__ import annotations

import glob
import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(binary: str, package: str, *, search: tuple[str, ...] = ()) -> str:
    """The path of `binary`, looking on PATH and then in the `search` globs."""
    found = shutil.which(binary)
    if found is None:
        for pattern in search:
            matches = sorted(glob.glob(pattern))
            if matches:
                found = matches[-1]
                break
    if found is not None:
        return found
    message = f"{binary} is not installed (apt-get install {package}; `make test` does it as root)"
    if in_ci():
        pytest.fail(f"{message}; CI=true forbids skipping", pytrace=False)
    pytest.skip(message)
