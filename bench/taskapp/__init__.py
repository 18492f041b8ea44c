"""TaskApp benchmark: wrk against one `taskapp serve` on PostgreSQL, pgbench as the ceiling."""
