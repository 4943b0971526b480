from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ai_goals_tracker.db.base import Base, created_at_column, id_column


class AuthSession(Base):
    """One login: the family of refresh tokens it rotates through. Revoking it logs the device out."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("idx_auth_sessions_user_id", "user_id"),)

    id: Mapped[str] = id_column("ses")
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # The only refresh token of this session that may still be used.
    current_refresh_jti: Mapped[str] = mapped_column(String(40), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(50))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class LoginAttempt(Base):
    """A login try, kept a short while to limit guessing per account and per client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("idx_login_attempts_account", "account", "attempted_at"),
        Index("idx_login_attempts_ip", "ip_address", "attempted_at"),
    )

    id: Mapped[str] = id_column("att")
    account: Mapped[str] = mapped_column(String(320), nullable=False)
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
