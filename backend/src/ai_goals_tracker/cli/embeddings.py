"""`aigt embeddings reindex`: re-embed everything, straight against the database.

Switching models without a gap in search: `aigt embeddings reindex --model NEW` builds the new
model's rows and index while the old model keeps serving; then set AIGT_EMBEDDINGS_MODEL=NEW,
restart, and run `aigt embeddings reindex` once more to catch up and drop the old model.

The database and the embedding model are imported when the command runs: every other command of
`aigt` starts without them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

if TYPE_CHECKING:
    from ai_goals_tracker.search.upkeep import ReindexReport

embeddings_app = typer.Typer(
    help="Semantic search: the embeddings of courses, goals, tasks and code.", no_args_is_help=True
)
console = Console()


@embeddings_app.command("reindex")
def reindex_command(
    model: Annotated[
        str | None,
        typer.Option(help="Embed with this model instead of the configured one (AIGT_EMBEDDINGS_MODEL)."),
    ] = None,
) -> None:
    """Re-embed every course, goal, task and code snapshot, and build the model's HNSW index."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
    from ai_goals_tracker.db.server import check_database, resolve_database_url
    from ai_goals_tracker.search.upkeep import count_entities, provider_for_model, reindex

    settings = get_settings()
    provider = provider_for_model(settings, model)
    dsn = resolve_database_url(settings)
    check_database(dsn)

    async def run() -> ReindexReport:
        engine = create_engine(dsn, pool_size=2, max_overflow=0)
        sessionmaker = create_sessionmaker(engine)
        try:
            total = await count_entities(sessionmaker)
            columns = (
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=console, transient=False) as progress:
                bar = progress.add_task(f"Embedding with {provider.model}", total=total)
                return await reindex(
                    sessionmaker,
                    dsn,
                    provider,
                    searched_model=settings.embeddings_model,
                    advance=lambda count: progress.advance(bar, count),
                )
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    console.print(
        f"Reindexed {report.entities} items into {report.rows} rows of {report.model}; index {report.index} is ready.",
        highlight=False,
    )
    if report.dropped_models:
        console.print(f"Dropped the rows and indexes of {', '.join(report.dropped_models)}.", highlight=False)
    if report.kept_models:
        console.print(
            f"Search still uses {settings.embeddings_model}. Set AIGT_EMBEDDINGS_MODEL={report.model}, restart the "
            f"server and workers, then run `aigt embeddings reindex` to catch up and drop "
            f"{', '.join(report.kept_models)}.",
            highlight=False,
        )
