"""A troubleshooting view: facts, sections of lines, and the likely causes, rendered as text."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cause:
    """A likely cause: where it comes from (a check id, 'events', 'logs'), what, and what to do."""

    source: str
    message: str
    hint: str = ""


@dataclass
class View:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)

    def section(self, title: str, lines: list[str], empty: str = "none") -> None:
        self.sections.append((title, lines or [empty]))


def render_view(view: View) -> str:
    lines = [view.title, "=" * len(view.title)]
    width = max((len(label) for label, _ in view.facts), default=0)
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in view.facts]
    for title, body in view.sections:
        lines += ["", f"{title}:"]
        lines += [f"  {line}" for line in body]
    lines += ["", "Likely cause:"]
    if not view.causes:
        lines.append("  nothing found by the health checks or in the events")
    for cause in view.causes:
        lines.append(f"  - [{cause.source}] {cause.message}")
        if cause.hint:
            lines.append(f"    next: {cause.hint}")
    return "\n".join(lines)


def table(rows: list[list[str]]) -> list[str]:
    """Rows aligned into columns (the first row is the header)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
