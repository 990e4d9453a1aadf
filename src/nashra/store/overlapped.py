"""A PostgreSQL commit that runs while the caller goes on with other work.

On PostgreSQL a commit waits for its WAL to reach the disk: 0.5-1.5 ms here, against ~50 µs for
the statements themselves. A sender that waits for each commit before it does anything else
spends most of its time waiting (nashra.mail.send); one that hands the commit to the server and
keeps its SMTP connections busy meanwhile does not, and nothing about the commit changes: the
messages it covers still wait for it. The statements go out as one simple query (one round trip)
on the connection's libpq handle; the caller watches `fileno()` with its selector and asks
`done()` when it is readable.

The connection belongs to the commit until it is done: the caller settles it (`wait`) before it
uses the connection for anything else.
"""

from __future__ import annotations

import select

import psycopg
from psycopg import pq
from sqlalchemy import Connection

_DIVISION_BY_ZERO = "22012"


class Fenced(Exception):
    """The guard statement found fewer rows than expected: nothing of the script was committed
    (it is rolled back, and so is anything the connection's transaction held before it)."""


class CommitFailed(Exception):
    """The server refused the script (nothing of it was committed: rolled back as for Fenced), or
    the connection went away before it answered."""


def libpq_handle(conn: Connection) -> pq.abc.PGconn | None:
    """The libpq connection under a psycopg (3) SQLAlchemy connection; None for other drivers."""
    dbapi: object = conn.connection.dbapi_connection
    return dbapi.pgconn if isinstance(dbapi, psycopg.Connection) else None


def guard(statement: str, expected: int) -> str:
    """`statement` (an UPDATE … RETURNING 1) that aborts the transaction with a division by zero
    unless it touched exactly `expected` rows: how a script says "all of these or none"."""
    return f"WITH g AS ({statement} RETURNING 1) SELECT 1 / (CASE WHEN count(*) = {expected} THEN 1 ELSE 0 END) FROM g"


class PendingCommit:
    """`statements` and COMMIT sent in one round trip; `rowcounts` once done."""

    def __init__(self, handle: pq.abc.PGconn, statements: list[str]) -> None:
        self._handle = handle
        opened = handle.transaction_status == pq.TransactionStatus.INTRANS
        script = ";\n".join([*([] if opened else ["BEGIN"]), *statements, "COMMIT"])
        self._skip = 0 if opened else 1
        self.rowcounts: list[int] = []
        self._results: list[pq.abc.PGresult] = []
        self._error: Exception | None = None
        self._finished = False
        handle.send_query(script.encode())
        while handle.flush():  # libpq in non-blocking mode: wait until the script is written
            select.select([], [handle.socket], [])

    def fileno(self) -> int:
        return self._handle.socket

    def done(self) -> bool:
        """Whether the server has answered (without waiting); raises Fenced or CommitFailed when
        it refused, and again on every later call."""
        if not self._finished:
            handle = self._handle
            try:
                handle.consume_input()
                while not handle.is_busy():
                    result = handle.get_result()
                    if result is None:
                        self._finish()
                        break
                    self._results.append(result)
                else:
                    return False
            except psycopg.Error as exc:  # the connection is gone: whether it committed is unknown
                self._finished = True
                self._error = CommitFailed(f"connection lost during the commit: {exc}")
        if self._error is not None:
            raise self._error
        return True

    def wait(self) -> None:
        """Block until the server has answered; raises as `done` does."""
        while not self.done():
            select.select([self._handle.socket], [], [])

    def _finish(self) -> None:
        self._finished = True
        for result in self._results:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                state = (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
                message = (result.error_message or b"").decode("utf-8", "replace").strip()
                self._error = Fenced(message) if state == _DIVISION_BY_ZERO else CommitFailed(message)
                self._handle.exec_(b"ROLLBACK")  # leave the connection as it was found
                return
        counted = self._results[self._skip : len(self._results) - 1]  # less BEGIN and COMMIT
        self.rowcounts = [int(result.command_tuples or 0) for result in counted]
