"""The `portal` command."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import models as _models  # noqa: F401  every table
from app.accounts import service as account_service
from app.audit import service as audit_service
from app.backup import service as backup_service
from app.bench.seed import seed_dossiers
from app.config import Settings, get_settings
from app.db import get_sessionmaker, make_engine
from app.demo.feedback import seed_feedback
from app.demo.history import seed_history
from app.demo.par import refill_demo_submissions
from app.demo.seed import seed_all
from app.dossiers.models import Dossier
from app.errors import DomainError
from app.logs import configure as configure_logs
from app.national import sandbox as national_sandbox
from app.notifications import sms_sandbox
from app.stats import tallies
from app.wiring import wire
from app.worker import run_worker

cli = typer.Typer(
    help="Một cửa — online one-stop-shop portal.", no_args_is_help=True, add_completion=False
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo data.", no_args_is_help=True)
user_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_cli = typer.Typer(help="Audit log.", no_args_is_help=True)
bench_cli = typer.Typer(help="Benchmark data.", no_args_is_help=True)
stats_cli = typer.Typer(help="Counters behind the indicators.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(user_cli, name="user")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(bench_cli, name="bench")
cli.add_typer(stats_cli, name="stats")

ROOT = Path(__file__).resolve().parent.parent


def upgrade_database(url: str | None = None) -> None:
    """Apply every Alembic migration (``alembic upgrade head``)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    if url:
        cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")
    build_counters_if_needed(url)


def migrate_database_to(revision: str, url: str | None = None) -> None:
    """Apply the migrations up to ``revision`` (an empty database about to be restored)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    if url:
        cfg.attributes["database_url"] = url
    command.upgrade(cfg, revision)


def build_counters_if_needed(url: str | None = None) -> None:
    """Fill the indicator counters of a database that has dossiers but no counters yet (an
    upgrade from before migration 0009); a no-op otherwise."""

    engine = make_engine(url or get_settings().database_url)
    try:
        with Session(engine) as session, session.begin():
            if tallies.needs_build(session):
                count = tallies.rebuild(session)
                typer.echo(f"Indicator counters built from {count} dossiers.")
    finally:
        engine.dispose()


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    upgrade_database()
    typer.echo("Database is up to date.")


@demo_cli.command("seed")
def demo_seed(
    history: Annotated[
        bool, typer.Option(help="Also a year of dossiers lived through the services")
    ] = True,
) -> None:
    """Add the demo province, catalogue, accounts and a year of dossiers (idempotent)."""

    started = time.monotonic()
    with get_sessionmaker().begin() as session:
        added = seed_all(session)
        if history:
            added["dossiers"] = seed_history(session)
            added["feedback"] = seed_feedback(session)
            if added["dossiers"] and added.get("par_rounds"):
                # The demo's PAR submissions read the portal's figures: once more, with the year
                # of dossiers (and feedback) now there (app/demo/par.py).
                refill_demo_submissions(session)
    done = {"procedures_upgraded": "procedures upgraded to the current catalogue"}
    typer.echo(
        "Demo data: "
        + ", ".join(f"{v} {done.get(k, k + ' added')}" for k, v in added.items())
        + f" in {time.monotonic() - started:.1f} s."
    )


@user_cli.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login e-mail")],
    password: Annotated[str, typer.Option(help="At least 8 characters")],
    name: Annotated[str, typer.Option(help="Full name")],
    agency: Annotated[str | None, typer.Option(help="Agency code, e.g. 000.00.15.H31")] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(help="reception, specialist, leader, cashier or agency_admin; repeatable"),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="System administrator")] = False,
) -> None:
    """Create a user account (staff with --agency and --role, or a system admin)."""

    try:
        with get_sessionmaker().begin() as session:
            user = account_service.create_user(
                session,
                email=email,
                password=password,
                full_name=name,
                agency_code=agency,
                roles=role or [],
                is_admin=admin,
            )
            typer.echo(f"Created user {user.email} (id {user.id}).")
    except DomainError as exc:
        typer.echo(f"Error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first broken entry."""

    with get_sessionmaker()() as session:
        ok, first_bad, message = audit_service.verify(session)
    if ok:
        typer.echo(message)
        return
    typer.echo(f"Audit log BROKEN at entry {first_bad}: {message}", err=True)
    raise typer.Exit(1)


