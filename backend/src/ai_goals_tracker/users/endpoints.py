"""Accounts: registration, the profile, administration. `users` builds on `auth` (passwords, sessions,
the current user); `auth` never imports `users`."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from ai_goals_tracker.auth import service as auth_service
from ai_goals_tracker.auth.deps import AuthenticatedDep, CurrentSuperuser, CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.pagination import Page, PageDep
from ai_goals_tracker.users import repository, service
from ai_goals_tracker.users.schemas import UserAdminUpdate, UserCreate, UserRead, UserUpdate

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/users", tags=["users"])
# Registration keeps its address beside login (`/auth/...`), though the account is this package's.
registration_router = APIRouter(route_class=UnitOfWorkRoute, prefix="/auth", tags=["auth"])


@registration_router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "The username is taken (usernames are public)."},
        429: {"description": "Too many registrations from this address in the last minute; see Retry-After."},
    },
)
async def register(
    request: Request, data: UserCreate, session: SessionDep, settings: SettingsDep, context: ChangeContextDep
) -> UserRead:
    """Create an account. The answer does not say whether the email already has one: it is the same
    201 either way, and an email that has one gets no second account (sign in to the first)."""
    await auth_service.count_registration(
        request.app.state.sessionmaker,
        ip_address=context.ip_address or "unknown",
        per_minute=settings.registrations_per_address_per_minute,
    )
    user = await service.register_publicly(session, data, context)
    return UserRead.model_validate(user)


@router.get("/me")
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me")
async def update_me(
    request: Request,
    data: UserUpdate,
    auth: AuthenticatedDep,
    session: SessionDep,
    settings: SettingsDep,
    context: ChangeContextDep,
) -> UserRead:
    """Change your email, name, metadata or password (a new password needs `current_password`,
    and wrong ones count against the same limits as logins)."""
    attempt_id = None
    if data.password is not None:
        attempt_id = await auth_service.count_password_attempt(
            request.app.state.sessionmaker,
            account=auth.user.id,
            ip_address=context.ip_address or "unknown",
            limits=auth_service.GuessLimits.from_settings(settings),
        )
    user = await service.update_me(
        session, auth.user, data, context, current_session_id=auth.session_id, password_attempt_id=attempt_id
    )
    return UserRead.model_validate(user)


@router.get("")
async def list_users(_admin: CurrentSuperuser, session: SessionDep, page: PageDep) -> Page[UserRead]:
    users, total = await repository.list_page(session, limit=page.limit, offset=page.offset)
    return Page(items=[UserRead.model_validate(u) for u in users], total=total, limit=page.limit, offset=page.offset)


@router.patch("/{user_id}")
async def admin_update_user(
    user_id: str, data: UserAdminUpdate, admin: CurrentSuperuser, session: SessionDep, context: ChangeContextDep
) -> UserRead:
    """Superusers: deactivate (`{"is_active": false}`) or promote a user."""
    return UserRead.model_validate(await service.admin_update(session, user_id, data, context, actor=admin))
