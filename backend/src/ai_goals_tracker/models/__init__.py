"""ORM models, one module per table of the seed. Importing this package registers them all."""

from ai_goals_tracker.models.auth_session import AuthSession, LoginAttempt
from ai_goals_tracker.models.code_snapshot import CodeSnapshot
from ai_goals_tracker.models.course import Course
from ai_goals_tracker.models.embedding import Embedding
from ai_goals_tracker.models.event import Event, EventArchivePosition, EventFollower
from ai_goals_tracker.models.goal import Goal
from ai_goals_tracker.models.task import Task
from ai_goals_tracker.models.user import User

__all__ = [
    "AuthSession",
    "CodeSnapshot",
    "Course",
    "Embedding",
    "Event",
    "EventArchivePosition",
    "EventFollower",
    "Goal",
    "LoginAttempt",
    "Task",
    "User",
]
