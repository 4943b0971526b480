"""A goal's validation criteria, typed: one discriminated union, its validation and its rendering.

`validation_criteria` is the seed's `{"criteria": [...]}`. Each item is a sentence (a plain string,
stored as such) or a structured check named by `check`. This module is the one place that knows
the shapes: the API validates goals with it, the review dispatches on it, and the CLI and the
embeddings text render criteria through `render`. docs/review-criteria.md describes each check.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from ai_goals_tracker.i18n import DEFAULT_LOCALE, N_, Locale, Message, translate
from ai_goals_tracker.schemas import storable_text

MAX_CRITERIA = 50
MAX_CRITERION_CHARS = 1000
# A test module of a few dozen tests; the whole document is capped too, since every review stores it.
MAX_TEST_CODE_CHARS = 32 * 1024
MAX_CRITERIA_BYTES = 64 * 1024

Severity = Literal["info", "minor", "major", "critical"]
FindingCategory = Literal["security", "syntax", "bug", "complexity", "style"]
Framework = Literal["pytest", "node"]
CHECKS = ("sentence", "defines", "imports", "regex", "max_complexity", "no_findings", "tests")
_REGEX_FLAGS = frozenset("imsx")


class _Check(BaseModel):
    # extra="forbid": a misspelled field is refused when the goal is saved, not ignored at review time.
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = Field(
        default=None, min_length=1, max_length=MAX_CRITERION_CHARS, description="What the check means, for people."
    )

    @model_serializer(mode="wrap")
    def _as_written(self, handler: Any) -> dict[str, Any]:
        # Optional fields left out stay out, so a document round-trips unchanged.
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if key == "check" or key in self.model_fields_set}


class Sentence(BaseModel):
    """Natural language: judged by the LLM when one is configured, otherwise by a person."""

    model_config = ConfigDict(frozen=True)

    check: Literal["sentence"] = "sentence"
    text: str = Field(min_length=1, max_length=MAX_CRITERION_CHARS)

    @model_validator(mode="before")
    @classmethod
    def _from_plain_text(cls, data: Any) -> Any:
        """A plain string, or the documented `{"description": …}` object without `check`."""
        if isinstance(data, str):
            return {"text": data}
        if isinstance(data, dict) and "check" not in data and set(data) == {"description"}:
            return {"text": data["description"]}
        return data

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a sentence must not be blank")
        return value

    @model_serializer
    def _as_plain_text(self) -> str:
        return self.text


class Defines(_Check):
    check: Literal["defines"]
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["function", "class", "variable"] | None = None


class Imports(_Check):
    check: Literal["imports"]
    module: str = Field(min_length=1, max_length=200)


class Regex(_Check):
    check: Literal["regex"]
    pattern: str = Field(min_length=1, max_length=MAX_CRITERION_CHARS)
    flags: str = Field(default="", description="Any of i, m, s, x.")
    expect: Literal["match", "no_match"] = "match"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
        return pattern

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, flags: str) -> str:
        unknown = sorted(set(flags) - _REGEX_FLAGS)
        if unknown:
            raise ValueError(f"unknown regex flag(s) {', '.join(unknown)}; use i, m, s or x")
        return flags


class MaxComplexity(_Check):
    check: Literal["max_complexity"]
    value: int = Field(ge=1, le=1000)


class NoFindings(_Check):
    check: Literal["no_findings"]
    severity: Severity = "major"
    category: FindingCategory | None = None


class Tests(_Check):
    """A test module run against the learner's file in the sandbox (see ai_goals_tracker.sandbox)."""

    __test__ = False  # a criterion, not a pytest test class

    check: Literal["tests"]
    framework: Framework
    code: str = Field(min_length=1, max_length=MAX_TEST_CODE_CHARS)

    @field_validator("code")
    @classmethod
    def _not_blank(cls, code: str) -> str:
        if not code.strip():
            raise ValueError("the test module must not be blank")
        return code

    def test_names(self) -> list[str]:
        """The tests the module declares, as far as reading it can tell (for labels and embeddings)."""
        if self.framework == "pytest":
            return re.findall(r"^\s*(?:async\s+)?def\s+(test\w*)\s*\(", self.code, re.MULTILINE)
        return [name for _, name in re.findall(r"\b(?:test|it)\s*\(\s*(['\"`])(.+?)\1", self.code)]


def _kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "sentence"
    if isinstance(value, dict):
        check = value.get("check", "sentence")
        return check if isinstance(check, str) else None
    if isinstance(value, BaseModel):
        return str(getattr(value, "check", None))
    return None


Criterion = Annotated[
    Annotated[Sentence, Tag("sentence")]
    | Annotated[Defines, Tag("defines")]
    | Annotated[Imports, Tag("imports")]
    | Annotated[Regex, Tag("regex")]
    | Annotated[MaxComplexity, Tag("max_complexity")]
    | Annotated[NoFindings, Tag("no_findings")]
    | Annotated[Tests, Tag("tests")],
    Discriminator(
        _kind,
        custom_error_type="unknown_check",
        custom_error_message=f"unknown check; expected one of: {', '.join(CHECKS)}",
    ),
]
Check = Defines | Imports | Regex | MaxComplexity | NoFindings | Tests


