from django.db import migrations


def install(apps, schema_editor):
    from jingwu.iot.defaults import install

    install(apps.get_model("iot", "Rule"), apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("iot", "0001_devices_readings_alarms")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
