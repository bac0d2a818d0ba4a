"""等保 2.0 level 3 account controls: 三员分立 in the administration, an optional TOTP second factor on every
sign-in path, and administrators created as named people."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jingwu.audit.models import AuditEvent
from jingwu.org.choices import Role
from jingwu.org.models import Person, PersonRole
from jingwu.org.separation import check_roles

T0 = datetime(2026, 11, 30, 9, 0, 0).astimezone()


def signed_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- 三员分立 ---------------------------------------------------------------------------------------

ADMIN_PAGES = {
    # page → who of the three may open it (everyone else: 403)
    "/admin/geo/grid/": {"admin"},
    "/admin/cases/category/": {"admin"},
    "/admin/workcal/holiday/add/": {"admin"},
    "/admin/auth/user/": {"secadmin"},
    "/admin/org/person/": {"admin", "secadmin"},  # the system administrator reads, the security one edits
    "/admin/org/apitoken/": {"secadmin"},
    "/admin/open311/apikey/": {"secadmin"},
    "/admin/otp_totp/totpdevice/": {"secadmin"},
    "/admin/audit/auditevent/": {"auditor"},
    "/admin/audit/auditseal/": {"auditor"},
    "/admin/axes/accesslog/": {"auditor"},
    "/admin/auth/group/": set(),  # powers come from roles alone
}


@pytest.mark.parametrize("who", ["admin", "secadmin", "auditor"])
def test_each_administrator_reaches_only_their_own_part(cast: Any, who: str) -> None:
    c = signed_in(cast[who])
    assert c.get("/admin/").status_code == 200
    got = {page: c.get(page).status_code for page in ADMIN_PAGES}
    want = {page: 200 if who in allowed else 403 for page, allowed in ADMIN_PAGES.items()}
    assert got == want


@pytest.mark.parametrize("who", ["operator", "leader", "citizen", "h_env"])
def test_other_roles_do_not_enter_the_administration(cast: Any, who: str) -> None:
    r = signed_in(cast[who]).get("/admin/geo/grid/", follow=True)
    assert r.request["PATH_INFO"] == "/login/"


def test_a_superuser_holds_no_power(cast: Any, django_user_model: Any) -> None:
    root = django_user_model.objects.create_superuser("root", password="Root-pass-2026")
    c = signed_in(root)
    assert c.get("/admin/geo/grid/").status_code == 302
    assert c.get("/centre/").status_code == 403  # no named person, no role: the public's pages only
    # The admin's own login form is not a way round the site's sign-in (lockout, second factor).
    r = Client().get("/admin/login/?next=/admin/geo/grid/")
    assert r.status_code == 302 and r["Location"] == "/login/?next=%2Fadmin%2Fgeo%2Fgrid%2F"
    c = Client()
    r = c.post("/admin/login/", {"username": "admin", "password": "pw-admin"})
    assert r.status_code == 302 and "_auth_user_id" not in c.session  # it takes no passwords at all


def test_no_person_holds_two_of_the_three(cast: Any) -> None:
    assert check_roles([Role.ADMIN, Role.OPERATOR]) is None
    assert check_roles([Role.ADMIN, Role.AUDITOR]) is not None
    target = cast["operator"].person
    c = signed_in(cast["secadmin"])
    form = {
        "user": cast["operator"].pk,
        "name": target.name,
        "phone": "",
        "role": Role.OPERATOR,
        "extra_roles-TOTAL_FORMS": "1",
        "extra_roles-INITIAL_FORMS": "0",
        "extra_roles-0-role": Role.AUDITOR,
        "gridassignment_set-TOTAL_FORMS": "0",
        "gridassignment_set-INITIAL_FORMS": "0",
    }
    r = c.post(f"/admin/org/person/{target.pk}/change/", form)
    assert r.status_code == 200  # refused: the role is not one the admin may grant
    assert not PersonRole.objects.filter(person=target).exists()
    form["extra_roles-0-role"] = Role.LEADER  # an ordinary second role is fine
    assert c.post(f"/admin/org/person/{target.pk}/change/", form).status_code == 302
    assert PersonRole.objects.filter(person=target, role=Role.LEADER).exists()
    # The change is in the audit trail, for the audit administrator to see.
    row = AuditEvent.objects.filter(action="admin.change", object_type="org.person").latest("id")
    assert row.actor_name == "secadmin" and row.role == Role.SECURITY_ADMIN


def test_no_administrator_grants_themselves(cast: Any) -> None:
    me = cast["secadmin"]
    c = signed_in(me)
    assert c.get(f"/admin/org/person/{me.person.pk}/change/").status_code in (200, 403)
    r = c.post(f"/admin/org/person/{me.person.pk}/change/", {"user": me.pk, "name": "x", "role": Role.ADMIN})
    assert r.status_code == 403
    assert c.post(f"/admin/auth/user/{me.pk}/change/", {"username": me.username}).status_code == 403
    me.person.refresh_from_db()
    assert me.person.role == Role.SECURITY_ADMIN


def test_the_audit_trail_is_the_audit_administrators(cast: Any) -> None:
    for who, status in (("auditor", 200), ("admin", 403), ("secadmin", 403)):
        assert signed_in(cast[who]).get("/api/audit").status_code == status


def test_create_admin_makes_a_named_person_who_must_change_the_password(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Strong-pass-2026\n"))
    out = io.StringIO()
    call_command("create_admin", "li", role="security", name="李明", stdout=out)
    person = Person.objects.get(user__username="li")
    assert (person.role, person.name, person.must_change_password) == (Role.SECURITY_ADMIN, "李明", True)
    assert not person.user.is_superuser
    monkeypatch.setattr("sys.stdin", io.StringIO("12345678\n"))
    with pytest.raises(CommandError):
        call_command("create_admin", "wang", role="audit", name="王强")
    with pytest.raises(CommandError):
        call_command("create_admin", "li", role="audit", name="李明")  # exists


# --- the second factor ----------------------------------------------------------------------------


def code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol(user: Any) -> TOTPDevice:
    c = signed_in(user)
    page = c.get("/account/otp/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.context["secret"] and page.context["secret"] in page.content.decode()
    assert c.post("/account/otp/", {"otp_token": "000000" if code(device) != "000000" else "111111"}).status_code == 400
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        assert c.post("/account/otp/", {"otp_token": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_enrol_then_every_sign_in_needs_the_code(cast: Any) -> None:
    user = cast["dispatcher"]
    with time_machine.travel(T0, tick=False):
        device = enrol(user)
    c = Client()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        r = c.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher", "next": "/centre/"})
        assert r.status_code == 302 and r["Location"] == "/login/otp/"
        assert c.get("/centre/").status_code == 302  # the password alone signs no one in
        good = code(device)
        wrong = "123456" if good != "123456" else "654321"
        assert c.post("/login/otp/", {"otp_token": wrong}).status_code == 400
        # Throttled after a failure: even the right code waits, so codes cannot be guessed quickly.
        assert c.post("/login/otp/", {"otp_token": good}).status_code == 400
    with time_machine.travel(T0 + timedelta(minutes=1, seconds=3), tick=False):
        good = code(device)
        r = c.post("/login/otp/", {"otp_token": good})
        assert r.status_code == 302 and r["Location"] == "/centre/"
        assert c.get("/centre/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_failed", object_id=str(user.pk)).count() == 2
    # A used code cannot be replayed in another sign-in.
    other = Client()
    with time_machine.travel(T0 + timedelta(minutes=1, seconds=4), tick=False):
        other.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher"})
        assert other.post("/login/otp/", {"otp_token": good}).status_code == 400


def test_a_session_made_without_the_code_is_ended(cast: Any) -> None:
    with time_machine.travel(T0, tick=False):
        enrol(cast["operator"])
    c = signed_in(cast["operator"])  # as a sign-in path that skipped the code would leave it
    r = c.get("/centre/")
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert c.get("/centre/").status_code == 302


def test_the_api_token_needs_the_code_too(cast: Any) -> None:
    with time_machine.travel(T0, tick=False):
        device = enrol(cast["leader"])
    c = Client()
    body = {"username": "leader", "password": "pw-leader"}
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        r = c.post("/api/auth/token", body, content_type="application/json")
        assert r.status_code == 401 and "动态口令" in r.json()["error"]["message"]
        r = c.post("/api/auth/token", {**body, "otp": "99999x"}, content_type="application/json")
        assert r.status_code == 401
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        r = c.post("/api/auth/token", {**body, "otp": code(device)}, content_type="application/json")
        assert r.status_code == 200 and r.json()["token"]


def test_roles_that_must_have_a_second_factor_are_sent_to_enrol(cast: Any, settings: Any) -> None:
    settings.JINGWU_OTP_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
    c = signed_in(cast["admin"])
    r = c.get("/admin/")
    assert r.status_code == 302 and r["Location"] == "/account/otp/?next=%2Fadmin%2F"
    assert c.get("/account/otp/").status_code == 200
    assert signed_in(cast["operator"]).get("/centre/").status_code == 200  # not a listed role
    with time_machine.travel(T0, tick=False):
        device = TOTPDevice.objects.get(user=cast["admin"])
        assert c.post("/account/otp/?next=/admin/", {"otp_token": code(device)})["Location"] == "/admin/"
        assert c.get("/admin/").status_code == 200


# --- what the review found: one administrator must not reach another's powers ----------------------


def test_the_security_administrator_cannot_make_or_take_over_administrators(cast: Any) -> None:
    c = signed_in(cast["secadmin"])
    auditor = cast["auditor"]
    # No administrator's account or person can be changed, nor their password reset, in the admin.
    view = c.get(f"/admin/auth/user/{auditor.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()  # seen, read-only
    assert "password/" not in view.content.decode()  # and no link to a reset it would refuse
    editable = c.get(f"/admin/auth/user/{cast['operator'].pk}/change/").content.decode()
    assert "password/" in editable  # a staff account's password can be reset
    assert (
        c.post(
            f"/admin/auth/user/{auditor.pk}/password/", {"password1": "Xx-12345678", "password2": "Xx-12345678"}
        ).status_code
        == 403
    )
    view = c.get(f"/admin/org/person/{auditor.person.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    # The three roles cannot be granted here at all: only `jingwu create-admin` makes administrators.
    page = c.get("/admin/org/person/add/").content.decode()
    assert 'value="security_admin"' not in page and 'value="auditor"' not in page and 'value="admin"' not in page
    newbie = type(auditor).objects.create_user("newbie", password="Newbie-pass-2026")
    r = c.post(
        "/admin/org/person/add/",
        {
            "user": newbie.pk,
            "name": "新人",
            "phone": "",
            "role": Role.AUDITOR,
            "extra_roles-TOTAL_FORMS": "0",
            "extra_roles-INITIAL_FORMS": "0",
            "gridassignment_set-TOTAL_FORMS": "0",
            "gridassignment_set-INITIAL_FORMS": "0",
        },
    )
    assert r.status_code == 200 and not Person.objects.filter(user=newbie).exists()


def test_a_password_set_in_the_admin_must_be_changed(cast: Any) -> None:
    c = signed_in(cast["secadmin"])
    target = cast["operator"]
    r = c.post(
        f"/admin/auth/user/{target.pk}/password/", {"password1": "Temp-pass-2026", "password2": "Temp-pass-2026"}
    )
    assert r.status_code == 302
    target.person.refresh_from_db()
    assert target.person.must_change_password


def test_api_tokens_cannot_be_moved_to_another_account(cast: Any) -> None:
    from jingwu.org.models import ApiToken
    from jingwu.org.services import issue_token

    issue_token(cast["secadmin"], "mine")
    token = ApiToken.objects.get(user=cast["secadmin"])
    c = signed_in(cast["secadmin"])
    assert c.get("/admin/org/apitoken/add/").status_code == 403
    r = c.post(f"/admin/org/apitoken/{token.pk}/change/", {"user": cast["auditor"].pk, "revoked": "on"})
    assert r.status_code == 302
    token.refresh_from_db()
    assert token.user_id == cast["secadmin"].pk and token.revoked  # only revoking is possible


def test_no_one_reads_a_second_factor_secret_in_the_admin(cast: Any) -> None:
    with time_machine.travel(T0, tick=False):
        device = enrol(cast["auditor"])
    c = signed_in(cast["secadmin"])
    page = c.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key not in page.content.decode()
    assert c.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (403, 404)


def test_enrolment_does_not_redirect_off_site(cast: Any) -> None:
    user = cast["leader"]
    c = signed_in(user)
    c.get("/account/otp/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    with time_machine.travel(T0, tick=False):
        r = c.post("/account/otp/?next=https://evil.example/x", {"otp_token": code(device)})
    assert r.status_code == 302 and r["Location"] == "/account/otp/"


def test_a_role_that_must_use_the_code_gets_no_token_without_it(cast: Any, settings: Any) -> None:
    settings.JINGWU_OTP_ROLES = frozenset({Role.LEADER})
    r = Client().post(
        "/api/auth/token", {"username": "leader", "password": "pw-leader"}, content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "otp_enrolment_required"
    # The page session is held to the same rule on the API.
    assert signed_in(cast["leader"]).get("/api/me").status_code == 403
    assert signed_in(cast["operator"]).get("/api/me").status_code == 200


def test_failed_sign_ins_do_not_record_what_was_typed_for_an_unknown_name(cast: Any) -> None:
    Client().post("/login/", {"username": "My-Secret-Pass1", "password": "x"})
    Client().post("/login/", {"username": "operator", "password": "wrong"})
    rows = list(AuditEvent.objects.filter(action="auth.login_failed").order_by("id").values_list("data", flat=True))
    assert rows == [{"username": ""}, {"username": "operator"}]


def test_an_old_superuser_administrator_keeps_the_role_and_loses_the_flag(cast: Any) -> None:
    import importlib

    from django.apps import apps as global_apps

    migration = importlib.import_module("jingwu.org.migrations.0005_superusers_hold_roles_only")
    admin = cast["admin"]
    type(admin).objects.filter(pk=admin.pk).update(is_superuser=True)
    migration.drop_superuser_flag(global_apps, None)
    admin.refresh_from_db()
    assert not admin.is_superuser
    assert signed_in(admin).get("/admin/geo/grid/").status_code == 200
