"""The learner corpus (tests/review/corpus/): what a fair human reviewer would say about each submission.

Correct solutions pass; each flawed one fails with a blocking finding on its primary defect's line; and
everything the learner reads is in the learner's language.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

import pytest

from ai_goals_tracker.review.languages import TSX, infer_language
from ai_goals_tracker.review.models import Category, Finding, FindingType, ReviewResult, Severity
from tests.review.learner_corpus import (
    CORPUS,
    Case,
    blocking_on_line,
    foreign_words,
    judge,
    load_cases,
    review_case,
)

CASES = load_cases()
FLAWED = [case for case in CASES if case.expected == "fail"]


def _ids(cases: list[Case] | tuple[Case, ...]) -> list[str]:
    return [case.id for case in cases]


def _described(result: ReviewResult) -> str:
    findings = [
        f"{f.rule}@{f.start_line}:{f.type.value}/{f.severity.value}"
        for f in result.findings
        if f.type.value != "celebratory"
    ]
    return f"outcome={result.outcome.value} score={result.score} findings={findings}"


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_verdict(case: Case) -> None:
    result = review_case(case.id)
    assert result.outcome is case.expected_outcome, f"{case.rationale} — got {_described(result)}"


@pytest.mark.parametrize("case", FLAWED, ids=_ids(FLAWED))
def test_blocking_finding_on_the_primary_line(case: Case) -> None:
    assert case.primary_line is not None
    result = review_case(case.id)
    assert blocking_on_line(result.findings, case.primary_line), (
        f"line {case.primary_line}: {case.rationale} — got {_described(result)}"
    )


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_review_is_in_the_learners_language(case: Case) -> None:
    leaks = judge(case, review_case(case.id)).leaks
    assert not leaks, "; ".join(
        f"{leak.where}: {', '.join(leak.words)} in {_around(leak.text, leak.words[0])!r}" for leak in leaks
    )


def _around(text: str, word: str, width: int = 70) -> str:
    """The part of `text` around the first whole-word `word`: where the leak sits in a long feedback."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
    start = max(0, match.start() - width) if match else 0
    return text[start : start + 2 * width]


def test_corpus_covers_the_issue() -> None:
    """At least 70 cases, in three languages and both learner languages, for every category."""
    assert len(CASES) >= 70
    assert {case.language for case in CASES} == {"python", "javascript", "typescript"}
    assert Counter(case.learner_language for case in CASES).keys() == {"es", "en"}
    by_category: dict[str, set[str]] = {}
    for case in CASES:
        by_category.setdefault(case.category, set()).add(case.learner_language)
    assert all(len(languages) == 2 for languages in by_category.values()), by_category


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_manifest_entry_is_consistent(case: Case) -> None:
    """The file exists, its extension says its language, and a flawed case names a line of code."""
    assert (CORPUS / case.file).is_file()
    inferred = infer_language(case.file_path)
    assert (inferred if inferred != TSX else "typescript") == case.language
    assert PurePosixPath(case.file).name.startswith(case.id)
    lines = case.code.splitlines()
    if case.expected == "fail":
        assert case.primary_line is not None and 1 <= case.primary_line <= len(lines)
        assert lines[case.primary_line - 1].strip(), "the primary line is blank"
    else:
        assert case.primary_line is None


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Usa `hashlib.sha256` en lugar de `md5` para la clave.", "es", ()),
        ("Possible SQL injection vector through string-based query construction", "es", ("possible",)),
        ("Se construye un comando: evita `shell=True` y 'token_type'.", "es", ()),
        ("La contraseña 'the_secret' está escrita en el código.", "es", ()),
        ("Use a parameterized query instead of building SQL.", "es", ("use", "instead")),
        ("No findings from the linters: clean code.", "en", ()),
        ("Error de sintaxis en la línea 3.", "en", ("la", "línea")),
        ("`contrasena` is assigned a literal password.", "en", ()),
    ],
)
def test_language_check_reads_prose_not_code(text: str, locale: str, expected: tuple[str, ...]) -> None:
    found = foreign_words(text, "es" if locale == "es" else "en")
    assert set(expected) <= set(found)
    assert bool(found) is bool(expected)


def test_a_blocking_finding_counts_on_every_line_it_spans() -> None:
    finding = Finding(
        type=FindingType.ESSENTIAL,
        severity=Severity.CRITICAL,
        category=Category.SECURITY,
        rule="sql-injection",
        message="SQL built from input",
        file="repo.py",
        start_line=3,
        end_line=5,
        analyzer="ruff",
    )
    assert [line for line in range(1, 8) if blocking_on_line([finding], line)] == [3, 4, 5]


def test_case_ids_are_unique() -> None:
    """Reviews are cached by case id: two cases with one id would be judged on one file."""
    ids = [case.id for case in CASES]
    assert sorted(i for i, n in Counter(ids).items() if n > 1) == []


def test_every_weakness_class_has_flawed_files_and_look_alikes_per_language() -> None:
    """At least 300 cases; per class and language (JavaScript and TypeScript together) that the class's
    folder covers, at least three flawed files and at least two correct look-alikes."""
    assert len(CASES) >= 300
    counts: Counter[tuple[str, str, str]] = Counter()
    for case in CASES:
        if case.weakness:
            family = "python" if case.language == "python" else "javascript/typescript"
            counts[(case.weakness, family, case.expected)] += 1
    short = sorted(
        {(weakness, family) for weakness, family, _ in counts}
        - {
            (weakness, family)
            for weakness, family, _ in counts
            if counts[(weakness, family, "fail")] >= 3 and counts[(weakness, family, "pass")] >= 2
        }
    )
    assert short == []
