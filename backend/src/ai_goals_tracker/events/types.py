"""What an event says about where a change came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request

Source = Literal["vscode_extension", "cli", "web", "api", "worker", "system"]
CLIENT_SOURCES: frozenset[str] = frozenset({"vscode_extension", "cli", "web", "api"})


@dataclass(frozen=True)
class ChangeContext:
    """Where a change came from; becomes the event's `metadata`."""

    source: Source = "api"
    ip_address: str | None = None
    user_agent: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        return {"source": self.source, "ip_address": self.ip_address, "user_agent": self.user_agent}


WORKER_CONTEXT = ChangeContext(source="worker")


async def change_context(request: Request) -> ChangeContext:
    client = (request.headers.get("x-client") or "api").strip().lower()
    source: Source = client if client in CLIENT_SOURCES else "api"  # type: ignore[assignment]
    return ChangeContext(
        source=source,
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


ChangeContextDep = Annotated[ChangeContext, Depends(change_context)]
