"""Dependencies shared by the search and planning endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, get_embedding_provider
from ai_goals_tracker.deps import SettingsDep


async def get_embeddings(settings: SettingsDep) -> EmbeddingProvider:
    return get_embedding_provider(settings)


EmbeddingsDep = Annotated[EmbeddingProvider, Depends(get_embeddings)]
