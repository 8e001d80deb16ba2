from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "组织与权限"

    def ready(self):
        from . import audit, demo, jobs  # noqa: F401  (connect receivers, register job kinds and the demo seeder)
