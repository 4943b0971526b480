"""Typed HTTP client for the AI Goals Tracker API, used by the `aigt` learner commands.

It speaks only HTTP (httpx) and knows nothing of the server's internals, so it works against any
deployment. Every request says `X-Client: cli` so events record where a change came from. An expired
access token is refreshed once through `/auth/refresh` and the request retried; the new pair is
handed to `on_tokens` so the caller can store it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast

import httpx

from ai_goals_tracker.i18n import negotiate, translate

API_PREFIX = "/api/v1"
DEFAULT_SERVER = "http://127.0.0.1:8000"
# The server caps `?wait=` at 30 s.
MAX_WAIT_SECONDS = 30
# Planning goals may call an LLM (or load the embedding model on a cold server): allow it minutes.
PLANNING_TIMEOUT_SECONDS = 300.0

JsonObject = dict[str, Any]


class Tokens(TypedDict):
    access_token: str
    refresh_token: str


class Page(TypedDict):
    items: list[JsonObject]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ApiError(Exception):
    """A request that did not succeed; `exit_code` lets the CLI tell failures apart."""

    exit_code = 1

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class ServerUnreachableError(ApiError):
    exit_code = 3


class NotAuthenticatedError(ApiError):
    exit_code = 4


class NotFoundError(ApiError):
    exit_code = 5


class ValidationError(ApiError):
    exit_code = 6

    def __init__(self, message: str, fields: list[FieldError]) -> None:
        super().__init__(message, status_code=422)
        self.fields = fields


class ConflictError(ApiError):
    exit_code = 7


def normalize_server(url: str) -> str:
    return url.strip().rstrip("/")


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

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Auth and account

    def health(self) -> JsonObject:
        return self._json(self._send("GET", "/health", auth=False, prefixed=False))

    def register(self, *, email: str, username: str, password: str, full_name: str | None = None) -> JsonObject:
        body: JsonObject = {"email": email, "username": username, "password": password}
        if full_name:
            body["full_name"] = full_name
        return self._json(self._send("POST", "/auth/register", json=body, auth=False))

    def login(self, username: str, password: str) -> Tokens:
        response = self._send("POST", "/auth/login", data={"username": username, "password": password}, auth=False)
        body = self._json(response)
        self._store(Tokens(access_token=body["access_token"], refresh_token=body["refresh_token"]))
        assert self.tokens is not None
        return self.tokens

    def logout(self) -> None:
        self._send("POST", "/auth/logout")
        self.tokens = None

    def me(self) -> JsonObject:
        return self._json(self._send("GET", "/users/me"))

    def update_me(self, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("PATCH", "/users/me", json=dict(fields)))

    # Courses, goals, tasks

    def list_courses(self, *, status: str | None = None, limit: int = 50, offset: int = 0) -> Page:
        return self._page("/courses", {"status": status, "limit": limit, "offset": offset})

    def get_course(self, course_id: str) -> JsonObject:
        return self._json(self._send("GET", f"/courses/{course_id}"))

    def create_course(self, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("POST", "/courses", json=dict(fields)))

    def update_course(self, course_id: str, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("PATCH", f"/courses/{course_id}", json=dict(fields)))

    def delete_course(self, course_id: str) -> None:
        self._send("DELETE", f"/courses/{course_id}")

    def list_goals(
        self,
        *,
        course_id: str | None = None,
        status: str | None = None,
        priority: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        params = {"course_id": course_id, "status": status, "priority": priority, "limit": limit, "offset": offset}
        return self._page("/goals", params)

    def get_goal(self, goal_id: str) -> JsonObject:
        return self._json(self._send("GET", f"/goals/{goal_id}"))

    def create_goal(self, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("POST", "/goals", json=dict(fields)))

    def update_goal(self, goal_id: str, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("PATCH", f"/goals/{goal_id}", json=dict(fields)))

    def delete_goal(self, goal_id: str) -> None:
        self._send("DELETE", f"/goals/{goal_id}")

    def list_tasks(
        self,
        *,
        goal_id: str | None = None,
        status: str | None = None,
        task_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        params = {"goal_id": goal_id, "status": status, "task_type": task_type, "limit": limit, "offset": offset}
        return self._page("/tasks", params)

    def get_task(self, task_id: str) -> JsonObject:
        return self._json(self._send("GET", f"/tasks/{task_id}"))

    def create_task(self, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("POST", "/tasks", json=dict(fields)))

    def update_task(self, task_id: str, fields: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("PATCH", f"/tasks/{task_id}", json=dict(fields)))

    def delete_task(self, task_id: str) -> None:
        self._send("DELETE", f"/tasks/{task_id}")

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
    ) -> JsonObject:
        body: JsonObject = {"file_path": file_path, "code_content": code_content}
        if language:
            body["language"] = language
        if metadata:
            body["metadata"] = dict(metadata)
        params = {"wait": min(wait, MAX_WAIT_SECONDS)} if wait > 0 else None
        return self._json(self._send("POST", f"/tasks/{task_id}/snapshots", json=body, params=params))

    def get_snapshot(self, snapshot_id: str) -> JsonObject:
        return self._json(self._send("GET", f"/snapshots/{snapshot_id}"))

    def retry_review(self, snapshot_id: str) -> JsonObject:
        return self._json(self._send("POST", f"/snapshots/{snapshot_id}/review"))

    def list_snapshots(self, task_id: str, *, limit: int = 50, offset: int = 0) -> Page:
        return self._page(f"/tasks/{task_id}/snapshots", {"limit": limit, "offset": offset})

    # Search, planning, activity

    def search(self, query: str, *, entity_type: str | None = None, limit: int = 10) -> JsonObject:
        params = {"q": query, "entity_type": entity_type, "limit": limit}
        return self._json(self._send("GET", "/search", params=_without_none(params)))

    def suggest_goals(self, course_id: str, options: Mapping[str, Any] | None = None) -> JsonObject:
        path = f"/courses/{course_id}/goals/suggest"
        return self._json(self._send("POST", path, json=dict(options or {}), timeout=PLANNING_TIMEOUT_SECONDS))

    def accept_goals(self, course_id: str, goals: list[JsonObject]) -> JsonObject:
        return self._json(self._send("POST", f"/courses/{course_id}/goals/accept", json={"goals": goals}))

    def my_stats(self) -> JsonObject:
        return self._json(self._send("GET", "/stats/me"))

    def list_events(
        self,
        *,
        event_type: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        params = {
            "event_type": event_type,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "limit": limit,
            "offset": offset,
        }
        return self._page("/events", params)

    # Plumbing

    def _page(self, path: str, params: Mapping[str, Any]) -> Page:
        return cast(Page, self._json(self._send("GET", path, params=_without_none(params))))

    def _store(self, tokens: Tokens) -> None:
        self.tokens = tokens
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    def _send(
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
            self.health()
            raise NotAuthenticatedError(self._("You are not logged in to {server}; run `aigt login`."))
        send = functools.partial(self._request, method, url, auth=auth, json=json, data=data, params=params)
        response = send(timeout=timeout)
        if response.status_code == 401 and auth and self._refresh():
            response = send(timeout=timeout)
        if response.is_error:
            raise self._error(response, auth=auth)
        return response

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
        body = response.json()
        self._store(Tokens(access_token=body["access_token"], refresh_token=body["refresh_token"]))
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

    @staticmethod
    def _json(response: httpx.Response) -> JsonObject:
        return cast(JsonObject, response.json())


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
