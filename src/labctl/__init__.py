"""labctl: the homelab runbook as a program."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("platform-lab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
