"""The shared plan type: rendering, authorization and the executor loop."""

from __future__ import annotations

import pytest

from labctl.actions.plan import (
    Executor,
    Plan,
    PlanRefused,
    PlanTimeout,
    Retry,
    Step,
    authorize,
    render_plan,
)

CORDON = Step("cordon", "Node", None, "n1", "mark unschedulable", {"spec": {"unschedulable": True}})
EVICT = Step("evict", "Pod", "db", "pg-0", "StatefulSet pg")


def test_render_lists_steps_warnings_and_refusals() -> None:
    plan = Plan("drain n1", (CORDON, EVICT), refusals=("pg blocks",), warnings=("emptyDir",))
    text = render_plan(plan)
    assert "Plan: drain n1 (2 steps)" in text
    assert "1. cordon  Node n1" in text
    assert "2. evict   Pod db/pg-0" in text
    assert "! emptyDir" in text and "x pg blocks" in text


def test_refusals_need_force_and_a_reason() -> None:
    plan = Plan("p", (CORDON,), refusals=("would block forever",))
    with pytest.raises(PlanRefused, match="would block forever"):
        authorize(plan, yes=True)
    with pytest.raises(PlanRefused):
        authorize(plan, yes=True, force=True, reason=" ")
    authorize(plan, yes=True, force=True, reason="node is dead")


def test_without_yes_a_prompt_decides_and_no_terminal_refuses() -> None:
    plan = Plan("p", (CORDON,))
    with pytest.raises(PlanRefused, match="--yes"):
        authorize(plan, yes=False, ask=None)
    with pytest.raises(PlanRefused, match="not confirmed"):
        authorize(plan, yes=False, ask=lambda question: False)
    asked: list[str] = []

    def ask(question: str) -> bool:
        asked.append(question)
        return True

    authorize(plan, yes=False, ask=ask)
    assert asked == ["Apply these 1 steps?"]


def test_executor_retries_until_the_step_completes() -> None:
    attempts: list[str] = []

    def apply(step: Step) -> str:
        attempts.append(step.name)
        if step is EVICT and attempts.count("pg-0") < 3:
            raise Retry("blocked by PDB pg")
        return "ok"

    seen: list[str] = []
    executor = Executor(
        apply, lambda s, m: seen.append(m), retry_interval=0.0, sleep=lambda s: None
    )
    result = executor.run(Plan("p", (CORDON, EVICT)))
    assert attempts == ["n1", "pg-0", "pg-0", "pg-0"]
    assert [m for _, m in result] == ["ok", "ok"]
    assert seen[1].startswith("blocked by PDB pg (retrying in 0s")


def test_executor_times_out_on_a_step_that_never_completes() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def apply(step: Step) -> str:
        raise Retry("still blocked")

    executor = Executor(apply, timeout=12, retry_interval=5, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(PlanTimeout, match="timed out at evict Pod db/pg-0: still blocked"):
        executor.run(Plan("p", (EVICT,)))
    assert now[0] == 12
