"""Both console scripts are installed and answer --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("script", ["labctl", "taskapp"])
def test_version(script: str) -> None:
    result = subprocess.run([BIN / script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"{script} 0.1.0"
