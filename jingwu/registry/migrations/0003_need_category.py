from django.db import migrations


def add_categories(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The catalogue's local 90008 民生帮扶 (a need found on a care visit) for databases made before it existed;
    # load() only adds what is missing.
    from jingwu.cases.catalog import load

    load(apps.get_model("cases", "Category"), apps.get_model("cases", "FilingCondition"))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_care_groups"),
        ("cases", "0015_alter_attachment_kind"),
    ]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
