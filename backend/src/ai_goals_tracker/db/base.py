"""Declarative base and the columns every table shares."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import DateTime, MetaData, String, func, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.decl_base import _declarative_constructor

from ai_goals_tracker.db.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Server-generated values (timestamps, JSON defaults) come back with RETURNING, so no attribute
    # is left expired after a flush; under async an expired attribute would mean implicit I/O.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        id_key, id_prefix, optional_keys = _construction_plan(type(self))
        # Ids are made here rather than at flush, so related rows and events can name them at once.
        if id_key is not None and id_key not in kwargs:
            kwargs[id_key] = new_id(id_prefix)
        _declarative_constructor(self, **kwargs)
        # A nullable column left unset would be "unloaded" after the INSERT, and reading it would
        # lazy-load under async. Setting it to None makes the INSERT state it, so it stays loaded.
        for key in optional_keys:
            if key not in kwargs:
                setattr(self, key, None)


@cache
def _construction_plan(model: type[Base]) -> tuple[str | None, str, tuple[str, ...]]:
    """Per model, once: the prefixed id column, and the nullable columns with no default."""
    mapper = inspect(model)
    id_key, id_prefix = None, ""
    for column in mapper.primary_key:
        if "id_prefix" in column.info:
            id_key, id_prefix = str(column.key), str(column.info["id_prefix"])
    optional = tuple(
        attribute.key
        for attribute in mapper.column_attrs
        if attribute.columns[0].nullable
        and attribute.columns[0].default is None
        and attribute.columns[0].server_default is None
        and not attribute.columns[0].foreign_keys
    )
    return id_key, id_prefix, optional


def id_column(prefix: str) -> Mapped[str]:
    return mapped_column(String(40), primary_key=True, info={"id_prefix": prefix})


def meta_column() -> Mapped[dict[str, Any]]:
    """The seed's `metadata` JSON column; SQLAlchemy reserves the attribute name."""
    return mapped_column("metadata", JSONB, nullable=False, default=dict, server_default="{}")


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now())
