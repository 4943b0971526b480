"""`aigt register|login|logout|whoami`: the account commands of the learner command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from ai_goals_tracker.cli.common import (
    JsonOption,
    ServerOption,
    handles_api_errors,
    open_client,
    print_json,
    stdout,
)
from ai_goals_tracker.cli.credentials import CredentialStore
from ai_goals_tracker.client import DEFAULT_SERVER, ApiClient, ApiError, NotAuthenticatedError, normalize_server


@handles_api_errors
def register(
    username: Annotated[str, typer.Option(prompt=True, help="Login name: 3-50 letters, digits, '.', '_' or '-'.")],
    email: Annotated[str, typer.Option(prompt=True, help="Email address.")],
    full_name: Annotated[str | None, typer.Option(help="Name shown to people.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Create an account on the server (then `aigt login`)."""
    password = (
        _stdin_password() if password_stdin else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    with ApiClient(server) as client:
        user = client.register(email=email, username=username, password=password, full_name=full_name)
    if as_json:
        print_json(user)
        return
    stdout().print(
        f"Created account [bold]{escape(user.username)}[/] <{escape(user.email)}> on {normalize_server(server)}. "
        "Now run `aigt login`."
    )


@handles_api_errors
def login(
    username: Annotated[
        str | None, typer.Option("--username", "-u", help="Username or email (asked when left out).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Log in and keep the tokens for the next commands."""
    if username is None:
        username = typer.prompt("Username or email")
    password = _stdin_password() if password_stdin else typer.prompt("Password", hide_input=True)
    store = CredentialStore()
    with ApiClient(server) as client:
        tokens = client.login(username, password)
        user = client.me()
    store.save(server, tokens, username=user.username)
    if as_json:
        print_json({"server": normalize_server(server), "user": user})
        return
    stdout().print(f"Logged in to {normalize_server(server)} as [bold]{escape(user.username)}[/].")


@handles_api_errors
def logout(server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """End the session on the server and forget the stored tokens."""
    store = CredentialStore()
    ended_remotely = False
    with open_client(server) as client:
        if client.tokens is not None:
            try:
                client.logout()
                ended_remotely = True
            except NotAuthenticatedError:
                pass  # The session had already ended; forgetting the tokens is all that is left.
    forgot = store.clear(server)
    if as_json:
        print_json({"server": normalize_server(server), "logged_out": forgot, "session_ended": ended_remotely})
        return
    if forgot:
        stdout().print(f"Logged out of {normalize_server(server)}.")
    else:
        stdout().print(f"You were not logged in to {normalize_server(server)}.")


@handles_api_errors
def whoami(server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """Who you are logged in as."""
    with open_client(server) as client:
        user = client.me()
    if as_json:
        print_json(user)
        return
    name = f" ({escape(user.full_name)})" if user.full_name else ""
    stdout().print(f"[bold]{escape(user.username)}[/]{name} <{escape(user.email)}> on {normalize_server(server)}")


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ApiError("no password on standard input")
    return password
