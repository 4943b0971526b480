"""Users: registration, profile changes, administration. Services flush; the caller commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.auth import repository as auth_repository
from ai_goals_tracker.auth.security import hash_password, verify_password
from ai_goals_tracker.errors import ConflictError, NotFoundError, ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models import User
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.users import repository
from ai_goals_tracker.users.schemas import UserAdminUpdate, UserCreate, UserUpdate


async def register(
    session: AsyncSession, data: UserCreate, context: ChangeContext, *, is_superuser: bool = False
) -> User:
    email = str(data.email).lower()
    await _ensure_unique(session, email=email, username=data.username)
    user = User(
        email=email,
        username=data.username,
        hashed_password=hash_password(data.password),
        full_name=data.full_name,
        is_superuser=is_superuser,
    )
    session.add(user)
    await record(session, EventType.USER_CREATED, user, context, user_id=user.id)
    return user


async def update_me(session: AsyncSession, user: User, data: UserUpdate, context: ChangeContext) -> User:
    changes = data.model_dump(exclude_unset=True, exclude={"password", "current_password"})
    if "email" in changes and changes["email"] is not None:
        email = str(changes["email"]).lower()
        await _ensure_unique(session, email=email, username=user.username, exclude_id=user.id)
        user.email = email
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if changes.get("metadata") is not None:
        user.meta = changes["metadata"]
    if data.password is not None:
        if not verify_password(user.hashed_password, data.current_password or ""):
            raise ValidationFailedError("current_password is not correct", extra={"field": "current_password"})
        if data.password.lower() in {user.username.lower(), user.email.lower()}:
            raise ValidationFailedError("password must not be the same as the username or the email")
        user.hashed_password = hash_password(data.password)
        # A new password signs out every other device.
        await auth_repository.revoke_user_sessions(session, user.id, reason="password_changed")
    await record(session, EventType.USER_UPDATED, user, context, user_id=user.id)
    return user


async def admin_update(
    session: AsyncSession, user_id: str, data: UserAdminUpdate, context: ChangeContext, *, actor: User
) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFoundError("User not found")
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            await auth_repository.revoke_user_sessions(session, user.id, reason="deactivated")
    if data.is_superuser is not None:
        user.is_superuser = data.is_superuser
    await record(session, EventType.USER_UPDATED, user, context, user_id=user.id, extra={"changed_by": actor.id})
    return user


async def _ensure_unique(session: AsyncSession, *, email: str, username: str, exclude_id: str | None = None) -> None:
    existing = await repository.find_conflict(session, email=email, username=username, exclude_id=exclude_id)
    if existing is None:
        return
    field = "email" if existing.email == email else "username"
    raise ConflictError(f"A user with this {field} already exists", extra={"field": field})