@cli.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="A new folder to write the backup to")],
) -> None:
    """Back up the database (one consistent snapshot) and every file it refers to, with a
    manifest of SHA-256 checksums."""
    started = time.monotonic()
    engine = make_engine(get_settings().database_url)
    try:
        summary = backup_service.backup(engine, path, progress=typer.echo)
    except backup_service.BackupError as exc:
        typer.echo(f"Backup failed: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    for digest in summary.missing_files:
        typer.echo(f"Warning: file {digest} is referenced but missing from storage", err=True)
    typer.echo(
        f"Backup of schema {summary.revision} written to {path}: {summary.total_rows} rows, "
        f"{summary.files} files in {time.monotonic() - started:.1f} s."
    )


@cli.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A folder written by `portal backup`")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete every row of a non-empty database first")
    ] = False,
) -> None:
    """Restore a backup into an empty database and the configured file storage, after checking
    every checksum; then migrate to this version's schema."""
    started = time.monotonic()
    url = get_settings().database_url
    engine = make_engine(url)
    try:
        checked = backup_service.check(path)
        typer.echo(f"Backup checked: schema {checked.revision}, every checksum agrees.")
        with engine.connect() as conn:
            empty = backup_service.schema_revision(conn) is None
        if empty:
            migrate_database_to(checked.revision, url)
        summary = backup_service.restore(engine, checked, replace=replace, progress=typer.echo)
    except backup_service.BackupError as exc:
        typer.echo(f"Restore refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    upgrade_database(url)
    for digest in summary.missing_files:
        typer.echo(f"Warning: file {digest} was already missing when the backup was made", err=True)
    typer.echo(
        f"Restored {summary.total_rows} rows and {summary.files} files from {path} in "
        f"{time.monotonic() - started:.1f} s; check the audit log with `portal audit verify`."
    )


def public_url(host: str, port: int) -> str:
    """The address a browser on this machine uses for a server listening on ``host:port``."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (compared, not bound)
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn finds the client's address and what it says about itself.

    The address is what the rate limits and login throttling key on, so the client must not
    choose it: ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are read only from the reverse
    proxies listed in ``PORTAL_TRUSTED_PROXIES`` (and then only the hops those proxies added:
    uvicorn takes the last address not in the list), and ignored when the list is empty.
    No ``Server: uvicorn`` banner either (docs/DEPLOY.md)."""
    trusted = settings.trusted_proxies
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "server_header": False,
    }


def uvicorn_flags(options: dict[str, Any]) -> list[str]:
    """``uvicorn_options`` as uvicorn's command-line flags."""
    flags = ["--proxy-headers" if options["proxy_headers"] else "--no-proxy-headers"]
    if options["forwarded_allow_ips"]:
        flags.append(f"--forwarded-allow-ips={options['forwarded_allow_ips']}")
    if not options["server_header"]:
        flags.append("--no-server-header")
    return flags


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = False,
) -> None:
    """Run the web server (migrates the database first)."""
    upgrade_database()
    settings = get_settings()
    environment = dict(os.environ)
    if "base_url" not in settings.model_fields_set:
        # Links in e-mails, QR codes, forms and the gateway's return address name the address
        # served here, unless PORTAL_BASE_URL says otherwise (e.g. behind a proxy).
        environment["PORTAL_BASE_URL"] = public_url(host, port)
    if workers > 1 and not environment.get("PROMETHEUS_MULTIPROC_DIR"):
        # The web workers add up their request metrics in files (app/telemetry/metrics.py).
        metrics_dir = settings.data_dir / f"prometheus-{port}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        environment["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    typer.echo(
        f"Một cửa on {environment.get('PORTAL_BASE_URL', settings.base_url)} "
        f"(database: {settings.database_url.split('@')[-1]})"
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        f"--host={host}",
        f"--port={port}",
        f"--workers={workers}",
        *uvicorn_flags(uvicorn_options(settings)),
        *(["--reload"] if reload else []),
    ]
    sys.stdout.flush()
    # This process becomes uvicorn's own command (same pid, signals and environment): the
    # supervisor of the web workers then holds uvicorn alone, not the ~80 MB of modules that
    # the other commands import.
    os.execve(sys.executable, command, environment)  # noqa: S606 (fixed arguments, no shell)


