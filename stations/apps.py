from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "两室一平台"
