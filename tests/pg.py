"""A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` in a temp folder, loopback only.

The server runs as the invoking user, or as the ``postgres`` system user when the tests run
as root (PostgreSQL refuses to run as root; Debian's package creates that user). Each test
gets a database of its own (`PgServer.new_database`), so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (PATH first, then Debian's versioned folders)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running throwaway server; `stop` removes it and its folder."""

    folder: Path
    bin: Path
    port: int
    user: str | None
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def admin_url(self) -> str:
        return f"postgresql://convene@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://convene@127.0.0.1:{self.port}/{database}"

    _shared: str = ""
    _reset: str = ""

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def clean_database(self) -> str:
        """The URL of a database holding every table the bot makes and no rows.

        One database serves every test that asks: it is migrated once, then emptied before
        each use (rows deleted, id counters reset, tables a test added dropped), which takes
        milliseconds where creating a database takes most of a second.
        """
        if not self._shared:
            from bot.storage.copy import create_schema

            self._shared = self.new_database()
            create_schema(self._shared)
            with psycopg.connect(self._shared, autocommit=True) as conn:
                self._reset = _reset_script(conn)
        with psycopg.connect(self._shared, autocommit=True) as conn:
            conn.execute(self._reset)
        return self._shared

    def stop(self) -> None:
        _run(
            self,
            [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def _reset_script(conn: psycopg.Connection) -> str:
    """SQL that brings the shared database back to its freshly migrated state."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name <> 'schema_version'"
        )
    ]
    versions = conn.execute("SELECT component, version FROM schema_version").fetchall()
    known = ", ".join(f"'{t}'" for t in [*tables, "schema_version"])
    components = ", ".join(f"'{c}'" for c, _ in versions)
    return (
        "SET session_replication_role = replica;"  # no foreign-key checks while emptying
        "DO $$ DECLARE t text; BEGIN "
        "FOR t IN SELECT table_name FROM information_schema.tables WHERE table_schema = "
        f"current_schema() AND table_name NOT IN ({known}) LOOP "
        "EXECUTE format('DROP TABLE %I CASCADE', t); END LOOP; "
        "FOR t IN SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) FROM "
        "information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES' "
        "LOOP EXECUTE format('ALTER SEQUENCE %s RESTART', t); END LOOP; END $$;"
        + "".join(f'DELETE FROM "{t}";' for t in tables)
        + f"DELETE FROM schema_version WHERE component NOT IN ({components});"
        + "".join(
            f"UPDATE schema_version SET version = {v} WHERE component = '{c}';" for c, v in versions
        )
        + "SET session_replication_role = DEFAULT;"
    )


def _run(server: PgServer, argv: list[str]) -> None:
    subprocess.run(
        argv, check=True, capture_output=True, user=server.user, cwd=server.folder, timeout=120
    )


def start_server() -> PgServer:
    """Start a fresh server on a free loopback port (fsync off: the data is thrown away)."""
    binaries = find_binaries()
    if binaries is None:
        raise FileNotFoundError("initdb/pg_ctl not found")
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="convene-pg-"))
    if user:
        shutil.chown(folder, user)
    server = PgServer(folder, binaries, _free_port(), user)
    data = folder / "data"
    _run(server, [str(binaries / "initdb"), "-D", str(data), "-U", "convene", "--auth=trust",
                  "-E", "UTF8", "--locale=C"])  # fmt: skip
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories='' "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    log = folder / "server.log"
    _run(server, [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                  "-w", "-t", "60", "start"])  # fmt: skip
    return server


SKIPPED = "PostgreSQL: skipped (no --postgresql URL and no initdb/pg_ctl installed)"


@contextlib.contextmanager
def databases(url: str | None = None) -> Iterator[Callable[[], str] | None]:
    """For the benchmarks: a maker of databases to run on.

    With `url` it gives that database each time (the caller empties it between runs);
    without, a fresh database on a throwaway server, stopped at the end. None when there is
    no URL and no server can be started (the caller prints `SKIPPED`).
    """
    if url is not None:
        yield lambda: url
        return
    if find_binaries() is None:
        yield None
        return
    server = start_server()
    try:
        yield server.new_database
    finally:
        server.stop()
