"""What the LLM is asked about a reviewed submission, and how its answer changes the result."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ai_goals_tracker.review.criteria import describe
from ai_goals_tracker.review.models import (
    CriterionResult,
    CriterionStatus,
    FindingType,
    ReviewRequest,
    ReviewResult,
)
from ai_goals_tracker.review.scoring import passed, score

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

MAX_CODE_CHARS = 60_000
MAX_FEEDBACK_CHARS = 12_000

_LANGUAGE_NAME = {"es": "Spanish", "en": "English"}


class LLMCriterionVerdict(BaseModel):
    index: int = Field(description="Index of the criterion in the list given")
    status: Literal["met", "not_met"]
    evidence: str = Field(description="Lines or constructs of the code that justify the status")


class LLMReview(BaseModel):
    summary: str = Field(description="One sentence for the learner")
    feedback_markdown: str = Field(description="Feedback in markdown, in the learner's language")
    criteria: list[LLMCriterionVerdict]


def llm_review_messages(request: ReviewRequest, offline: ReviewResult) -> list[ChatCompletionMessageParam]:
    language = _LANGUAGE_NAME[request.locale]
    system = (
        "You review code written by a learner. The analyzers' findings are facts: do not contradict them. "
        f"Write the feedback in {language}. Start with what went well, then the essential fixes first, "
        "each pointing at its line numbers; at most three comments per severity. Give hints, never the "
        "full solution or corrected code. Judge only the natural-language criteria listed as "
        "`needs_judgement`, by index, with evidence from the code."
    )
    context = {
        "task": request.task_title,
        "goal": request.goal_title,
        "file": request.file_path,
        "language": offline.metrics.language,
        "metrics": offline.metrics.model_dump(),
        "findings": [
            f.model_dump(include={"severity", "type", "rule", "message", "start_line", "end_line"})
            for f in offline.findings
            if f.type is not FindingType.CELEBRATORY
        ],
        "criteria": [
            {
                "index": index,
                "criterion": describe(result.criterion),
                "status": "needs_judgement" if _judgeable(result) else result.status.value,
                "evidence": result.evidence,
            }
            for index, result in enumerate(offline.criteria)
        ],
    }
    code = request.code[:MAX_CODE_CHARS]
    user = (
        f"Review context:\n{json.dumps(context, ensure_ascii=False)}\n\nCode (`{request.file_path}`):\n```\n{code}\n```"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def apply_llm_review(offline: ReviewResult, review: LLMReview, threshold: float) -> ReviewResult:
    """The LLM settles natural-language criteria and writes the feedback; analyzer verdicts stand."""
    verdicts = {verdict.index: verdict for verdict in review.criteria}
    criteria = [_judged(index, result, verdicts) for index, result in enumerate(offline.criteria)]
    final_score = score(offline.findings, criteria)
    return offline.model_copy(
        update={
            "criteria": criteria,
            "score": final_score,
            "passed": passed(offline.findings, criteria, final_score, threshold),
            "summary": review.summary.strip() or offline.summary,
            "feedback": review.feedback_markdown.strip()[:MAX_FEEDBACK_CHARS] or offline.feedback,
            "feedback_source": "llm",
        }
    )


def _judgeable(result: CriterionResult) -> bool:
    return result.kind == "natural_language" and result.status is CriterionStatus.NEEDS_HUMAN


def _judged(index: int, result: CriterionResult, verdicts: dict[int, LLMCriterionVerdict]) -> CriterionResult:
    verdict = verdicts.get(index)
    if verdict is None or not _judgeable(result):
        return result
    return result.model_copy(
        update={"status": CriterionStatus(verdict.status), "evidence": verdict.evidence, "judged_by": "llm"}
    )
