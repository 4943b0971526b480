from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationInfo, field_validator

from ai_goals_tracker.errors import InvalidValue
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.schemas import Metadata, StorableText, read_metadata_field

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
FullName = Annotated[StorableText, StringConstraints(strip_whitespace=True, max_length=200)]


# zxcvbn scores 0 to 4 by estimated guesses; below 2 (under a million guesses) a password is in
# its lists of common passwords, names and words, or is a repeat, a sequence or a keyboard walk.
MIN_PASSWORD_SCORE = 2
# zxcvbn's cost grows with length; the first characters decide whether a password is trivial.
SCORED_PREFIX = 100


def check_new_password(password: str, *identifiers: object) -> None:
    """NIST SP 800-63B's rules beyond length: refuse the account's own identifiers, and passwords
    that are common or trivially guessable (zxcvbn, a maintained estimator with its own lists)."""
    from zxcvbn import zxcvbn

    known = [str(identifier) for identifier in identifiers if identifier]
    lowered = password.lower()
    if any(lowered == identifier.lower() for identifier in known):
        raise InvalidValue(N_("password must not be the same as the username or the email"))
    inputs = known + [identifier.split("@", 1)[0] for identifier in known if "@" in identifier]
    result = zxcvbn(password[:SCORED_PREFIX], user_inputs=inputs)
    if result["score"] < MIN_PASSWORD_SCORE:
        advice = " ".join(filter(None, [result["feedback"]["warning"], *result["feedback"]["suggestions"]]))
        if advice:
            raise InvalidValue(N_("password is too easy to guess. {advice}"), {"advice": advice})
        raise InvalidValue(N_("password is too easy to guess."))


class UserCreate(BaseModel):
    email: EmailStr
    username: Username
    password: Password
    full_name: FullName | None = None

    # A field validator, not a model one, so the 422 names `password` (fields validate in
    # declaration order: `email` and `username` are in `info.data` when they were valid).
    @field_validator("password")
    @classmethod
    def _password_is_hard_to_guess(cls, password: str, info: ValidationInfo) -> str:
        check_new_password(password, info.data.get("username"), info.data.get("email"))
        return password


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
    # validate_default: the check must also run when current_password is left out.
    current_password: str | None = Field(default=None, max_length=256, validate_default=True)

    @field_validator("current_password")
    @classmethod
    def _password_change_needs_current(cls, current: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("password") is not None and not current:
            raise InvalidValue(N_("current_password is required to set a new password"))
        return current


class UserAdminUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    is_superuser: bool | None = None
