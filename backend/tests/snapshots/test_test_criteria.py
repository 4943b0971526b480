"""Goals whose criteria are test modules: submissions reviewed through the API and the review job,
the tests run in the bubblewrap sandbox against the submitted file."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ai_goals_tracker.config import Settings
from tests.helpers import API, ApiUser, register_and_login
from tests.snapshots.helpers import run_reviews, submit, task_with_criteria

pytestmark = pytest.mark.slow

CART_TESTS = """
import cart
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_total_adds_prices():
    assert cart.total([2, 3]) == 5


def test_total_of_nothing_is_zero():
    assert cart.total([]) == 0


def test_discount_is_applied():
    assert cart.total([10, 10], discount=0.5) == 10, "half price for 20 is 10"


def test_served_by_fastapi():
    app = FastAPI()

    @app.get("/total")
    def read_total() -> dict[str, float]:
        return {"total": cart.total([1, 2])}

    assert TestClient(app).get("/total").json() == {"total": 3}
"""

CORRECT_CART = '''def total(prices: list[float], discount: float = 0.0) -> float:
    """The sum of the prices, less the discount (a fraction)."""
    subtotal = sum(prices)
    if discount:
        return subtotal * (1 - discount)
    return subtotal
'''

WRONG_CART = '''def total(prices: list[float], discount: float = 0.0) -> float:
    """The sum of the prices; the discount is forgotten."""
    return sum(prices)
'''

NODE_TESTS = """const test = require('node:test');
const assert = require('node:assert');
const { slugify } = require('./slug');

test('lowercases and joins words with dashes', () => {
  assert.strictEqual(slugify('Hello World'), 'hello-world');
});

test('drops punctuation', () => {
  assert.strictEqual(slugify('Hi, there!'), 'hi-there', 'punctuation must go');
});
"""

CORRECT_SLUG = """function slugify(text) {
  return text.toLowerCase().replace(/[^a-z0-9\\s-]/g, '').trim().split(/\\s+/).join('-');
}
module.exports = { slugify };
"""

WRONG_SLUG = """function slugify(text) {
  return text.toLowerCase().split(' ').join('-');
}
module.exports = { slugify };
"""


def criterion_of(framework: str, code: str) -> dict[str, Any]:
    return {"check": "tests", "framework": framework, "code": code}


async def review_of(
    client: httpx.AsyncClient, user: ApiUser, settings: Settings, dsn: str, criterion: dict[str, Any], **sent: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Submit to a fresh task of a goal with `criterion`; the reviewed snapshot and its tests result."""
    _, (task_id,) = await task_with_criteria(client, user, criteria=[criterion])
    response = await submit(client, user, task_id, **sent)
    assert response.status_code == 202, response.text
    await run_reviews(settings, dsn, within_seconds=120)
    snapshot = (await client.get(f"{API}/snapshots/{response.json()['id']}", headers=user.headers)).json()
    [result] = snapshot["metadata"]["review"]["criteria"]
    return snapshot, result


async def test_a_correct_python_solution_passes_its_pytest_criterion_with_coverage(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "tester")
    snapshot, result = await review_of(
        client,
        user,
        settings,
        database_url,
        criterion_of("pytest", CART_TESTS),
        code=CORRECT_CART,
        file_path="src/cart.py",
    )
    assert result["status"] == "met", result
    assert result["evidence"] == "All 4 test(s) pass."
    assert [(t["name"], t["status"]) for t in result["tests"]] == [
        ("test_total_adds_prices", "passed"),
        ("test_total_of_nothing_is_zero", "passed"),
        ("test_discount_is_applied", "passed"),
        ("test_served_by_fastapi", "passed"),
    ]
    assert result["label"].startswith("Passes the goal's pytest tests: test_total_adds_prices")
    assert snapshot["metadata"]["test_coverage"] == 1.0
    assert result["coverage"] == 1.0
    assert snapshot["validation_passed"] is True


async def test_an_incorrect_python_solution_names_the_failing_test_and_its_assertion(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "wrongcart")
    snapshot, result = await review_of(
        client,
        user,
        settings,
        database_url,
        criterion_of("pytest", CART_TESTS),
        code=WRONG_CART,
        file_path="cart.py",
    )
    assert result["status"] == "not_met"
    assert result["evidence"].startswith("1 of 4 test(s) fail: `test_discount_is_applied` (AssertionError: ")
    assert "half price for 20 is 10" in result["evidence"]
    statuses = {t["name"]: t["status"] for t in result["tests"]}
    assert statuses["test_discount_is_applied"] == "failed"
    assert statuses["test_total_adds_prices"] == "passed"
    assert snapshot["validation_passed"] is False
    assert snapshot["metadata"]["test_coverage"] == 1.0


async def test_evidence_is_in_spanish_and_assertions_stay_as_written(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "carla")
    await client.patch(f"{API}/users/me", json={"metadata": {"preferences": {"language": "es"}}}, headers=user.headers)
    _, result = await review_of(
        client,
        user,
        settings,
        database_url,
        criterion_of("pytest", CART_TESTS),
        code=WRONG_CART,
        file_path="cart.py",
    )
    assert result["evidence"].startswith("Fallan 1 de 4 prueba(s): `test_discount_is_applied` (AssertionError: ")
    assert "half price for 20 is 10" in result["evidence"]


async def test_node_criteria_pass_a_correct_solution_and_fail_an_incorrect_one(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "noder")
    criterion = criterion_of("node", NODE_TESTS)
    snapshot, result = await review_of(
        client, user, settings, database_url, criterion, code=CORRECT_SLUG, file_path="web/slug.js"
    )
    assert (result["status"], result["evidence"]) == ("met", "All 2 test(s) pass."), result
    assert snapshot["metadata"]["test_coverage"] is None

    _, result = await review_of(client, user, settings, database_url, criterion, code=WRONG_SLUG, file_path="slug.js")
    assert result["status"] == "not_met"
    assert result["evidence"].startswith("1 of 2 test(s) fail: `drops punctuation` (AssertionError")
    assert "punctuation must go" in result["evidence"]
    assert [t["status"] for t in result["tests"]] == ["passed", "failed"]


async def test_a_file_the_tests_cannot_import_is_not_met_with_the_reason(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "misnamed")
    _, result = await review_of(
        client,
        user,
        settings,
        database_url,
        criterion_of("pytest", CART_TESTS),
        code=CORRECT_CART,
        file_path="basket.py",
    )
    assert result["status"] == "not_met"
    assert result["evidence"] == "The tests could not run: ModuleNotFoundError: No module named 'cart'"
    assert result["tests"] == []


async def test_tests_for_another_language_need_a_person(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "mixed")
    _, result = await review_of(
        client,
        user,
        settings,
        database_url,
        criterion_of("node", NODE_TESTS),
        code=CORRECT_CART,
        file_path="slug.py",
    )
    assert result["status"] == "needs_human"
    assert result["evidence"] == "These are node tests, for javascript files; this file is python."
