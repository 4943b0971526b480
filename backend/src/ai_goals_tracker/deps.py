"""Dependencies that every package may use: the application's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ai_goals_tracker.config import Settings


async def get_app_settings(request: Request) -> Settings:
    """The settings `create_app` was given (tests pass their own, so never `get_settings()` here)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
