"""Counting rows in pg_restore's SQL output, however the stream is cut into chunks."""

from __future__ import annotations

import pytest

from labctl.db.copy_counter import CopyRowCounter, table_name

SQL = (
    b"SET statement_timeout = 0;\n"
    b"--\n-- Data for Name: tasks; Type: TABLE DATA\n--\n\n"
    b"COPY public.tasks (id, title) FROM stdin;\n"
    b"1\tone\n2\t\\N\n3\tline\\nbreak \\\\. not an end\n"
    b"\\.\n\n"
    b'COPY "S"."odd ""x"" y" (k) FROM stdin;\n'
    b"\\.\n"
    b"COPY public.t FROM stdin;\n7\n8\n\\.\n"
    b"SELECT pg_catalog.setval('public.tasks_id_seq', 3, true);\n"
)
EXPECTED = {"public.tasks": 3, '"S"."odd ""x"" y"': 0, "public.t": 2}


def count(*chunks: bytes) -> dict[str, int]:
    counter = CopyRowCounter()
    for chunk in chunks:
        counter.write(chunk)
    return counter.counts


def test_counts_rows_per_copy_block() -> None:
    assert count(SQL) == EXPECTED


@pytest.mark.parametrize("cut", range(1, len(SQL)))
def test_any_chunk_boundary_gives_the_same_counts(cut: int) -> None:
    assert count(SQL[:cut], SQL[cut:]) == EXPECTED


def test_byte_by_byte() -> None:
    assert count(*(SQL[i : i + 1] for i in range(len(SQL)))) == EXPECTED


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("public.tasks (a) FROM stdin;", "public.tasks"),
        ('"a b"."c "" d" (x) FROM stdin;', '"a b"."c "" d"'),
        ("s.t FROM stdin;", "s.t"),
    ],
)
def test_table_name_respects_quotes(text: str, name: str) -> None:
    assert table_name(text) == name
