from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from ai_goals_tracker.schemas import Metadata, read_metadata_field

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class UserCreate(BaseModel):
    email: EmailStr
    username: Username
    password: Password
    full_name: FullName | None = None

    @model_validator(mode="after")
    def _password_is_not_an_identifier(self) -> UserCreate:
        lowered = self.password.lower()
        if lowered in {self.username.lower(), str(self.email).lower()}:
            raise ValueError("password must not be the same as the username or the email")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: str
    email: str
    username: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    metadata: dict[str, Any] = read_metadata_field()
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class UserUpdate(BaseModel):
    """What users change about themselves. A new password needs the current one."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    full_name: FullName | None = None
    metadata: Metadata | None = None
    password: Password | None = None
    current_password: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _password_change_needs_current(self) -> UserUpdate:
        if self.password is not None and not self.current_password:
            raise ValueError("current_password is required to set a new password")
        return self


class UserAdminUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    is_superuser: bool | None = None