class CriteriaDocument(BaseModel):
    """A goal's `validation_criteria` document. Other keys are kept as they are: they are not criteria."""

    model_config = ConfigDict(extra="allow")

    criteria: list[Criterion] = Field(default_factory=list, max_length=MAX_CRITERIA)

    @field_validator("criteria", mode="before")
    @classmethod
    def _known_checks(cls, items: Any) -> Any:
        for index, item in enumerate(items if isinstance(items, list) else []):
            problem = unknown_check(item)
            if problem is not None:
                raise ValueError(f"criteria[{index}]: {problem}")
        return items

    @model_validator(mode="after")
    def _within_size(self) -> CriteriaDocument:
        encoded = json.dumps(self.model_dump(mode="json"), ensure_ascii=False)
        storable_text(encoded.replace("\\u0000", "\x00"))
        size = len(encoded.encode())
        if size > MAX_CRITERIA_BYTES:
            raise ValueError(f"validation_criteria is {size} bytes; at most {MAX_CRITERIA_BYTES} are allowed")
        return self


_CRITERION = TypeAdapter[Criterion](Criterion)


def unknown_check(raw: Any) -> str | None:
    """Why `raw` names no known check, in words that name it; None when it does (or is a sentence)."""
    if not isinstance(raw, dict) or "check" not in raw:
        return None
    check = raw["check"]
    if isinstance(check, str) and check in CHECKS:
        return None
    return f"unknown check {check!r}; expected one of: {', '.join(CHECKS)}"


def stored_form(document: CriteriaDocument) -> dict[str, Any]:
    """The JSON kept in `goals.validation_criteria`: sentences as plain strings, checks as objects."""
    return document.model_dump(mode="json")


class Unreadable(BaseModel):
    """A stored criterion that no longer validates (saved before criteria were typed): a person judges it."""

    model_config = ConfigDict(frozen=True)

    raw: Any
    reason: str


def parse(raw: Any) -> Criterion:
    """One criterion as the API accepts it; raises pydantic's ValidationError naming what is wrong."""
    return _CRITERION.validate_python(raw)


def read(raw: Any) -> Criterion | Unreadable:
    """A stored criterion, typed; what fails validation comes back as `Unreadable` with the reason."""
    problem = unknown_check(raw)
    if problem is not None:
        return Unreadable(raw=raw, reason=problem)
    try:
        return parse(raw)
    except ValidationError as exc:
        return Unreadable(raw=raw, reason=_first_error(exc))


def read_all(validation_criteria: Any) -> list[Criterion | Unreadable]:
    """The criteria of a stored `validation_criteria` document; anything but its `criteria` list is ignored."""
    items = validation_criteria.get("criteria") if isinstance(validation_criteria, dict) else None
    return [read(item) for item in items] if isinstance(items, list) else []


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    # The tag the discriminator chose is part of the location; the field after it is what users know.
    location = [str(part) for part in error["loc"] if str(part) not in CHECKS]
    where = f"`{'.'.join(location)}` " if location else ""
    return f"{where}{error['msg']}".strip()


def render(criterion: Criterion | Unreadable, locale: Locale = DEFAULT_LOCALE) -> str:
    """One line a person (and the embedding model) understands; the description wins when there is one."""
    if isinstance(criterion, Sentence):
        return criterion.text.strip()
    if isinstance(criterion, Unreadable):
        return _render_unreadable(criterion.raw)
    if criterion.description:
        return criterion.description.strip()
    message, params = _check_message(criterion)
    return translate("api", locale, message, params)


def _check_message(check: Check) -> tuple[Message, dict[str, object]]:
    if isinstance(check, Defines):
        if check.kind:
            return N_("Defines the {kind} {name}"), {"kind": check.kind, "name": check.name}
        return N_("Defines {name}"), {"name": check.name}
    if isinstance(check, Imports):
        return N_("Imports the {module} module"), {"module": check.module}
    if isinstance(check, Regex):
        flags = f" (flags {check.flags})" if check.flags else ""
        if check.expect == "no_match":
            return N_("Code never matches the pattern {pattern}{flags}"), {"pattern": check.pattern, "flags": flags}
        return N_("Code matches the pattern {pattern}{flags}"), {"pattern": check.pattern, "flags": flags}
    if isinstance(check, MaxComplexity):
        return N_("Cyclomatic complexity of every function at most {value}"), {"value": check.value}
    if isinstance(check, NoFindings):
        category = f" {check.category}" if check.category else ""
        return (
            N_("No {severity}{category} findings (or worse) from the code analyzers"),
            {"severity": check.severity, "category": category},
        )
    names = check.test_names()
    listed = f": {', '.join(names[:8])}{', …' if len(names) > 8 else ''}" if names else ""
    return N_("Passes the goal's {framework} tests{listed}"), {"framework": check.framework, "listed": listed}


def _render_unreadable(raw: Any) -> str:
    if isinstance(raw, dict):
        details = ", ".join(f"{key}={value}" for key, value in raw.items() if key != "check")
        return f"{raw.get('check')}({details})"
    return str(raw)


def render_raw(raw: Any, locale: Locale = DEFAULT_LOCALE) -> str:
    """`render` for a criterion as JSON (a goal or a review result as clients receive it)."""
    return render(read(raw), locale)
