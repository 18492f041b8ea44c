"""TaskApp's PostgreSQL backup round trip, on a real server: the rendered pre-backup hook's
pg_dump, then the rendered first-start script (`20-restore-backup.sh`) loading it into a new,
empty database, as after a Velero restore (PGDATA itself is never backed up)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from labctl.config.cluster import ClusterConfig
from labctl.platform.components import taskapp_db, vault_config
from tests.support.postgres import PostgresServer, pg_binary

pytestmark = pytest.mark.postgres
SOURCE, RESTORED = "hook_source", "hook_restored"


def sh(script: str, server: PostgresServer) -> subprocess.CompletedProcess[str]:
    """Run a rendered shell snippet with the PostgreSQL client tools on PATH, as in the image."""
    env = {
        **os.environ,
        "PATH": f"{Path(pg_binary('pg_dump')).parent}:{os.environ['PATH']}",
        "PGHOST": server.host,
        "PGPORT": str(server.port),
        "PGPASSWORD": server.password,
        "POSTGRES_USER": "postgres",
    }
    return subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True)


def hook_command(config: ClusterConfig, dump_dir: Path) -> str:
    """The pre-backup hook's command as rendered, aimed at a folder and database of the test."""
    statefulset = taskapp_db.postgres(config)
    annotations = statefulset["spec"]["template"]["metadata"]["annotations"]
    command = json.loads(annotations["pre.hook.backup.velero.io/command"])
    database = config.taskapp.database.name
    return (
        str(command[2])
        .replace(taskapp_db.DUMP_DIR, str(dump_dir))
        .replace(f"-d {database} ", f"-d {SOURCE} ")
    )


def test_a_restored_namespace_gets_its_rows_back(
    example_config: ClusterConfig, own_postgres: PostgresServer, tmp_path: Path
) -> None:
    postgres = own_postgres  # roles are server-wide: the owner role must not leak to others
    database = example_config.taskapp.database.name
    postgres.create_database(SOURCE)
    postgres.psql(taskapp_db.INIT_SQL.format(database=SOURCE), SOURCE)
    user = "v-taskapp-gone"
    creation = "\n".join(vault_config.CREATION)
    postgres.psql(
        creation.replace("{{name}}", user)
        .replace("{{password}}", "pw")
        .replace("{{expiration}}", "2099-01-01 00:00:00+0000"),
        SOURCE,
    )
    postgres.psql(
        # What a login of the user does (`ALTER ROLE ... SET ROLE` in the creation statements).
        f"SET ROLE {vault_config.OWNER_ROLE}; CREATE TABLE tasks (id int, title text);"
        "INSERT INTO tasks SELECT n, 'task ' || n FROM generate_series(1, 250) n;"
        f'GRANT SELECT ON tasks TO "{user}"',  # a grant to a user Vault will have dropped
        SOURCE,
    )

    dumped = sh(hook_command(example_config, tmp_path), postgres)
    assert dumped.returncode == 0, dumped.stderr
    dump = tmp_path / f"{database}.dump"
    assert dump.stat().st_size > 0 and not dump.with_name(f"{dump.name}.partial").exists()
    postgres.psql(f'DROP OWNED BY "{user}"; DROP ROLE "{user}"', SOURCE)

    # A new data directory: the image's initdb runs 10-owner-role.sql, then 20-restore-backup.sh.
    postgres.create_database(RESTORED)
    scripts = taskapp_db.init_scripts(example_config)
    postgres.psql(scripts["10-owner-role.sql"].replace(database, RESTORED), RESTORED)
    restore = scripts["20-restore-backup.sh"].replace(str(Path(taskapp_db.DUMP_DIR)), str(tmp_path))
    restored = sh(restore.replace(f'--dbname "{database}"', f'--dbname "{RESTORED}"'), postgres)
    assert restored.returncode == 0, restored.stderr
    assert "restoring" in restored.stdout

    assert postgres.psql("SELECT count(*), sum(id) FROM tasks", RESTORED) == "250|31375"
    owner = postgres.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'tasks'", RESTORED)
    assert owner == vault_config.OWNER_ROLE


def test_a_fresh_install_has_no_dump_and_skips_the_restore(
    example_config: ClusterConfig, postgres: PostgresServer, tmp_path: Path
) -> None:
    script = taskapp_db.init_scripts(example_config)["20-restore-backup.sh"]
    result = sh(script.replace(taskapp_db.DUMP_DIR, str(tmp_path)), postgres)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
