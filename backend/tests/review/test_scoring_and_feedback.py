"""What the learner reads: the score, the verdict and the feedback, in their language."""

from __future__ import annotations

from ai_goals_tracker.review import ReviewRequest, review_submission
from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    ReviewOutcome,
    Severity,
)
from ai_goals_tracker.review.scoring import outcome, passed, score
from tests.review.corpus import review, sample_code


def finding(
    severity: Severity, kind: FindingType = FindingType.ACTIONABLE, category: Category = Category.BUG
) -> Finding:
    return Finding(
        type=kind, severity=severity, category=category, rule="X1", message="m", file="a.py", analyzer="test"
    )


def criterion(status: CriterionStatus) -> CriterionResult:
    return CriterionResult(criterion={"check": "defines", "name": "f"}, kind="structured", status=status, evidence="")


def test_score_falls_with_severity() -> None:
    none = score([], [])
    minor = score([finding(Severity.MINOR)], [])
    major = score([finding(Severity.MAJOR)], [])
    critical = score([finding(Severity.CRITICAL)], [])
    assert none == 1.0 > minor > major > critical >= 0.0


def test_many_style_remarks_do_not_sink_good_work() -> None:
    assert score([finding(Severity.MINOR)] * 40, [criterion(CriterionStatus.MET)]) >= 0.9


def test_criteria_weigh_in_the_score_but_needs_human_does_not() -> None:
    met, unmet, human = (criterion(s) for s in CriterionStatus)
    assert score([], [met, unmet]) < score([], [met]) == 1.0
    assert score([], [met, human]) == 1.0


def test_verdict_rules() -> None:
    met = criterion(CriterionStatus.MET)
    security = finding(Severity.MAJOR, category=Category.SECURITY)
    assert passed([], [met], 1.0, 0.7)
    assert not passed([], [met], 0.6, 0.7)
    assert not passed([security], [met], 0.85, 0.7)
    assert not passed([finding(Severity.MINOR, FindingType.ESSENTIAL)], [met], 0.97, 0.7)
    assert not passed([], [met, criterion(CriterionStatus.NOT_MET)], 0.8, 0.7)
    assert passed([finding(Severity.MAJOR)], [met], 0.91, 0.7)


def test_threshold_is_configurable() -> None:
    strict = review("deeply_nested.py", pass_threshold=0.95)
    lenient = review("deeply_nested.py", pass_threshold=0.5)
    assert strict.score == lenient.score
    assert not strict.passed and lenient.passed


def test_feedback_in_spanish_and_english() -> None:
    spanish = review("sql_formatting.py", locale="es")
    english = review("sql_formatting.py", locale="en")
    assert "Corrige primero" in spanish.feedback and "inyección SQL" in spanish.feedback
    assert "línea 6" in spanish.feedback
    assert "Fix first" in english.feedback and "SQL injection" in english.feedback
    assert "line 6" in english.feedback
    assert "Aún no aprobado" in spanish.summary and "Not passed yet" in english.summary


def test_feedback_praises_first_then_blocking_fixes() -> None:
    result = review("eval_input.py", criteria=[{"check": "defines", "name": "calculator"}])
    feedback = result.feedback
    assert feedback.index("What went well") < feedback.index("Fix first") < feedback.index("Criteria")
    assert "1 of 1 checkable criteria met" in feedback
    assert "line 3" in feedback and "line 7" in feedback


def test_feedback_is_specific_to_the_code() -> None:
    nested = review("deeply_nested.py").feedback
    complex_ = review("complex_function.py").feedback
    assert "`classify` nests blocks 7 levels deep" in nested
    assert "`grade` has cyclomatic complexity 18" in complex_
    assert nested != complex_


def test_feedback_caps_comments_per_severity_and_says_how_many_were_left_out() -> None:
    code = "\n".join(f"value_{n} = eval(input())" for n in range(1, 8)) + "\n"
    result = review_submission(ReviewRequest(code=code, file_path="many.py", locale="en"))
    blocking = [f for f in result.findings if f.type is FindingType.ESSENTIAL]
    assert len(blocking) == 7
    assert result.feedback.count("`eval` runs any text as code") == 3
    assert "4 more" in result.feedback


