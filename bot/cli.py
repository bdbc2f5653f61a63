"""The `convene` command line: demo, chat, run, import, eval.

Examples:
    convene demo                      build a demo community, show a tour, open the console
    convene chat --db convene.db      chat on the console in an existing database
    convene chat --db convene.db --community "Founders Guild" --at 2019-11-30
    convene digest --db convene.db --community "Founders Guild" --period 2019-11 --out digest/
    convene run --config config.toml  connect every platform the config enables
    convene import telegram result.json --community "Founders Guild"
    convene import discord export.json
    convene eval matching --db convene-demo.db
    convene eval forecast --db convene.db --community founders
    convene store deadletters --db convene.db   rows the bot could not write, with why
    convene privacy audit --db convene.db --member 12 --also "Ana Reyes"
    convene dashboard --db convene-demo.db   serve the web dashboard and print a login link
    convene migrate --to postgresql://convene@db.example.org/convene --from convene.db
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config, ConfigError, load
from bot.storage.store import StoreError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `convene` script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ConfigError, StoreError, _model_error()) as exc:
        print(f"convene: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _model_error() -> type[Exception]:
    from models.embedder import ModelError  # imported late: it is not needed for --help

    return ModelError


DEMO_DB = Path("convene-demo.db")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convene",
        description="Convene: a bot for startup communities.",
        epilog="Run `convene COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = sub.add_parser("demo", help="build a demo community, show a tour, open the console")
    demo.add_argument("--seed", type=int, default=7, help="demo generator seed (default 7)")
    demo.add_argument("--db", type=Path, default=Path("convene-demo.db"), help="database file")
    demo.add_argument("--no-chat", action="store_true", help="do not open the console after")
    demo.add_argument("--fresh", action="store_true", help="rebuild an existing demo database")
    demo.set_defaults(func=_demo)

    chat = sub.add_parser("chat", help="chat with the bot on the console")
    chat.add_argument("--db", type=Path, help="database file (default: convene-demo.db)")
    chat.add_argument("--as", dest="user", default="organizer", help="member to speak as")
    chat.add_argument("--community", help="talk in this stored community (name or key)")
    chat.add_argument("--at", help="look from this day (YYYY-MM-DD): the console's clock")
    chat.add_argument("--files", type=Path, help="folder for charts and files the bot sends")
    chat.set_defaults(func=_chat)

    dg = sub.add_parser("digest", help="render the digest of a past period from stored data")
    dg.add_argument("--community", required=True, help="community name or key")
    dg.add_argument("--period", required=True, help="2019-11, 2019-W45, 2019-11-04 or 2019")
    dg.add_argument("--out", type=Path, help="folder for digest.txt, digest.png, topics.csv")
    _store_options(dg)
    dg.set_defaults(func=_digest)

    run = sub.add_parser("run", help="connect every platform the config enables")
    run.add_argument("--config", type=Path, default=Path("config.toml"), help="config file")
    run.set_defaults(func=_run)

    imp = sub.add_parser("import", help="backfill history from a platform export")
    imp.add_argument("platform", choices=("telegram", "discord"), help="where the export is from")
    imp.add_argument("file", type=Path, help="the export file (JSON; Discord: also a folder)")
    imp.add_argument("--community", help="community name (Telegram: required)")
    imp.add_argument(
        "--no-embed", action="store_true", help="skip embedding and weekly topic summaries"
    )
    _store_options(imp)
    imp.set_defaults(func=_import)

    ev = sub.add_parser("eval", help="evaluate a learned part on this community's data")
    ev.add_argument("what", choices=("matching", "forecast"), help="the learned part to evaluate")
    ev.add_argument("--community", help="community name or key (default: all)")
    ev.add_argument("--set", type=Path, help="score a labelled set (JSON) instead of a database")
    ev.add_argument("--model", help="embedding model for --set (default: the config's)")
    ev.add_argument("--details", action="store_true", help="with --set: list failing reasons")
    ev.add_argument("--split", action="store_true", help="with --set: also by half of the set")
    _store_options(ev)
    ev.set_defaults(func=_eval)

    st = sub.add_parser("store", help="database maintenance")
    st.add_argument(
        "action", choices=("deadletters",), help="deadletters: rows that could not be written"
    )
    _store_options(st)
    st.set_defaults(func=_store)
    pa = sub.add_parser("privacy", help="privacy tools: audit what still mentions a member")
    pa.add_argument("action", choices=("audit",), help="audit: list every row and file hit")
    _store_options(pa)
    pa.add_argument("--member", required=True, help="member id or display name")
    pa.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="TEXT",
        help="more text that identifies them (name, user id, a message); repeatable",
    )
    pa.add_argument(
        "--files",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="more files or folders the bot wrote (charts, exports); repeatable",
    )
    pa.set_defaults(func=_privacy)  # fmt: skip
    dash = sub.add_parser(
        "dashboard", help="serve the web dashboard for a database, print a login link"
    )
    dash.add_argument("--community", help="community name or key (needed when there are several)")
    dash.add_argument("--host", help="address to listen on (default: [dashboard] host, 127.0.0.1)")
    dash.add_argument("--port", type=_port, help="port (default: [dashboard] port, 8750)")
    _store_options(dash)
    dash.set_defaults(func=_dashboard)

    mig = sub.add_parser(
        "migrate", help="copy a SQLite store into PostgreSQL, verify row counts (safe to re-run)"
    )
    mig.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/database")
    mig.add_argument(
        "--from", dest="source", type=Path, default=Path("convene.db"), metavar="PATH",
        help="the SQLite file (default convene.db)",
    )  # fmt: skip
    mig.set_defaults(func=_migrate)

    dc = sub.add_parser("discord", help="Discord maintenance")
    dc.add_argument("action", choices=("sync",), help="sync: publish slash commands globally")
    dc.add_argument("--config", type=Path, default=Path("config.toml"), help="config file")
    dc.set_defaults(func=_discord)
    return parser


def _store_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--db", type=Path, help="database file")
    group.add_argument("--config", type=Path, help="config file (its database is used)")


def _config_from(args: argparse.Namespace) -> Config:
    if getattr(args, "config", None):
        return load(args.config)
    db = getattr(args, "db", None) or Path("convene.db")
    return Config(database=db)


def _port(text: str) -> int:
    """A TCP port number, for argparse (which then prints one clear line, not a traceback)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use a number from 1 to 65535")
    return port


