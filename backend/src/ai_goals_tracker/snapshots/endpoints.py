from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi import Path as FastAPIPath

from ai_goals_tracker.auth.deps import CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.errors import PayloadTooLargeError
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.ownership import ID_PATH, OwnedSnapshotForUpdate, OwnedTask, OwnedTaskForUpdate, ReadableSnapshot
from ai_goals_tracker.pagination import Page, PageDep, fetch_page
from ai_goals_tracker.snapshots import repository, service
from ai_goals_tracker.snapshots.schemas import CriterionJudgement, SnapshotCreate, SnapshotRead

router = APIRouter(route_class=UnitOfWorkRoute, tags=["snapshots"])

# JSON escaping can make the body several times the code's size (`\n`, `\"`, `\uXXXX`); past this
# the code cannot fit in 256 KB however it is escaped, so the body is refused before parsing it.
_MAX_BODY_BYTES = 6 * service.MAX_CODE_BYTES + 64 * 1024


async def _body_within_limit(request: Request) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > _MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            N_("The request body is {size} KB; code_content may be at most {limit} KB"),
            params={"size": int(length) // 1024, "limit": service.MAX_CODE_BYTES // 1024},
        )


WaitSeconds = Annotated[
    float,
    Query(
        ge=0,
        le=service.MAX_WAIT_SECONDS,
        description="Wait up to this many seconds (at most 30) for the review; 200 with the verdict if it "
        "is ready in time, else 202 with the pending snapshot.",
    ),
]


@router.post(
    "/tasks/{task_id}/snapshots",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(_body_within_limit)],
    responses={
        200: {"model": SnapshotRead, "description": "Reviewed within `wait` seconds."},
        409: {"description": "The task is completed (or skipped)."},
        413: {"description": "code_content is over 256 KB."},
    },
)
async def submit_snapshot(
    data: SnapshotCreate,
    task: OwnedTaskForUpdate,
    session: SessionDep,
    context: ChangeContextDep,
    request: Request,
    response: Response,
    wait: WaitSeconds = 0,
) -> SnapshotRead:
    """Submit code for review: 202 with the snapshot while the review is pending (`validation_passed: null`)."""
    snapshot = await service.submit(session, task, data, context)
    # A path, not a URL: built from the request's Host header, a URL would point wherever the client said.
    response.headers["Location"] = request.app.url_path_for("read_snapshot", snapshot_id=snapshot.id)
    if wait <= 0:
        return SnapshotRead.model_validate(snapshot)
    # A worker can only see the snapshot and its job once they are committed: commit before waiting.
    await session.commit()
    reviewed = await service.wait_for_verdict(request.app.state.sessionmaker, snapshot.id, wait)
    if reviewed is None:
        return SnapshotRead.model_validate(snapshot)
    response.status_code = status.HTTP_200_OK
    return SnapshotRead.model_validate(reviewed)


@router.get("/tasks/{task_id}/snapshots")
async def list_task_snapshots(task: OwnedTask, session: SessionDep, page: PageDep) -> Page[SnapshotRead]:
    """The task's attempts, newest first."""
    snapshots, total = await fetch_page(session, repository.task_history_query(task.id), page)
    return Page(
        items=[SnapshotRead.model_validate(s) for s in snapshots], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/snapshots/{snapshot_id}")
async def read_snapshot(snapshot: ReadableSnapshot) -> SnapshotRead:
    return SnapshotRead.model_validate(snapshot)


@router.post(
    "/snapshots/{snapshot_id}/review",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "The snapshot has a verdict, or its review is still pending."}},
)
async def retry_snapshot_review(snapshot: OwnedSnapshotForUpdate, session: SessionDep) -> SnapshotRead:
    """Review again a snapshot whose review could not finish (`review_status: not_reviewed`)."""
    return SnapshotRead.model_validate(await service.retry_review(session, snapshot))


@router.post(
    "/snapshots/{snapshot_id}/criteria/{index}/judgement",
    responses={
        404: {"description": "Not your snapshot (nor your goal's), or no criterion at that index."},
        409: {"description": "The criterion does not wait for a judgement (the review is not `awaiting_judgement`)."},
    },
)
async def judge_criterion(
    snapshot_id: Annotated[str, ID_PATH],
    index: Annotated[int, FastAPIPath(ge=0, le=1000, description="The criterion's position in the review.")],
    data: CriterionJudgement,
    user: CurrentUser,
    session: SessionDep,
    context: ChangeContextDep,
) -> SnapshotRead:
    """Confirm (`met: true`) or reject (`met: false`) a criterion the review could not decide.

    The learner who submitted the code or the goal's owner may judge. When the last waiting criterion
    is judged the snapshot gets its verdict, and the task is completed or failed as after any review."""
    snapshot = await service.judge_criterion(session, snapshot_id, index, data, user, context)
    return SnapshotRead.model_validate(snapshot)
