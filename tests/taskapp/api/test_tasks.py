"""The tasks API on SQLite, in process: behaviour and every error class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.taskapp.support import app_client, sqlite_settings

pytestmark = pytest.mark.anyio
PROBLEM = "application/problem+json"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(sqlite_settings(tmp_path)) as client:
        yield client


async def _create(client: httpx.AsyncClient, title: str) -> dict[str, object]:
    response = await client.post("/api/tasks", json={"title": title})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    text = response.text.lower()
    for leak in ("select", "insert", "sqlite", "traceback", "sqlalchemy", 'file "'):
        assert leak not in text
    return body


async def test_create_task(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/tasks", json={"title": "  Buy milk  "})
    assert response.status_code == 201
    task = response.json()
    assert task["title"] == "Buy milk"
    assert task["completed"] is False
    assert set(task) == {"id", "title", "completed", "created_at", "updated_at"}
    assert task["created_at"].endswith("Z")
    assert response.headers["location"] == f"/api/tasks/{task['id']}"
    assert (await client.get(response.headers["location"])).json() == task


async def test_update_task_keeps_absent_fields(client: httpx.AsyncClient) -> None:
    task = await _create(client, "Write report")
    done = await client.patch(f"/api/tasks/{task['id']}", json={"completed": True})
    assert done.status_code == 200
    assert done.json()["title"] == "Write report"
    assert done.json()["completed"] is True
    renamed = await client.patch(f"/api/tasks/{task['id']}", json={"title": "Send report"})
    assert renamed.json()["completed"] is True
    assert renamed.json()["title"] == "Send report"
    assert renamed.json()["updated_at"] >= renamed.json()["created_at"]


async def test_delete_task(client: httpx.AsyncClient) -> None:
    task = await _create(client, "Temporary")
    response = await client.delete(f"/api/tasks/{task['id']}")
    assert response.status_code == 204
    assert response.content == b""
    _assert_problem(await client.get(f"/api/tasks/{task['id']}"), 404)
    _assert_problem(await client.delete(f"/api/tasks/{task['id']}"), 404)


async def test_list_tasks_pages_newest_first(client: httpx.AsyncClient) -> None:
    for n in range(7):
        await _create(client, f"task {n}")
    seen: list[str] = []
    url: str | None = "/api/tasks?limit=3"
    pages = 0
    while url is not None and pages < 10:
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        assert isinstance(page, list)
        seen += [task["title"] for task in page]
        link = response.links.get("next")
        url = link["url"] if link else None
        pages += 1
    assert seen == [f"task {n}" for n in reversed(range(7))]
    assert pages == 3


async def test_list_tasks_default_limit_and_filter(client: httpx.AsyncClient) -> None:
    for n in range(55):
        await _create(client, f"t{n}")
    first = await client.get("/api/tasks")
    assert len(first.json()) == 50
    assert 'rel="next"' in first.headers["link"]
    task = first.json()[0]
    await client.patch(f"/api/tasks/{task['id']}", json={"completed": True})
    done = await client.get("/api/tasks?completed=true&limit=500")
    assert [t["id"] for t in done.json()] == [task["id"]]
    assert "link" not in done.headers
    open_tasks = await client.get("/api/tasks?completed=false&limit=10")
    assert all(not t["completed"] for t in open_tasks.json())
    assert "completed=false" in open_tasks.headers["link"]


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/tasks", content=b'{"title": ', headers={"content-type": "application/json"}
    )
    _assert_problem(response, 400)
    invalid_utf8 = await client.post(
        "/api/tasks", content=b'{"title": "\xff"}', headers={"content-type": "application/json"}
    )
    _assert_problem(invalid_utf8, 400)


async def test_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, "/api/tasks/424242", json={"completed": True} if method == "PATCH" else None
        )
        assert _assert_problem(response, 404)["detail"] == "There is no task 424242."
    _assert_problem(await client.get(f"/api/tasks/{2**70}"), 404)
    _assert_problem(await client.get("/api/nothing-here"), 404)


async def test_one_megabyte_body_is_413(client: httpx.AsyncClient) -> None:
    body = json.dumps({"title": "x" * 1_000_000}).encode()
    response = await client.post(
        "/api/tasks", content=body, headers={"content-type": "application/json"}
    )
    _assert_problem(response, 413)

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(16):
            yield b" " * 65536

    streamed = await client.post(
        "/api/tasks", content=chunked(), headers={"content-type": "application/json"}
    )
    _assert_problem(streamed, 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/api/tasks", content=b'{"title": "x"}', headers=headers)
    _assert_problem(response, 415)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": 5}, "title"),
        ({"title": ["a"]}, "title"),
        ({"title": {"a": 1}}, "title"),
        ({"title": "nul\u0000byte"}, "title"),
        ({"title": "ok", "completed": True, "colour": "red"}, "completed"),
        ([1, 2], "body"),
        ("just a string", "body"),
    ],
)
async def test_invalid_create_is_422(client: httpx.AsyncClient, body: object, field: str) -> None:
    problem = _assert_problem(await client.post("/api/tasks", json=body), 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert field in {error["field"] for error in errors}


async def test_lone_surrogate_title_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/tasks", content=b'{"title": "\\ud800"}', headers={"content-type": "application/json"}
    )
    _assert_problem(response, 422)


async def test_title_of_500_characters_is_accepted(client: httpx.AsyncClient) -> None:
    task = await _create(client, "é" * 500)
    assert task["title"] == "é" * 500


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"completed": None}, "completed"),
        ({"completed": "yes"}, "completed"),
        ({"completed": 1}, "completed"),
        ({"title": None}, "title"),
        ({"title": " "}, "title"),
        ({}, "body"),
    ],
)
async def test_invalid_update_is_422(client: httpx.AsyncClient, body: object, field: str) -> None:
    task = await _create(client, "Stays the same")
    problem = _assert_problem(await client.patch(f"/api/tasks/{task['id']}", json=body), 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert field in {error["field"] for error in errors}
    assert (await client.get(f"/api/tasks/{task['id']}")).json() == task


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=x", "limit"),
        ("completed=maybe", "completed"),
        ("cursor=bm9wZQ", "cursor"),
        ("cursor=%25%25", "cursor"),
        ("cursor=" + "0" * 64, "cursor"),
        ("cursor=", "cursor"),
    ],
)
async def test_invalid_list_query_is_422(client: httpx.AsyncClient, query: str, field: str) -> None:
    problem = _assert_problem(await client.get(f"/api/tasks?{query}"), 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert errors[0]["field"] == field


async def test_non_integer_id_is_422(client: httpx.AsyncClient) -> None:
    problem = _assert_problem(await client.get("/api/tasks/abc"), 422)
    assert problem["errors"] == [
        {
            "field": "id",
            "in": "path",
            "message": "must be a whole number",
        }
    ]
    assert problem["detail"] == "Id must be a whole number."


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"title": ""}, "Title cannot be empty."),
        ({"title": "\u00a0"}, "Title cannot be empty."),
        ({"title": "x" * 501}, "Title must be at most 500 characters long."),
        ({}, "Title is required."),
        ({"title": "x", "colour": "red"}, "Colour is not a field of a task."),
        ([1], "The body must be a JSON object."),
    ],
)
async def test_validation_detail_reads_as_a_sentence(
    client: httpx.AsyncClient, body: object, detail: str
) -> None:
    problem = _assert_problem(await client.post("/api/tasks", json=body), 422)
    assert problem["detail"] == detail


async def test_a_title_is_trimmed_of_exactly_the_whitespace_the_schema_names(
    client: httpx.AsyncClient,
) -> None:
    # U+001C is whitespace to Python's str.strip() but not to JSON Schema's \s: it is kept.
    assert (await _create(client, "\u2003 x \ufeff"))["title"] == "x"
    assert (await _create(client, "\x1c"))["title"] == "\x1c"
    # The length limit applies to what was sent, as the schema's maxLength says.
    _assert_problem(await client.post("/api/tasks", json={"title": " " * 10 + "x" * 495}), 422)


async def test_cursor_is_a_task_id_up_to_bigint(client: httpx.AsyncClient) -> None:
    first = await _create(client, "older")
    second = await _create(client, "newer")
    page = await client.get("/api/tasks?limit=1")
    assert page.headers["link"] == f'</api/tasks?limit=1&cursor={second["id"]}>; rel="next"'
    assert [t["id"] for t in (await client.get(f"/api/tasks?cursor={second['id']}")).json()] == [
        first["id"]
    ]
    assert len((await client.get("/api/tasks?cursor=" + "9" * 19)).json()) == 2


@pytest.mark.parametrize("path", ["/api/tasks/1", "/api/tasks"])
async def test_405_allow_names_every_method_of_the_path(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.put(path, json={"title": "x"})
    _assert_problem(response, 405)
    documented = (await client.get("/openapi.json")).json()["paths"][path.replace("1", "{id}")]
    allowed = set(response.headers["allow"].split(", "))
    assert allowed == {method.upper() for method in documented} | {"HEAD"}


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.put("/api/tasks/1", json={"title": "x"}), 405)


async def test_request_id_is_kept_or_made(client: httpx.AsyncClient) -> None:
    kept = await client.get("/api/tasks", headers={"x-request-id": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    made = await client.get("/api/tasks", headers={"x-request-id": "bad id\n"})
    assert len(made.headers["x-request-id"]) == 32


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/api/tasks", "/api/tasks/{id}"} <= set(schema["paths"])
    assert "422" in schema["paths"]["/api/tasks"]["post"]["responses"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()  # the assets come from the package (air-gapped)
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static-offline-docs/{asset}" in docs.text
        assert (await client.get(f"/static-offline-docs/{asset}")).status_code == 200


async def test_front_end_is_served_with_security_headers(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert "<h1>Tasks</h1>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (await client.get("/app.js")).status_code == 200