def _migrate(args: argparse.Namespace) -> int:
    from bot.storage.copy import copy_store
    from bot.storage.engine import check_url

    check_url(args.to, where="--to")
    results = copy_store(args.source, args.to)
    width = max(len(r.table) for r in results) if results else 0
    for r in results:
        mark = "ok" if r.ok else "MISMATCH"
        print(f"{r.table:<{width}}  {r.source:>9} rows in the file  {r.target:>9} copied  {mark}")
    bad = [r.table for r in results if not r.ok]
    if bad:
        print(
            f"convene: row counts differ for {', '.join(bad)}: the target already held other "
            "rows there (a bot wrote to it?). Nothing was deleted.",
            file=sys.stderr,
        )
        return 1
    print(f"Copied {len(results)} tables; every row count matches.")
    return 0


def _missing(database: str | Path) -> bool:
    """Whether a SQLite store is missing (said on stderr); a PostgreSQL URL is never."""
    if isinstance(database, Path) and not database.exists():
        print(f"convene: no database at {database}; pass --db or --config.", file=sys.stderr)
        return True
    return False


def _run_async(fn: Callable[[], object]) -> int:
    return int(asyncio.run(fn()) or 0)  # type: ignore[arg-type]


def _demo(args: argparse.Namespace) -> int:
    from bot.demo.run import keep_existing, run_chat, run_demo

    interactive = sys.stdin.isatty() and not args.no_chat
    files = args.db.resolve().parent / "convene-files"
    if keep_existing(args.db, fresh=args.fresh, interactive=interactive):
        if not interactive:
            print(f"Open the console any time: convene chat --db {args.db}")
            return 0
        config = Config(database=args.db)
        return _run_async(lambda: run_chat(config, "organizer", files=files))
    return _run_async(lambda: run_demo(args.db, args.seed, chat=interactive, files=files))


