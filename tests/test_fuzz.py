"""Schemathesis over the whole OpenAPI document: every operation, anonymous and with a staff token, must
answer without a server error and as the document says (status, content type, body schema)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Twelve examples an operation (three calls each) keep the fuzz near four minutes on PostgreSQL for the ~60
# operations; Hypothesis tries the schema's boundary values first. Set JINGWU_FUZZ_EXAMPLES higher for a deep run.
EXAMPLES = int(os.environ.get("JINGWU_FUZZ_EXAMPLES", "12"))
CALLS: dict[str, int] = {}


def _schema() -> Any:
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """A WSGI call ends by closing the database connection, as a server should; in a test that would close
    the test's own transaction (Django's test client does the same as this)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_answers_as_documented(case: Any, cast: Any) -> None:
    from django.db import connection

    from jingwu.org.services import issue_token

    # ./dev test fuzzes in the PostgreSQL pass when there is one (its driver is the stricter about input).
    if connection.vendor != os.environ.get("JINGWU_FUZZ_ON", connection.vendor):
        pytest.skip(f"fuzzed in the {os.environ['JINGWU_FUZZ_ON']} pass")

    tokens = getattr(test_every_operation_answers_as_documented, "_tokens", None)
    if tokens is None or tokens[0] != id(cast):
        tokens = (id(cast), issue_token(cast["operator"]), issue_token(cast["gw_a"]))
        test_every_operation_answers_as_documented._tokens = tokens  # type: ignore[attr-defined]
    for headers in ({}, {"Authorization": f"Bearer {tokens[1]}"}, {"Authorization": f"Bearer {tokens[2]}"}):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        CALLS[case.operation.label] = CALLS.get(case.operation.label, 0) + 1


def teardown_module() -> None:
    if CALLS:
        out = Path(__file__).resolve().parent.parent / "artifacts" / "fuzz.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            f"{len(CALLS)} operations, {sum(CALLS.values())} requests\n"
            + "".join(f"{n:6d}  {label}\n" for label, n in sorted(CALLS.items()))
        )
