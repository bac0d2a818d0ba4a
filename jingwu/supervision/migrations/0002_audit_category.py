from django.db import migrations


def add_categories(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The catalogue's local 90007 审计整改 for databases made before it existed; load() only adds what is missing.
    from jingwu.cases.catalog import NO_LOCATION, load

    category = apps.get_model("cases", "Category")
    load(category, apps.get_model("cases", "FilingCondition"))
    # An older migration made the row before the field existed: it took the default (needs a place).
    category.objects.filter(kind="matter", code__in=NO_LOCATION).update(needs_location=False)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("cases", "0015_alter_attachment_kind"),
    ]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
