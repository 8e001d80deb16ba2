from django.apps import AppConfig


class CongressConfig(AppConfig):
    name = "congress"
    verbose_name = "人大工作"

    def ready(self):
        # Sidebar entries, dashboard and duty-file panels, jobs and the demo seeder of each part.
        from . import (  # noqa: F401
            demo,
            panels_livelihood,
            panels_meetings,
            panels_suggestions,
            panels_supervision,
        )
