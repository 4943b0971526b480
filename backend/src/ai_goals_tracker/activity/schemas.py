from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ai_goals_tracker.schemas import read_metadata_field


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_type: str
    user_id: str | None
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any] = read_metadata_field()
    created_at: datetime
    processed_at: datetime | None
    parquet_path: str | None
