"""Issue 8's attacks, each replayed as a test: what an attacker did must now fail, and cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from jingwu.org.models import ApiToken
from jingwu.org.services import issue_token

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _db_env() -> dict[str, str]:
    """The environment that points a server process at this test's database."""
    cfg = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JINGWU_SQLITE_PATH", "REDIS_URL")}
    if connection.vendor == "postgresql":
        auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"
    else:
        env["JINGWU_SQLITE_PATH"] = str(cfg["NAME"])
    env["DJANGO_SETTINGS_MODULE"] = "jingwu.settings"
    return env


@pytest.fixture
def servers(transactional_db: Any) -> Iterator[list[str]]:
    """Two gunicorn servers (two processes each) on this test's database, as a deployment runs them."""
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "jingwu.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--access-logfile",
                    "/dev/null",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=_db_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/api/workflow", timeout=2).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"server at {url} did not start")
        yield urls
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def _status(url: str, token: str) -> int:
    req = urllib.request.Request(f"{url}/api/tasks", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_revoked_token_or_deactivated_user_stops_working_at_once_everywhere(servers: list[str]) -> None:
    from django.contrib.auth import get_user_model

    from jingwu.org.models import Person

    user = get_user_model().objects.create_user("op")
    Person.objects.create(user=user, name="受理员", role="operator")
    token, other = issue_token(user), issue_token(user, "second phone")
    # Every process has seen (and, before the fix, cached) both tokens.
    assert {_status(url, token) for url in servers for _ in range(10)} == {200}
    assert {_status(url, other) for url in servers for _ in range(10)} == {200}
    ApiToken.objects.filter(prefix=token[:8]).update(revoked=True)
    assert [_status(url, token) for url in servers for _ in range(20)] == [401] * 40
    assert {_status(url, other) for url in servers for _ in range(5)} == {200}
    user.is_active = False
    user.save()
    assert [_status(url, other) for url in servers for _ in range(20)] == [401] * 40
