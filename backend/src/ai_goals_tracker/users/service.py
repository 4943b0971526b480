"""Users: registration, profile changes, administration. Services flush; the caller commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.auth import repository as auth_repository
from ai_goals_tracker.auth.security import hash_password, verify_password
from ai_goals_tracker.errors import ConflictError, InvalidValue, NotFoundError, ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.models import User
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.users import repository
from ai_goals_tracker.users.schemas import UserAdminUpdate, UserCreate, UserUpdate, check_new_password

# The unique indexes behind each identifier, to name the field when a concurrent request wins.
_UNIQUE_INDEX_FIELDS = {"idx_users_email": "email", "idx_users_username": "username"}


async def register(
    session: AsyncSession, data: UserCreate, context: ChangeContext, *, is_superuser: bool = False
) -> User:
    email = str(data.email).lower()
    await _ensure_unique(session, email=email, username=data.username)
    user = User(
        email=email,
        username=data.username,
        hashed_password=await hash_password(data.password),
        full_name=data.full_name,
        is_superuser=is_superuser,
    )
    session.add(user)
    await _flush_unique(session)
    await record(session, EventType.USER_CREATED, user, context, user_id=user.id)
    return user


async def register_publicly(session: AsyncSession, data: UserCreate, context: ChangeContext) -> User:
    """Registration by anyone (the API, the dashboard). A taken username is said: usernames are
    public. A taken email is not: the answer is a new account's, but no account is made (the
    address's owner keeps theirs, and signs in with it), and it takes as long, password hash
    included. Only `aigt users create`, on the server, says the email is taken."""
    email = str(data.email).lower()
    if await repository.username_taken(session, data.username):
        raise _taken("username")
    if await repository.email_taken(session, email):
        return await _unsaved_account(data, email)
    try:
        # In a savepoint: a concurrent registration of the same email that wins leaves the
        # request's transaction usable, for the same answer as above.
        async with session.begin_nested():
            return await register(session, data, context)
    except ConflictError as exc:
        if exc.extra.get("field") != "email":
            raise
        return await _unsaved_account(data, email)


async def _unsaved_account(data: UserCreate, email: str) -> User:
    """What a new account's answer shows, for an account that is not made (never added to the session)."""
    await hash_password(data.password)
    now = datetime.now(UTC)
    return User(
        email=email,
        username=data.username,
        hashed_password="",
        full_name=data.full_name,
        is_active=True,
        is_superuser=False,
        meta={},
        created_at=now,
        updated_at=now,
        last_login_at=None,
    )


async def update_me(
    session: AsyncSession,
    user: User,
    data: UserUpdate,
    context: ChangeContext,
    *,
    current_session_id: str | None,
    password_attempt_id: str | None = None,
) -> User:
    """Apply a user's changes to their own account. A new password ends every session but the
    one that made the change, so a device someone else kept is signed out. `password_attempt_id`
    is the rate-limit entry counted for `current_password`, forgotten when that is right."""
    changes = data.model_dump(exclude_unset=True, exclude={"password", "current_password"})
    if changes.get("email") is not None:
        email = str(changes["email"]).lower()
        await _ensure_unique(session, email=email, username=None, exclude_id=user.id)
        user.email = email
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if changes.get("metadata") is not None:
        user.meta = changes["metadata"]
    if data.password is not None:
        if not await verify_password(user.hashed_password, data.current_password or ""):
            raise ValidationFailedError(N_("current_password is not correct"), extra={"field": "current_password"})
        if password_attempt_id is not None:
            await auth_repository.delete_attempt(session, password_attempt_id)
        try:
            check_new_password(data.password, user.username, user.email, user.full_name)
        except InvalidValue as exc:
            raise ValidationFailedError(exc.template, params=exc.params, extra={"field": "password"}) from exc
        user.hashed_password = await hash_password(data.password)
        await auth_repository.revoke_user_sessions(
            session, user.id, reason="password_changed", except_session_id=current_session_id
        )
    await _flush_unique(session)
    await record(session, EventType.USER_UPDATED, user, context, user_id=user.id)
    return user


async def admin_update(
    session: AsyncSession, user_id: str, data: UserAdminUpdate, context: ChangeContext, *, actor: User
) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFoundError(N_("User not found"))
    return await set_flags(
        session, user, is_active=data.is_active, is_superuser=data.is_superuser, context=context, actor_id=actor.id
    )


async def set_flags(
    session: AsyncSession,
    user: User,
    *,
    is_active: bool | None,
    is_superuser: bool | None,
    context: ChangeContext,
    actor_id: str | None,
) -> User:
    """Activate, deactivate, promote or demote. Deactivation ends every session of the user at once."""
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            await auth_repository.revoke_user_sessions(session, user.id, reason="deactivated")
    if is_superuser is not None:
        user.is_superuser = is_superuser
    await record(session, EventType.USER_UPDATED, user, context, user_id=user.id, extra={"changed_by": actor_id})
    return user


async def _ensure_unique(
    session: AsyncSession, *, email: str, username: str | None, exclude_id: str | None = None
) -> None:
    existing = await repository.find_conflict(session, email=email, username=username, exclude_id=exclude_id)
    if existing is None:
        return
    field = "email" if existing.email == email else "username"
    raise _taken(field)


def _taken(field: str) -> ConflictError:
    return ConflictError(N_("A user with this {field} already exists"), params={"field": field}, extra={"field": field})


async def _flush_unique(session: AsyncSession) -> None:
    """Flush, turning a lost race on a unique identifier into the same 409 the check gives."""
    try:
        await session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        field = _UNIQUE_INDEX_FIELDS.get(constraint or "")
        if field is None:
            raise
        raise _taken(field) from exc
