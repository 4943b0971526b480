"""The learner corpus under `corpus/`: realistic submissions, each with the verdict a fair human reviewer
would give, the line of its one primary defect, and the learner's language.

A case is reviewed as the snapshot job reviews a snapshot: the language the submission endpoint stores
for a client that declares none (inferred from `file_path`), the configured pass threshold, the learner's
locale, the goal's criteria, and the engine's entry point with no LLM configured.

The language check is deliberately narrow so that it only fails on real leaks: it ignores code spans,
quoted single tokens and anything shaped like an identifier, and it looks for function words and review
vocabulary that exist in one language and not in the other (no `no`, `a`, `error` or `hash`).
"""

from __future__ import annotations

import asyncio
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ai_goals_tracker.config import get_settings
from ai_goals_tracker.review import Finding, ReviewRequest, ReviewResult, review_submission_with_llm
from ai_goals_tracker.review.languages import normalize_language
from ai_goals_tracker.review.models import Category, Criterion, Locale, ReviewOutcome
from ai_goals_tracker.review.scoring import blocking_findings

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "cases.toml"

Verdict = Literal["pass", "fail"]
SourceLanguage = Literal["python", "javascript", "typescript"]


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    file: str
    file_path: str
    language: SourceLanguage
    learner_language: Locale
    category: str
    expected: Verdict
    rationale: str
    primary_line: int | None = None
    criteria: tuple[Criterion, ...] = ()
    # The weakness class (docs/code-review.md) a case shows, or imitates without showing it.
    weakness: str | None = None
    cwe: str | None = None

    @property
    def expected_outcome(self) -> ReviewOutcome:
        """Offline nobody judges a sentence: correct code under one waits for the learner to confirm it."""
        if self.expected == "fail":
            return ReviewOutcome.FAILED
        sentences = any(isinstance(criterion, str) for criterion in self.criteria)
        return ReviewOutcome.AWAITING_JUDGEMENT if sentences else ReviewOutcome.PASSED

    @property
    def code(self) -> str:
        return (CORPUS / self.file).read_text(encoding="utf-8")


@cache
def load_cases() -> tuple[Case, ...]:
    """The cases of `cases.toml`, then those of each weakness class's folder (`corpus/<class>/cases.toml`)."""
    cases: list[Case] = []
    for manifest_path in [MANIFEST, *sorted(CORPUS.glob("*/cases.toml"))]:
        manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        folder = manifest_path.parent.relative_to(CORPUS).as_posix()
        cases.extend(_case(entry, "" if folder == "." else folder + "/") for entry in manifest["case"])
    return tuple(cases)


def _case(entry: dict[str, Any], folder: str = "") -> Case:
    return Case(
        id=entry["id"],
        file=folder + entry["file"],
        file_path=entry["file_path"],
        language=entry["language"],
        learner_language=entry["learner_language"],
        category=entry["category"],
        expected=entry["expected"],
        rationale=entry["rationale"],
        primary_line=entry.get("primary_line"),
        criteria=tuple(entry.get("criteria", ())),
        weakness=entry.get("weakness"),
        cwe=entry.get("cwe"),
    )


def case_by_id(case_id: str) -> Case:
    return next(case for case in load_cases() if case.id == case_id)


def review_request(case: Case) -> ReviewRequest:
    """What the snapshot job builds from the stored snapshot, the goal and the learner."""
    return ReviewRequest(
        code=case.code,
        file_path=case.file_path,
        language=normalize_language(None, case.file_path),
        criteria=list(case.criteria),
        locale=case.learner_language,
        pass_threshold=get_settings().review_pass_threshold,
    )


@cache
def review_case(case_id: str) -> ReviewResult:
    """One review per case and process: the verdict, line and language tests share it."""
    return asyncio.run(review_submission_with_llm(review_request(case_by_id(case_id)), None))


def blocking_on_line(findings: list[Finding], line: int) -> list[Finding]:
    return [f for f in blocking_findings(findings) if f.start_line is not None and _covers(f, line)]


def _covers(finding: Finding, line: int) -> bool:
    start = finding.start_line or 0
    return start <= line <= (finding.end_line or start)


def learner_strings(result: ReviewResult) -> Iterator[tuple[str, str]]:
    """Every string of a review the learner reads, with where it sits in the result."""
    yield "summary", result.summary
    yield "feedback", result.feedback
    for index, note in enumerate(result.notes):
        yield f"notes[{index}]", note
    for index, finding in enumerate(result.findings):
        yield f"findings[{index}].message ({finding.rule})", finding.message
        if finding.suggestion:
            yield f"findings[{index}].suggestion ({finding.rule})", finding.suggestion
    for index, criterion in enumerate(result.criteria):
        yield f"criteria[{index}].evidence", criterion.evidence


