"""TaskApp's domain errors. `api/problems.py` maps each to one HTTP status, in one place.

TaskAppError
├── NotFound             404: no such task (for this user)
├── DatabaseUnavailable  503: the database cannot be reached, or is not migrated yet
└── ConfigError          the settings are unsafe or inconsistent; the process refuses to start
"""

from __future__ import annotations


class TaskAppError(Exception):
    """Base of every error TaskApp raises on purpose."""


class NotFound(TaskAppError):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class DatabaseUnavailable(TaskAppError):
    """Safe to show: says nothing about hosts, users or SQL."""


class ConfigError(TaskAppError):
    pass
