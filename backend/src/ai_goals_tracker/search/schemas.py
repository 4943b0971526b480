"""API schemas of semantic search."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

EntityTypeName = Literal["course", "goal", "task", "code_snapshot"]
# `code` is what people type (and what `aigt search --type code` sends) for code snapshots.
EntityTypeFilter = Literal["course", "goal", "task", "code_snapshot", "code"]


class SearchHit(BaseModel):
    entity_type: EntityTypeName
    entity_id: str
    title: str
    snippet: str = Field(description="The best-matching part of the item's text.")
    score: float = Field(description="Cosine similarity to the query, 1 for identical meaning.")


class SearchResults(BaseModel):
    query: str
    model: str = Field(description="The embedding model the results were ranked with.")
    items: list[SearchHit]
