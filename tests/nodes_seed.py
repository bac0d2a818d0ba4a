"""The database behind tests/test_nodes.py's cluster, made in a process of its own.

``python -m tests.nodes_seed`` migrates the database at DATABASE_URL (the project's settings, as the nodes run
them), loads the four-grid territory of tests/conftest.py and a cast, and prints on its last line, as JSON, what
the test needs: tokens, passwords, and the ids the admin's forms are addressed by.
"""

from __future__ import annotations

import json
import os
from typing import Any

PASSWORD = "Nodes-pw-2026!"
HANDLERS = ("h_env1", "h_env2", "h_env3")


def seed() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)

    from jingwu.geo.models import Grid, Region
    from jingwu.geo.services import import_geojson
    from jingwu.org.choices import DepartmentKind, Role
    from jingwu.org.models import ApiToken, Department, GridAssignment, Person
    from jingwu.org.services import issue_token

    from .conftest import reference_data, territory

    reference_data()
    import_geojson(territory())
    env = Department.objects.create(code="W07", name="环卫公司", kind=DepartmentKind.EXTERNAL)
    city = Department.objects.create(code="B05", name="城建办", kind=DepartmentKind.OFFICE)
    User = get_user_model()
    out: dict[str, Any] = {"tokens": {}, "users": {}, "emails": {}, "password": PASSWORD}

    def make(name: str, role: Role, dept: Department | None = None, *, password: bool = False, email: str = "") -> Any:
        # Only the accounts that sign in on a page get a password: each hash costs the seed a noticeable moment.
        user = User.objects.create_user(name, email=email, password=PASSWORD if password else None)
        Person.objects.create(user=user, name=f"{name}姓名", role=role, department=dept)
        out["users"][name] = user.pk
        if email:
            out["emails"][name] = email
        return user

    gw_a = make("gw_a", Role.GRID_WORKER)
    gw_b = make("gw_b", Role.GRID_WORKER)
    for grid in Grid.objects.all():
        owner = gw_a if grid.code.startswith("120111103201") else gw_b
        GridAssignment.objects.create(person=owner.person, grid=grid)
    make("shiftlead", Role.SHIFT_LEAD)
    make("disp_a", Role.DISPATCHER)
    make("disp_b", Role.DISPATCHER)
    for name in HANDLERS:
        make(name, Role.HANDLER, env, email=f"{name}@example.org")
    make("h_city", Role.HANDLER, city)
    make("op_rev", Role.OPERATOR, password=True)
    make("secadmin", Role.SECURITY_ADMIN, password=True)
    make("sysadmin", Role.ADMIN, password=True)

    for name in ("gw_a", "shiftlead", "disp_a", "disp_b"):
        out["tokens"][name] = issue_token(User.objects.get(username=name), "nodes")
    op_rev = User.objects.get(username="op_rev")
    for name in ("op_rev_1", "op_rev_2"):
        raw = issue_token(op_rev, name)
        out["tokens"][name] = raw
        out["tokens"][f"{name}_id"] = ApiToken.objects.get(user=op_rev, name=name).pk
    out["grids"] = {g.code: {"id": g.pk, "region": g.region_id, "name": g.name} for g in Grid.objects.all()}
    out["regions"] = dict(Region.objects.values_list("code", "pk"))
    return out


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()
    print(json.dumps(seed()))


if __name__ == "__main__":
    main()
