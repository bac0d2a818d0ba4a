"""jingwu backup and jingwu restore, round trip, as an administrator runs them: on a scratch installation
of the same kind of database as this test run (SQLite, or PostgreSQL in the PostgreSQL pass)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
django.setup()
from jingwu.cases.models import Case, Attachment
from jingwu.audit.models import AuditEvent
numbers = sorted(Case.objects.values_list("number", flat=True))
print(json.dumps({"cases": Case.objects.count(), "photos": Attachment.objects.count(),
                  "audit": AuditEvent.objects.count(), "numbers": numbers}))
"""
REPORT_ONE = """
import django
django.setup()
from jingwu.cases import services
from jingwu.org import actors
from jingwu.cases.models import Case
c = Case.objects.exclude(lon=None).first()
services.report_case(actor=actors.IOT, lon=c.lon, lat=c.lat, description="备份之后的告警", category="matter:90002")
"""


def _jingwu(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from jingwu.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _python(env: dict[str, str], code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def scratch(tmp_path: Path, db: Any) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JINGWU_SQLITE_PATH", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="jingwu.settings", JINGWU_MEDIA_ROOT=str(tmp_path / "media"))
    if connection.vendor == "postgresql":
        import psycopg

        cfg = connection.settings_dict
        host, port, user = cfg["HOST"] or "127.0.0.1", cfg["PORT"] or 5432, cfg["USER"]
        name = "jingwu_backup_roundtrip"
        with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{name}"
        yield env
        with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        env["JINGWU_SQLITE_PATH"] = str(tmp_path / "jingwu.sqlite3")
        yield env


def test_backup_and_restore_round_trip(scratch: dict[str, str], tmp_path: Path) -> None:
    env = scratch
    small = [
        "--cases",
        "40",
        "--inspections",
        "10",
        "--river-patrols",
        "6",
        "--grid-patrol-days",
        "2",
        "--petitions",
        "4",
    ]
    _jingwu(env, "demo", "--no-serve", *small)
    before = json.loads(_python(env, PROBE))
    assert before["cases"] >= 40 and before["photos"] > 0
    media = Path(env["JINGWU_MEDIA_ROOT"])
    photos = sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())
    assert len(photos) > 0
    out = _jingwu(env, "backup", str(tmp_path / "b.tar.gz"))
    assert "b.tar.gz" in out and (tmp_path / "b.tar.gz").stat().st_size > 0

    # Life goes on after the backup: a new case, and a photo lost from the disk.
    _python(env, REPORT_ONE)
    (media / photos[0]).unlink()
    assert json.loads(_python(env, PROBE))["cases"] == before["cases"] + 1

    out = _jingwu(env, "restore", str(tmp_path / "b.tar.gz"), "--yes")
    assert "restored" in out
    after = json.loads(_python(env, PROBE))
    assert after == before
    assert sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file()) == photos
    # The site works on the restored data: the audit trail still verifies against its seals.
    _jingwu(env, "audit-verify", "--seal")


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, db: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from jingwu.cases.models import Category

    bogus = tmp_path / "photo.tar.gz"
    bogus.write_bytes(b"\x89PNG not a backup")
    before = Category.objects.count()
    with pytest.raises(CommandError, match="not a Jingwu backup"):
        call_command("restore", str(bogus), "--yes")
    assert Category.objects.count() == before
