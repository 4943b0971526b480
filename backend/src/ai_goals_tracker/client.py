"""Typed HTTP client for the AI Goals Tracker API, used by the `aigt` learner commands.

It speaks only HTTP (httpx) and knows nothing of the server's internals, so it works against any
deployment; its answers are the API's own read schemas, so a field renamed on the server breaks the
type check of every command that reads it. Every request says `X-Client: cli` so events record where a
change came from. An expired access token is refreshed once through `/auth/refresh` and the request
retried; the new pair is handed to `on_tokens` so the caller can store it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import httpx
from pydantic import TypeAdapter

from ai_goals_tracker.activity.schemas import EventRead
from ai_goals_tracker.api_server import (
    DEFAULT_SERVER,
    MAX_WAIT_SECONDS,
    ApiError,
    ConflictError,
    FieldError,
    NotAuthenticatedError,
    NotFoundError,
    ServerUnreachableError,
    Tokens,
    ValidationError,
    normalize_server,
)
from ai_goals_tracker.auth.schemas import TokenPair
from ai_goals_tracker.courses.schemas import CourseRead
from ai_goals_tracker.goals.schemas import GoalRead
from ai_goals_tracker.i18n import negotiate, translate
from ai_goals_tracker.pagination import Page
from ai_goals_tracker.planning.schemas import Accepted, SuggestedGoal, Suggestions
from ai_goals_tracker.search.schemas import SearchResults
from ai_goals_tracker.snapshots.schemas import SnapshotRead
from ai_goals_tracker.stats.schemas import UserStats
from ai_goals_tracker.tasks.schemas import TaskRead
from ai_goals_tracker.users.schemas import UserRead

API_PREFIX = "/api/v1"
# Planning goals may call an LLM (or load the embedding model on a cold server): allow it minutes.
PLANNING_TIMEOUT_SECONDS = 300.0

# An answer's type: a read schema, or a page of them.
ReadT = TypeVar("ReadT")


class Collection(Generic[ReadT]):
    """One of the API's owned collections (`/courses`, `/goals`, `/tasks`): the same five requests,
    answered with the collection's read schema."""

    def __init__(self, client: ApiClient, path: str, schema: type[ReadT]) -> None:
        self._client = client
        self._path = path
        self._schema = schema

    def list(self, *, limit: int = 50, offset: int = 0, **filters: str | None) -> Page[ReadT]:
        """`filters`: the collection's query parameters (`status`, `course_id`, …); None leaves one out."""
        return self._client.page(self._path, self._schema, {**filters, "limit": limit, "offset": offset})

    def get(self, entity_id: str) -> ReadT:
        return self._client.read(self._schema, "GET", f"{self._path}/{entity_id}")

    def create(self, fields: Mapping[str, Any]) -> ReadT:
        return self._client.read(self._schema, "POST", self._path, json=dict(fields))

    def update(self, entity_id: str, fields: Mapping[str, Any]) -> ReadT:
        return self._client.read(self._schema, "PATCH", f"{self._path}/{entity_id}", json=dict(fields))

    def delete(self, entity_id: str) -> None:
        self._client.send("DELETE", f"{self._path}/{entity_id}")