# Words of one language that a sentence of the other never uses: function words, and the vocabulary of
# review messages. Words both languages share (`no`, `a`, `me`, `error`, `final`, `local`) and
# loanwords Spanish technical prose keeps (`hash`, `token`, `shell`, `linters`, `scripting`) are left out.
_ENGLISH_WORDS = """
    the this that these those is are was were be been being with when which what where and of to for from
    your you it its an by or on in at not can cannot could would should must might have had does do
    instead found possible only if into than then there here because without before after avoid use used
    using line lines passed failed blocking criteria score went well fix first important minor
    consider make sure allows never always will detected missing untrusted unsafe insecure weak issue removed
    suitable arbitrary function functions
"""
_SPANISH_WORDS = """
    el la los las del al que para una unos unas por está están este esta estos estas es pero más
    puede pueden debe deben usar evita evitar cuando línea líneas código archivo función también
    aprobado hallazgo hallazgos revisión comprobación criterios cumplido bloqueante corrige
"""
_ENGLISH_ONLY = frozenset(_ENGLISH_WORDS.split())
_SPANISH_ONLY = frozenset(_SPANISH_WORDS.split())
_SPANISH_LETTERS = re.compile(r"[áéíóúñ¿¡]", re.IGNORECASE)
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
# A quoted run without spaces is a value or a name ('hunter2', "token_type"), not prose.
_QUOTED_TOKEN = re.compile(r"""(["'])[^\s"']+\1""")
_URL = re.compile(r"\bhttps?://\S+")
# Identifiers, paths, calls, numbers and rule ids: anything a sentence word is not.
_CODE_SHAPED = re.compile(r"[_./\\=<>(){}\[\]$#@:0-9]|[a-z][A-Z]")
_EDGE_PUNCTUATION = "\"'.,;:!?()[]{}*«»“”‘’—–…-"


@dataclass(frozen=True, slots=True)
class LanguageLeak:
    where: str
    words: tuple[str, ...]
    text: str = field(repr=False)


def prose_words(text: str) -> Iterator[str]:
    """The lower-cased sentence words of `text`, without code spans, quoted tokens and identifiers."""
    prose = _QUOTED_TOKEN.sub(" ", _CODE_SPAN.sub(" ", _URL.sub(" ", text)))
    for chunk in prose.split():
        token = chunk.strip(_EDGE_PUNCTUATION)
        if not token or _CODE_SHAPED.search(token):
            continue
        yield from (word.lower() for word in token.split("-") if word.isalpha())


def foreign_words(text: str, locale: Locale) -> tuple[str, ...]:
    """Words of `text` that belong to the other language than `locale`, in order, without repeats."""
    found: dict[str, None] = {}
    for word in prose_words(text):
        if (locale == "es" and word in _ENGLISH_ONLY) or (
            locale == "en" and (word in _SPANISH_ONLY or _SPANISH_LETTERS.search(word))
        ):
            found[word] = None
    return tuple(found)


def language_leaks(result: ReviewResult, locale: Locale) -> list[LanguageLeak]:
    leaks = []
    for where, text in learner_strings(result):
        words = foreign_words(text, locale)
        if words:
            leaks.append(LanguageLeak(where, words, text))
    return leaks


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """How the engine did on one case, in the terms the tests and the benchmark report use."""

    case: Case
    outcome: ReviewOutcome
    # Not failed by the engine: passed, or waiting only for a person to confirm what no check decides.
    passed: bool
    # Whether a blocking finding covers the primary line, and how many other places (distinct start
    # lines, a finding without a line counting as one) the engine blocked on: false alarms.
    on_primary: bool
    false_alarms: int
    leaks: tuple[LanguageLeak, ...]
    # An analyzer reported that it could not finish (a LIMITS finding): the review is partial.
    incomplete: bool

    @property
    def verdict_right(self) -> bool:
        return self.outcome is self.case.expected_outcome

    @property
    def caught(self) -> bool:
        """A flawed case failed for its primary defect."""
        return self.case.expected == "fail" and not self.passed and self.on_primary

    @property
    def in_learner_language(self) -> bool:
        return not self.leaks


def judge(case: Case, result: ReviewResult) -> CaseOutcome:
    primary = case.primary_line
    blocking = blocking_findings(result.findings)
    elsewhere = {f.start_line for f in blocking if primary is None or f.start_line is None or not _covers(f, primary)}
    return CaseOutcome(
        case=case,
        outcome=result.outcome,
        passed=result.outcome in (ReviewOutcome.PASSED, ReviewOutcome.AWAITING_JUDGEMENT),
        on_primary=primary is not None and bool(blocking_on_line(result.findings, primary)),
        false_alarms=len(elsewhere),
        leaks=tuple(language_leaks(result, case.learner_language)),
        incomplete=any(f.category is Category.LIMITS for f in result.findings),
    )
