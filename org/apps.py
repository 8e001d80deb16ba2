from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig


class AxesConfig(BaseAxesConfig):
    """django-axes under a Chinese name in the admin."""

    verbose_name = "登录安全"
    # Listed by its full path in INSTALLED_APPS; not org's own config.
    default = False


class OrgConfig(AppConfig):
    default = True
    name = "org"
    verbose_name = "组织与权限"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import audit, demo, jobs  # noqa: F401  (connect receivers, register job kinds and the demo seeder)
        from .context_processors import region_changed
        from .models import Region

        # A changed region makes the cached region pickers stale.
        post_save.connect(region_changed, sender=Region, dispatch_uid="org.region_changed.save")
        post_delete.connect(region_changed, sender=Region, dispatch_uid="org.region_changed.delete")
