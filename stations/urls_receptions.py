"""URLs of the receptions part (added to stations/urls.py)."""

urlpatterns: list = []
