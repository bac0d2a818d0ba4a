"""Personal data at rest: sealed in the database, readable only with the keys, rotated without loss, erased
when its time is up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection

from jingwu.audit.models import AuditEvent
from jingwu.cases import jobs
from jingwu.cases.models import Case
from jingwu.lib import crypto
from jingwu.open311.models import ServiceRequest
from jingwu.open311.services import create_key

from .flows import act, public_report, to_state

PHONE = "13800001111"


def raw(case: Case, column: str) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM cases_case WHERE id = %s", [case.pk])
        return cur.fetchone()[0]


def test_reporter_contact_is_sealed_in_the_database(cast: Any) -> None:
    case = public_report(cast, reporter_name="张三", reporter_phone=PHONE)
    stored = raw(case, "reporter_phone")
    assert stored.startswith(crypto.PREFIX) and PHONE not in stored
    assert "张三" not in raw(case, "reporter_name")
    assert Case.objects.get(pk=case.pk).reporter_phone == PHONE
    # Sealing is randomised: the same phone twice gives two different stored values.
    other = public_report(cast, reporter_phone=PHONE, client_key="k2")
    assert raw(other, "reporter_phone") != stored
    # A search on a sealed column would silently never match: it is refused instead.
    with pytest.raises(FieldError):
        list(Case.objects.filter(reporter_phone=PHONE))
    assert Case.objects.filter(reporter_phone="").count() == 0


def test_a_database_dump_without_the_key_reveals_nothing(cast: Any, settings: Any) -> None:
    case = public_report(cast, reporter_phone=PHONE)
    settings.JINGWU_DATA_KEYS = [crypto.new_key()]  # someone else's key: the stolen dump's reader
    got = Case.objects.get(pk=case.pk)  # the row still loads (one bad value must not stop whole pages)
    assert got.reporter_phone == crypto.UNREADABLE and got.description
    # Rotation refuses to go on rather than write the unreadable marker back over the data.
    with pytest.raises(CommandError, match="none of JINGWU_DATA_KEYS"):
        call_command("rotate_data_keys")
    assert raw(case, "reporter_phone").startswith(crypto.PREFIX)


def test_rotation_reseals_every_row_and_the_old_key_can_go(cast: Any, settings: Any) -> None:
    old = settings.JINGWU_DATA_KEYS[0]
    cases = [public_report(cast, reporter_phone=f"1380000{i:04d}", client_key=f"r{i}") for i in range(3)]
    with connection.cursor() as cur:  # a row from before encryption was turned on
        cur.execute("UPDATE cases_case SET reporter_name = %s WHERE id = %s", ["李四", cases[0].pk])
    new = crypto.new_key()
    settings.JINGWU_DATA_KEYS = [new, old]
    assert Case.objects.get(pk=cases[1].pk).reporter_phone == "13800000001"  # old rows still open
    call_command("rotate_data_keys", stdout=None)
    assert all(crypto.sealed_with_newest(raw(c, "reporter_phone")) for c in cases)
    assert raw(cases[0], "reporter_name").startswith(crypto.PREFIX)
    settings.JINGWU_DATA_KEYS = [new]
    assert [Case.objects.get(pk=c.pk).reporter_phone for c in cases] == [f"1380000{i:04d}" for i in range(3)]
    assert Case.objects.get(pk=cases[0].pk).reporter_name == "李四"
    assert AuditEvent.objects.filter(action="privacy.rotate_keys").exists()


def test_erasure_after_the_retention_period(cast: Any, at: Any, settings: Any) -> None:
    settings.JINGWU_PERSONAL_DATA_DAYS = 30
    closed = to_state(cast, "to_close")
    Case.objects.filter(pk=closed.pk).update(reporter_name="王五", reporter_phone=PHONE)
    closed = act(closed, "close", cast["shiftlead"])
    key, _ = create_key("app")
    ServiceRequest.objects.create(
        case=closed, api_key=key, token="t1", email="w@example.cn", device_id="d1", attributes={"note": "王五家门口"}
    )
    still_open = public_report(cast, reporter_phone=PHONE, client_key="open")
    at.move(at.now + timedelta(days=29))
    assert jobs.erase_personal_data() == 0
    at.move(at.now + timedelta(days=2))
    assert jobs.erase_personal_data() == 1
    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert (closed.reporter_name, closed.reporter_phone) == ("", "")
    sent = ServiceRequest.objects.get(case=closed)
    assert (sent.email, sent.device_id, sent.attributes, sent.token) == ("", "", {}, "t1")
    assert still_open.reporter_phone == PHONE  # an open case keeps its reporter, however old
    assert closed.transitions.count() > 1  # the case and its history stay
    assert AuditEvent.objects.filter(action="privacy.erase").count() == 1
    assert jobs.erase_personal_data() == 0  # nothing left to do: the job does not loop or re-audit
    assert "erase_personal_data" in [j.name for j in jobs.JOBS]


def test_the_migration_seals_existing_rows_and_its_reverse_opens_them(cast: Any) -> None:
    from jingwu.lib.fields import reseal_rows, unseal_rows

    case = public_report(cast, reporter_phone=PHONE)
    assert unseal_rows(Case) >= 1
    assert raw(case, "reporter_phone") == PHONE
    assert reseal_rows(Case) >= 1
    assert raw(case, "reporter_phone").startswith(crypto.PREFIX)
    assert Case.objects.get(pk=case.pk).reporter_phone == PHONE


def test_the_admin_shows_the_reporter_masked(cast: Any) -> None:
    from django.test import Client

    case = public_report(cast, reporter_name="张三", reporter_phone=PHONE)
    c = Client()
    c.force_login(cast["auditor"])
    page = c.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "138****1111" in page and PHONE not in page and "张三" not in page
