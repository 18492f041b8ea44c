"""The fast path of list and create (api/fast_path.py): used for plain requests, and never
changes an answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest

from tests.taskapp.support import app_client, sqlite_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(sqlite_settings(tmp_path)) as client:
        for n in range(6):
            title = f"task {n}"
            created = await client.post("/api/tasks", json={"title": title})
            assert created.status_code == 201
            if n % 2:
                await client.patch(created.headers["location"], json={"completed": True})
        yield client


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of requests FastAPI solved the parameters of (the slow path)."""
    calls: list[str] = []
    original = fastapi.routing.solve_dependencies  # type: ignore[attr-defined]

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["request"].url.path)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", spy)
    return calls


async def test_plain_list_and_create_skip_parameter_solving(
    client: httpx.AsyncClient, solved: list[str]
) -> None:
    assert (await client.get("/api/tasks?limit=2&completed=true")).status_code == 200
    assert (await client.get("/api/tasks")).status_code == 200
    assert (await client.post("/api/tasks", json={"title": " new "})).json()["title"] == "new"
    assert solved == []
    assert (await client.get("/api/tasks?limit=501")).status_code == 422
    assert (await client.post("/api/tasks", json={"title": ""})).status_code == 422
    assert solved == ["/api/tasks", "/api/tasks"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "limit=2",
        "limit=500",
        "limit=007",
        "limit=%2B3",
        "limit=%203",
        "limit=2&limit=3",
        "limit=",
        "limit=1000",
        "completed=true",
        "completed=false&limit=1",
        "completed=True",
        "completed=1",
        "completed=yes",
        "completed=",
        "cursor=",
        "cursor=" + "0" * 19,
        "cursor=" + "0" * 20,
        "cursor=" + "9" * 19,
        "cursor=3",
        "cursor=%2B3",
        "limit=2&cursor=3&completed=false",
        "cursor=%D9%A3",  # ARABIC-INDIC DIGIT THREE: a digit to str.isdigit, not to the pattern
    ],
)
async def test_fast_path_answers_like_fastapi(client: httpx.AsyncClient, query: str) -> None:
    # An unknown parameter sends the request down FastAPI's path, which ignores it.
    fast = await client.get(f"/api/tasks?{query}")
    slow = await client.get(f"/api/tasks?{query}&unknown=1")
    assert fast.status_code == slow.status_code
    assert fast.headers.get("link") == slow.headers.get("link")
    if fast.status_code == 200:
        assert fast.json() == slow.json()
    else:
        fast_body, slow_body = fast.json(), slow.json()
        fast_body.pop("request_id"), slow_body.pop("request_id")
        assert fast_body == slow_body


async def test_create_answers_401_before_reading_a_valid_body(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, identity_header="X-User", allow_anonymous=False)
    async with app_client(settings) as client:
        refused = await client.post("/api/tasks", json={"title": "x"})
        listed = await client.get("/api/tasks?limit=5")
        mine = await client.post("/api/tasks", json={"title": "x"}, headers={"X-User": "Ann"})
    assert refused.status_code == listed.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert mine.status_code == 201


async def test_fast_answers_are_counted_under_their_route(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/tasks", json={"title": "counted"})).status_code == 201
    metrics = (await client.get("/metrics")).text
    assert 'route="/api/tasks",status="201"' in metrics.replace('method="POST",', "")


async def test_with_cors_every_request_gets_the_cors_headers(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, cors_origins=["https://tasks.example.com"])
    async with app_client(settings) as client:
        origin = {"Origin": "https://tasks.example.com"}
        listed = await client.get("/api/tasks", headers=origin)
        created = await client.post("/api/tasks", json={"title": "x"}, headers=origin)
    for response in (listed, created):
        assert response.headers["access-control-allow-origin"] == "https://tasks.example.com"
