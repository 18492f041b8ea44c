"""labctl: the homelab runbook as a program."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up on first use (`labctl --version`): importing importlib.metadata and scanning
    # the installed distributions costs ~15-30 ms, paid by every command if done at import.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("platform-lab")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            found = "0.0.0"
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
