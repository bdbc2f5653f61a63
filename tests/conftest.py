"""Shared fixtures: a real store in a temp folder, a core with a controllable clock.

The store is a SQLite file; test modules marked ``pytestmark = pytest.mark.engines`` run
each test twice, on SQLite and on a throwaway PostgreSQL server (tests/pg.py), one fresh
database per test. ``CONVENE_TEST_ENGINE=postgresql`` puts every other test that uses the
store fixtures on PostgreSQL as well (a way to find SQLite-only SQL).
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store
from tests.pg import PgServer, find_binaries, start_server

if TYPE_CHECKING:
    from models.embedder import Embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB v22: durations as timedelta, as v23 will
for _name in ("NO_PROXY", "no_proxy"):  # the fakes listen on loopback: never through a proxy
    _kept = [h for h in os.environ.get(_name, "").split(",") if h.strip()]
    os.environ[_name] = ",".join(["127.0.0.1", "localhost", *_kept])


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests may talk to loopback only."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise OSError(f"tests must not reach the network ({host})")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return


@pytest.fixture(scope="session")
def bundled() -> Iterator[Embedder]:
    """The real bundled model, loaded once for every `model` test."""
    from models.embedder import Embedder, MemoryVectorCache

    embedder = Embedder(cache=MemoryVectorCache(), batch_size=128)
    embedder.load()
    yield embedder
    embedder.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))


ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `engines` that use a store run on SQLite and on PostgreSQL (or on the
    engines the closest marker names: ``@pytest.mark.engines("sqlite")`` for a test about
    SQLite's files)."""
    marker = metafunc.definition.get_closest_marker("engines")
    if "engine" in metafunc.fixturenames and marker:
        metafunc.parametrize("engine", list(marker.args or ENGINES), indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL server for the whole run (started on first use)."""
    if find_binaries() is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; .ci/run installs them")
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine the store of this test runs on ("sqlite" unless the test is parametrized)."""
    return getattr(request, "param", os.environ.get("CONVENE_TEST_ENGINE", "sqlite"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "convene.db"


@pytest.fixture
def store_target(engine: str, db_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """The SQLite file, or the URL of a fresh PostgreSQL database (schema already made)."""
    if engine == "postgresql":
        server: PgServer = request.getfixturevalue("pg_server")
        return server.clean_database()
    return db_path


def store_args(target: str | Path, folder: Path) -> list[str]:
    """`convene` options naming a store: ``--db PATH``, or ``--config`` with its ``[store] url``."""
    if isinstance(target, Path):
        return ["--db", str(target)]
    path = folder / "store.toml"
    path.write_text(f'[store]\nurl = "{target}"\n', encoding="utf-8")
    return ["--config", str(path)]


@pytest.fixture
def config(db_path: Path, store_target: str | Path) -> Config:
    return Config(database=db_path, store_url=store_target if isinstance(store_target, str) else "")


@pytest.fixture
async def core(config: Config, clock: Clock) -> AsyncIterator[Core]:
    store = Store(config.store)
    core = Core(config, store, clock=clock)
    yield core
    await core.close()


@pytest.fixture
async def cached_core(config: Config, clock: Clock) -> AsyncIterator[Core]:
    """A core whose (fake, deterministic) embedder caches vectors in the store."""
    from tests.fake_embedder import FakeEmbedder

    store = Store(config.store)
    core = Core(config, store, clock=clock, embedder=FakeEmbedder(cache=store))
    yield core
    await core.close()


@pytest.fixture
def chat(core: Core) -> FakeAdapter:
    adapter = FakeAdapter(core)
    adapter.admins.add("admin")
    return adapter
