"""Property-based API testing from the OpenAPI schema, against a real `aigt serve`, with the
hostile values of `hostile_values` mixed into the generated requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import PASSWORD

MAX_EXAMPLES = "25"
BACKEND = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_no_server_errors_and_every_response_matches_its_schema(
    live_server: str, tmp_path: Path, clean_live_db: None
) -> None:
    username = "fuzzer"
    httpx.post(
        f"{live_server}/api/v1/auth/register",
        json={"email": "fuzzer@example.com", "username": username, "password": PASSWORD},
        timeout=30,
    ).raise_for_status()
    token = httpx.post(
        f"{live_server}/api/v1/auth/login", data={"username": username, "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live_server}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "20261126",
            "--header",
            f"Authorization: Bearer {token}",
            # Logging out would end the session every later request relies on.
            "--exclude-path",
            "/api/v1/auth/logout",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "NO_COLOR": "1",
            "SCHEMATHESIS_HOOKS": "tests.api.hostile_values",
            "PYTHONPATH": str(BACKEND),
        },
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
