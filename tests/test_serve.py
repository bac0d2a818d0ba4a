"""`jingwu serve` migrates and collects static files before gunicorn on one machine; app nodes that share a
database skip both (--no-migrate, --no-collectstatic, or JINGWU_SERVE_MIGRATE / _COLLECTSTATIC=false)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from jingwu.cases.management.commands import serve


@pytest.fixture
def ran(monkeypatch: Any) -> list[str]:
    """What serve did, in order: the commands it called, then `gunicorn` where it would have exec'd it."""
    done: list[str] = []
    monkeypatch.setattr(serve, "call_command", lambda name, **_: done.append(name))

    def execv(path: str, argv: list[str]) -> None:
        assert path == sys.executable and argv[1:4] == ["-m", "gunicorn", "jingwu.wsgi:application"]
        done.append("gunicorn")

    monkeypatch.setattr(serve.os, "execv", execv)
    return done


def test_one_machine_migrates_and_collects_first(ran: list[str]) -> None:
    call_command("serve", bind="127.0.0.1:8000")  # as `jingwu demo` calls it
    assert ran == ["migrate", "collectstatic", "gunicorn"]


def test_a_node_skips_them_when_told(ran: list[str]) -> None:
    call_command("serve", "--no-migrate")
    assert ran == ["collectstatic", "gunicorn"]
    ran.clear()
    call_command("serve", "--no-migrate", "--no-collectstatic")
    assert ran == ["gunicorn"]


@override_settings(JINGWU_SERVE_MIGRATE=False, JINGWU_SERVE_COLLECTSTATIC=False)
def test_or_by_the_environment(ran: list[str]) -> None:
    call_command("serve")
    assert ran == ["gunicorn"]
