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
    def review_status(self) -> Literal["pending", "passed", "failed", "not_reviewed"]:
        """`not_reviewed`: an analyzer could not finish, so there is no verdict; see `review_reason`."""
        if self.validation_passed is None:
            return "not_reviewed" if self._review.get("status") == "not_reviewed" else "pending"
        return "passed" if self.validation_passed else "failed"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def review_reason(self) -> str | None:
        """Why the snapshot could not be reviewed, in the learner's language."""
        reason = self._review.get("reason") if self.review_status == "not_reviewed" else None
        return reason if isinstance(reason, str) else None

    @property
    def _review(self) -> dict[str, Any]:
        review = self.metadata.get("review")
        return review if isinstance(review, dict) else {}
