from django.db import migrations


def load(apps, schema_editor):
    from jingwu.cases.catalog import load as load_catalog

    load_catalog(apps.get_model("cases", "Category"), apps.get_model("cases", "FilingCondition"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
