"""`aigt events …`: the event archive, administered on the server against the database.

The database, pyarrow and replay are imported by the commands that use them, when they run: every
other command of `aigt` starts without them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from ai_goals_tracker.cli.language import ngettext
from ai_goals_tracker.events import DEFAULT_ARCHIVE_BATCH_SIZE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from ai_goals_tracker.events.recovery import ArchiveReport
    from ai_goals_tracker.events.store import ArchiveStore

events_app = typer.Typer(help="The event log: archive to Parquet, compact, replay and verify.", no_args_is_help=True)
console = Console()

T = TypeVar("T")


def _run(work: Callable[[async_sessionmaker[AsyncSession], ArchiveStore, str], Awaitable[T]]) -> T:
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
    from ai_goals_tracker.db.server import check_database, resolve_database_url
    from ai_goals_tracker.events.store import ArchiveStore

    settings = get_settings()
    dsn = resolve_database_url(settings)
    check_database(dsn)
    store = ArchiveStore.open(settings.archive_root)

    async def run() -> T:
        engine = create_engine(dsn, pool_size=2, max_overflow=0)
        try:
            return await work(create_sessionmaker(engine), store, dsn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@events_app.command("archive")
def archive_command(
    batch_size: Annotated[
        int, typer.Option(min=1, help="Events per transaction and part file set.")
    ] = DEFAULT_ARCHIVE_BATCH_SIZE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run's report as JSON, for scripts.")] = False,
) -> None:
    """Move every unarchived event to Parquet under the archive root (AIGT_ARCHIVE_URI or $AIGT_HOME/archive);
    then delete archived rows older than AIGT_EVENTS_RETENTION_DAYS, when set."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.events import archive

    retention_days = get_settings().events_retention_days

    def progress(count: int, files: list[str]) -> None:
        if not as_json:
            console.print(
                ngettext(
                    "archived {count} event into {files} files",
                    "archived {count} events into {files} files",
                    count,
                    files=len(files),
                ),
                highlight=False,
            )

    async def work(
        sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, _dsn: str
    ) -> tuple[ArchiveReport, str, int | None]:
        report = await archive.archive_pending(sessionmaker, store, batch_size=batch_size, on_batch=progress)
        if retention_days is None:
            return report, store.root, None
        return report, store.root, (await archive.apply_retention(sessionmaker, store, retention_days)).deleted_rows

    report, root, deleted = _run(work)
    if as_json:
        typer.echo(json.dumps(_archive_json(report, deleted), indent=2))
    else:
        _print_archive_report(report, root, deleted, retention_days)


def _archive_json(report: ArchiveReport, deleted: int | None) -> dict[str, object]:
    return {
        "archived": report.archived,
        "files_written": report.files_written,
        "adopted_files": report.adopted_files,
        "discarded_files": report.discarded_files,
        "left_for_later": report.left_for_later,
        "deleted_rows": deleted,
    }


def _print_archive_report(report: ArchiveReport, root: str, deleted: int | None, retention_days: int | None) -> None:
    console.print(
        ngettext(
            "Archived {count} event into {files} files under {root} "
            "(adopted {adopted}, discarded {discarded} left by interrupted runs).",
            "Archived {count} events into {files} files under {root} "
            "(adopted {adopted}, discarded {discarded} left by interrupted runs).",
            report.archived,
            files=len(report.files_written),
            root=root,
            adopted=report.adopted_files,
            discarded=report.discarded_files,
        ),
        highlight=False,
    )
    if report.left_for_later:
        console.print(
            ngettext(
                "{count} event was left for a later run: a transaction that was still open "
                "could yet write events before it in the log.",
                "{count} events were left for a later run: a transaction that was still open "
                "could yet write events before them in the log.",
                report.left_for_later,
            ),
            highlight=False,
        )
    if deleted is not None:
        console.print(
            ngettext(
                "Deleted {count} archived event older than {days} days.",
                "Deleted {count} archived events older than {days} days.",
                deleted,
                days=retention_days,
            ),
            highlight=False,
        )


@events_app.command()
def compact(
    closed_only: Annotated[bool, typer.Option("--closed-only", help="Only months before the current one.")] = False,
) -> None:
    """Merge each month's part files into one file per category, as the seed lays the archive out."""
    from ai_goals_tracker.events import archive

    async def work(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, _dsn: str) -> None:
        report = await archive.compact(
            sessionmaker, store, closed_only=closed_only, on_merge=lambda path: console.print(path, highlight=False)
        )
        console.print(f"Compacted {len(report.compacted)} files.")

    _run(work)


@events_app.command("replay")
def replay_command(
    target_url: Annotated[str, typer.Option(help="An empty, migrated database to rebuild (a PostgreSQL URL).")],
) -> None:
    """Rebuild users, courses, goals, tasks and code snapshots in another database from the whole log."""

    from ai_goals_tracker.events import replay

    async def work(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, _dsn: str) -> None:
        report = await replay.replay_into(sessionmaker, store, target_url)
        console.print(f"Replayed {report.events} events ({report.applied} applied, {report.skipped} not row state).")

    _run(work)


@events_app.command("verify")
def verify_command() -> None:
    """Replay the log into a scratch database and compare every row with the live one; exit 1 on any difference."""

    from ai_goals_tracker.events import replay

    async def work(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, dsn: str) -> int:
        result = await replay.verify(sessionmaker, store, dsn)
        for difference in result.differences:
            console.print(difference.describe(), highlight=False, soft_wrap=True)
        console.print(
            f"Replayed {result.replay.events} events; {len(result.differences)} differences.", highlight=False
        )
        return len(result.differences)

    if _run(work):
        raise typer.Exit(1)


if __name__ == "__main__":
    # `python -m ai_goals_tracker.cli.events …` starts without the rest of the CLI's imports
    # (the archive kill test starts dozens of archivers).
    events_app()
