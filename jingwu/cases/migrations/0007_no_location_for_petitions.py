from django.db import migrations


def forwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(case_kind__in=["petition", "suggestion"]).update(needs_location=False)


def backwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.update(needs_location=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_engine")]

    operations = [migrations.RunPython(forwards, backwards)]
