"""Plans: what a cluster-changing command would do, shown before it is done.

Every command that changes a cluster first builds a `Plan`, a list of frozen `Step`s (the API
calls it would make, in order, each with its reason) plus `refusals` (why it should not run) and
`warnings` (what the user should know). Building a plan is pure. `render_plan` shows it,
`authorize` decides whether it may run (`--yes`, a prompt, `--force` with a reason), and `execute`
is the one loop that performs I/O, through an `apply` function the action module supplies.

An `apply` function may raise `Retry` to say "not yet" (an eviction answered 429, a controller
has not acted yet): the executor tries the same step again after `retry_interval` until the
plan's deadline, and reports each wait through `progress`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One API call (or one wait) of a plan."""

    verb: str
    kind: str
    namespace: str | None
    name: str
    reason: str
    body: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def target(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class Plan:
    """Steps in order; refusals block the plan unless forced; warnings are shown."""

    title: str
    steps: tuple[Step, ...] = ()
    refusals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


class PlanRefused(Exception):
    """The plan has refusals and was not forced (with a reason), or was not confirmed."""


class PlanTimeout(Exception):
    """A step kept asking to be retried until the plan's deadline passed."""

    def __init__(self, step: Step, message: str) -> None:
        super().__init__(f"timed out at {step.verb} {step.target}: {message}")
        self.step = step


class Retry(Exception):
    """Raised by an `apply` function: this step cannot complete yet; try it again later.

    `after` overrides the executor's retry interval for this wait (e.g. 1 s when polling).
    """

    def __init__(self, message: str, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class ActionFailed(Exception):
    """A step failed in a way retrying cannot fix; the message says what happened."""


def render_plan(plan: Plan) -> str:
    """The plan as plain text: numbered steps, then warnings and refusals."""
    lines = [f"Plan: {plan.title} ({len(plan.steps)} step{'s' * (len(plan.steps) != 1)})"]
    width = max((len(s.verb) for s in plan.steps), default=0)
    target_width = max((len(s.target) for s in plan.steps), default=0)
    for number, step in enumerate(plan.steps, 1):
        lines.append(
            f"  {number:>2}. {step.verb:<{width}}  {step.target:<{target_width}}  {step.reason}"
        )
    if not plan.steps:
        lines.append("  nothing to do")
    if plan.warnings:
        lines.append("Warnings:")
        lines += [f"  ! {warning}" for warning in plan.warnings]
    if plan.refusals:
        lines.append("Refused (override with --force --reason TEXT):")
        lines += [f"  x {refusal}" for refusal in plan.refusals]
    return "\n".join(lines)


def authorize(
    plan: Plan,
    *,
    yes: bool,
    force: bool = False,
    reason: str | None = None,
    ask: Callable[[str], bool] | None = None,
) -> None:
    """Raise `PlanRefused` unless the plan may run.

    Refusals need `--force` and a reason. Then `--yes` runs; otherwise `ask` (a terminal prompt,
    None when stdin is not a terminal) must say yes.
    """
    if plan.refused and not (force and reason and reason.strip()):
        raise PlanRefused(
            "refused: " + "; ".join(plan.refusals) + " (override with --force --reason TEXT)"
        )
    if yes or not plan.steps:
        return
    if ask is None:
        raise PlanRefused("not confirmed: re-run with --yes to apply this plan")
    if not ask(f"Apply these {len(plan.steps)} steps?"):
        raise PlanRefused("not confirmed: nothing was changed")


@dataclass
class Executor:
    """Runs a plan's steps in order; the only place a plan's I/O happens."""

    apply: Callable[[Step], str | None]
    progress: Callable[[Step, str], None] = lambda step, message: None
    timeout: float | None = None
    retry_interval: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def run(self, plan: Plan) -> list[tuple[Step, str]]:
        """Each step with what `apply` said about it; stops at the first error (it propagates)."""
        deadline = None if self.timeout is None else self.clock() + self.timeout
        done: list[tuple[Step, str]] = []
        for step in plan.steps:
            done.append((step, self._run_step(step, deadline)))
        return done

    def _run_step(self, step: Step, deadline: float | None) -> str:
        while True:
            try:
                message = self.apply(step) or "done"
            except Retry as pending:
                left = None if deadline is None else deadline - self.clock()
                if left is not None and left <= 0:
                    raise PlanTimeout(step, str(pending)) from None
                interval = self.retry_interval if pending.after is None else pending.after
                wait = interval if left is None else min(interval, left)
                suffix = "" if left is None else f", {left:.0f}s left"
                self.progress(step, f"{pending} (retrying in {wait:.0f}s{suffix})")
                self.sleep(wait)
                continue
            self.progress(step, message)
            return message
