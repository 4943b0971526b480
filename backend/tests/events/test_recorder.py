"""Events travel with the COMMIT: committed with their change, readable inside it, gone with a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import create_engine, create_sessionmaker, unit_of_work
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models import Event, Goal, Task, User
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.tasks import service as task_service
from ai_goals_tracker.tasks.schemas import TaskUpdate

CONTEXT = ChangeContext(source="cli")


async def _task(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    async with unit_of_work(sessionmaker) as session:
        user = User(email="rec@example.com", username="rec", hashed_password="!x")
        session.add(user)
        await session.flush()
        goal = Goal(user_id=user.id, title="g")
        session.add(goal)
        await session.flush()
        task = Task(user_id=user.id, goal_id=goal.id, title="t")
        session.add(task)
    return task.id


async def _titles(sessionmaker: async_sessionmaker[AsyncSession], task_id: str) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Event)
            .where(Event.entity_id == task_id, Event.event_type == EventType.TASK_UPDATED)
            .order_by(Event.created_at)
        )
        return [event.payload["title"] for event in rows]


async def _rename(session: AsyncSession, task_id: str, *titles: str) -> None:
    task = await session.get(Task, task_id)
    assert task is not None
    owner = await session.get(User, task.user_id)
    assert owner is not None
    for title in titles:
        await task_service.update(session, task, TaskUpdate(title=title), CONTEXT, actor=owner)


async def test_events_commit_with_their_change_in_order(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    task_id = await _task(sessionmaker)
    async with unit_of_work(sessionmaker) as session:
        await _rename(session, task_id, "first", "second", "third")
    assert await _titles(sessionmaker, task_id) == ["first", "second", "third"]


async def test_a_transaction_reads_its_own_events(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    task_id = await _task(sessionmaker)
    async with unit_of_work(sessionmaker) as session:
        await _rename(session, task_id, "seen")
        count = await session.scalar(
            text("SELECT count(*) FROM events WHERE entity_id = :id AND payload->>'title' = 'seen'"), {"id": task_id}
        )
        assert count == 1
        await _rename(session, task_id, "after")
    assert await _titles(sessionmaker, task_id) == ["seen", "after"]


async def test_rolled_back_events_are_never_written(database_url: str, clean_db: None) -> None:
    # One pooled connection: every transaction below runs on the connection the failed ones used.
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        await _rolled_back_then_kept(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _rolled_back_then_kept(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    task_id = await _task(sessionmaker)
    with pytest.raises(RuntimeError):
        await _rename_then_fail(sessionmaker, task_id)
    # A session closed without commit or rollback: the pool rolls its transaction back.
    session = sessionmaker()
    await _rename(session, task_id, "abandoned")
    await session.close()
    # The next transactions, on the same pooled connections, carry only their own events.
    async with unit_of_work(sessionmaker) as session:
        await _rename(session, task_id, "kept")
    assert await _titles(sessionmaker, task_id) == ["kept"]


async def test_a_failing_event_fails_the_commit(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    task_id = await _task(sessionmaker)
    with pytest.raises(IntegrityError, match="foreign key"):
        await _rename_with_orphan_event(sessionmaker, task_id)
    async with sessionmaker() as session:
        task = await session.get(Task, task_id)
        assert task is not None
        assert task.title == "t"


async def test_a_savepoint_rolled_back_takes_its_events_only(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    task_id = await _task(sessionmaker)
    async with unit_of_work(sessionmaker) as session:
        await _rename(session, task_id, "before")
        savepoint = await session.begin_nested()
        await _rename(session, task_id, "undone")
        await savepoint.rollback()
        await _rename(session, task_id, "after")
    assert await _titles(sessionmaker, task_id) == ["before", "after"]


async def _rename_then_fail(sessionmaker: async_sessionmaker[AsyncSession], task_id: str) -> None:
    async with unit_of_work(sessionmaker) as session:
        await _rename(session, task_id, "lost")
        raise RuntimeError("the request failed")


async def _rename_with_orphan_event(sessionmaker: async_sessionmaker[AsyncSession], task_id: str) -> None:
    async with unit_of_work(sessionmaker) as session:
        task = await session.get(Task, task_id)
        assert task is not None
        task.title = "orphan"
        await record(session, EventType.TASK_UPDATED, task, CONTEXT, user_id="usr_missing")
