from django.apps import AppConfig


class DeputiesConfig(AppConfig):
    name = "deputies"
    verbose_name = "代表管理"

    def ready(self):
        # Registers dashboard panels, the demo seeder and the job kinds (the worker imports
        # apps, not views, so job kinds must be reachable from here).
        from . import demo, exports, importing, panels  # noqa: F401
