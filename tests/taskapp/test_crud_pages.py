"""How `crud.list_tasks` reads a page from PostgreSQL's one aggregated row (no server needed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from taskapp.db import crud

pytestmark = pytest.mark.anyio


def _doc(task_id: int, title: str) -> str:
    return json.dumps({"id": task_id, "title": title}, separators=(",", ":"))


class _Conn:
    """Answers `fetch` with the given results in turn, as an asyncpg connection would."""

    def __init__(self, *results: list[tuple[Any, ...]]) -> None:
        self.results = list(results)
        self.sql: list[str] = []

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        self.sql.append(sql)
        return self.results.pop(0)


async def test_a_full_page_drops_the_extra_task_even_with_lookalike_titles() -> None:
    tricky = ',{"id":99,"title":"x"}'  # inside a JSON string its quotes are escaped
    docs = [_doc(3, tricky), _doc(2, "b"), _doc(1, "c")]
    conn = _Conn([([3, 2, 1], ",".join(docs))])
    page = await crud.list_tasks(conn, owner="ann", limit=3)
    assert page.ids == [3, 2, 1]
    assert json.loads(f"[{page.encoded}]") == [json.loads(d) for d in docs[:2]]


async def test_a_page_of_one_and_an_empty_page() -> None:
    page = await crud.list_tasks(
        _Conn([([5, 4], _doc(5, "a") + "," + _doc(4, "b"))]), owner="a", limit=2
    )
    assert (page.ids, page.encoded) == ([5, 4], _doc(5, "a"))
    page = await crud.list_tasks(_Conn([(None, None)]), owner="a", limit=2)
    assert (page.ids, page.encoded) == ([], "")


async def test_out_of_order_aggregates_fall_back_to_rows() -> None:
    conn = _Conn(
        [([1, 2], _doc(1, "old") + "," + _doc(2, "new"))],
        [(2, _doc(2, "new")), (1, _doc(1, "old"))],
    )
    page = await crud.list_tasks(conn, owner="ann", limit=5)
    assert page.ids == [2, 1]
    assert page.encoded == _doc(2, "new") + "," + _doc(1, "old")
    assert "array_agg" in conn.sql[0] and "array_agg" not in conn.sql[1]
