"""What validators return: findings about objects, notes about how they checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ToolMissing(Exception):
    """A system tool or Python package a validator needs is not installed."""

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(f"{tool} is not installed (install the {package} package)")
        self.tool = tool
        self.package = package


@dataclass(frozen=True)
class Finding:
    validator: str
    message: str
    where: str = ""  # "path:doc Kind namespace/name", or a tool's file name
    check: str = ""  # a stable id within the validator, e.g. "pdb-blocks-drain"

    def as_dict(self) -> dict[str, str]:
        return {
            "validator": self.validator,
            "check": self.check,
            "where": self.where,
            "message": self.message,
        }


@dataclass
class Result:
    validator: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it checked, what it could not
    checked: int = 0  # objects, files or rules looked at
    seconds: float = 0.0
    missing: ToolMissing | None = None
    unavailable: list[str] = field(default_factory=list)  # inputs it could not get (a chart)

    def add(self, message: str, where: str = "", check: str = "") -> None:
        self.findings.append(Finding(self.validator, message, where, check))

    def as_dict(self) -> dict[str, Any]:
        return {
            "validator": self.validator,
            "checked": self.checked,
            "seconds": round(self.seconds, 3),
            "findings": [finding.as_dict() for finding in self.findings],
            "notes": self.notes,
            "missing": str(self.missing) if self.missing else None,
            "unavailable": self.unavailable,
        }