@bench_cli.command("seed")
def bench_seed(
    dossiers: Annotated[int, typer.Option(help="Total number of dossiers wanted")],
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Add realistic dossiers (all statuses, two years, every agency) up to N in total."""

    upgrade_database()
    started = time.monotonic()
    with typer.progressbar(length=dossiers, label="Seeding dossiers", show_eta=True) as bar:
        added = seed_dossiers(get_sessionmaker(), dossiers, seed=seed, progress=bar.update)
    took = time.monotonic() - started
    typer.echo(f"Added {added} dossiers (indicator counters recounted) in {took:.1f} s.")


@stats_cli.command("rebuild")
def stats_rebuild() -> None:
    """Recount the indicator counters from every dossier (after a bulk load or a restore)."""

    started = time.monotonic()
    with get_sessionmaker().begin() as session:
        total = session.scalar(
            select(func.count(Dossier.id)).where(Dossier.received_at.is_not(None))
        )
        with typer.progressbar(length=total or 0, label="Counting", show_eta=True) as bar:
            count = tallies.rebuild(session, progress=bar.update)
    typer.echo(
        f"Indicator counters rebuilt from {count} dossiers in {time.monotonic() - started:.1f} s."
    )


@stats_cli.command("verify")
def stats_verify() -> None:
    """Compare the indicator counters with a recount; exit 1 listing every difference."""

    with get_sessionmaker()() as session:
        problems = tallies.differences(session)
        session.rollback()
    if not problems:
        typer.echo("Indicator counters agree with the dossiers.")
        return
    for line in problems[:50]:
        typer.echo(line, err=True)
    typer.echo(f"{len(problems)} counter rows disagree; run `portal stats rebuild`.", err=True)
    raise typer.Exit(1)


@cli.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes")] = 60.0,
) -> None:
    """Run background jobs: supplement time-outs, late warnings, outbox e-mail, national sync."""

    if get_settings().log_format == "json":
        configure_logs("json")
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    upgrade_database()
    typer.echo("Một cửa worker started.")
    run_worker(interval, threading.Event(), once=once)


@cli.command("national-sandbox")
def national_sandbox_command(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8900,
    username: Annotated[
        str, typer.Option(help="The account it accepts")
    ] = national_sandbox.SANDBOX_USERNAME,
    password: Annotated[
        str, typer.Option(help="Its password", envvar="PORTAL_NATIONAL_PASSWORD")
    ] = national_sandbox.SANDBOX_PASSWORD,
    dstcode: Annotated[str, typer.Option(help="The unit code it requires (empty: any)")] = "",
    fail_every: Annotated[
        int, typer.Option(help="Refuse every n-th delivery (HTTP 500, error_code, expiry)")
    ] = 0,
) -> None:
    """Run a stand-in of the national public-service portal's adapter (demos and tests)."""
    state = national_sandbox.SandboxState(username=username, password=password, dstcode=dstcode)
    if fail_every > 0:
        state.plan([], fail_every)
    server = national_sandbox.make_server(state, host, port)
    typer.echo(
        f"National portal sandbox on http://{host}:{server.server_port} "
        f"(account {username}; control: POST /_sandbox/faults, GET /_sandbox/received)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command("sms-sandbox")
def sms_sandbox_command(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8910,
    key: Annotated[
        str,
        typer.Option(
            help="The key it requires (empty: any non-empty key)", envvar="PORTAL_SMS_KEY"
        ),
    ] = "",
    fail_every: Annotated[int, typer.Option(help="Refuse every n-th message (HTTP 503)")] = 0,
) -> None:
    """Run a stand-in of an SMS gateway and of Zalo ZNS (demos and tests)."""
    state = sms_sandbox.SandboxState(key=key)
    if fail_every > 0:
        state.plan(0, fail_every)
    server = sms_sandbox.make_server(state, host, port)
    base = f"http://{host}:{server.server_port}"
    typer.echo(
        f"SMS / Zalo sandbox on {base}: PORTAL_SMS_URL={base}/sms/send "
        f"PORTAL_ZALO_URL={base}/zns/message/template; messages at {base}/ and {base}/messages"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main() -> None:
    wire()
    cli()
