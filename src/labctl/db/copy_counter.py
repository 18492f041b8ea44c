"""Counting the rows of a dump without loading it: the COPY blocks of `pg_restore -f -`.

`pg_restore --data-only -f -` prints each table's data as `COPY schema.table (...) FROM stdin;`,
one line per row (newlines inside values are escaped as \\n), and a line `\\.` to end the block.
Inside a block the counter counts newlines in C (`bytes.count`), so a gigabyte takes seconds.
"""

from __future__ import annotations

_END = b"\\.\n"


class CopyRowCounter:
    """A writer that counts rows per table in the SQL text it is fed."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._table: str | None = None
        self._pending = b""

    def write(self, data: bytes) -> int:
        buffer = self._pending + data
        position = 0
        while True:
            if self._table is None:
                newline = buffer.find(b"\n", position)
                if newline == -1:
                    break
                self._start_block(buffer[position:newline])
                position = newline + 1
            elif buffer.startswith(_END, position):
                self._table = None
                position += len(_END)
            else:
                end = buffer.find(b"\n" + _END, position)
                last = end if end != -1 else buffer.rfind(b"\n", position)
                if last == -1:
                    break
                self.counts[self._table] += buffer.count(b"\n", position, last + 1)
                position = last + 1
        self._pending = buffer[position:]
        return len(data)

    def _start_block(self, line: bytes) -> None:
        if line.startswith(b"COPY ") and line.endswith(b" FROM stdin;"):
            self._table = table_name(line[5:].decode("utf-8"))
            self.counts.setdefault(self._table, 0)


def table_name(text: str) -> str:
    """The qualified name at the start of `text` (`public."My table" (a, b) FROM ...`)."""
    position, quoted = 0, False
    while position < len(text):
        char = text[position]
        if char == '"':
            if quoted and text.startswith('""', position):
                position += 2
                continue
            quoted = not quoted
        elif char == " " and not quoted:
            break
        position += 1
    return text[:position]