def test_feedback_never_contains_the_solution() -> None:
    result = review("syntax_error.py")
    assert "if count == 0:" not in result.feedback
    assert sample_code("syntax_error.py") not in result.feedback


def test_unknown_language_feedback_says_why_nothing_was_decided() -> None:
    english = review("secrets_service.go", locale="en").feedback
    spanish = review("secrets_service.go", locale="es").feedback
    assert "No analyzer here can check `go` code" in english
    assert "Ningún analizador de aquí puede revisar código `go`" in spanish


def judged(status: CriterionStatus, judged_by: str | None) -> CriterionResult:
    return CriterionResult.model_validate(
        {"criterion": "it adds", "kind": "natural_language", "status": status, "evidence": "", "judged_by": judged_by}
    )


def test_a_criterion_nobody_decided_leaves_the_review_waiting_never_passed() -> None:
    met = criterion(CriterionStatus.MET)
    waiting = judged(CriterionStatus.NEEDS_HUMAN, None)
    assert outcome([], [waiting], 1.0, 0.7) is ReviewOutcome.AWAITING_JUDGEMENT
    assert outcome([], [met, waiting], 1.0, 0.7) is ReviewOutcome.AWAITING_JUDGEMENT
    assert not passed([], [met, waiting], 1.0, 0.7)
    assert outcome([], [met, judged(CriterionStatus.MET, "learner")], 1.0, 0.7) is ReviewOutcome.PASSED


def test_what_fails_the_code_fails_it_even_while_criteria_wait() -> None:
    waiting = judged(CriterionStatus.NEEDS_HUMAN, None)
    security = finding(Severity.MAJOR, category=Category.SECURITY)
    assert outcome([security], [waiting], 0.9, 0.7) is ReviewOutcome.FAILED
    assert outcome([], [waiting, criterion(CriterionStatus.NOT_MET)], 0.6, 0.7) is ReviewOutcome.FAILED
    # Even if the waiting criterion were confirmed the score would stay under the threshold.
    heavy = [finding(Severity.CRITICAL)] * 2
    assert outcome(heavy, [waiting], score(heavy, [waiting]), 0.7) is ReviewOutcome.FAILED


def test_a_persons_rejection_gates_the_verdict_a_models_does_not() -> None:
    met = criterion(CriterionStatus.MET)
    assert outcome([], [met, judged(CriterionStatus.NOT_MET, "learner")], 0.8, 0.7) is ReviewOutcome.FAILED
    assert outcome([], [met, judged(CriterionStatus.NOT_MET, "owner")], 0.8, 0.7) is ReviewOutcome.FAILED
    assert outcome([], [met, judged(CriterionStatus.NOT_MET, "llm")], 0.8, 0.7) is ReviewOutcome.PASSED


def test_reviews_stored_with_the_old_judge_names_read_as_today() -> None:
    assert judged(CriterionStatus.MET, "analyzer").judged_by == "check"
    assert judged(CriterionStatus.NEEDS_HUMAN, "none").judged_by is None
    assert outcome([], [judged(CriterionStatus.NOT_MET, "analyzer")], 0.8, 0.7) is ReviewOutcome.FAILED


def test_an_offline_review_of_a_sentence_waits_and_says_so_in_the_learners_language() -> None:
    for locale, words in (("en", "wait for a person's judgement"), ("es", "esperan el juicio de una persona")):
        result = review_submission(
            ReviewRequest(
                code="def add(a, b):\n    return a * b\n",
                file_path="add.py",
                criteria=["the function returns the sum of two numbers"],
                locale=locale,
            )
        )
        assert result.outcome is ReviewOutcome.AWAITING_JUDGEMENT
        assert not result.passed
        assert words in result.summary
        assert "the function returns the sum of two numbers" in result.summary
