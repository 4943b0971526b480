from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class DayActivity(BaseModel):
    date: date
    events: int


class GlobalDayActivity(DayActivity):
    active_users: int


class Streak(BaseModel):
    current_days: int = Field(
        description="Consecutive active days up to today (or yesterday, if today is still quiet)."
    )
    longest_days: int = Field(description="Longest run of consecutive active days within the window.")


class WeekCount(BaseModel):
    week: str = Field(description="ISO week, e.g. 2025-W03.")
    count: int


class WeekScore(BaseModel):
    week: str
    mean_score: float
    validations: int


class GoalHours(BaseModel):
    goal_id: str
    title: str
    status: str
    tasks: int
    estimated_hours: float
    actual_hours: float


class LanguageCount(BaseModel):
    language: str
    submissions: int


class StatsWindow(BaseModel):
    start: date
    end: date


class UserStats(BaseModel):
    window: StatsWindow
    total_events: int
    activity: list[DayActivity] = Field(description="Days with at least one event, oldest first.")
    streak: Streak
    tasks_completed_per_week: list[WeekCount]
    validation_score_per_week: list[WeekScore]
    hours_per_goal: list[GoalHours]
    languages: list[LanguageCount]


class GlobalStats(BaseModel):
    window: StatsWindow
    total_events: int
    users: int
    activity: list[GlobalDayActivity]
    events_by_category: dict[str, int]
    tasks_completed_per_week: list[WeekCount]
    validation_score_per_week: list[WeekScore]
    languages: list[LanguageCount]
