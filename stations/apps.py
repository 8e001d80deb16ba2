from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "两室一平台"

    def ready(self):
        # Sidebar entries, dashboard and duty-file panels of each part, and the demo seeder.
        from . import (  # noqa: F401
            demo,
            demo_life,
            panels,
            panels_activities,
            panels_compliance,
            panels_public,
            panels_receptions,
            panels_registers,
            panels_roster,
        )
