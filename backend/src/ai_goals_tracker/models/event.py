from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import UserDefinedType

from ai_goals_tracker.db.base import Base, id_column, meta_column
from ai_goals_tracker.models.enums import EVENT_TYPE, EventType

if TYPE_CHECKING:
    from ai_goals_tracker.models.user import User


class XID8(UserDefinedType[str]):
    """PostgreSQL's 64-bit transaction id (`pg_current_xact_id()`), as text in Python."""

    cache_ok = True

    def get_col_spec(self, **_kwargs: Any) -> str:
        return "xid8"


# Reflection (Alembic's comparison of models and migrations) then knows the type too.
ischema_names["xid8"] = XID8


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("idx_events_user_created", "user_id", "created_at"),
        Index("idx_events_entity", "entity_type", "entity_id", "created_at"),
        Index("idx_events_type_created", "event_type", "created_at"),
        # Followers and the archiver read the log in this order (migrations 013 and 014).
        Index("idx_events_txid", "txid", "id"),
        # No index may name `processed_at` or `parquet_path`, and each page keeps room for its rows'
        # archived versions: marking a row archived is then a heap-only update (migration 014).
        {"postgresql_with": {"fillfactor": 40}},
    )

    id: Mapped[str] = id_column("evt")
    event_type: Mapped[EventType] = mapped_column(EVENT_TYPE, nullable=False)
    # Null for system events that concern no user.
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(40), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict, server_default="{}")
    meta: Mapped[dict[str, Any]] = meta_column()
    # clock_timestamp(), not now(): several events of one transaction keep their order.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    parquet_path: Mapped[str | None] = mapped_column(String(1024))
    # The writing transaction: followers read events only once every older transaction has ended.
    txid: Mapped[str] = mapped_column(XID8(), nullable=False, server_default=func.pg_current_xact_id())

    user: Mapped[User | None] = relationship(back_populates="events", lazy="raise")


class EventFollower(Base):
    """How far one follower of the event log has read (events/follower.py)."""

    __tablename__ = "event_followers"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    txid: Mapped[str] = mapped_column(XID8(), nullable=False, server_default=text("'0'::xid8"))
    event_id: Mapped[str] = mapped_column(String(40), nullable=False, server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class EventArchivePosition(Base):
    """The last event the archiver claimed, in the followers' order: every event up to it is archived."""

    __tablename__ = "event_archive_position"
    __table_args__ = (CheckConstraint("single", name="single"),)

    single: Mapped[bool] = mapped_column(primary_key=True, server_default=text("true"))
    txid: Mapped[str] = mapped_column(XID8(), nullable=False)
    event_id: Mapped[str] = mapped_column(String(40), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