def _chat(args: argparse.Namespace) -> int:
    from bot.demo.run import run_chat
    from bot.features.digests.history import parse_at

    if args.db is None and not DEMO_DB.exists():
        print(
            f"convene: there is no demo database ({DEMO_DB}) here yet. Create it with "
            "`convene demo` (or `make demo`), or open another database with --db PATH.",
            file=sys.stderr,
        )
        return 2
    db = args.db or DEMO_DB
    if not db.exists():
        if args.community:
            print(f"convene: no database at {db}.", file=sys.stderr)
            return 2
        print(f"Starting a new, empty database at {db}.")
    try:
        at = parse_at(args.at) if args.at else None
    except ValueError as exc:
        print(f"convene: {exc}", file=sys.stderr)
        return 2
    config = Config(database=db)
    return _run_async(
        lambda: run_chat(config, args.user, community=args.community, at=at, files=args.files)
    )


def _digest(args: argparse.Namespace) -> int:
    from bot.features.digests.history import parse_period, render_period_cli

    if _missing(_config_from(args).store):
        return 2
    try:
        period = parse_period(args.period)
    except ValueError as exc:
        print(f"convene: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path(f"digest-{args.period}")
    config = _config_from(args)
    return _run_async(lambda: render_period_cli(config, args.community, period, out))


def _run(args: argparse.Namespace) -> int:
    from bot.app import run

    config = load(args.config)
    return _run_async(lambda: run(config))


def _import(args: argparse.Namespace) -> int:
    from bot.storage.store import Store

    if not args.file.exists():
        print(f"convene: no file or folder at {args.file}.", file=sys.stderr)
        return 2
    if args.platform == "telegram" and not args.community:
        print("convene: name the community: --community NAME", file=sys.stderr)
        return 2
    config = _config_from(args)
    _retention_notice(config)
    created = not config.store_url and not config.database.exists()
    store = Store(config.store, busy_timeout=30)  # a command-line tool may wait for a lock
    refused = False
    before = int(store.scalar("SELECT coalesce(max(id), 0) FROM activity"))
    spans: list[dict[str, int]] = []
    try:
        if args.platform == "telegram":
            from bot.importers.telegram_export import run_import

            result = run_import(
                store, args.file, args.community, store_text=config.store_message_text
            )
        else:
            from bot.importers.discord_export import run_import as run_discord_import

            result = run_discord_import(
                store, args.file, args.community, store_text=config.store_message_text
            )
    except _import_error() as exc:
        print(f"convene: {exc}", file=sys.stderr)
        refused = True
        return 2
    finally:
        if not refused:
            store.flush()
            spans = store.rows(
                "SELECT community, min(at) AS first, max(at) AS last, count(*) AS n, "
                "count(text) AS texts FROM activity WHERE id > ? AND kind = 0 "
                "GROUP BY community",
                (before,),
            )
        store.close()
        if refused and created:  # a refused import leaves no empty database behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{config.database}{suffix}").unlink(missing_ok=True)
    for problem in result.problems[:SHOWN_PROBLEMS]:
        print(f"convene: {problem}", file=sys.stderr)
    hidden = len(result.problems) - SHOWN_PROBLEMS
    if hidden > 0:
        print(f"convene: … and {hidden:,} more.", file=sys.stderr)
    print(f"Imported {result.added:,} records ({result.skipped:,} already there).")
    if result.problems:
        print(f"{len(result.problems):,} bad records were skipped or repaired (listed above).")
    for span in spans:
        _after_import(config, span, warm=not args.no_embed)
    return 0


def _retention_notice(config: Config) -> None:
    """Say, before an import, what text retention will keep of it."""
    if not config.store_message_text:
        print("Message text is not stored ([privacy] store_message_text = false): counts only.")
        return
    days = config.text_retention_days
    print(
        f"Text retention is {days} days ([privacy] text_retention_days = {days}): at the next "
        f"start, message text older than {days} days is deleted; counts, daily activity and "
        "weekly topic summaries (made now, from the imported text) stay. To keep more text, "
        "raise text_retention_days in the config before starting Convene."
    )


def _after_import(config: Config, span: dict[str, int], *, warm: bool) -> None:
    """Report what retention will keep of an import; embed and summarize it for /trends."""
    from datetime import datetime, timedelta

    cutoff = datetime.now().astimezone() - timedelta(days=config.text_retention_days)
    first = datetime.fromtimestamp(span["first"]).astimezone()
    last = datetime.fromtimestamp(span["last"]).astimezone()
    print(f"  {span['n']:,} messages from {first:%Y-%m-%d} to {last:%Y-%m-%d}.")
    if config.store_message_text and first < cutoff:
        kept = "none of their text" if last < cutoff else f"text from {cutoff:%Y-%m-%d} on"
        print(f"  Text retention will keep {kept}; the rest stays as counts and summaries.")
    if warm and span["texts"]:
        _run_async(lambda: _warm(config, span))


async def _warm(config: Config, span: dict[str, int]) -> int:
    from bot.app import make_embedder
    from bot.core import Core
    from bot.features.digests.warm import warm_history
    from bot.storage.store import Store

    store = Store(config.store)
    core = Core(config, store, embedder=make_embedder(config, store))
    try:
        encoded, weeks = await warm_history(core, span["community"], span["first"], span["last"])
    finally:
        if core.embedder is not None:
            core.embedder.close()
        store.close()
    print(f"  Embedded {encoded:,} texts; kept topic summaries of {weeks:,} weeks.")
    return 0


SHOWN_PROBLEMS = 20


def _import_error() -> type[Exception]:
    from bot.importers.records import ImportFormatError

    return ImportFormatError


def _eval(args: argparse.Namespace) -> int:
    if args.set is not None:
        return _eval_set(args)
    from bot.dashboard.cli import pick_community
    from bot.features.matching.evaluation import eval_matching
    from bot.storage.store import Store

    if args.what == "forecast":
        from bot.features.digests.evaluation import eval_forecast_cli

        return eval_forecast_cli(_config_from(args).store, args.community)

    database = _config_from(args).store
    if _missing(database):
        return 2
    store = Store(database)
    try:
        community = None
        if args.community:
            community, problem = pick_community(store, args.community)
            if community is None:
                print(f"convene: {problem}", file=sys.stderr)
                return 2
        print(eval_matching(store, community))
    finally:
        store.close()
    return 0


def _eval_set(args: argparse.Namespace) -> int:
    from bot.features.matching.labelled_set import SetError, eval_set, load_set
    from models.embedder import make_embedder

    try:
        lset, warnings = load_set(args.set)
    except SetError as exc:
        print(f"convene: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    config = _config_from(args)
    embedder = make_embedder(args.model or config.model, precision=config.precision)
    try:
        print(asyncio.run(eval_set(lset, embedder, details=args.details, split=args.split)))
    except _model_error() as exc:
        print(f"convene: {exc}", file=sys.stderr)
        return 2
    finally:
        embedder.close()
    return 0


def _store(args: argparse.Namespace) -> int:
    from bot.storage.store import Store

    database = _config_from(args).store
    if _missing(database):
        return 2
    store = Store(database, busy_timeout=30)
    try:
        letters = store.dead_letters(limit=1000)
    finally:
        store.close()
    if not letters:
        print("No rows were set aside: every write succeeded.")
        return 0
    print(f"{len(letters):,} rows set aside (newest first):")
    for row in letters:
        when = datetime.fromtimestamp(row["at"], UTC).strftime("%Y-%m-%d %H:%M")
        print(f"  #{row['id']} {when} {row['kind']} member {row['member']}: {row['error']}")
        print(f"      {row['data'][:200]}")
    return 0


def _privacy(args: argparse.Namespace) -> int:
    from bot.privacy_audit import audit

    database = _config_from(args).store
    if _missing(database):
        return 2
    try:
        report = audit(database, args.member, args.also, args.files)
    except sqlite3.DatabaseError as exc:
        print(f"convene: Cannot open the database {database}: {exc}.", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0 if report.clean else 1


def _dashboard(args: argparse.Namespace) -> int:
    from bot.dashboard.cli import serve_store

    config = _config_from(args)
    if _missing(config.store):
        return 2
    return _run_async(lambda: serve_store(config, args.community, args.host, args.port))


def _discord(args: argparse.Namespace) -> int:
    from adapters.discord.adapter import sync_global

    config = load(args.config)
    return _run_async(lambda: sync_global(config.discord.token("discord")))


if __name__ == "__main__":
    sys.exit(main())
