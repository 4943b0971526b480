"""Constraints, delete rules, relationships and ids, through the ORM on the migrated schema."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ai_goals_tracker.db.ids import id_timestamp_ms, new_id
from ai_goals_tracker.models import CodeSnapshot, Course, Embedding, Event, Goal, Task, User
from ai_goals_tracker.models.enums import EventType, GoalStatus, TaskStatus

ULID = "[0-9A-HJKMNP-TV-Z]{26}"


def make_user(name: str = "ana") -> User:
    return User(email=f"{name}@example.com", username=name, hashed_password="x")


async def make_tree(session: AsyncSession) -> tuple[User, Course, Goal, Task, CodeSnapshot]:
    user = make_user()
    course = Course(owner=user, title="FastAPI Master Course")
    goal = Goal(owner=user, course=course, title="JWT auth")
    task = Task(owner=user, goal=goal, title="Login endpoint")
    snapshot = CodeSnapshot(owner=user, task=task, file_path="login.py", code_content="pass")
    session.add_all([user, course, goal, task, snapshot])
    await session.flush()
    session.add(Event(user=user, event_type=EventType.TASK_CREATED, entity_type="task", entity_id=task.id))
    session.add(
        Embedding(user=user, entity_type="goal", entity_id=goal.id, content="c", embedding=[0.1] * 512, model="m")
    )
    await session.commit()
    return user, course, goal, task, snapshot


async def test_ids_carry_the_seed_prefix_and_sort_by_time(session: AsyncSession) -> None:
    user, course, goal, task, snapshot = await make_tree(session)
    for obj, prefix in [(user, "usr"), (course, "crs"), (goal, "gol"), (task, "tsk"), (snapshot, "cs")]:
        assert re.fullmatch(f"{prefix}_{ULID}", obj.id), obj.id
    event = await session.scalar(select(Event))
    embedding = await session.scalar(select(Embedding))
    assert event is not None and re.fullmatch(f"evt_{ULID}", event.id)
    assert embedding is not None and re.fullmatch(f"emb_{ULID}", embedding.id)
    ids = [new_id("gol") for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000
    assert abs(id_timestamp_ms(ids[0]) - id_timestamp_ms(user.id)) < 60_000


async def test_defaults_match_the_seed(session: AsyncSession) -> None:
    _user, course, goal, task, snapshot = await make_tree(session)
    assert not inspect(task).unloaded, "every column is readable after the insert without I/O"
    assert task.description is None
    assert goal.status is GoalStatus.PENDING
    assert task.status is TaskStatus.TODO
    assert course.progress_percentage == 0.0
    assert snapshot.validation_passed is None
    assert goal.created_at.tzinfo is not None


async def test_email_and_username_are_unique(session: AsyncSession) -> None:
    session.add(make_user("ana"))
    await session.commit()
    session.add(User(email="ana@example.com", username="other", hashed_password="x"))
    with pytest.raises(IntegrityError, match="idx_users_email"):
        await session.commit()
    await session.rollback()
    session.add(User(email="other@example.com", username="ana", hashed_password="x"))
    with pytest.raises(IntegrityError, match="idx_users_username"):
        await session.commit()


async def test_foreign_keys_are_enforced(session: AsyncSession) -> None:
    session.add(Goal(user_id="usr_missing", title="orphan"))
    with pytest.raises(IntegrityError, match="fk_goals_user_id_users"):
        await session.commit()


async def test_enum_columns_reject_unknown_values(session: AsyncSession) -> None:
    user = make_user()
    session.add(user)
    await session.commit()
    with pytest.raises(DBAPIError, match="invalid input value for enum goal_status"):
        await session.execute(
            text("INSERT INTO goals (id, user_id, title, status) VALUES ('gol_1', :u, 't', 'done')"),
            {"u": user.id},
        )


async def test_deleting_a_course_leaves_its_goals_without_course(session: AsyncSession) -> None:
    _user, course, goal, _task, _snapshot = await make_tree(session)
    goal_id = goal.id
    await session.delete(course)
    await session.commit()
    session.expire_all()
    reloaded = await session.get(Goal, goal_id)
    assert reloaded is not None and reloaded.course_id is None


async def test_deleting_a_goal_deletes_its_tasks_and_keeps_snapshots(session: AsyncSession) -> None:
    _user, _course, goal, task, snapshot = await make_tree(session)
    task_id, snapshot_id = task.id, snapshot.id
    await session.delete(goal)
    await session.commit()
    session.expire_all()
    assert await session.get(Task, task_id) is None
    kept = await session.get(CodeSnapshot, snapshot_id)
    assert kept is not None and kept.task_id is None


async def test_deleting_a_user_removes_everything_they_own(session: AsyncSession) -> None:
    user, *_ = await make_tree(session)
    await session.delete(user)
    await session.commit()
    for model in (Course, Goal, Task, CodeSnapshot, Event, Embedding):
        assert (await session.execute(select(model))).first() is None, model.__name__


async def test_every_relationship_loads_when_asked_and_raises_otherwise(session: AsyncSession) -> None:
    user, course, goal, task, _snapshot = await make_tree(session)
    session.expunge_all()
    loaded_user = await session.scalar(
        select(User)
        .where(User.id == user.id)
        .options(
            selectinload(User.courses).selectinload(Course.goals),
            selectinload(User.goals).selectinload(Goal.tasks).selectinload(Task.code_snapshots),
            selectinload(User.tasks),
            selectinload(User.code_snapshots),
            selectinload(User.events),
            selectinload(User.embeddings),
        )
    )
    assert loaded_user is not None
    assert [c.id for c in loaded_user.courses] == [course.id]
    assert [g.id for g in loaded_user.courses[0].goals] == [goal.id]
    assert [t.id for t in loaded_user.goals[0].tasks] == [task.id]
    assert len(loaded_user.goals[0].tasks[0].code_snapshots) == 1
    assert len(loaded_user.tasks) == len(loaded_user.code_snapshots) == len(loaded_user.embeddings) == 1
    assert len(loaded_user.events) == 1

    loaded_task = await session.scalar(
        select(Task).where(Task.id == task.id).options(selectinload(Task.goal).selectinload(Goal.course))
    )
    assert loaded_task is not None and loaded_task.goal.course is not None
    with pytest.raises(Exception, match="lazy='raise'"):
        _ = loaded_task.owner
