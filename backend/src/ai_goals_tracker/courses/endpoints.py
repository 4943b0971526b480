from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ai_goals_tracker.auth.deps import AccessClaims, CurrentUser
from ai_goals_tracker.courses import repository, service
from ai_goals_tracker.courses.schemas import CourseCreate, CourseRead, CourseUpdate
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.models import Course
from ai_goals_tracker.models.enums import CourseStatus
from ai_goals_tracker.ownership import OwnedCourseForUpdate, ReadableCourse, read_page
from ai_goals_tracker.pagination import Page, PageDep

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/courses", tags=["courses"])


@router.get("")
async def list_courses(
    claims: AccessClaims, request: Request, page: PageDep, status: CourseStatus | None = None
) -> Page[CourseRead]:
    courses, total = await read_page(request, Course, repository.list_query, {"status": status}, page, claims)
    return Page(
        items=[CourseRead.model_validate(c) for c in courses], total=total, limit=page.limit, offset=page.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_course(
    data: CourseCreate, user: CurrentUser, session: SessionDep, context: ChangeContextDep
) -> CourseRead:
    return CourseRead.model_validate(await service.create(session, user, data, context))


@router.get("/{course_id}")
async def read_course(course: ReadableCourse) -> CourseRead:
    return CourseRead.model_validate(course)


@router.patch("/{course_id}")
async def update_course(
    data: CourseUpdate, course: OwnedCourseForUpdate, session: SessionDep, context: ChangeContextDep
) -> CourseRead:
    return CourseRead.model_validate(await service.update(session, course, data, context))


@router.delete("/{course_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_course(course: OwnedCourseForUpdate, session: SessionDep, context: ChangeContextDep) -> Response:
    """Delete a course; its goals stay, without a course."""
    await service.delete(session, course, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
