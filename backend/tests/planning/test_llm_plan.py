"""What the planner sends a model and which of its plans it uses, without a database."""

from __future__ import annotations

import copy
import json
from typing import Any

from ai_goals_tracker.ai.llm import LLMClient
from ai_goals_tracker.models import Course
from ai_goals_tracker.planning.schemas import Plan, SuggestRequest
from ai_goals_tracker.planning.service import fitted_plan_messages, useless_plan
from ai_goals_tracker.search.catalog import load_catalog
from tests.planning.test_planning import PLAN

COURSE = Course(title="FastAPI Master Course", description="Build production web APIs.", meta={})


def plan(**changes: Any) -> Plan:
    answer = copy.deepcopy(PLAN)
    answer["goals"][0].update(changes)
    return Plan.model_validate(answer)


def test_a_plan_in_the_learners_language_is_used() -> None:
    assert useless_plan(plan(), "es") is None


def test_a_plan_whose_texts_say_nothing_is_not_used() -> None:
    # What a small model wrote when its context filled up: valid JSON, no words.
    assert useless_plan(plan(title='":{"'), "es") is not None
    assert useless_plan(plan(criteria=["-", "Los tokens caducan"]), "es") is not None


def test_a_plan_in_another_language_is_not_used() -> None:
    english = plan(
        title="JWT authentication for your API",
        description="Protect the endpoints of the course with JWT tokens and check them on every request.",
        criteria=["The private endpoints answer 401 without a token", "The tokens expire after an hour"],
    )
    problem = useless_plan(english, "es")
    assert problem is not None and "English" in problem


def test_the_brief_is_cut_to_the_clients_budget_examples_first() -> None:
    closest = load_catalog()[:5]
    titles = [f"Goal number {n} that the learner already has" for n in range(100)]
    request = SuggestRequest(count=3)
    full = fitted_plan_messages(COURSE, request, "en", titles, closest, 1_000_000)
    assert len(json.loads(full[1]["content"])["catalog_examples"]) == 5

    client = LLMClient(base_url="http://127.0.0.1:9/v1", model="m", context_tokens=4096, max_tokens=1024)
    budget = client.prompt_budget_chars(Plan)
    fitted = fitted_plan_messages(COURSE, request, "en", titles, closest, budget)
    assert sum(len(str(message["content"])) for message in fitted) <= budget
    brief = json.loads(fitted[1]["content"])
    assert len(brief["catalog_examples"]) < 5
    assert brief["course"]["title"] == "FastAPI Master Course" and brief["goals_wanted"] == 3
