"""Which texts a model wrote are worth showing a learner."""

from __future__ import annotations

import pytest

from ai_goals_tracker.ai.answers import text_language, useless_text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        (':{"', "fewer than 2 words"),
        ("-", "fewer than 2 words"),
        ('{"name": "value", "list": [1, 2, 3], "more": {}, "x": [[{}]]}', "mostly symbols"),
        ("The function checks the password and returns early when the user is unknown.", "English"),
    ],
)
def test_texts_that_say_nothing_to_a_spanish_learner(text: str, why: str) -> None:
    problem = useless_text(text, "es")
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "text",
    [
        "Buen uso de `hmac.compare_digest` en la línea 17.",
        # Code in English inside Spanish prose is still Spanish prose.
        "La condición `if user is not None and user in active` de la línea 4 es correcta, pero "
        "```python\nfor item in items:\n    if item is None and not found:\n        return the_value\n```"
        " conviene sacarla a una función.",
        "### Good\n- line 1",  # short, but words: shown under the model's heading
    ],
)
def test_texts_worth_showing(text: str) -> None:
    assert useless_text(text, "es" if "### Good" not in text else "en") is None


def test_the_language_of_short_or_mixed_text_is_not_guessed() -> None:
    assert text_language("line 17 uses hmac.compare_digest") is None
    assert text_language("Los tokens caducan después de una hora y se renuevan con el refresh.") == "es"
    assert text_language("The tokens expire after one hour and are renewed with the refresh.") == "en"