class ApiClient:
    def __init__(
        self,
        server: str = DEFAULT_SERVER,
        *,
        tokens: Tokens | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
        client_name: str = "cli",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        language: str | None = None,
    ) -> None:
        """`language` goes out as Accept-Language: the server's messages follow it before login, and
        for a learner who has not chosen a language."""
        self.server = normalize_server(server)
        self.language = language
        self.tokens = tokens
        self._on_tokens = on_tokens
        # Long enough for `?wait=30` plus the server's own work.
        self._http = httpx.Client(
            base_url=self.server,
            timeout=httpx.Timeout(timeout + MAX_WAIT_SECONDS, connect=5.0),
            headers={
                "X-Client": client_name,
                "User-Agent": f"aigt-{client_name}",
                **({"Accept-Language": language} if language else {}),
            },
            transport=transport,
        )
        self.courses = Collection(self, "/courses", CourseRead)
        self.goals = Collection(self, "/goals", GoalRead)
        self.tasks = Collection(self, "/tasks", TaskRead)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Auth and account

    def register(self, *, email: str, username: str, password: str, full_name: str | None = None) -> UserRead:
        body: dict[str, str] = {"email": email, "username": username, "password": password}
        if full_name:
            body["full_name"] = full_name
        return self.read(UserRead, "POST", "/auth/register", json=body, auth=False)

    def login(self, username: str, password: str) -> Tokens:
        pair = self.read(
            TokenPair, "POST", "/auth/login", data={"username": username, "password": password}, auth=False
        )
        return self._store(pair)

    def logout(self) -> None:
        self.send("POST", "/auth/logout")
        self.tokens = None

    def me(self) -> UserRead:
        return self.read(UserRead, "GET", "/users/me")

    def update_me(self, fields: Mapping[str, Any]) -> UserRead:
        return self.read(UserRead, "PATCH", "/users/me", json=dict(fields))

    def move_task(self, task_id: str, status: str) -> TaskRead:
        """Take the task to `status` through the legal path, in one request (one transaction)."""
        return self.read(TaskRead, "POST", f"/tasks/{task_id}/move", json={"status": status})

    # Code snapshots

    def submit_snapshot(
        self,
        task_id: str,
        *,
        file_path: str,
        code_content: str,
        language: str | None = None,
        wait: int = 0,
        metadata: Mapping[str, Any] | None = None,
    ) -> SnapshotRead:
        body: dict[str, Any] = {"file_path": file_path, "code_content": code_content}
        if language:
            body["language"] = language
        if metadata:
            body["metadata"] = dict(metadata)
        params = {"wait": min(wait, MAX_WAIT_SECONDS)} if wait > 0 else None
        return self.read(SnapshotRead, "POST", f"/tasks/{task_id}/snapshots", json=body, params=params)

    def get_snapshot(self, snapshot_id: str) -> SnapshotRead:
        return self.read(SnapshotRead, "GET", f"/snapshots/{snapshot_id}")

    def retry_review(self, snapshot_id: str) -> SnapshotRead:
        return self.read(SnapshotRead, "POST", f"/snapshots/{snapshot_id}/review")

    def judge_criterion(self, snapshot_id: str, index: int, *, met: bool, note: str | None = None) -> SnapshotRead:
        body: dict[str, Any] = {"met": met, "note": note} if note else {"met": met}
        return self.read(SnapshotRead, "POST", f"/snapshots/{snapshot_id}/criteria/{index}/judgement", json=body)

    # Search, planning, activity

    def search(self, query: str, *, entity_type: str | None = None, limit: int = 10) -> SearchResults:
        params = {"q": query, "entity_type": entity_type, "limit": limit}
        return self.read(SearchResults, "GET", "/search", params=_without_none(params))

    def suggest_goals(self, course_id: str, options: Mapping[str, Any] | None = None) -> Suggestions:
        path = f"/courses/{course_id}/goals/suggest"
        return self.read(Suggestions, "POST", path, json=dict(options or {}), timeout=PLANNING_TIMEOUT_SECONDS)

    def accept_goals(self, course_id: str, goals: Sequence[SuggestedGoal]) -> Accepted:
        body = {"goals": [goal.model_dump(mode="json") for goal in goals]}
        return self.read(Accepted, "POST", f"/courses/{course_id}/goals/accept", json=body)

    def my_stats(self) -> UserStats:
        return self.read(UserStats, "GET", "/stats/me")

    def list_events(
        self,
        *,
        event_type: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[EventRead]:
        params = {
            "event_type": event_type,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "limit": limit,
            "offset": offset,
        }
        return self.page("/events", EventRead, params)

    # Plumbing

    def read(self, schema: type[ReadT], method: str, path: str, **request: Any) -> ReadT:
        """One request whose answer is `schema`; `request`: what `send` takes."""
        return TypeAdapter(schema).validate_json(self.send(method, path, **request).content)

    def page(self, path: str, schema: type[ReadT], params: Mapping[str, Any]) -> Page[ReadT]:
        return self.read(Page[schema], "GET", path, params=_without_none(params))  # type: ignore[valid-type]

    def send(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        prefixed: bool = True,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        url = f"{API_PREFIX}{path}" if prefixed else path
        if auth and self.tokens is None:
            # A wrong --server should say "unreachable", not "log in": check it answers first.
            self.send("GET", "/health", auth=False, prefixed=False)
            raise NotAuthenticatedError(self._("You are not logged in to {server}; run `aigt login`."))
        send = functools.partial(self._request, method, url, auth=auth, json=json, data=data, params=params)
        response = send(timeout=timeout)
        if response.status_code == 401 and auth and self._refresh():
            response = send(timeout=timeout)
        if response.is_error:
            raise self._error(response, auth=auth)
        return response

    def _store(self, pair: TokenPair) -> Tokens:
        self.tokens = Tokens(access_token=pair.access_token, refresh_token=pair.refresh_token)
        if self._on_tokens is not None:
            self._on_tokens(self.tokens)
        return self.tokens

    def _request(
        self,
        method: str,
        url: str,
        *,
        auth: bool,
        json: Any,
        data: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        timeout: float | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens['access_token']}"} if auth and self.tokens else {}
        try:
            return self._http.request(
                method,
                url,
                json=json,
                data=data,
                params=params,
                headers=headers,
                timeout=httpx.Timeout(timeout, connect=5.0) if timeout else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            raise ServerUnreachableError(
                self._("The server at {server} did not answer in time ({reason}).", reason=exc)
            ) from exc
        except httpx.TransportError as exc:
            raise ServerUnreachableError(
                self._(
                    "Cannot reach the server at {server} ({reason}). Is `aigt serve` running? "
                    "Pass --server URL or set AIGT_SERVER.",
                    reason=exc,
                )
            ) from exc

    def _refresh(self) -> bool:
        """Trade the refresh token for a new pair; False when the session is over."""
        if self.tokens is None:
            return False
        response = self._request(
            "POST",
            f"{API_PREFIX}/auth/refresh",
            auth=False,
            json={"refresh_token": self.tokens["refresh_token"]},
            data=None,
            params=None,
        )
        if response.status_code != 200:
            return False
        self._store(TokenPair.model_validate_json(response.content))
        return True

    def _error(self, response: httpx.Response, *, auth: bool) -> ApiError:
        detail = _detail(response)
        status = response.status_code
        if status == 401:
            if not auth:
                return NotAuthenticatedError(detail or self._("Wrong username or password."), status_code=401)
            return NotAuthenticatedError(
                self._(
                    "Your session at {server} has ended ({reason}); run `aigt login`.",
                    reason=detail or self._("unauthorized"),
                ),
                status_code=401,
            )
        if status == 404:
            not_found = self._("Not found: {path}", path=response.request.url.path)
            return NotFoundError(detail or not_found, status_code=404)
        if status == 422:
            fields = _field_errors(response)
            lines = "; ".join(f"{error.field}: {error.message}" for error in fields)
            return ValidationError(self._("The server refused the input: {problems}", problems=lines or detail), fields)
        if status == 409:
            return ConflictError(detail or self._("Conflict"), status_code=409)
        if status == 429:
            retry = response.headers.get("Retry-After")
            suffix = self._(" Try again in {seconds} s.", seconds=retry) if retry else ""
            too_many = detail or self._("Too many requests.")
            return ApiError(f"{too_many}{suffix}", status_code=429)
        answer = self._(
            "The server answered {status}: {detail}", status=status, detail=detail or response.reason_phrase
        )
        return ApiError(answer, status_code=status)

    def _(self, message: str, **params: object) -> str:
        """`message` in the client's language (the `cli` catalog), `{server}` and `params` filled in."""
        return translate("cli", negotiate(self.language), message, {"server": self.server, **params})


def _without_none(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        return "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
    return ""


def _field_errors(response: httpx.Response) -> list[FieldError]:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return []
    if not isinstance(detail, list):
        return [FieldError("request", str(detail))] if detail else []
    errors = []
    for item in detail:
        if not isinstance(item, dict):
            continue
        # FastAPI locations start with where the value came from ("body", "query"): the rest is the field.
        location = [str(part) for part in item.get("loc", [])]
        field = ".".join(location[1:]) if len(location) > 1 else ".".join(location) or "request"
        errors.append(FieldError(field, str(item.get("msg", ""))))
    return errors
