from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from ai_goals_tracker.schemas import Metadata, StorableText, read_metadata_field

FilePath = Annotated[StorableText, StringConstraints(strip_whitespace=True, min_length=1, max_length=1024)]
Language = Annotated[StorableText, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
# The 256 KB cap is checked in bytes by the service (413); this only refuses empty submissions.
Code = Annotated[StorableText, StringConstraints(min_length=1)]


class SnapshotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_path: FilePath = Field(description="Path of the file in the learner's project, e.g. `src/auth.py`.")
    code_content: Code = Field(description="The file's content (at most 256 KB of UTF-8).")
    language: Language | None = Field(default=None, description="Inferred from the file extension when absent.")
    metadata: Metadata = Field(default_factory=dict)


ReviewStatus = Literal["pending", "passed", "failed", "awaiting_judgement", "not_reviewed"]


class AwaitingCriterion(BaseModel):
    index: int = Field(description="The criterion's position in `metadata.review.criteria`.")
    label: str = Field(description="The criterion in one line, in the learner's language.")
    reason: str = Field(description="Why no check could decide it, in the learner's language.")


class CriterionJudgement(BaseModel):
    """A person's decision on a criterion the review could not decide."""

    model_config = ConfigDict(extra="forbid")

    met: bool = Field(description="true confirms the criterion is met; false rejects it.")
    note: Annotated[StorableText, StringConstraints(strip_whitespace=True, max_length=2000)] | None = Field(
        default=None, description="Why, in a few words (kept with the judgement)."
    )


class SnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    task_id: str | None
    user_id: str
    file_path: str
    language: str | None
    code_content: str
    validation_passed: bool | None = Field(description="null while the review is pending.")
    validation_score: float | None
    validation_feedback: str | None
    issues_found: list[dict[str, Any]]
    metadata: dict[str, Any] = read_metadata_field()
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def review_status(self) -> ReviewStatus:
        """`not_reviewed`: an analyzer could not finish, so there is no verdict; see `review_reason`.
        `awaiting_judgement`: nothing fails the code, but criteria wait for a person (`awaiting_criteria`)."""
        if self.validation_passed is None:
            status = self._review.get("status")
            return status if status in ("not_reviewed", "awaiting_judgement") else "pending"
        return "passed" if self.validation_passed else "failed"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def review_reason(self) -> str | None:
        """Why the snapshot has no verdict (it could not be reviewed, or which criteria wait), in the
        learner's language."""
        waits = self.review_status in ("not_reviewed", "awaiting_judgement")
        reason = self._review.get("reason") if waits else None
        return reason if isinstance(reason, str) else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def awaiting_criteria(self) -> list[AwaitingCriterion]:
        """The criteria a person must confirm or reject before the review has a verdict
        (`POST /snapshots/{id}/criteria/{index}/judgement`); empty unless `review_status` is `awaiting_judgement`."""
        if self.review_status != "awaiting_judgement":
            return []
        criteria = self._review.get("criteria")
        return [
            AwaitingCriterion(index=index, label=str(item.get("label") or ""), reason=str(item.get("evidence") or ""))
            for index, item in enumerate(criteria if isinstance(criteria, list) else [])
            if isinstance(item, dict) and item.get("status") == "needs_human"
        ]

    @property
    def _review(self) -> dict[str, Any]:
        review = self.metadata.get("review")
        return review if isinstance(review, dict) else {}
