"""`aigt users …`: accounts administered on the server itself, straight against the database.

These commands need no running API and no token: whoever can reach the database already holds
every account, so this is where the first superuser comes from.

The models, services and database are imported by each command when it runs: every other command
of `aigt` starts without them.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from ai_goals_tracker.errors import ConfigurationError, NotFoundError, ValidationFailedError
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.schemas import MAX_LIMIT

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from ai_goals_tracker.events.types import ChangeContext
    from ai_goals_tracker.models import User

users_app = typer.Typer(help="Accounts: create users and superusers, list them, deactivate them.", no_args_is_help=True)
console = Console()

# PostgreSQL's "undefined table": the schema was never migrated.
_UNDEFINED_TABLE = "42P01"

T = TypeVar("T")


@users_app.command()
def create(
    username: Annotated[str, typer.Argument(help="Login name: 3-50 letters, digits, '.', '_' or '-'.")],
    email: Annotated[str, typer.Option(prompt=True, help="Email address (asked for when left out).")],
    full_name: Annotated[str | None, typer.Option(help="Name shown to people.")] = None,
    superuser: Annotated[bool, typer.Option("--superuser", help="May list and deactivate every user.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
    ] = False,
) -> None:
    """Create a user. The password is asked for twice without echo, or read from standard input;
    never from an argument, which would leave it in the shell history and the process list."""
    from ai_goals_tracker.users import service
    from ai_goals_tracker.users.schemas import UserCreate

    password = _read_password_stdin() if password_stdin else _prompt_password()
    try:
        data = UserCreate(email=email, username=username, password=password, full_name=full_name)
    except ValidationError as exc:
        raise ValidationFailedError(
            N_("The user was not created: {problems}"), params={"problems": _describe_errors(exc)}
        ) from exc

    async def register(session: AsyncSession) -> User:
        return await service.register(session, data, _cli_context(), is_superuser=superuser)

    user = _run(register)
    kind = "superuser" if user.is_superuser else "user"
    console.print(f"Created {kind} {user.username} <{user.email}> ({user.id})", highlight=False)


@users_app.command("list")
def list_users(
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="Users per page.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Users to skip.")] = 0,
) -> None:
    """List users, oldest first."""
    from ai_goals_tracker.users import repository

    async def page(session: AsyncSession) -> tuple[list[User], int]:
        return await repository.list_page(session, limit=limit, offset=offset)

    users, total = _run(page)
    table = Table("username", "email", "full name", "active", "superuser", "created", "last login")
    for user in users:
        table.add_row(
            user.username,
            user.email,
            user.full_name or "",
            "yes" if user.is_active else "no",
            "yes" if user.is_superuser else "no",
            f"{user.created_at:%Y-%m-%d %H:%M}",
            f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never",
        )
    console.print(table)
    shown = f"{offset + 1}-{offset + len(users)}" if users else "none"
    console.print(f"{total} users; showing {shown}", highlight=False)


@users_app.command()
def deactivate(username: Annotated[str, typer.Argument(help="The user to deactivate.")]) -> None:
    """Deactivate a user: they cannot log in, and every session they have ends now."""
    from ai_goals_tracker.users import repository, service

    async def deactivate_user(session: AsyncSession) -> bool:
        user = await repository.get_by_username(session, username)
        if user is None:
            raise NotFoundError(N_("No user named {username!r}"), params={"username": username})
        if not user.is_active:
            return False
        await service.set_flags(
            session, user, is_active=False, is_superuser=None, context=_cli_context(), actor_id=None
        )
        return True

    if _run(deactivate_user):
        console.print(f"Deactivated {username}; their sessions have ended.", highlight=False)
    else:
        console.print(f"{username} was already deactivated.", highlight=False)


def _prompt_password() -> str:
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _read_password_stdin() -> str:
    # Only the line ending goes: spaces may be part of a passphrase.
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationFailedError(N_("no password on standard input"))
    return password


def _describe_errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors())


def _cli_context() -> ChangeContext:
    from ai_goals_tracker.events.types import ChangeContext

    return ChangeContext(source="cli")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction against the configured database."""
    from sqlalchemy.exc import ProgrammingError

    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.engine import create_engine, create_sessionmaker, unit_of_work
    from ai_goals_tracker.db.server import check_database, resolve_database_url

    dsn = resolve_database_url(get_settings())
    check_database(dsn)

    async def run() -> T:
        engine = create_engine(dsn, pool_size=1, max_overflow=0)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                return await work(session)
        except ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) == _UNDEFINED_TABLE:
                raise ConfigurationError("The database has no tables yet; run `aigt migrate` first") from exc
            raise
        finally:
            await engine.dispose()

    return asyncio.run(run())
