from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "两室一平台"

    def ready(self):
        # Sidebar entries, the dashboard panel and the demo seeder.
        from . import demo, panels  # noqa: F401
