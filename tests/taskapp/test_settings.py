"""Settings come from TASKAPP_* variables, and docs/taskapp.md documents every one."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskapp.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "taskapp.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    missing = [
        f"TASKAPP_{name.upper()}"
        for name in Settings.model_fields
        if f"`TASKAPP_{name.upper()}`" not in text
    ]
    assert missing == []


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKAPP_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/tasks")
    monkeypatch.setenv("TASKAPP_DB_POOL_SIZE", "4")
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.database_url == "postgresql://db.example/tasks"
    assert settings.db_pool_size == 4
    monkeypatch.setenv("TASKAPP_DATABASE_URL", "sqlite:///x.db")
    assert Settings().database_url == "sqlite:///x.db"
