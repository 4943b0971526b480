from __future__ import annotations

from collections.abc import Iterator

import pytest

from ai_goals_tracker.review.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    pool = Sandbox(max_helpers=1)
    yield pool
    pool.close()
