"""Search never fails on what is stored: the snippet and the ranking of any content, fuzzed, and
through the API and the dashboard a snapshot whose text once made search answer 500."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_goals_tracker.events.follower import catch_up
from ai_goals_tracker.search.repository import Neighbour
from ai_goals_tracker.search.schemas import SearchResults
from ai_goals_tracker.search.service import SNIPPET_CHARS, best_per_entity, snippet
from tests.helpers import API, register_and_login
from tests.web.helpers import web_login

ENTITY_TYPES = ("course", "goal", "task", "code_snapshot")
# Stored text is any Unicode PostgreSQL keeps (no NUL), and whitespace of every kind in runs.
WHITESPACE = st.sampled_from([" ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "\u3000", "\x0b", "\x0c"])
TEXT = st.lists(st.one_of(st.text(st.characters(blacklist_characters="\x00")), WHITESPACE), max_size=40).map("".join)
LONG_TEXT = st.builds(lambda pad, text: pad + text, st.text(" \t\n", min_size=250, max_size=400), TEXT)
DISTANCES = st.one_of(st.floats(0, 2), st.floats(allow_nan=True, allow_infinity=True))


def neighbours() -> st.SearchStrategy[Neighbour]:
    return st.builds(
        Neighbour,
        entity_type=st.sampled_from(ENTITY_TYPES),
        entity_id=st.sampled_from(["a", "b", "c", "d"]),
        content=st.one_of(TEXT, LONG_TEXT),
        meta=st.one_of(
            st.fixed_dictionaries({"title": st.one_of(TEXT, st.integers(), st.none())}),
            st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
        ),
        distance=DISTANCES,
    )


@settings(max_examples=600, deadline=None)
@given(neighbour=neighbours(), title=TEXT)
def test_a_snippet_of_any_text_is_short_and_never_fails(neighbour: Neighbour, title: str) -> None:
    text = snippet(neighbour, title)
    assert len(text) <= SNIPPET_CHARS + 1
    assert text == text.strip() or text.endswith("…")


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(neighbours(), max_size=12), limit=st.integers(1, 5))
def test_ranking_any_rows_gives_each_entity_once_as_valid_json(rows: list[Neighbour], limit: int) -> None:
    hits = best_per_entity(rows, limit)
    keys = [(hit.entity_type, hit.entity_id) for hit in hits]
    assert len(keys) == len(set(keys)) <= limit
    # Each entity by its first (best-ranked) row, in rank order.
    firsts = list(dict.fromkeys((row.entity_type, row.entity_id) for row in rows))[:limit]
    assert keys == firsts
    body = SearchResults(query="q", model="m", items=hits).model_dump(mode="json")
    # What the API sends: strict JSON, no NaN or Infinity.
    json.dumps(body, allow_nan=False)


NASTY_CODE = [
    " " * 300 + "print('indented far')\n",
    "\n" * 50 + "\t" * 80 + "x = 1\n",
    " " * 5000,
    "\u3000" * 300 + "y = 2\n",
]


async def test_search_answers_on_snapshots_of_blank_heads_in_the_api_and_the_dashboard(
    app: FastAPI, client: httpx.AsyncClient, drain_jobs: Callable[..., Awaitable[None]]
) -> None:
    user = await register_and_login(client, "spaces")
    goal = (await client.post(f"{API}/goals", json={"title": "Indentation"}, headers=user.headers)).json()
    for number, code in enumerate(NASTY_CODE):
        task = await client.post(
            f"{API}/tasks",
            json={"goal_id": goal["id"], "title": f"Task {number}", "task_type": "code"},
            headers=user.headers,
        )
        submitted = await client.post(
            f"{API}/tasks/{task.json()['id']}/snapshots",
            json={"file_path": f"spaces{number}.py", "code_content": code},
            headers=user.headers,
        )
        assert submitted.status_code == 202, submitted.text
    await catch_up(app.state.sessionmaker)
    # Reviews first (the embeddings of a learner wait behind their reviews), then the embeddings.
    await drain_jobs()

    response = await client.get(
        f"{API}/search", params={"q": "indented print", "entity_type": "code"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == len(NASTY_CODE)
    snippets = {item["snippet"] for item in items}
    assert "print('indented far')" in snippets
    assert all(len(text) <= SNIPPET_CHARS + 1 for text in snippets)

    await web_login(client, "spaces")
    page = await client.get("/search", params={"q": "indented print"})
    assert page.status_code == 200, page.text
    assert "print(&#39;indented far&#39;)" in page.text
