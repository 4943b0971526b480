"""Loading a resource on behalf of a user: the one place ownership is checked.

Someone else's id answers 404, exactly as a missing one does, so ids leak nothing. Superusers
may read everything but change only their own data. Reads check the caller's session in the same
query that loads the row: one round trip on the hot path. The single-row GET endpoints, which only
serialize what they load, take it as a row without the ORM (`ReadableGoal`…, db/rows.py), and so
do the lists (`read_page`: the caller's session, the count and the page in one statement).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.auth.deps import AccessClaims, CurrentUser
from ai_goals_tracker.auth.repository import get_user_in_live_session, live_session_join
from ai_goals_tracker.auth.security import SESSION_ENDED, TokenClaims
from ai_goals_tracker.db.base import Base
from ai_goals_tracker.db.locks import for_writing
from ai_goals_tracker.db.rows import CompiledQuery, Row, fetch_rows
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.errors import ForbiddenError, NotFoundError, UnauthorizedError
from ai_goals_tracker.i18n import N_, Message
from ai_goals_tracker.models import AuthSession, CodeSnapshot, Course, Goal, Task, User
from ai_goals_tracker.pagination import PageParams

M = TypeVar("M", Course, Goal, Task, CodeSnapshot)

ID_PATH = Path(min_length=1, max_length=40)


async def load_owned(
    session: AsyncSession, model: type[M], entity_id: str, user: User, *, for_update: bool = False
) -> M:
    query = select(model).where(model.id == entity_id)
    if not user.is_superuser:
        query = query.where(model.user_id == user.id)
    if for_update:
        query = for_writing(query)
    entity = await session.scalar(query)
    if entity is None:
        raise NotFoundError(_NOT_FOUND[model])
    if for_update and entity.user_id != user.id:
        raise ForbiddenError(_READ_ONLY[model])
    return entity


@cache
def _readable_query(model: type[M]) -> Select[M]:
    """The row `:entity_id`, if the caller's session is live and the caller owns it or is a superuser.
    Built once per model: constructing statements costs more than running them on this hot path."""
    caller = (
        select(User.id)
        .join(AuthSession, live_session_join())
        .where(or_(User.id == model.user_id, User.is_superuser.is_(True)))
        .exists()
    )
    return select(model).where(model.id == bindparam("entity_id"), caller)


async def load_readable(session: AsyncSession, model: type[M], entity_id: str, claims: TokenClaims) -> M:
    parameters = {"entity_id": entity_id, "caller_id": claims.user_id, "session_id": claims.session_id}
    entity: M | None = await session.scalar(_readable_query(model), parameters)
    if entity is not None:
        return entity
    # The rare path: tell an ended session (401) from a missing or foreign row (404).
    if await get_user_in_live_session(session, claims.user_id, claims.session_id) is None:
        raise UnauthorizedError(SESSION_ENDED)
    raise NotFoundError(_NOT_FOUND[model])


@cache
def _readable_sql(model: type[M]) -> CompiledQuery:
    return CompiledQuery(_readable_query(model))


async def read_readable(request: Request, model: type[M], entity_id: str, claims: TokenClaims) -> Row:
    """What `load_readable` loads, as a row (column names as keys), on the read engine without a
    session: for endpoints that only serialize it."""
    parameters = {"entity_id": entity_id, "caller_id": claims.user_id, "session_id": claims.session_id}
    rows = await fetch_rows(request.app.state.read_engine, _readable_sql(model), parameters)
    if rows:
        return rows[0]
    async with request.app.state.read_sessionmaker() as session:
        if await get_user_in_live_session(session, claims.user_id, claims.session_id) is None:
            raise UnauthorizedError(SESSION_ENDED)
    raise NotFoundError(_NOT_FOUND[model])


_LIVE_CALLER = select(User.id).join(AuthSession, live_session_join()).exists()
ListQuery = Callable[..., Select[M]]


@dataclass(frozen=True)
class _PageQueries:
    page: CompiledQuery
    # When the page has no row: whether the session lives, and the count (an offset past the end).
    empty: CompiledQuery


@cache
def _page_queries(model: type[M], list_query: ListQuery[M], filters: tuple[str, ...]) -> _PageQueries:
    """`list_query` with bound parameters for the caller and the given filters, compiled once per
    set of filters: building and compiling a statement costs more than running it."""
    query = list_query(bindparam("caller_id"), **{name: bindparam(name) for name in filters})
    page = (
        query.with_only_columns(*model.__table__.columns, func.count().over().label("total"))
        .where(_LIVE_CALLER)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    total = select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()
    return _PageQueries(CompiledQuery(page), CompiledQuery(select(_LIVE_CALLER.label("live"), total.label("total"))))


async def read_page(
    request: Request,
    model: type[M],
    list_query: ListQuery[M],
    filters: dict[str, Any],
    page: PageParams,
    claims: TokenClaims,
) -> tuple[list[Row], int]:
    """One page of `list_query(caller, **filters)` (the caller's own rows of `model`; filters that are
    None are left out) and the count of all of them, as rows (column names as keys), if the caller's
    session is live: one statement on the read engine, the count taken over the whole result before
    LIMIT."""
    given = {
        name: value.value if isinstance(value, Enum) else value for name, value in filters.items() if value is not None
    }
    queries = _page_queries(model, list_query, tuple(sorted(given)))
    parameters = {"caller_id": claims.user_id, "session_id": claims.session_id, **given}
    engine = request.app.state.read_engine
    rows = await fetch_rows(engine, queries.page, {**parameters, "limit": page.limit, "offset": page.offset})
    if rows:
        total = int(rows[0]["total"])
        for row in rows:
            del row["total"]
        return rows, total
    # No row: an ended session, an empty list, or an offset past its end.
    (state,) = await fetch_rows(engine, queries.empty, parameters)
    if not state["live"]:
        raise UnauthorizedError(SESSION_ENDED)
    return [], int(state["total"])


def _plain(value: Any) -> Any:
    """An enum as the value PostgreSQL stores (the driver alone would not know which)."""
    return value.value if isinstance(value, Enum) else value


_NOT_FOUND: dict[type[Base], Message] = {
    Course: N_("Course not found"),
    Goal: N_("Goal not found"),
    Task: N_("Task not found"),
    CodeSnapshot: N_("Snapshot not found"),
}
_READ_ONLY: dict[type[Base], Message] = {
    Course: N_("Superusers can read, not change, another user's course"),
    Goal: N_("Superusers can read, not change, another user's goal"),
    Task: N_("Superusers can read, not change, another user's task"),
    CodeSnapshot: N_("Superusers can read, not change, another user's snapshot"),
}


async def _course(course_id: Annotated[str, ID_PATH], claims: AccessClaims, session: SessionDep) -> Course:
    return await load_readable(session, Course, course_id, claims)


async def _course_for_update(course_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Course:
    return await load_owned(session, Course, course_id, user, for_update=True)


async def _goal(goal_id: Annotated[str, ID_PATH], claims: AccessClaims, session: SessionDep) -> Goal:
    return await load_readable(session, Goal, goal_id, claims)


async def _goal_for_update(goal_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Goal:
    return await load_owned(session, Goal, goal_id, user, for_update=True)


async def _task(task_id: Annotated[str, ID_PATH], claims: AccessClaims, session: SessionDep) -> Task:
    return await load_readable(session, Task, task_id, claims)


async def _task_for_update(task_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Task:
    return await load_owned(session, Task, task_id, user, for_update=True)


OwnedCourse = Annotated[Course, Depends(_course)]
OwnedCourseForUpdate = Annotated[Course, Depends(_course_for_update)]
OwnedGoal = Annotated[Goal, Depends(_goal)]
OwnedGoalForUpdate = Annotated[Goal, Depends(_goal_for_update)]
OwnedTask = Annotated[Task, Depends(_task)]
OwnedTaskForUpdate = Annotated[Task, Depends(_task_for_update)]


async def _snapshot_for_update(
    snapshot_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep
) -> CodeSnapshot:
    return await load_owned(session, CodeSnapshot, snapshot_id, user, for_update=True)


OwnedSnapshotForUpdate = Annotated[CodeSnapshot, Depends(_snapshot_for_update)]


async def _course_row(course_id: Annotated[str, ID_PATH], claims: AccessClaims, request: Request) -> Row:
    return await read_readable(request, Course, course_id, claims)


async def _goal_row(goal_id: Annotated[str, ID_PATH], claims: AccessClaims, request: Request) -> Row:
    return await read_readable(request, Goal, goal_id, claims)


async def _task_row(task_id: Annotated[str, ID_PATH], claims: AccessClaims, request: Request) -> Row:
    return await read_readable(request, Task, task_id, claims)


async def _snapshot_row(snapshot_id: Annotated[str, ID_PATH], claims: AccessClaims, request: Request) -> Row:
    return await read_readable(request, CodeSnapshot, snapshot_id, claims)


ReadableCourse = Annotated[Row, Depends(_course_row)]
ReadableGoal = Annotated[Row, Depends(_goal_row)]
ReadableTask = Annotated[Row, Depends(_task_row)]
ReadableSnapshot = Annotated[Row, Depends(_snapshot_row)]
