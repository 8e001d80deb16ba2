"""URLs of the roster part (added to stations/urls.py)."""

urlpatterns: list = []
