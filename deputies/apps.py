from django.apps import AppConfig


class DeputiesConfig(AppConfig):
    name = "deputies"
    verbose_name = "代表管理"

    def ready(self):
        from . import demo, panels  # noqa: F401  (register dashboard panels and the demo seeder)
