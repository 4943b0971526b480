"""Dependencies shared by the search and planning endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, get_embedding_provider
from ai_goals_tracker.config import Settings


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_embeddings(settings: SettingsDep) -> EmbeddingProvider:
    return get_embedding_provider(settings)


EmbeddingsDep = Annotated[EmbeddingProvider, Depends(get_embeddings)]
