"""Storage: the table, the queries, the engine (with credential rotation) and migrations."""
