from django.db import migrations


def load(apps, schema_editor):
    from jingwu.workcal.official import rows

    Holiday = apps.get_model("workcal", "Holiday")
    for day, kind, name in rows():
        Holiday.objects.get_or_create(date=day, defaults={"kind": kind, "name": name})


class Migration(migrations.Migration):
    dependencies = [("workcal", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
