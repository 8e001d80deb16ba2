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
        from . import audit, demo, jobs  # noqa: F401  (connect receivers, register job kinds and the demo seeder)
