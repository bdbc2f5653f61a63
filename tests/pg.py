"""A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` in a temp folder, loopback only.

The server runs as the invoking user, or as the ``postgres`` system user when the tests run
as root (PostgreSQL refuses to run as root; Debian's package creates that user). Each test
gets a database of its own (`PgServer.new_database`), so tests never see each other's rows.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
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

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        _run(
            self,
            [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
        )
        shutil.rmtree(self.folder, ignore_errors=True)


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
