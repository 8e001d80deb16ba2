from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "年度考评"

    def ready(self):
        # Sidebar entries, dashboard and duty-file panels, and jobs of each part.
        from . import demo, panels_assessment, panels_dashboard, panels_points, panels_stars  # noqa: F401
