"""The care groups a town starts with (configurable in the admin): the report's groups and the usual visit
cycles of 全科网格 work (独居老人 weekly, 低保/特困/留守儿童 monthly, the others quarterly)."""

from django.db import migrations

GROUPS = [
    ("dibao", "低保", 30, False),
    ("tekun", "特困", 30, False),
    ("low_income", "低收入家庭", 90, False),
    ("disabled", "残疾人", 90, False),
    ("alone_elderly", "独居老人", 7, False),
    ("left_behind", "留守儿童", 30, False),
    ("veteran", "退役军人/优抚对象", 90, False),
    ("key_person", "重点人员", 30, True),
]


def load(apps, schema_editor):
    CareGroup = apps.get_model("registry", "CareGroup")
    for position, (code, name, days, restricted) in enumerate(GROUPS, start=1):
        CareGroup.objects.get_or_create(
            code=code, defaults={"name": name, "visit_days": days, "restricted": restricted, "position": position}
        )


def unload(apps, schema_editor):
    apps.get_model("registry", "CareGroup").objects.filter(code__in=[g[0] for g in GROUPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
