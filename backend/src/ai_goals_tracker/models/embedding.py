from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_goals_tracker.db.base import Base, created_at_column, id_column, meta_column

if TYPE_CHECKING:
    from ai_goals_tracker.models.user import User


class Embedding(Base):
    __tablename__ = "embeddings"
    __table_args__ = (
        Index("idx_embeddings_entity", "entity_type", "entity_id"),
        Index("idx_embeddings_user_id", "user_id"),
    )

    id: Mapped[str] = id_column("emb")
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(50), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(40), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    # Undimensioned on purpose: models of different sizes share the table, and each model gets
    # its own partial HNSW index over `embedding::vector(n)` (see db/vector_index.py).
    embedding: Mapped[list[float]] = mapped_column(Vector(), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    meta: Mapped[dict[str, Any]] = meta_column()
    created_at: Mapped[datetime] = created_at_column()

    user: Mapped[User] = relationship(back_populates="embeddings", lazy="raise")
