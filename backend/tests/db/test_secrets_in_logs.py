"""Server errors end up in logs as tracebacks: they must not carry statement parameters."""

from __future__ import annotations

import logging
import traceback

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ai_goals_tracker.auth.security import hash_password
from ai_goals_tracker.models import User


async def test_a_failed_insert_logs_no_password_hash(
    app: FastAPI, clean_db: None, caplog: pytest.LogCaptureFixture
) -> None:
    password_hash = await hash_password("a secret passphrase")
    user = User(email="ana@example.com", username="ana", hashed_password=password_hash)
    async with app.state.sessionmaker() as session:
        session.add(user)
        await session.commit()

    twin = User(id=user.id, email="ana@example.com", username="ana", hashed_password=password_hash)
    logger = logging.getLogger("uvicorn.error")
    with caplog.at_level(logging.ERROR):
        async with app.state.sessionmaker() as session:
            session.add(twin)
            with pytest.raises(DBAPIError) as raised:
                await session.commit()
            logger.error("Exception in ASGI application", exc_info=raised.value)

    logged = caplog.text + "".join(traceback.format_exception(raised.value))
    assert "duplicate key" in logged
    assert password_hash not in logged
    assert "ana@example.com" not in logged


async def test_a_failed_query_logs_no_parameters(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    secret = "$argon2id$v=19$m=65536,t=3,p=4$not-a-real-hash"
    with caplog.at_level(logging.ERROR):
        async with app.state.read_sessionmaker() as session:
            with pytest.raises(DBAPIError) as raised:
                await session.execute(text("SELECT CAST(:value AS text), 1 / 0"), {"value": secret})
            logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=raised.value)

    assert "division by zero" in caplog.text
    assert "not-a-real-hash" not in caplog.text
