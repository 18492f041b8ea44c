"""Who may do what: identity header, bearer tokens, anonymous only where safe, CORS."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskapp.auth import new_token
from taskapp.errors import ConfigError
from taskapp.main import create_app
from taskapp.settings import Settings
from tests.taskapp.support import app_client, sqlite_settings

pytestmark = pytest.mark.anyio
HEADER = "Cf-Access-Authenticated-User-Email"


async def test_identity_header_isolates_users(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, identity_header=HEADER)
    async with app_client(settings) as client:
        alice = {HEADER: "Alice@example.com"}
        bob = {HEADER: "bob@example.com"}
        created = await client.post("/api/tasks", json={"title": "alice's"}, headers=alice)
        task_id = created.json()["id"]
        assert (await client.get("/api/tasks", headers=bob)).json() == []
        assert (await client.get(f"/api/tasks/{task_id}", headers=bob)).status_code == 404
        patch = await client.patch(f"/api/tasks/{task_id}", json={"title": "x"}, headers=bob)
        assert patch.status_code == 404
        assert (await client.delete(f"/api/tasks/{task_id}", headers=bob)).status_code == 404
        mine = await client.get("/api/tasks", headers={HEADER: "alice@example.com"})
        assert [t["title"] for t in mine.json()] == ["alice's"]


async def test_missing_identity_is_401(tmp_path: Path) -> None:
    async with app_client(sqlite_settings(tmp_path, identity_header=HEADER)) as client:
        for method, url in (
            ("GET", "/api/tasks"),
            ("POST", "/api/tasks"),
            ("DELETE", "/api/tasks/1"),
        ):
            response = await client.request(
                method, url, json={"title": "x"} if method == "POST" else None
            )
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"
        assert (await client.get("/healthz")).status_code == 200


async def test_bearer_tokens_identify_users(tmp_path: Path) -> None:
    token_a, line_a = new_token("ann")
    token_b, line_b = new_token("ben")
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# API tokens\n{line_a}\n{line_b}\n")
    async with app_client(sqlite_settings(tmp_path, api_tokens_file=tokens)) as client:
        ann = {"Authorization": f"Bearer {token_a}"}
        ben = {"Authorization": f"Bearer {token_b}"}
        await client.post("/api/tasks", json={"title": "ann's"}, headers=ann)
        assert (await client.get("/api/tasks", headers=ben)).json() == []
        assert len((await client.get("/api/tasks", headers=ann)).json()) == 1
        wrong = await client.get("/api/tasks", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        basic = await client.get("/api/tasks", headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401
        assert (await client.get("/api/tasks")).status_code == 401
        assert token_a not in tokens.read_text()


def test_refuses_public_bind_without_authentication(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TASKAPP_IDENTITY_HEADER"):
        create_app(sqlite_settings(tmp_path, host="0.0.0.0"))
    create_app(sqlite_settings(tmp_path, host="0.0.0.0", identity_header=HEADER))
    assert Settings(host="127.0.0.1").anonymous
    assert not Settings(host="127.0.0.1", identity_header=HEADER).anonymous


async def test_cors_is_off_by_default(tmp_path: Path) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    async with app_client(sqlite_settings(tmp_path)) as client:
        response = await client.get("/api/tasks", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in response.headers
        response = await client.options("/api/tasks", headers=preflight)
        assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_configured_origins_only(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, cors_origins=["https://tasks.example"])
    async with app_client(settings) as client:
        ok = await client.get("/api/tasks", headers={"Origin": "https://tasks.example"})
        assert ok.headers["access-control-allow-origin"] == "https://tasks.example"
        other = await client.get("/api/tasks", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
