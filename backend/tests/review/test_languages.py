from __future__ import annotations

import pytest

from ai_goals_tracker.review import infer_language
from ai_goals_tracker.review.languages import normalize_language


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app.py", "python"),
        ("APP.PY", "python"),
        ("web/main.mjs", "javascript"),
        ("component.tsx", "tsx"),
        ("server.ts", "typescript"),
        ("C:\\work\\Main.java", "java"),
        ("Makefile", "unknown"),
        ("notes.weird", "unknown"),
    ],
)
def test_infer_language_from_extension(path: str, language: str) -> None:
    assert infer_language(path) == language


def test_declared_language_wins_over_extension() -> None:
    assert normalize_language("JS", "script.txt") == "javascript"
    assert normalize_language(None, "script.py") == "python"
    assert normalize_language("  ", "script.py") == "python"
