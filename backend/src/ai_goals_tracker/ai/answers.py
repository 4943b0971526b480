"""Whether a text a model wrote says something, in the language it was asked for.

A schema-valid answer can still be useless: an empty summary, JSON debris such as `":{"`, a line
of punctuation, or prose in another language than the learner's. Callers use a model's text only
when `useless_text` finds nothing wrong with it; otherwise the offline text stands.
"""

from __future__ import annotations

import re
from typing import Literal

Locale = Literal["es", "en"]

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# Words frequent in any prose of each language and rare in the other (and in code).
_FUNCTION_WORDS: dict[Locale, frozenset[str]] = {
    "en": frozenset(
        re.findall(
            r"\S+",
            "the and is are of to in this that you your it with for on be not use uses used should "
            "could would can which when where what does do has have was were an as at by or if but "
            "there their they them these those than then well good line lines function code",
        )
    ),
    "es": frozenset(
        re.findall(
            r"\S+",
            "el la los las de del que y en un una es son por para con no se tu tus su sus al lo como "
            "pero más cuando donde qué este esta estos estas eso hay muy bien buen buena línea líneas "
            "función código usa usar debe debería puede sin sobre también",
        )
    ),
}
_SPANISH_MARKS = re.compile(r"[ñáéíóú¿¡]", re.IGNORECASE)
# Code in markdown (fenced blocks and `spans`) is in the program's language, not the prose's.
_MARKDOWN_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)


def text_language(text: str) -> Locale | None:
    """`es` or `en` when the prose says clearly which, else None (too short, or code)."""
    prose = _MARKDOWN_CODE.sub(" ", text)
    words = [word.lower() for word in _WORD.findall(prose)]
    spanish = sum(word in _FUNCTION_WORDS["es"] for word in words) + len(_SPANISH_MARKS.findall(prose))
    english = sum(word in _FUNCTION_WORDS["en"] for word in words)
    if max(spanish, english) < 3:
        return None
    if spanish >= 2 * english + 1:
        return "es"
    if english >= 2 * spanish + 1:
        return "en"
    return None


def useless_text(text: str, locale: Locale, *, min_words: int = 2) -> str | None:
    """Why `text` is of no use to a learner reading `locale`, or None when it can be shown."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    words = _WORD.findall(stripped)
    if len(words) < min_words:
        return f"fewer than {min_words} words"
    visible = [char for char in stripped if not char.isspace()]
    letters = len(_LETTER.findall(stripped))
    if letters < 0.4 * len(visible):
        return "mostly symbols"
    language = text_language(stripped)
    if language is not None and language != locale:
        return f"written in {'Spanish' if language == 'es' else 'English'}, not in the learner's language"
    return None
