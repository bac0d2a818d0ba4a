from django.conf import settings
from django.db import migrations

ADMIN_ROLES = ("admin", "security_admin", "auditor")


def drop_superuser_flag(apps, schema_editor):
    # 三员分立: an administrator's powers come from their role alone. Accounts made by the old
    # `createsuperuser` that belong to an administrator keep their role and lose the flag, which would
    # otherwise keep them out of /admin/ (the site refuses superusers). A superuser with no person is left
    # as it is: it holds no power, and `jingwu create-admin` makes the named administrators.
    Person = apps.get_model("org", "Person")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    admins = Person.objects.filter(role__in=ADMIN_ROLES).values("user_id")
    User.objects.filter(pk__in=admins, is_superuser=True).update(is_superuser=False)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0004_security_admin_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(drop_superuser_flag, migrations.RunPython.noop)]
